"""Reporting's small reads for the routes (the names of squads, grids and categories, the earlier
counters, the registers' figures, the months still to sum); the indicators themselves are read by
reporting.queries.counts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import select

from reporting.tables import (
    CaseRow,
    CategoryInfo,
    DirtyMonth,
    GridInfo,
    IncidentRow,
    LedgerFigure,
    MonthlyCount,
    SquadInfo,
)


async def squad_names(session) -> dict[str, str]:
    return {s.squad_id: s.name for s in (await session.exec(select(SquadInfo))).all()}


async def grid_names(session) -> dict[str, str]:
    return {g.grid_id: g.name for g in (await session.exec(select(GridInfo))).all()}


async def category_names(session) -> dict[str, str]:
    return {c.code: c.name for c in (await session.exec(select(CategoryInfo))).all()}


async def counts_by_squad_and_category(
    session, *, received_from: datetime | None, received_to: datetime | None, squad_id: str | None
) -> list[tuple]:
    """(squad id, squad name, category, 受理, 派遣, 结案) of the reports received in the range."""
    i, c = IncidentRow, CaseRow
    query = (
        select(
            c.squad_id,
            c.squad_name,
            i.category_code,
            func.count(i.received_at),
            func.count(c.dispatched_at),
            func.count(c.closed_at),
        )
        .select_from(i)
        .join(c, c.case_id == i.case_id, isouter=True)
        .group_by(c.squad_id, c.squad_name, i.category_code)
        .order_by(c.squad_id.nulls_first(), i.category_code)
    )
    if received_from:
        query = query.where(i.received_at >= received_from)
    if received_to:
        query = query.where(i.received_at < received_to)
    if squad_id is not None:
        query = query.where(c.squad_id == squad_id)
    return list((await session.execute(query)).all())


async def monthly_counts(session, month: date, squad_id: str | None) -> list[MonthlyCount]:
    m = MonthlyCount
    query = select(m).where(m.month == month).order_by(m.squad_id, m.category_code)
    if squad_id is not None:
        query = query.where(m.squad_id == squad_id)
    return list((await session.execute(query)).scalars().all())


async def months_pending(session) -> int:
    return (await session.execute(select(func.count()).select_from(DirtyMonth))).scalar_one()


async def ledger_figures(session, area_id: str = "district") -> LedgerFigure | None:
    return await session.get(LedgerFigure, area_id)
