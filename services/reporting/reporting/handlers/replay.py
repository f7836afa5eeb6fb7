"""A rebuild in bulk. The live consumer applies a batch at a time: each event claimed in the inbox,
each case's row merged, derived and its months marked, every index kept up to date as it goes. A
rebuild replays millions of events into empty tables, so it does less, and once:

- `begin`: the rows' secondary indexes are dropped (only the keys the merges need stay);
- each chunk of the replay (`common.messaging.replay`) is applied by the projection with
  `bulk=True`: the same rules merge the same rows, over chunks of tens of thousands of events;
- at the end, what the live path derives batch by batch is derived over every row in a few
  statements (`derive`: a case's closing and anchor month, its handling hours), the indexes are
  built once, each in one sort, on every core (`build_indexes`), and every month is marked to be
  summed again (`mark_months`).

Nothing here is a second copy of a rule: the merges are `projection._merge_rules`, the derived
columns `projection.DERIVED`, the hours `projection.set_hours`, the indexes the tables' own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import Index
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex

from common.clock import bureau_month_sql
from common.uow import UnitOfWork
from common.workcalendar import WorkCalendar
from reporting.handlers.projection import _MONTH_LIST, CASES, DERIVED, INCIDENTS, set_hours

REBUILT_INDEXES: tuple[Index, ...] = tuple(sorted([*CASES.indexes, *INCIDENTS.indexes], key=lambda i: str(i.name)))
"""The rows' indexes besides their keys: dropped while a rebuild replays, built at its end."""
HOURS_SLICE = 50_000
INDEX_MEMORY = "256MB"
"""What one index build may sort in memory (a million cases' keys), instead of spilling to disk."""


def _create(index: Index) -> str:
    return str(CreateIndex(index, if_not_exists=True).compile(dialect=postgresql.dialect()))


async def begin(conn) -> None:
    """Before the first chunk, on the emptied tables (`conn`: the unit of work's asyncpg connection)."""
    for index in REBUILT_INDEXES:
        await conn.execute(f"DROP INDEX IF EXISTS reporting.{index.name}")


async def derive(conn, calendar: WorkCalendar) -> None:
    """After the last chunk: each case's derived columns and handling hours, over every row."""
    await conn.execute(f"UPDATE reporting.cases SET {DERIVED}")
    after = ""
    while rows := await conn.fetch(
        "SELECT case_id, dispatched_at, first_handled_at, handling_hours FROM reporting.cases "
        "WHERE case_id > $1 AND dispatched_at IS NOT NULL AND first_handled_at IS NOT NULL "
        "ORDER BY case_id LIMIT $2",
        after,
        HOURS_SLICE,
    ):
        await set_hours(conn, rows, calendar)
        after = rows[-1]["case_id"]


async def build_indexes(uow_factory: Callable[[], UnitOfWork], parallel: int) -> None:
    """The indexes dropped by `begin`, `parallel` at a time (each in its own transaction, each one
    sort), then the tables' statistics for the planner."""
    todo = [_create(index) for index in REBUILT_INDEXES] + ["ANALYZE reporting.cases", "ANALYZE reporting.incidents"]

    async def building() -> None:
        while todo:
            statement = todo.pop(0)
            async with uow_factory() as uow:
                conn = await uow.db()
                await conn.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
                await conn.execute(statement)
                await uow.commit()

    await asyncio.gather(*(building() for _ in range(max(1, parallel))))


async def mark_months(conn) -> int:
    """Every month with a step of a case or a report, to be summed; returns how many."""
    received = ", ".join(bureau_month_sql(c) for c in ("received_at", "replied_at"))
    status = await conn.execute(f"""
        INSERT INTO reporting.dirty_months (month)
        SELECT DISTINCT m FROM (
            SELECT unnest({_MONTH_LIST}) AS m FROM reporting.cases
            UNION ALL SELECT unnest(ARRAY[{received}]) FROM reporting.incidents
        ) months WHERE m IS NOT NULL
        ON CONFLICT (month) DO UPDATE SET version = reporting.dirty_months.version + 1""")
    return int(status.split()[-1])
