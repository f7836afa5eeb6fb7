"""Summing: each month marked since it was last summed is computed again from the case and report
rows: its days (the day cube and the day pairs, by each dimension alone and by the paired ones),
then the month's own cube and pairs, summed from its days. Replicas never sum one month at once,
and the consumers marking months never wait for a refresh."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import text

from common.clock import bureau_day_sql, bureau_midnight
from reporting.queries.counts import BUCKET, DIMENSIONS, PAIRED, SETS
from reporting.tables.sums import CubeCounts, PairFlags


def _sets(keys: str) -> str:
    return ", ".join(f"({', '.join(s)}, {keys})" for s in SETS) + f", ({keys})"


def _both(cols: tuple[str, ...]) -> str:
    return " AND ".join(f"GROUPING({c}) = 0" for c in cols)


_DIM_OF = (
    "CASE "
    + " ".join(f"WHEN {_both(cols)} THEN '{d}'" for d, cols in PAIRED.items())
    + " "
    + " ".join(f"WHEN GROUPING({c}) = 0 THEN '{d}'" for d, c in DIMENSIONS.items())
    + " ELSE '' END"
)
_VALUE_OF = (
    "COALESCE("
    + ", ".join(
        f"CASE WHEN {_both(cols)} THEN COALESCE({cols[0]}, '') || '|' || COALESCE({cols[1]}, '') END"
        for cols in PAIRED.values()
    )
    + ", "
    + ", ".join(f"CASE WHEN GROUPING({c}) = 0 THEN COALESCE({c}, '') END" for c in DIMENSIONS.values())
    + ", '')"
)


COUNTED = tuple(CubeCounts.model_fields)
"""What a cube row counts, as its table declares it."""


def _refresh_day_cube_sql() -> str:
    """The day cube for the days of one month, by each dimension alone: reports received and
    joined, cases filed and rejected, ratings, and the handling-time histogram of the cases first
    handled. Each case found once (any step in the month) counts on the day of each of its steps
    that falls in the month."""

    def step(column: str, **values: str) -> str:
        row = [f"{bureau_day_sql(column)}", f"coalesce({column} >= span.a AND {column} < span.b, false)"]
        row += [values.get(k, "0") for k in COUNTED[2:]] + [values.get("bucket", "NULL::int")]
        return "(" + ", ".join(row) + ")"

    rating = {r: f"(rating = '{r}')::int" for r in ("satisfied", "basically_satisfied", "dissatisfied")}
    steps = ",\n".join(
        (
            step("filed_at", filed="1"),
            step("rejected_at", rejected="1"),
            step("rated_at", rated="1", **rating),
            step("first_handled_at", bucket=f"floor(handling_hours / {BUCKET})::int"),
        )
    )
    inside = " OR ".join(
        f"({c} >= span.a AND {c} < span.b)" for c in ("filed_at", "rejected_at", "rated_at", "first_handled_at")
    )
    sums = ", ".join(f"sum({k}) AS {k}" for k in COUNTED)
    sets = _sets("day, bucket")
    return f"""
WITH span AS (SELECT CAST(:a AS timestamptz) AS a, CAST(:b AS timestamptz) AS b),
rows AS (
    SELECT c.squad_id, c.grid_id, i.category_code, i.channel, i.urgency, {bureau_day_sql("i.received_at")} AS day,
           1 AS received, i.joined::int AS joined, 0 AS filed, 0 AS rejected, 0 AS rated, 0 AS satisfied,
           0 AS basically_satisfied, 0 AS dissatisfied, NULL::int AS bucket
      FROM reporting.incidents i LEFT JOIN reporting.cases c ON c.case_id = i.case_id, span
     WHERE i.received_at >= span.a AND i.received_at < span.b
    UNION ALL
    SELECT c.squad_id, c.grid_id, c.category_code, c.channel, c.urgency, s.day, 0, 0,
           s.filed, s.rejected, s.rated, s.satisfied, s.basically_satisfied, s.dissatisfied, s.bucket
      FROM reporting.cases c, span,
           LATERAL (VALUES {steps}) AS s(day, here, {", ".join(COUNTED[2:])}, bucket)
     WHERE ({inside}) AND s.here),
grouped AS (
    SELECT day, {_DIM_OF} AS dim, {_VALUE_OF} AS value, bucket, {sums}, count(bucket) AS handled
      FROM rows GROUP BY GROUPING SETS ({sets}))
INSERT INTO reporting.day_cube (day, dim, value, {", ".join(COUNTED)}, hours)
SELECT day, dim, value, {", ".join(f"sum({k})" for k in COUNTED)},
       COALESCE(jsonb_object_agg(bucket, handled) FILTER (WHERE bucket IS NOT NULL), '{{}}'::jsonb)
  FROM grouped GROUP BY day, dim, value"""


def _month_cube_sql() -> str:
    """A month's cube: its days summed (their histograms bucket by bucket)."""
    return f"""
WITH days AS (SELECT * FROM reporting.day_cube WHERE day >= CAST(:m AS date) AND day < CAST(:next AS date)),
buckets AS (
    SELECT d.dim, d.value, kv.key, sum(kv.value::int) AS n FROM days d, jsonb_each_text(d.hours) kv GROUP BY 1, 2, 3),
hours AS (SELECT dim, value, jsonb_object_agg(key, n) AS hours FROM buckets GROUP BY dim, value)
INSERT INTO reporting.month_cube (month, dim, value, {", ".join(COUNTED)}, hours)
SELECT CAST(:m AS date), d.dim, d.value, {", ".join(f"sum(d.{k})" for k in COUNTED)}, COALESCE(h.hours, '{{}}'::jsonb)
  FROM days d LEFT JOIN hours h ON h.dim = d.dim AND h.value = d.value
 GROUP BY d.dim, d.value, h.hours"""


STEPS = ("dispatched", "deadline", "handled", "closed", "suspended", "resumed")
FLAGS = ", ".join(name for name in PairFlags.model_fields if name != "n")
"""The flags a due pair is COUNTED by, as its table declares them."""


def _refresh_day_pairs_sql() -> str:
    """The due pairs of the cases anchored in one month (their deadline's month, else their
    closing's, else their dispatch's), by the days of their steps and by each dimension alone.
    Cases that ended without closing (cancelled, merged, split, not filed) are not due, and not
    COUNTED here."""
    flags = """coalesce(first_handled_at <= deadline_at, false) AS handled_on_time,
               coalesce(closed_at <= deadline_at, false) AS closed_on_time,
               returned > 0 AS returned, extended > 0 AS extended, reworked > 0 AS reworked, escalated,
               coalesce(i.has_contact, false) AS with_contact, i.replied_at IS NOT NULL AS replied"""
    none = "DATE '0001-01-01'"
    days = f"""coalesce({bureau_day_sql("dispatched_at")}, {none}) AS dispatched_day,
               coalesce({bureau_day_sql("deadline_at")}, {none}) AS deadline_day,
               coalesce({bureau_day_sql("first_handled_at")}, {none}) AS handled_day,
               coalesce({bureau_day_sql("closed_at")}, {none}) AS closed_day,
               coalesce({bureau_day_sql("suspended_at")}, {none}) AS suspended_day,
               CASE WHEN resumed_at > suspended_at THEN {bureau_day_sql("resumed_at")} ELSE {none} END AS resumed_day"""
    keys = ", ".join(f"{s}_day" for s in STEPS) + ", " + FLAGS
    sets = _sets(keys)
    return f"""
WITH rows AS (
    SELECT c.squad_id, c.grid_id, c.category_code, c.channel, c.urgency, {days}, {flags}
      FROM reporting.cases c LEFT JOIN reporting.incidents i ON i.case_id = c.case_id
     WHERE c.anchor_month = CAST(:m AS date) AND c.ended_at IS NULL AND c.rejected_at IS NULL)
INSERT INTO reporting.day_pairs (anchor_month, dim, value, {keys}, n)
SELECT CAST(:m AS date), {_DIM_OF}, {_VALUE_OF}, {keys}, count(*)
  FROM rows GROUP BY GROUPING SETS ({sets})"""


def _month_pairs_sql() -> str:
    """A month's due pairs: its day pairs, their days taken to their months."""
    months = ", ".join(f"date_trunc('month', {s}_day::timestamp)::date" for s in STEPS)
    return f"""
INSERT INTO reporting.due_pairs (anchor_month, dim, value, {", ".join(f"{s}_month" for s in STEPS)}, {FLAGS}, n)
SELECT anchor_month, dim, value, {months}, {FLAGS}, sum(n)
  FROM reporting.day_pairs WHERE anchor_month = CAST(:m AS date)
 GROUP BY anchor_month, dim, value, {months}, {FLAGS}"""


SUM_MEMORY = "64MB"
"""What a month's sums may sort in memory (its days by five dimensions: a few hundred thousand
rows for a month of a million-case year), instead of spilling to disk."""
REFRESH_DAY_CUBE = text(_refresh_day_cube_sql())
MONTH_CUBE = text(_month_cube_sql())
REFRESH_DAY_PAIRS = text(_refresh_day_pairs_sql())
MONTH_PAIRS = text(_month_pairs_sql())


async def refresh_month(session, month: date) -> None:
    """The month's days and the pairs anchored in it, computed again from the rows; then the
    month's cube and pairs, summed from its days."""
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    span = {"a": bureau_midnight(month), "b": bureau_midnight(nxt)}
    await session.execute(text(f"SET LOCAL work_mem = '{SUM_MEMORY}'"))
    await session.execute(
        text("DELETE FROM reporting.day_cube WHERE day >= :m AND day < :next"), {"m": month, "next": nxt}
    )
    await session.execute(REFRESH_DAY_CUBE, span)
    await session.execute(text("DELETE FROM reporting.month_cube WHERE month = :m"), {"m": month})
    await session.execute(MONTH_CUBE, {"m": month, "next": nxt})
    await session.execute(text("DELETE FROM reporting.day_pairs WHERE anchor_month = :m"), {"m": month})
    await session.execute(REFRESH_DAY_PAIRS, {"m": month})
    await session.execute(text("DELETE FROM reporting.due_pairs WHERE anchor_month = :m"), {"m": month})
    await session.execute(MONTH_PAIRS, {"m": month})


REFRESH_LOCK = 0x52455054
"""The advisory lock class of a month being summed: replicas never sum one month at once."""


async def sum_month(session, month: date, version: int) -> bool:
    """Sum one month again, in its own transaction, and remove its mark if nothing changed it in
    the meantime. False: another replica is summing it now."""
    if not await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:k, :m)"), {"k": REFRESH_LOCK, "m": month.year * 12 + month.month}
    ):
        await session.rollback()
        return False
    await refresh_month(session, month)
    await session.execute(
        text("DELETE FROM reporting.dirty_months WHERE month = :m AND version = :v"), {"m": month, "v": version}
    )
    await session.commit()
    return True


async def refresh_dirty(session_factory, limit: int = 120, parallel: int = 1) -> list[date]:
    """Sum again, once each, the months marked when the call began, `parallel` months at a time
    (a rebuild's end sums every month, on every core). Nothing is locked but the month being
    summed (an advisory lock, between refreshers): the consumers marking months never wait for a
    refresh."""
    async with session_factory() as session:
        marks = (
            await session.execute(
                text("SELECT month, version FROM reporting.dirty_months ORDER BY month LIMIT :n"), {"n": limit}
            )
        ).all()
    todo = list(marks)
    done: list[date] = []

    async def summing() -> None:
        while todo:
            month, version = todo.pop(0)
            async with session_factory() as session:
                if await sum_month(session, month, version):
                    done.append(month)

    await asyncio.gather(*(summing() for _ in range(max(1, parallel))))
    return sorted(done)
