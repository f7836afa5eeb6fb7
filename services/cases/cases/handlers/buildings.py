"""The register of illegal buildings kept: an entry opened when an illegal_construction case is
dispatched, moved by its case's steps and by the officers' records, told whole each time
(IllegalBuildingChanged); and the grids' 办事处 as dispatch announces them. The rules are
cases.domain.buildings'."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, select

from cases.domain.buildings import BY_CASE_STEP, CATEGORY, Stage, moves, stage_problem
from cases.tables import Case, IllegalBuilding, KnownGrid
from common.db import keep_newer
from common.messaging.contracts import BuildingStageReached, GridDefined, IllegalBuildingChanged, Location
from common.messaging.envelope import Envelope
from common.refusals import NotFound, Unprocessable
from common.uow import UnitOfWork


def told(b: IllegalBuilding, at: datetime) -> IllegalBuildingChanged:
    return IllegalBuildingChanged(
        building_id=b.id,
        case_id=b.case_id,
        case_number=b.case_number,
        stage=b.stage,
        area_m2=b.area_m2,
        demolished_m2=b.demolished_m2,
        grid_id=b.grid_id,
        squad_id=b.squad_id,
        office_name=b.office,
        location=Location(lon=b.lon, lat=b.lat),
        history=[BuildingStageReached(stage=k, at=v["at"], by=v["by"]) for k, v in b.stages.items()],
        version=b.version,
        at=at,
    )


async def open_buildings(uow: UnitOfWork, dispatched: list[dict]) -> None:
    """发现: the illegal_construction cases just dispatched (case id, grid, squad) open their entry
    (a case dispatched again moves it to its new squad)."""
    mine = [d for d in dispatched if d["category_code"] == CATEGORY]
    if not mine:
        return
    now = uow.clock.now()
    offices = dict(
        (
            await uow.session.exec(
                select(KnownGrid.grid_id, KnownGrid.office).where(
                    col(KnownGrid.grid_id).in_([d["grid_id"] for d in mine])
                )
            )
        ).all()
    )
    for d in mine:
        b = (await uow.session.exec(select(IllegalBuilding).where(IllegalBuilding.case_id == d["id"]))).first()
        if b is None:
            case = await uow.session.get(Case, d["id"])
            assert case is not None
            b = IllegalBuilding(
                id=str(uuid.uuid4()),
                case_id=case.id,
                case_number=case.case_number,
                stage=Stage.found,
                lon=case.lon,
                lat=case.lat,
                address=case.address,
                found_at=now,
                updated_at=now,
                stages={Stage.found: {"at": now.isoformat(), "by": d.get("by") or "system:cases"}},
            )
        else:
            b.version += 1
        b.grid_id, b.squad_id, b.office, b.updated_at = (
            d["grid_id"] or None,
            d["squad_id"],
            offices.get(d["grid_id"]),
            now,
        )
        uow.session.add(b)
        await uow.session.flush()
        uow.publish(told(b, now))


async def follow_case(uow: UnitOfWork, case: Case, step: str, actor: str, photos: list[str] | None = None) -> None:
    """A step of an illegal_construction case (处置, 警告, 处罚决定, 执行) moves its building forward."""
    to = BY_CASE_STEP.get(step)
    if case.category_code != CATEGORY or to is None:
        return
    b = (
        await uow.session.exec(select(IllegalBuilding).where(IllegalBuilding.case_id == case.id).with_for_update())
    ).first()
    if b is None or not moves(Stage(b.stage), to):
        return
    _reach(b, to, actor, uow.clock.now(), note=None, photos=photos or [])
    uow.session.add(b)
    uow.publish(told(b, b.updated_at))


def _reach(b: IllegalBuilding, to: Stage, actor: str, at: datetime, *, note: str | None, photos: list) -> None:
    b.stage = to
    b.stages = {**b.stages, to.value: {"at": at.isoformat(), "by": actor, "note": note, "photos": photos}}
    b.updated_at, b.version = at, b.version + 1


async def record_stage(
    uow: UnitOfWork,
    building_id: str,
    to: Stage,
    *,
    area_m2: float | None,
    demolished_m2: float | None,
    note: str | None,
    photos: list[dict],
    actor: str,
    squad_scope: str | None,
) -> IllegalBuilding:
    """An officer's record of a stage reached, with its photos and the areas measured."""
    b = await uow.session.get(IllegalBuilding, building_id, with_for_update=True) if len(building_id) <= 36 else None
    if b is None or (squad_scope is not None and b.squad_id != squad_scope):
        raise NotFound(f"unknown illegal building {building_id}")
    area = area_m2 if area_m2 is not None else b.area_m2
    problem = stage_problem(Stage(b.stage), to, area, demolished_m2)
    if problem:
        raise Unprocessable(problem)
    b.area_m2 = area
    if to is Stage.demolished:
        b.demolished_m2 = demolished_m2 if demolished_m2 is not None else (area or 0)
    _reach(b, to, actor, uow.clock.now(), note=note, photos=photos)
    uow.session.add(b)
    uow.publish(told(b, b.updated_at))
    await uow.commit()
    return b


async def measure(
    uow: UnitOfWork, building_id: str, area_m2: float, actor: str, squad_scope: str | None
) -> IllegalBuilding:
    b = await uow.session.get(IllegalBuilding, building_id, with_for_update=True) if len(building_id) <= 36 else None
    if b is None or (squad_scope is not None and b.squad_id != squad_scope):
        raise NotFound(f"unknown illegal building {building_id}")
    b.area_m2, b.updated_at, b.version = area_m2, uow.clock.now(), b.version + 1
    uow.session.add(b)
    uow.publish(told(b, b.updated_at))
    await uow.commit()
    return b


async def record_grid_office(event: GridDefined, env: Envelope, uow: UnitOfWork) -> None:
    values = {"office": event.office_name, "office_id": event.office_id, "version": event.version}
    await uow.session.execute(keep_newer(KnownGrid, {"grid_id": event.grid_id}, values))
