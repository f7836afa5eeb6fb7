"""The counts behind the indicators, in SQL, two ways that agree (a test holds them equal):

- whole months (a month, a quarter, a year, a run of months) read the small derived tables: the
  month cube (what happened in each month: reports, filings, ratings, the handling-time
  histogram) and the due pairs (cases counted by the months of their dispatch, deadline,
  handling and closing and by their flags, so that a union over months, 应结案 = deadline in
  the period or closed in it, counts each case once). A year over a million cases is a few
  hundred rows.
- any other range (a day, a week, from-to) reads the case and report rows directly.

Both group by one dimension at a time (squad, grid, category, channel, urgency) or none.
Each measure's SQL is the definition `domain.Counts` gives in words."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from sqlalchemy import text

from common.clock import bureau_midnight, bureau_month_sql
from reporting.domain.indicators import Counts
from reporting.domain.periods import Period
from reporting.tables import late

DIMENSIONS = {
    "squad": "squad_id",
    "grid": "grid_id",
    "category": "category_code",
    "channel": "channel",
    "urgency": "urgency",
}
NONE = date(1, 1, 1)
"""A month that never came (a case never handled, never closed): the pairs table needs a value."""
BUCKET = 0.25  # hours: the handling-time histogram's width


def _month(column: str) -> str:
    return bureau_month_sql(column)


_GROUPS = ", ".join(["()"] + [f"({c})" for c in DIMENSIONS.values()])
_DIM_OF = "CASE " + " ".join(f"WHEN GROUPING({c}) = 0 THEN '{d}'" for d, c in DIMENSIONS.items()) + " ELSE '' END"
_VALUE_OF = (
    "COALESCE("
    + ", ".join(f"CASE WHEN GROUPING({c}) = 0 THEN COALESCE({c}, '') END" for c in DIMENSIONS.values())
    + ", '')"
)


def _in(column: str) -> str:
    """The moment in `column` falls in the span (false, never NULL, when it never came)."""
    return f"coalesce({column} >= span.a AND {column} < span.b, false)"


def _refresh_cube_sql() -> str:
    """The month cube for one month, by each dimension alone: reports received and joined, cases
    filed and rejected, ratings, and the handling-time histogram of the cases first handled."""
    return f"""
WITH span AS (SELECT CAST(:a AS timestamptz) AS a, CAST(:b AS timestamptz) AS b),
rows AS (
    SELECT c.squad_id, c.grid_id, i.category_code, i.channel, i.urgency,
           1 AS received, i.joined::int AS joined, 0 AS filed, 0 AS rejected, 0 AS rated, 0 AS satisfied,
           0 AS basically_satisfied, 0 AS dissatisfied, NULL::int AS bucket
      FROM reporting.incidents i LEFT JOIN reporting.cases c ON c.case_id = i.case_id, span
     WHERE i.received_at >= span.a AND i.received_at < span.b
    UNION ALL
    SELECT squad_id, grid_id, category_code, channel, urgency, 0, 0,
           {_in("filed_at")}::int, {_in("rejected_at")}::int, {_in("rated_at")}::int,
           ({_in("rated_at")} AND rating = 'satisfied')::int,
           ({_in("rated_at")} AND rating = 'basically_satisfied')::int,
           ({_in("rated_at")} AND rating = 'dissatisfied')::int,
           CASE WHEN {_in("first_handled_at")} AND handling_hours IS NOT NULL
                THEN floor(handling_hours / {BUCKET})::int END
      FROM reporting.cases, span
     WHERE (filed_at >= span.a AND filed_at < span.b) OR (rejected_at >= span.a AND rejected_at < span.b)
        OR (rated_at >= span.a AND rated_at < span.b) OR (first_handled_at >= span.a AND first_handled_at < span.b)),
grouped AS (
    SELECT {_DIM_OF} AS dim, {_VALUE_OF} AS value, bucket,
           sum(received) AS received, sum(joined) AS joined, sum(filed) AS filed, sum(rejected) AS rejected,
           sum(rated) AS rated, sum(satisfied) AS satisfied, sum(basically_satisfied) AS basically_satisfied,
           sum(dissatisfied) AS dissatisfied, count(bucket) AS handled
      FROM rows
     GROUP BY GROUPING SETS ({", ".join(f"({c}, bucket)" if c else "(bucket)" for c in ["", *DIMENSIONS.values()])}))
INSERT INTO reporting.month_cube (month, dim, value, received, joined, filed, rejected, rated, satisfied,
                                  basically_satisfied, dissatisfied, hours)
SELECT CAST(:m AS date), dim, value, sum(received), sum(joined), sum(filed), sum(rejected), sum(rated), sum(satisfied),
       sum(basically_satisfied), sum(dissatisfied),
       COALESCE(jsonb_object_agg(bucket, handled) FILTER (WHERE bucket IS NOT NULL), '{{}}'::jsonb)
  FROM grouped GROUP BY dim, value"""


def _refresh_pairs_sql() -> str:
    """The due pairs of the cases anchored in one month (their deadline's month, else their
    closing's, else their dispatch's), by each dimension alone. Cases that ended without closing
    (cancelled, merged, split, not filed) are not due, and not counted here."""
    flags = """coalesce(first_handled_at <= deadline_at, false) AS handled_on_time,
               coalesce(closed_at <= deadline_at, false) AS closed_on_time,
               returned > 0 AS returned, extended > 0 AS extended, reworked > 0 AS reworked, escalated,
               coalesce(i.has_contact, false) AS with_contact, i.replied_at IS NOT NULL AS replied"""
    months = f"""coalesce({_month("dispatched_at")}, '0001-01-01') AS dispatched_month,
                 coalesce({_month("deadline_at")}, '0001-01-01') AS deadline_month,
                 coalesce({_month("first_handled_at")}, '0001-01-01') AS handled_month,
                 coalesce({_month("closed_at")}, '0001-01-01') AS closed_month,
                 coalesce({_month("suspended_at")}, '0001-01-01') AS suspended_month,
                 CASE WHEN resumed_at > suspended_at THEN {_month("resumed_at")} ELSE '0001-01-01' END
                     AS resumed_month"""
    keys = (
        "dispatched_month, deadline_month, handled_month, closed_month, suspended_month, resumed_month, "
        "handled_on_time, closed_on_time, returned, extended, reworked, escalated, with_contact, replied"
    )
    sets = ", ".join(f"({c}, {keys})" if c else f"({keys})" for c in ["", *DIMENSIONS.values()])
    return f"""
WITH rows AS (
    SELECT c.squad_id, c.grid_id, c.category_code, c.channel, c.urgency, {months}, {flags}
      FROM reporting.cases c LEFT JOIN reporting.incidents i ON i.case_id = c.case_id
     WHERE c.anchor_month = CAST(:m AS date) AND c.ended_at IS NULL AND c.rejected_at IS NULL)
INSERT INTO reporting.due_pairs (anchor_month, dim, value, {keys}, n)
SELECT CAST(:m AS date), {_DIM_OF}, {_VALUE_OF}, {keys}, count(*)
  FROM rows GROUP BY GROUPING SETS ({sets})"""


REFRESH_CUBE = text(_refresh_cube_sql())
REFRESH_PAIRS = text(_refresh_pairs_sql())


async def refresh_month(session, month: date) -> None:
    """The month's cube and the pairs anchored in it, computed again from the rows."""
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    await session.execute(text("DELETE FROM reporting.month_cube WHERE month = :m"), {"m": month})
    await session.execute(REFRESH_CUBE, {"m": month, "a": bureau_midnight(month), "b": bureau_midnight(nxt)})
    await session.execute(text("DELETE FROM reporting.due_pairs WHERE anchor_month = :m"), {"m": month})
    await session.execute(REFRESH_PAIRS, {"m": month})


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


async def refresh_dirty(session_factory, limit: int = 120) -> list[date]:
    """Sum again, once each, the months marked when the call began. Nothing is locked but the
    month being summed (an advisory lock, between refreshers): the consumers marking months
    never wait for a refresh."""
    async with session_factory() as session:
        marks = (
            await session.execute(
                text("SELECT month, version FROM reporting.dirty_months ORDER BY month LIMIT :n"), {"n": limit}
            )
        ).all()
    done = []
    for month, version in marks:
        async with session_factory() as session:
            if await sum_month(session, month, version):
                done.append(month)
    return done


# -- reading: whole months ---------------------------------------------------------------------------


def _dim(by: str | None) -> str:
    return "" if by is None else by


async def cube_counts(session, period: Period, by: str | None) -> dict[str, Counts]:
    """Counts per value of `by` (or the one '' for none) over whole months, from the cube and pairs."""
    first, last = period.start, period.months()[-1]
    dim = _dim(by)
    out: dict[str, Counts] = defaultdict(Counts)
    rows = (
        await session.execute(
            text("""
        SELECT value, sum(received), sum(joined), sum(filed), sum(rejected), sum(rated), sum(satisfied),
               sum(basically_satisfied), sum(dissatisfied), jsonb_agg(hours)
          FROM reporting.month_cube WHERE dim = :dim AND month >= :a AND month <= :z GROUP BY value"""),
            {"dim": dim, "a": first, "z": last},
        )
    ).all()
    for value, rec, joined, filed, rejected, rated, sat, basic, dis, hists in rows:
        c = out[value]
        c.received, c.joined, c.filed, c.rejected = int(rec), int(joined), int(filed), int(rejected)
        c.rated, c.satisfied, c.basically_satisfied, c.dissatisfied = int(rated), int(sat), int(basic), int(dis)
        for hist in hists or []:
            for bucket, n in (json.loads(hist) if isinstance(hist, str) else hist).items():
                c.handling_hours.extend([(int(bucket) + 0.5) * BUCKET] * int(n))
    inside = lambda col: f"({col} >= :a AND {col} <= :z)"  # noqa: E731
    after = "(handled_month > :z OR handled_month = '0001-01-01')"
    pairs = (
        await session.execute(
            text(f"""
        SELECT value,
          sum(n) FILTER (WHERE {inside("dispatched_month")}) AS dispatched,
          sum(n) FILTER (WHERE {inside("dispatched_month")} AND returned) AS returned,
          sum(n) FILTER (WHERE {inside("deadline_month")} OR {inside("closed_month")}) AS due_close,
          sum(n) FILTER (WHERE {inside("closed_month")}) AS closed,
          sum(n) FILTER (WHERE {inside("closed_month")} AND closed_on_time) AS closed_on_time,
          sum(n) FILTER (WHERE {inside("deadline_month")} AND suspended_month <> '0001-01-01'
                         AND suspended_month <= :z AND (resumed_month > :z OR resumed_month = '0001-01-01'))
                         AS suspended,
          sum(n) FILTER (WHERE dispatched_month <> '0001-01-01'
                         AND ({inside("deadline_month")} OR {inside("handled_month")})) AS due_handle,
          sum(n) FILTER (WHERE {inside("handled_month")}) AS handled,
          sum(n) FILTER (WHERE {inside("handled_month")} AND handled_on_time) AS handled_on_time,
          sum(n) FILTER (WHERE ({inside("deadline_month")} OR {inside("closed_month")}) AND reworked) AS reworked,
          sum(n) FILTER (WHERE dispatched_month <> '0001-01-01' AND ({inside("deadline_month")}
                         OR {inside("handled_month")}) AND extended) AS extended,
          sum(n) FILTER (WHERE dispatched_month <> '0001-01-01' AND dispatched_month <= :z
                         AND deadline_month <> '0001-01-01' AND deadline_month <= :z AND {after}) AS overdue_open,
          sum(n) FILTER (WHERE ({inside("deadline_month")} OR {inside("handled_month")}) AND escalated) AS escalated,
          sum(n) FILTER (WHERE {inside("closed_month")} AND with_contact) AS with_contact,
          sum(n) FILTER (WHERE {inside("closed_month")} AND with_contact AND replied) AS replied
          FROM reporting.due_pairs WHERE dim = :dim
         GROUP BY value"""),
            {"dim": dim, "a": first, "z": last},
        )
    ).all()
    names = (
        "dispatched",
        "returned",
        "due_close",
        "closed",
        "closed_on_time",
        "suspended",
        "due_handle",
        "handled",
        "handled_on_time",
        "reworked",
        "extended",
        "overdue_open",
        "escalated",
        "with_contact",
        "replied",
    )
    for row in pairs:
        c = out[row[0]]
        for name, v in zip(names, row[1:], strict=True):
            setattr(c, name, int(v or 0))
    return dict(out)


# -- reading: any range ---------------------------------------------------------------------------------


SLICE = ("enable_hashjoin", "enable_mergejoin")
"""A range that is not whole months is a slice of the rows, found by the indexes of its dates; its
rows are joined to the other table row by row. Left to itself, the planner overestimates the slice
and hashes the whole of the other table (every incident of the year for two thousand cases: three
quarters of a three-day range's time, measured on 200,000 cases)."""
OFFICE = "COALESCE((SELECT g.office_id FROM reporting.grids g WHERE g.grid_id = c.grid_id), '')"
"""A case's 办事处: its grid's, as dispatch announces it."""


async def direct_counts(
    session,
    period: Period,
    by: str | None,
    campaign: str | None = None,
    categories: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> dict[str, Counts]:
    """Counts per value of `by` (or per office) over any range, from the rows (a day, a week: a
    small slice); with `campaign`, of that campaign's cases only; with `categories`, of those only,
    and without those `exclude` names."""
    col = DIMENSIONS.get(by or "", None)
    group_c = OFFICE if by == "office" else (f"COALESCE(c.{col}, '')" if col else "''")
    group_i = (
        f"COALESCE(c.{col}, i.{col}, '')"
        if col in ("category_code", "channel", "urgency")
        else (f"COALESCE(c.{col}, '')" if col else group_c)
    )
    params = {
        "a": bureau_midnight(period.start),
        "b": bureau_midnight(period.end),
        "campaign": campaign,
        "cats": list(categories),
        "not_cats": list(exclude),
    }
    of_campaign = (
        "AND c.case_id IN (SELECT case_id FROM reporting.campaign_cases WHERE campaign_id = :campaign)"
        if campaign
        else ""
    )
    if categories:
        of_campaign += " AND COALESCE(c.category_code, i.category_code) = ANY(:cats)"
    if exclude:
        of_campaign += " AND NOT (COALESCE(c.category_code, i.category_code) = ANY(:not_cats))"
    for setting in SLICE:  # for this transaction's next two reads
        await session.execute(text(f"SET LOCAL {setting} = off"))
    out: dict[str, Counts] = defaultdict(Counts)
    for value, received, joined in (
        await session.execute(
            text(f"""
            SELECT {group_i}, count(*), count(*) FILTER (WHERE i.joined)
              FROM reporting.incidents i LEFT JOIN reporting.cases c ON c.case_id = i.case_id
             WHERE i.received_at >= :a AND i.received_at < :b {of_campaign} GROUP BY 1"""),
            params,
        )
    ).all():
        out[value].received, out[value].joined = int(received), int(joined)
    inside = lambda col_: f"(c.{col_} >= :a AND c.{col_} < :b)"  # noqa: E731
    due = "c.ended_at IS NULL AND c.rejected_at IS NULL"
    rows = (
        await session.execute(
            text(f"""
        SELECT {group_c},
          count(*) FILTER (WHERE {inside("filed_at")}),
          count(*) FILTER (WHERE {inside("rejected_at")}),
          count(*) FILTER (WHERE {due} AND {inside("dispatched_at")}),
          count(*) FILTER (WHERE {due} AND {inside("dispatched_at")} AND c.returned > 0),
          count(*) FILTER (WHERE {due} AND ({inside("deadline_at")} OR {inside("closed_at")})),
          count(*) FILTER (WHERE {due} AND {inside("closed_at")}),
          count(*) FILTER (WHERE {due} AND {inside("closed_at")} AND c.closed_at <= c.deadline_at),
          count(*) FILTER (WHERE {due} AND {inside("deadline_at")} AND c.suspended_at < :b
                           AND (c.resumed_at IS NULL OR c.resumed_at < c.suspended_at OR c.resumed_at >= :b)),
          count(*) FILTER (WHERE {due} AND c.dispatched_at IS NOT NULL
                           AND ({inside("deadline_at")} OR {inside("first_handled_at")})),
          count(*) FILTER (WHERE {due} AND {inside("first_handled_at")}),
          count(*) FILTER (WHERE {due} AND {inside("first_handled_at")} AND c.first_handled_at <= c.deadline_at),
          count(*) FILTER (WHERE {due} AND ({inside("deadline_at")} OR {inside("closed_at")}) AND c.reworked > 0),
          count(*) FILTER (WHERE {due} AND c.dispatched_at IS NOT NULL
                           AND ({inside("deadline_at")} OR {inside("first_handled_at")}) AND c.extended > 0),
          count(*) FILTER (WHERE {due} AND c.dispatched_at < :b AND c.deadline_at < :b
                           AND (c.first_handled_at IS NULL OR c.first_handled_at >= :b)),
          count(*) FILTER (WHERE {due} AND ({inside("deadline_at")} OR {inside("first_handled_at")}) AND c.escalated),
          count(*) FILTER (WHERE {inside("rated_at")}),
          count(*) FILTER (WHERE {inside("rated_at")} AND c.rating = 'satisfied'),
          count(*) FILTER (WHERE {inside("rated_at")} AND c.rating = 'basically_satisfied'),
          count(*) FILTER (WHERE {inside("rated_at")} AND c.rating = 'dissatisfied'),
          count(*) FILTER (WHERE {due} AND {inside("closed_at")} AND i.has_contact),
          count(*) FILTER (WHERE {due} AND {inside("closed_at")} AND i.has_contact AND i.replied_at IS NOT NULL),
          array_agg(c.handling_hours) FILTER (WHERE {due} AND {inside("first_handled_at")}
                                              AND c.handling_hours IS NOT NULL)
          FROM reporting.cases c LEFT JOIN reporting.incidents i ON i.case_id = c.case_id
         WHERE ({inside("filed_at")} OR {inside("rejected_at")} OR {inside("dispatched_at")} OR {inside("deadline_at")}
            OR {inside("closed_at")} OR {inside("first_handled_at")} OR {inside("rated_at")}
            OR (c.deadline_at < :b AND ({late("c.")}) AND (c.first_handled_at IS NULL OR c.first_handled_at >= :b)
                AND c.dispatched_at < :b AND {due})) {of_campaign}
         GROUP BY 1"""),
            params,
        )
    ).all()
    names = (
        "filed",
        "rejected",
        "dispatched",
        "returned",
        "due_close",
        "closed",
        "closed_on_time",
        "suspended",
        "due_handle",
        "handled",
        "handled_on_time",
        "reworked",
        "extended",
        "overdue_open",
        "escalated",
        "rated",
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
        "with_contact",
        "replied",
    )
    for setting in SLICE:
        await session.execute(text(f"RESET {setting}"))
    for row in rows:
        c = out[row[0]]
        for name, v in zip(names, row[1:-1], strict=True):
            setattr(c, name, int(v or 0))
        c.handling_hours = [float(h) for h in row[-1] or []]
    return dict(out)


async def counts(session, period: Period, by: str | None = None) -> dict[str, Counts]:
    if period.whole_months:
        return await cube_counts(session, period, by)
    return await direct_counts(session, period, by)


def total(per_value: dict[str, Counts]) -> Counts:
    out = Counts()
    for c in per_value.values():
        out = out + c
    return out
