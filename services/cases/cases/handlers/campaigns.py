"""Campaigns kept and told: launched, changed, closed, their operations and sections; and the cases
that fall in them, tagged when a case is dispatched (its grid known) and again whenever a campaign's
launch or change reaches cases already open. The rules are cases.domain.campaigns'."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import Date, Text, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col

from cases.domain.campaigns import (
    CLOSED,
    RUNNING,
    CampaignArea,
    counts_problem,
    operation_problem,
    period_problem,
    sections_allowed,
    tags,
    target_problem,
)
from cases.tables import TAGGED, CampaignOperation, CampaignRow, Case
from common.clock import bureau_date, bureau_midnight
from common.db import Prepared, table_of
from common.messaging.contracts import (
    Campaign,
    CampaignCasesTagged,
    CampaignChanged,
    CampaignClosed,
    CampaignLaunched,
    CampaignOperationRecorded,
    CampaignSection,
)
from common.refusals import Conflict, NotFound, Unprocessable
from common.uow import UnitOfWork
from common.vocabulary import CampaignKind

CASES, CAMPAIGNS = table_of(Case), table_of(CampaignRow)
CHUNK = 2000
_RUNNING = Prepared(
    select(
        CAMPAIGNS.c.id,
        CAMPAIGNS.c.starts_on,
        CAMPAIGNS.c.ends_on,
        CAMPAIGNS.c.categories,
        CAMPAIGNS.c.grids,
        CAMPAIGNS.c.area,
        CAMPAIGNS.c.streets,
    ).where(CAMPAIGNS.c.status == RUNNING, CAMPAIGNS.c.ends_on >= bindparam("since", type_=Date))
)
_PLACES = Prepared(
    select(
        CASES.c.id,
        CASES.c.lon,
        CASES.c.lat,
        CASES.c.address,
        CASES.c.opened_at,
        CASES.c.campaigns,
    ).where(CASES.c.id == func.any(bindparam("ids", type_=ARRAY(Text))))
)


def _json(value):
    """A JSONB column as the driver hands it over (decoded already, or the text)."""
    return json.loads(value) if isinstance(value, str) else value


def area_of(row: CampaignRow) -> CampaignArea:
    return CampaignArea(
        campaign_id=row.id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        categories=frozenset(row.categories),
        grids=frozenset(row.grids),
        area=row.area,
        streets=tuple(row.streets),
        status=row.status,
    )


def state(row: CampaignRow) -> Campaign:
    return Campaign(
        campaign_id=row.id,
        name=row.name,
        kind=CampaignKind(row.kind),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        category_codes=row.categories,
        grid_ids=row.grids,
        area=row.area,
        streets=row.streets,
        squad_ids=row.squads,
        offices=row.offices,
        partners=row.partners,
        targets=row.targets,
        sections=[CampaignSection(**s) for s in row.sections],
        status=row.status,
        version=row.version,
    )


# -- tagging ----------------------------------------------------------------------------------------


async def tag_dispatched(uow: UnitOfWork, placed: dict[str, tuple[str, str]]) -> None:
    """The campaigns the cases just dispatched fall in (case id -> its grid and its category as
    dispatched, which a dispatcher may have corrected), from the running campaigns; nothing more is
    read when none runs (the hot path pays one small query a batch)."""
    conn = await uow.db()
    today = bureau_date(uow.clock.now())
    running = [
        CampaignArea(
            campaign_id=r["id"],
            starts_on=r["starts_on"],
            ends_on=r["ends_on"],
            categories=frozenset(_json(r["categories"])),
            grids=frozenset(_json(r["grids"])),
            area=_json(r["area"]),
            streets=tuple(_json(r["streets"])),
        )
        for r in await _RUNNING.fetch(conn, since=today - timedelta(days=MAX_REPORT_LAG_DAYS))
    ]
    if not running:
        return
    ids = {r.campaign_id for r in running}
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    for case in await _PLACES.fetch(conn, ids=list(placed)):
        grid_id, category = placed[case["id"]]
        now_in = tags(
            running,
            category=category,
            grid_id=grid_id,
            lon=case["lon"],
            lat=case["lat"],
            address=case["address"],
            on=bureau_date(case["opened_at"]),
        )
        await _retag(uow, case["id"], _json(case["campaigns"]), now_in, ids, added, removed)
    _tell(uow, added, removed)


MAX_REPORT_LAG_DAYS = 30
"""A case dispatched this many days after its report still falls in a campaign that has ended since
(it was reported during the campaign)."""


async def _retag(
    uow: UnitOfWork,
    case_id: str,
    had: list[str],
    now_in: list[str],
    considered: set[str],
    added: dict[str, list[str]],
    removed: dict[str, list[str]],
) -> None:
    kept = [c for c in had if c not in considered]  # a closed or other campaign's tag stays: history
    new = sorted({*kept, *now_in})
    if new == sorted(had):
        return
    await uow.session.execute(update(Case).where(col(Case.id) == case_id).values(campaigns=new))
    for c in set(new) - set(had):
        added.setdefault(c, []).append(case_id)
    for c in set(had) - set(new):
        removed.setdefault(c, []).append(case_id)


def _tell(uow: UnitOfWork, added: dict[str, list[str]], removed: dict[str, list[str]]) -> None:
    now = uow.clock.now()
    for campaign_id in sorted({*added, *removed}):
        plus, minus = sorted(added.get(campaign_id, [])), sorted(removed.get(campaign_id, []))
        for i in range(0, max(len(plus), len(minus)), CHUNK):
            uow.publish(
                CampaignCasesTagged(
                    campaign_id=campaign_id,
                    added_case_ids=plus[i : i + CHUNK],
                    removed_case_ids=minus[i : i + CHUNK],
                    at=now,
                )
            )


async def retag(uow: UnitOfWork, row: CampaignRow) -> int:
    """A campaign launched or changed reaches the cases already reported in its period: each is
    tagged or untagged by the rule; returns how many changed."""
    area = area_of(row)
    start, end = bureau_midnight(row.starts_on), bureau_midnight(row.ends_on + timedelta(days=1))
    query = select(Case).where(col(Case.opened_at) >= start, col(Case.opened_at) < end)
    query = query.where(col(Case.status) != "merged")
    candidates = (await uow.session.execute(query.with_for_update())).scalars().all()
    tagged_before = (
        (
            await uow.session.execute(
                select(Case)
                .where(text(TAGGED), col(Case.campaigns).op("@>")(func.jsonb_build_array(row.id)))
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    added: dict[str, list[str]] = {}
    removed: dict[str, list[str]] = {}
    seen = set()
    for case in [*candidates, *tagged_before]:
        if case.id in seen:
            continue
        seen.add(case.id)
        inside = area.covers(
            category=case.category_code,
            grid_id=case.grid_id,
            lon=case.lon,
            lat=case.lat,
            address=case.address,
            on=bureau_date(case.opened_at),
        )
        await _retag(uow, case.id, list(case.campaigns), [row.id] if inside else [], {row.id}, added, removed)
    _tell(uow, added, removed)
    return sum(len(v) for v in added.values()) + sum(len(v) for v in removed.values())


# -- the campaign ------------------------------------------------------------------------------------


def _check(fields: dict) -> None:
    problem = period_problem(fields["starts_on"], fields["ends_on"]) or target_problem(fields.get("targets") or {})
    if problem:
        raise Unprocessable(problem)


async def launch(uow: UnitOfWork, fields: dict, actor: str) -> CampaignRow:
    _check(fields)
    row = CampaignRow(id=str(uuid.uuid4()), created_by=actor, created_at=uow.clock.now(), **fields)
    uow.session.add(row)
    await uow.session.flush()
    await retag(uow, row)
    uow.publish(CampaignLaunched(campaign=state(row), campaign_id=row.id, actor=actor, at=uow.clock.now()))
    await uow.commit()
    return row


async def for_update(uow: UnitOfWork, campaign_id: str) -> CampaignRow:
    row = await uow.session.get(CampaignRow, campaign_id, with_for_update=True) if len(campaign_id) <= 36 else None
    if row is None:
        raise NotFound(f"unknown campaign {campaign_id}")
    return row


async def change(uow: UnitOfWork, campaign_id: str, fields: dict, version: int, actor: str) -> CampaignRow:
    """A new period, area, targets ... (the version read: a stale one is refused, 409)."""
    row = await for_update(uow, campaign_id)
    if row.status == CLOSED:
        raise Conflict("the campaign is closed")
    if row.version != version:
        raise Conflict(f"the campaign is at version {row.version}, not {version}: read it again")
    _check(
        {**fields, "starts_on": fields.get("starts_on", row.starts_on), "ends_on": fields.get("ends_on", row.ends_on)}
    )
    for k, v in fields.items():
        setattr(row, k, v)
    row.version += 1
    uow.session.add(row)
    await uow.session.flush()
    await retag(uow, row)
    uow.publish(CampaignChanged(campaign=state(row), campaign_id=row.id, actor=actor, at=uow.clock.now()))
    await uow.commit()
    return row


async def close(uow: UnitOfWork, campaign_id: str, summary: str, actor: str) -> CampaignRow:
    row = await for_update(uow, campaign_id)
    if row.status == CLOSED:
        raise Conflict("the campaign is closed already")
    row.status, row.closed_at, row.summary, row.version = CLOSED, uow.clock.now(), summary, row.version + 1
    uow.session.add(row)
    uow.publish(
        CampaignClosed(campaign=state(row), campaign_id=row.id, closing_note=summary, actor=actor, at=row.closed_at)
    )
    await uow.commit()
    return row


async def record_operation(
    uow: UnitOfWork, campaign_id: str, fields: dict, photos: list[dict], actor: str
) -> CampaignOperation:
    row = await for_update(uow, campaign_id)
    problem = operation_problem(row.starts_on, row.ends_on, row.status, fields["on"], bureau_date(uow.clock.now()))
    problem = problem or counts_problem(fields.get("counts") or {})
    if problem:
        raise Unprocessable(problem)
    op = CampaignOperation(
        id=str(uuid.uuid4()),
        campaign_id=row.id,
        photos=photos,
        recorded_by=actor,
        recorded_at=uow.clock.now(),
        **fields,
    )
    uow.session.add(op)
    uow.publish(
        CampaignOperationRecorded(
            campaign_id=row.id,
            operation_id=op.id,
            on=op.on,
            place=op.place,
            squad_id=op.squad_id,
            office_name=op.office,
            officer_trips=op.officer_trips,
            vehicle_trips=op.vehicle_trips,
            partners=op.partners,
            counts=op.counts,
            photos=len(photos),
            actor=actor,
            at=op.recorded_at,
        )
    )
    await uow.commit()
    return op


async def add_section(uow: UnitOfWork, campaign_id: str, fields: dict, actor: str) -> dict:
    row = await for_update(uow, campaign_id)
    if not sections_allowed(CampaignKind(row.kind)):
        raise Unprocessable(f"a {row.kind} campaign has no sections: sections belong to 示范创建 and 专项整治 by roads")
    if row.status == CLOSED:
        raise Conflict("the campaign is closed")
    problem = period_problem(fields["starts_on"], fields["ends_on"])
    if problem:
        raise Unprocessable(problem)
    section = CampaignSection(section_id=str(uuid.uuid4()), **fields).model_dump(mode="json")
    row.sections = [*row.sections, section]
    row.version += 1
    uow.session.add(row)
    uow.publish(CampaignChanged(campaign=state(row), campaign_id=row.id, actor=actor, at=uow.clock.now()))
    await uow.commit()
    return section


async def accept_section(
    uow: UnitOfWork, campaign_id: str, section_id: str, passed: bool, photos: list[dict], actor: str
) -> dict:
    """验收: a section passed or not, by whom and when, with its photos (a failed section may be
    accepted again)."""
    row = await for_update(uow, campaign_id)
    sections = [dict(s) for s in row.sections]
    section = next((s for s in sections if s["section_id"] == section_id), None)
    if section is None:
        raise NotFound(f"unknown section {section_id}")
    if section.get("accepted") is True:
        raise Conflict("the section has passed its acceptance already")
    section.update(
        accepted=passed,
        accepted_at=uow.clock.now().isoformat(),
        accepted_by=actor,
        photos=photos,
        photo_ids=[p["sha256"] for p in photos],
    )
    row.sections, row.version = sections, row.version + 1
    uow.session.add(row)
    uow.publish(CampaignChanged(campaign=state(row), campaign_id=row.id, actor=actor, at=uow.clock.now()))
    await uow.commit()
    return section
