"""The counts behind the indicators, in SQL, three ways that agree (a test holds them equal):

- whole months (a month, a quarter, a year, a run of months) read the small derived tables: the
  month cube (what happened in each month: reports, filings, ratings, the handling-time
  histogram) and the due pairs (cases counted by the months of their dispatch, deadline,
  handling and closing and by their flags, so that a union over months, 应结案 = deadline in
  the period or closed in it, counts each case once). A year over a million cases is a few
  hundred rows.
- any other range (a day, a week, three days, from-to) reads the same tables by day: the day
  cube and the day pairs, which a month's refresh computes from the rows (the month's own tables
  are then its days summed). A week over a million-case year is a few thousand rows.
- a range whose months have changed since they were summed (today, this week) reads the case and
  report rows directly, and so do the reads the tables have no dimension for (a campaign's
  cases; a channel or an urgency over some categories).

Each is read for the whole district, by one dimension, by office (the sum of its grids), and over
some categories by squad or office (the tables' squad × category and grid × category). Each
measure's SQL is the definition `domain.Counts` gives in words."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from common.clock import bureau_midnight
from reporting.domain.indicators import Counts
from reporting.domain.periods import Period
from reporting.tables import NO_DAY, day_overdue_span, overdue_span

DIMENSIONS = {
    "squad": "squad_id",
    "grid": "grid_id",
    "category": "category_code",
    "channel": "channel",
    "urgency": "urgency",
}
BUCKET = 0.25  # hours: the handling-time histogram's width


PAIRED = {"squad_category": ("squad_id", "category_code"), "grid_category": ("grid_id", "category_code")}
"""Two dimensions at once, for what is read by a unit and a set of categories (考评: the squads and
the offices over the scheme's categories). Their value is 'unit|category'."""
SETS = [*((c,) for c in DIMENSIONS.values()), *PAIRED.values()]
"""Every grouping the tables keep, besides the whole district."""


# -- reading: whole months ---------------------------------------------------------------------------


def _dim(by: str | None) -> str:
    return "" if by is None else by


def office_of(grid: str) -> str:
    """SQL: the 办事处 of the grid in `grid` (as dispatch announces it; '' for none)."""
    return f"COALESCE((SELECT g.office_id FROM reporting.grids g WHERE g.grid_id = {grid}), '')"


def _reading(by: str | None, categories: tuple[str, ...], exclude: tuple[str, ...]) -> tuple[str, str, str] | None:
    """How the tables answer `by` over the categories: the dimension read, what a row's value
    counts under, and the rows kept. None: the tables cannot (the rows answer)."""
    if not (categories or exclude):
        return ("grid", office_of("value"), "") if by == "office" else (_dim(by), "value", "")
    unit, cat = "split_part(value, '|', 1)", "split_part(value, '|', 2)"
    if by in (None, "category"):
        unit, cat = ("''" if by is None else "value"), "value"
        dim = "category"
    elif by in ("squad", "grid", "office"):
        dim = "squad_category" if by == "squad" else "grid_category"
        unit = office_of(unit) if by == "office" else unit
    else:
        return None
    keep = f"AND {cat} <> ''" + (f" AND {cat} = ANY(:cats)" if categories else "")
    keep += f" AND NOT ({cat} = ANY(:not_cats))" if exclude else ""
    return dim, unit, keep


async def cube_counts(
    session, period: Period, by: str | None, categories: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> dict[str, Counts]:
    """Counts per value of `by` (or the one '' for none) over whole months, from the month cube and pairs."""
    first, last = period.start, period.months()[-1]
    return await _summed(session, "month", first, last, period.end, by, categories, exclude)


async def day_counts(
    session, period: Period, by: str | None, categories: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> dict[str, Counts]:
    """Counts per value of `by` over any run of days, from the day cube and pairs: the pairs with a
    step in the range, or overdue at its end (found by their indexes, a few thousand rows for a
    week of a million-case year)."""
    last = period.end - timedelta(days=1)
    return await _summed(session, "day", period.start, last, period.end, by, categories, exclude)


async def _summed(
    session,
    unit: str,
    first: date,
    last: date,
    end: date,
    by: str | None,
    categories: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> dict[str, Counts]:
    """The counts over the months (or days) `first` to `last`, from their cube and pairs; `end`
    is the day after the last (where 超期未处置 is counted)."""
    cube, pairs_table = ("month_cube", "due_pairs") if unit == "month" else ("day_cube", "day_pairs")
    m = lambda step: f"{step}_{unit}"  # noqa: E731
    reading = _reading(by, categories, exclude)
    if reading is None:
        raise ValueError(f"the tables have no dimension for {by} over categories")
    dim, group, keep = reading
    params = {"dim": dim, "a": first, "z": last} | ({"cats": list(categories)} if categories else {})
    params |= {"not_cats": list(exclude)} if exclude else {}
    out: dict[str, Counts] = defaultdict(Counts)
    rows = (
        await session.execute(
            text(f"""
        SELECT {group}, sum(received), sum(joined), sum(filed), sum(rejected), sum(rated), sum(satisfied),
               sum(basically_satisfied), sum(dissatisfied), jsonb_agg(hours)
          FROM reporting.{cube} WHERE dim = :dim AND {unit} >= :a AND {unit} <= :z {keep} GROUP BY 1"""),
            params,
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
    where = (
        ""
        if unit == "month"
        else "AND ("
        + " OR ".join(inside(m(s)) for s in ("dispatched", "deadline", "handled", "closed"))
        + f" OR {day_overdue_span()} @> CAST(:b AS date))"
    )
    after = f"({m('handled')} > :z OR {m('handled')} = {NO_DAY})"
    pairs = (
        await session.execute(
            text(f"""
        SELECT {group},
          sum(n) FILTER (WHERE {inside(m("dispatched"))}) AS dispatched,
          sum(n) FILTER (WHERE {inside(m("dispatched"))} AND returned) AS returned,
          sum(n) FILTER (WHERE {inside(m("deadline"))} OR {inside(m("closed"))}) AS due_close,
          sum(n) FILTER (WHERE {inside(m("closed"))}) AS closed,
          sum(n) FILTER (WHERE {inside(m("closed"))} AND closed_on_time) AS closed_on_time,
          sum(n) FILTER (WHERE {inside(m("deadline"))} AND {m("suspended")} <> {NO_DAY}
                         AND {m("suspended")} <= :z AND ({m("resumed")} > :z OR {m("resumed")} = {NO_DAY}))
                         AS suspended,
          sum(n) FILTER (WHERE {m("dispatched")} <> {NO_DAY}
                         AND ({inside(m("deadline"))} OR {inside(m("handled"))})) AS due_handle,
          sum(n) FILTER (WHERE {inside(m("handled"))}) AS handled,
          sum(n) FILTER (WHERE {inside(m("handled"))} AND handled_on_time) AS handled_on_time,
          sum(n) FILTER (WHERE ({inside(m("deadline"))} OR {inside(m("closed"))}) AND reworked) AS reworked,
          sum(n) FILTER (WHERE {m("dispatched")} <> {NO_DAY} AND ({inside(m("deadline"))}
                         OR {inside(m("handled"))}) AND extended) AS extended,
          sum(n) FILTER (WHERE {m("dispatched")} <> {NO_DAY} AND {m("dispatched")} <= :z
                         AND {m("deadline")} <> {NO_DAY} AND {m("deadline")} <= :z AND {after}) AS overdue_open,
          sum(n) FILTER (WHERE ({inside(m("deadline"))} OR {inside(m("handled"))}) AND escalated) AS escalated,
          sum(n) FILTER (WHERE {inside(m("closed"))} AND with_contact) AS with_contact,
          sum(n) FILTER (WHERE {inside(m("closed"))} AND with_contact AND replied) AS replied
          FROM reporting.{pairs_table} WHERE dim = :dim {keep} {where}
         GROUP BY 1"""),
            params | ({} if unit == "month" else {"b": end}),
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
OFFICE = office_of("c.grid_id")
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
    # a campaign's cases are read from its list (a few thousand), not found among the range's
    cases = "reporting.cases c"
    incidents = "reporting.incidents i LEFT JOIN reporting.cases c ON c.case_id = i.case_id"
    if campaign:
        cases = "reporting.campaign_cases cc JOIN reporting.cases c ON c.case_id = cc.case_id"
        incidents = f"{cases} JOIN reporting.incidents i ON i.case_id = c.case_id"
    of_campaign = "AND cc.campaign_id = :campaign" if campaign else ""
    if categories:
        of_campaign += " AND COALESCE(c.category_code, i.category_code) = ANY(:cats)"
    if exclude:
        of_campaign += " AND NOT (COALESCE(c.category_code, i.category_code) = ANY(:not_cats))"
    for setting in SLICE:  # for this transaction's next two reads
        await session.execute(text(f"SET LOCAL {setting} = off"))
    if campaign:  # from its list, in the order written (the planner would start from the range)
        await session.execute(text("SET LOCAL join_collapse_limit = 1"))
    out: dict[str, Counts] = defaultdict(Counts)
    for value, received, joined in (
        await session.execute(
            text(f"""
            SELECT {group_i}, count(*), count(*) FILTER (WHERE i.joined)
              FROM {incidents}
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
          FROM {cases} LEFT JOIN reporting.incidents i ON i.case_id = c.case_id
         WHERE ({inside("filed_at")} OR {inside("rejected_at")} OR {inside("dispatched_at")} OR {inside("deadline_at")}
            OR {inside("closed_at")} OR {inside("first_handled_at")} OR {inside("rated_at")}
            OR ({overdue_span("c.")} @> CAST(:b AS timestamptz) AND c.dispatched_at < :b AND {due})) {of_campaign}
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
    for setting in (*SLICE, "join_collapse_limit"):
        await session.execute(text(f"RESET {setting}"))
    for row in rows:
        c = out[row[0]]
        for name, v in zip(names, row[1:-1], strict=True):
            setattr(c, name, int(v or 0))
        c.handling_hours = [float(h) for h in row[-1] or []]
    return dict(out)


async def apart(session_factory, reads: Sequence[Callable[..., Awaitable[Any]]]) -> list[Any]:
    """Several reads at once, each in a session (a connection) of its own: a report over a period,
    the period before and the year before takes the time of the longest read, not of the three."""

    async def one(read):
        async with session_factory() as session:
            return await read(session)

    return list(await asyncio.gather(*(one(r) for r in reads)))


async def summed(session, period: Period) -> bool:
    """Whether the days of the period's months are summed as their rows stand now (none of its
    months marked since). A change to a case shows in the tables after the next refresh (a
    second): so are whole months read; a step recorded late about a case outside the period's
    months (a handling of weeks ago arriving now) reaches a range's 超期未处置 as late."""
    return not await session.scalar(
        text("SELECT EXISTS (SELECT 1 FROM reporting.dirty_months WHERE month = ANY(:months))"),
        {"months": period.months()},
    )


async def counts(
    session, period: Period, by: str | None = None, categories: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> dict[str, Counts]:
    """Counts per value of `by` (a dimension, or 'office'), over the cases of `categories` (all
    if none) but those of `exclude`: whole months from the month tables; any other range from
    the day tables if its months are summed; else, or if the tables have no such dimension,
    from the rows (today, this week: live)."""
    if _reading(by, categories, exclude) is not None:
        if period.whole_months:
            return await cube_counts(session, period, by, categories, exclude)
        if await summed(session, period):
            return await day_counts(session, period, by, categories, exclude)
    return await direct_counts(session, period, by, categories=categories, exclude=exclude)


def total(per_value: dict[str, Counts]) -> Counts:
    out = Counts()
    for c in per_value.values():
        out = out + c
    return out
