"""Dispatch's read side: what the routes and the console read, each query written once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import col, select

from dispatch.domain.assignments import OPEN
from dispatch.tables import (
    Assignment,
    CampaignCase,
    Escalation,
    GridVersion,
    KnownCampaign,
    Officer,
    PatrolPost,
    PatrolShift,
    QueueItem,
    RectificationNotice,
    RoutingRuleRow,
    Squad,
    SupervisionOrder,
)


async def assignment(session, assignment_id: str) -> Assignment | None:
    return await session.get(Assignment, assignment_id) if len(assignment_id) <= 36 else None


async def assignments(
    session,
    *,
    squad_id: str | None,
    open_only: bool,
    limit: int,
    offset: int,
    officer_or_unassigned: str | None = None,
    by_deadline: bool = False,
) -> list[Assignment]:
    """Newest first, or the nearest deadline first; `officer_or_unassigned`: those given to that
    officer and those given to nobody yet (城管通's 我的任务)."""
    order = col(Assignment.deadline_at).asc().nulls_last() if by_deadline else col(Assignment.assigned_at).desc()
    query = select(Assignment).order_by(order, col(Assignment.id)).limit(limit).offset(offset)
    if open_only:
        query = query.where(Assignment.current, col(Assignment.status).in_(OPEN))
    if squad_id:
        query = query.where(Assignment.squad_id == squad_id)
    if officer_or_unassigned is not None:
        query = query.where(
            or_(col(Assignment.officer_id) == officer_or_unassigned, col(Assignment.officer_id).is_(None))
        )
    return list((await session.exec(query)).all())


async def open_assignments(session, squad_id: str | None) -> list[Assignment]:
    """The board: every current open assignment (of one squad), by deadline."""
    query = (
        select(Assignment)
        .where(Assignment.current, col(Assignment.status).in_(OPEN))
        .order_by(col(Assignment.deadline_at))
    )
    if squad_id is not None:
        query = query.where(Assignment.squad_id == squad_id)
    return list((await session.exec(query)).all())


async def queue_item(session, case_id: str) -> QueueItem | None:
    return await session.get(QueueItem, case_id)


async def queue(session) -> list[QueueItem]:
    return list((await session.exec(select(QueueItem).order_by(col(QueueItem.since)))).all())


async def orders(
    session, *, squad_id: str | None, open_only: bool, office_id: str | None = None
) -> list[SupervisionOrder]:
    query = select(SupervisionOrder).order_by(col(SupervisionOrder.issued_at).desc()).limit(500)
    if squad_id is not None:
        query = query.where(SupervisionOrder.squad_id == squad_id)
    if office_id is not None:
        query = query.where(SupervisionOrder.office_id == office_id)
    if open_only:
        query = query.where(col(SupervisionOrder.answered_at).is_(None))
    return list((await session.exec(query)).all())


async def escalations(session, *, squad_id: str | None, limit: int) -> list[Escalation]:
    query = select(Escalation).order_by(col(Escalation.id).desc()).limit(limit)
    if squad_id:
        query = query.where(Escalation.squad_id == squad_id)
    return list((await session.exec(query)).all())


async def squads(session) -> list[Squad]:
    return list((await session.exec(select(Squad).order_by(col(Squad.id)))).all())


async def squad_people(session, squad_id: str | None) -> list[Officer]:
    """The people of the squads (of one squad)."""
    query = select(Officer).where(col(Officer.squad_id).is_not(None))
    if squad_id is not None:
        query = query.where(Officer.squad_id == squad_id)
    return list((await session.exec(query)).all())


async def rules(session) -> list[RoutingRuleRow]:
    return list((await session.exec(select(RoutingRuleRow).order_by(col(RoutingRuleRow.position)))).all())


async def patrol_posts(session, squad_id: str | None) -> list[PatrolPost]:
    query = select(PatrolPost).order_by(col(PatrolPost.id))
    if squad_id is not None:
        query = query.where(PatrolPost.squad_id == squad_id)
    return list((await session.exec(query)).all())


async def patrol_post(session, post_id: str) -> PatrolPost | None:
    return await session.get(PatrolPost, post_id)


async def patrol_shifts(
    session,
    *,
    day: date | None,
    running_from: datetime | None,
    squad_id: str | None,
    post_id: str | None,
    officer_id: str | None,
    limit: int,
) -> list[PatrolShift]:
    """The shifts of a day, or (`running_from`) every shift running at some time in the 24 hours
    from then."""
    query = select(PatrolShift).order_by(col(PatrolShift.starts_at)).limit(limit)
    if day is not None:
        query = query.where(PatrolShift.day == day)
    elif running_from is not None:
        query = query.where(
            PatrolShift.ends_at > running_from, PatrolShift.starts_at < running_from + timedelta(days=1)
        )
    for column, value in (
        (PatrolShift.squad_id, squad_id),
        (PatrolShift.post_id, post_id),
        (PatrolShift.officer_id, officer_id),
    ):
        if value:
            query = query.where(column == value)
    return list((await session.exec(query)).all())


async def person(session, person_id: str) -> Officer | None:
    return await session.get(Officer, person_id)


async def people(session) -> list[Officer]:
    return list((await session.exec(select(Officer).order_by(col(Officer.id)))).all())


async def grid_history(session, grid_id: str) -> list[GridVersion]:
    """Every version of a grid, the first first (none: not a grid)."""
    stmt = select(GridVersion).where(col(GridVersion.grid_id) == grid_id).order_by(col(GridVersion.version))
    return list((await session.exec(stmt)).all())


async def routed_by_version(session, grid_id: str) -> dict[int, int]:
    """How many cases each version of a grid routed."""
    stmt = (
        select(Assignment.grid_version, func.count())
        .where(col(Assignment.grid_id) == grid_id, col(Assignment.grid_version).is_not(None))
        .group_by(col(Assignment.grid_version))
    )
    return dict((await session.exec(stmt)).all())


async def notices(session, *, unit_id: str | None, open_only: bool) -> list[RectificationNotice]:
    """责改通知书, the latest first; of one unit (an office or a squad)."""
    query = select(RectificationNotice).order_by(col(RectificationNotice.issued_at).desc())
    if unit_id is not None:
        query = query.where(RectificationNotice.unit_id == unit_id)
    if open_only:
        query = query.where(col(RectificationNotice.answered_at).is_(None))
    return list((await session.exec(query.limit(500))).all())


async def notice(session, notice_id: str) -> RectificationNotice | None:
    return await session.get(RectificationNotice, notice_id) if len(notice_id) <= 36 else None


async def campaigns_of(session, case_ids: list[str]) -> dict[str, list[str]]:
    """The campaigns each of these cases falls in."""
    out: dict[str, list[str]] = {}
    if not case_ids:
        return out
    rows = (await session.exec(select(CampaignCase).where(col(CampaignCase.case_id).in_(case_ids)))).all()
    for r in sorted(rows, key=lambda r: r.campaign_id):
        out.setdefault(r.case_id, []).append(r.campaign_id)
    return out


async def campaign_names(session) -> dict[str, str]:
    """The running campaigns' names, for the console's filter."""
    rows = (await session.exec(select(KnownCampaign).where(KnownCampaign.status == "running"))).all()
    return {r.campaign_id: r.name for r in sorted(rows, key=lambda r: r.name)}
