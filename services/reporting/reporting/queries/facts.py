"""Reporting's small reads for the routes (the names of squads, grids and categories, the earlier
counters, the registers' figures, the months still to sum); the indicators themselves are read by
reporting.queries.counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from common.db import table_of
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
    i, c = table_of(IncidentRow).c, table_of(CaseRow).c
    query = (
        sa_select(
            c.squad_id,
            c.squad_name,
            i.category_code,
            func.count(i.received_at),
            func.count(c.dispatched_at),
            func.count(c.closed_at),
        )
        .select_from(table_of(IncidentRow).outerjoin(table_of(CaseRow), c.case_id == i.case_id))
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


FACT_COLUMNS = (
    "case_id",
    "case_number",
    "incident_id",
    "category_code",
    "channel",
    "urgency",
    "squad_id",
    "squad_name",
    "grid_id",
    "received_at",
    "filed_at",
    "dispatched_at",
    "accepted_at",
    "first_handled_at",
    "handled_at",
    "closed_at",
    "rated_at",
    "rating",
    "deadline_at",
    "on_time",
    "handling_hours",
    "returned",
    "extended",
    "reworked",
    "outcome",
)
_FACTS = text("""
    SELECT c.case_id, c.case_number, c.incident_id, c.category_code, c.channel, c.urgency, c.squad_id, c.squad_name,
           c.grid_id, i.received_at, c.filed_at, c.dispatched_at, c.accepted_at, c.first_handled_at, c.handled_at,
           c.closed_at, c.rated_at, c.rating, c.deadline_at,
           CASE WHEN c.deadline_at IS NULL OR c.first_handled_at IS NULL THEN NULL
                ELSE c.first_handled_at <= c.deadline_at END AS on_time,
           c.handling_hours, c.returned, c.extended, c.reworked, c.outcome
      FROM reporting.cases c LEFT JOIN reporting.incidents i ON i.case_id = c.case_id
     WHERE c.opened_at >= :a AND c.opened_at < :b ORDER BY c.opened_at""")


async def case_facts(engine: AsyncEngine, start: datetime, end: datetime, chunk: int = 2000) -> AsyncIterator[list]:
    """案件明细: each case opened in [start, end) with every step's time (FACT_COLUMNS), read from a
    server-side cursor `chunk` rows at a time, so a year of a city's cases never sits in memory."""
    async with engine.connect() as conn:
        result = await conn.stream(_FACTS, {"a": start, "b": end})
        async for rows in result.partitions(chunk):
            yield list(rows)
