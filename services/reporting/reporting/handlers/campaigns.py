"""Campaigns in the read model: each campaign as cases last told it, its cases (CampaignCasesTagged),
its operations, and the field app's 劝导 that fall in it by common.campaigns' rule; and the register of
illegal buildings."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select

from common.campaigns import RUNNING, CampaignArea, tags
from common.clock import bureau_date
from common.db import keep_newer, table_of
from common.geo import GridArea, GridMap
from common.messaging.contracts import (
    CampaignCasesTagged,
    CampaignChanged,
    CampaignClosed,
    CampaignLaunched,
    CampaignOperationRecorded,
    IllegalBuildingChanged,
    MerchantPersuaded,
)
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from reporting.tables import BuildingRow, CampaignCase, CampaignInfo, CampaignOperationRow, CampaignPersuasion, GridInfo

CAMPAIGN_EVENTS = (CampaignLaunched, CampaignChanged, CampaignClosed, CampaignOperationRecorded, CampaignCasesTagged)


async def keep_campaigns(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """In the topic's order (one campaign's events are one key's): a newer version replaces the
    campaign; an operation is kept once; cases join and leave."""
    for env in envelopes:
        e = env.data
        if isinstance(e, CampaignLaunched | CampaignChanged | CampaignClosed):
            c = e.campaign
            values = {
                "name": c.name,
                "kind": c.kind.value,
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "state": c.model_dump(mode="json"),
                "status": c.status,
                "version": c.version,
            }
            await uow.session.execute(keep_newer(CampaignInfo, {"campaign_id": c.campaign_id}, values))
        elif isinstance(e, CampaignOperationRecorded):
            await uow.session.execute(
                pg_insert(CampaignOperationRow)
                .values(
                    operation_id=e.operation_id,
                    campaign_id=e.campaign_id,
                    day=e.on,
                    squad_id=e.squad_id,
                    office_name=e.office_name,
                    officer_trips=e.officer_trips,
                    vehicle_trips=e.vehicle_trips,
                    counts=e.counts,
                )
                .on_conflict_do_nothing()
            )
        elif isinstance(e, CampaignCasesTagged):
            if e.added_case_ids:
                await uow.session.execute(
                    pg_insert(CampaignCase)
                    .values([{"campaign_id": e.campaign_id, "case_id": c} for c in sorted(e.added_case_ids)])
                    .on_conflict_do_nothing()
                )
            if e.removed_case_ids:
                await uow.session.execute(
                    delete(CampaignCase).where(
                        tuple_(col(CampaignCase.campaign_id), col(CampaignCase.case_id)).in_(
                            [(e.campaign_id, c) for c in e.removed_case_ids]
                        )
                    )
                )


async def count_persuasions(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """The field app's 劝导 in the campaigns running where and when they were recorded (placed in a
    grid from the grids reporting holds), per campaign, day and squad, in key order."""
    campaigns = [
        CampaignArea(
            campaign_id=r.campaign_id,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            categories=frozenset(r.state.get("category_codes") or []),
            grids=frozenset(r.state.get("grid_ids") or []),
            area=r.state.get("area"),
            streets=tuple(r.state.get("streets") or []),
        )
        for r in (await uow.session.exec(select(CampaignInfo).where(CampaignInfo.status == RUNNING))).all()
    ]
    if not campaigns:
        return
    grids = GridMap(
        [
            GridArea(grid_id=g.grid_id, name=g.name, squad_id=g.squad_id, squad_name="", geometry=g.geometry)
            for g in (await uow.session.exec(select(GridInfo).order_by(col(GridInfo.grid_id)))).all()
        ]
    )
    counted: dict[tuple[str, date, str], int] = {}
    for env in envelopes:
        e = env.data
        if not isinstance(e, MerchantPersuaded):
            continue
        lon, lat = (e.location.lon, e.location.lat) if e.location else (float("nan"), float("nan"))
        grid = grids.grid_for(lon, lat) if e.location else None
        day = bureau_date(e.persuaded_at)
        for campaign_id in tags(
            campaigns,
            category=e.category_code,
            grid_id=grid.grid_id if grid else None,
            lon=lon,
            lat=lat,
            address=None,
            on=day,
        ):
            key = (campaign_id, day, e.squad_id or "")
            counted[key] = counted.get(key, 0) + 1
    table = table_of(CampaignPersuasion)
    for (campaign_id, day, squad_id), n in sorted(counted.items()):
        insert = pg_insert(table).values(campaign_id=campaign_id, day=day, squad_id=squad_id, persuasions=n)
        await uow.session.execute(
            insert.on_conflict_do_update(
                index_elements=["campaign_id", "day", "squad_id"],
                set_={"persuasions": table.c.persuasions + insert.excluded.persuasions},
            )
        )


async def keep_buildings(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """Each illegal building as cases last told it (a newer version wins), in key order."""
    latest: dict[str, IllegalBuildingChanged] = {}
    for env in envelopes:
        e = env.data
        if isinstance(e, IllegalBuildingChanged) and (
            e.building_id not in latest or latest[e.building_id].version <= e.version
        ):
            latest[e.building_id] = e
    for building_id, e in sorted(latest.items()):
        values = {
            "stage": e.stage,
            "area_m2": e.area_m2,
            "demolished_m2": e.demolished_m2,
            "office_name": e.office_name,
            "squad_id": e.squad_id,
            "reached": {h.stage: bureau_date(h.at).isoformat() for h in e.history},
            "version": e.version,
        }
        await uow.session.execute(keep_newer(BuildingRow, {"building_id": building_id}, values))
