"""月度通报, read: the facts of a month's circular (headline figures with 环比 and 同比, the daily
trend, the top categories, the squads' ranking, the grids' 处置率, the registers' and the dog
register's figures, each formula's footnote), gathered once and rendered by
`reporting.adapters.circular` as a page and as a PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlmodel import col, select

from common.clock import bureau_day_sql, bureau_midnight
from common.vocabulary import CHANNEL_NAMES
from reporting.domain.indicators import BY_KEY, DOG_COUNTERS, INDICATORS, OnTime, change, indicators
from reporting.domain.periods import Period, PeriodKind, period_of, previous, year_before
from reporting.queries.campaigns import month_summaries
from reporting.queries.counts import counts, total
from reporting.queries.decisions import decisions
from reporting.queries.hotline import hotline_counts
from reporting.queries.ranking import scored
from reporting.tables import CategoryInfo, DogMonth, GridInfo, LedgerFigure

HEADLINE = (
    "received",
    "filed",
    "dispatched",
    "closed",
    "disposal_rate",
    "on_time_disposal_rate",
    "closing_rate",
    "on_time_closing_rate",
    "accurate_dispatch_rate",
    "rework_rate",
    "extension_rate",
    "overdue_open",
    "handling_median_hours",
    "feedback_rate",
    "satisfaction_rate",
)


@dataclass
class Circular:
    bureau: str
    month: date
    label: str
    headline: list[dict]
    days: list[date]
    received_by_day: list[int]
    closed_by_day: list[int]
    categories: list[tuple[str, int]]
    ranking: list
    grids: list[dict]
    ledger: dict | None
    dogs: dict
    footnotes: list[tuple[str, str]]
    generated_at: datetime
    channels: list[tuple[str, int]] = field(default_factory=list)
    """受理 per channel (信访, 领导交办 and 舆情 under their own), most first."""
    hotline: dict[str, int] = field(default_factory=dict)
    """The 12345 and 110 orders received in the month: reporting.queries.hotline.COUNTS, all squads."""
    campaigns: list[dict] = field(default_factory=list)
    """The campaigns that ran in the month: reporting.queries.campaigns.month_summaries."""
    decisions: list[dict] = field(default_factory=list)
    """The month's penalty decisions by power and band: reporting.queries.decisions.decisions."""


async def daily(session, month: date, squad_id: str | None = None) -> tuple[list[date], list[int], list[int]]:
    """Each day of the month: reports received and cases closed, district-wide; for one squad
    (`squad_id`), the squad's cases opened and closed."""
    nxt = (month + timedelta(days=32)).replace(day=1)
    a, b = bureau_midnight(month), bureau_midnight(nxt)
    if squad_id is None:
        received = dict(
            (
                await session.execute(
                    text(
                        f"SELECT {bureau_day_sql('received_at')}, count(*) FROM reporting.incidents "
                        "WHERE received_at >= :a AND received_at < :b GROUP BY 1"
                    ),
                    {"a": a, "b": b},
                )
            ).all()
        )
    else:
        received = dict(
            (
                await session.execute(
                    text(
                        f"SELECT {bureau_day_sql('opened_at')}, count(*) FROM reporting.cases "
                        "WHERE opened_at >= :a AND opened_at < :b AND squad_id = :s GROUP BY 1"
                    ),
                    {"a": a, "b": b, "s": squad_id},
                )
            ).all()
        )
    closed = dict(
        (
            await session.execute(
                text(
                    f"SELECT {bureau_day_sql('closed_at')}, count(*) FROM reporting.cases "
                    "WHERE closed_at >= :a AND closed_at < :b AND (CAST(:s AS text) IS NULL OR squad_id = :s) "
                    "GROUP BY 1"
                ),
                {"a": a, "b": b, "s": squad_id},
            )
        ).all()
    )
    days = [month + timedelta(days=i) for i in range((nxt - month).days)]
    return days, [received.get(d, 0) for d in days], [closed.get(d, 0) for d in days]


async def top_categories(session, period: Period, n: int, squad_id: str | None = None) -> list[tuple[str, int]]:
    """The period's n categories most reported, by name, with their 受理数; for one squad
    (`squad_id`), its cases opened in the period."""
    names = {c.code: c.name for c in (await session.exec(select(CategoryInfo))).all()}
    if squad_id is None:
        per = {code: c.received for code, c in (await counts(session, period, "category")).items()}
    else:
        per = dict(
            (
                await session.execute(
                    text(
                        "SELECT category_code, count(*) FROM reporting.cases WHERE opened_at >= :a AND opened_at < :b "
                        "AND squad_id = :s GROUP BY 1"
                    ),
                    {"a": bureau_midnight(period.start), "b": bureau_midnight(period.end), "s": squad_id},
                )
            ).all()
        )
    return sorted(((names.get(code, code), c) for code, c in per.items() if code), key=lambda t: -t[1])[:n]


async def grid_rates(session, period: Period, rule: OnTime) -> list[dict]:
    """Every grid with its area and the period's 处置率 (None without cases), for the map."""
    per = await counts(session, period, "grid")
    return [
        {
            "grid_id": g.grid_id,
            "name": g.name,
            "geometry": g.geometry,
            "rate": indicators(per[g.grid_id], rule)["disposal_rate"] if g.grid_id in per else None,
        }
        for g in (await session.exec(select(GridInfo).order_by(col(GridInfo.grid_id)))).all()
    ]


async def dog_figures(session, month: date) -> dict[str, int]:
    """The dog register's figures of a month, district-wide (registrations, inspections, ...)."""
    rows = (await session.exec(select(DogMonth).where(DogMonth.month == month))).all()
    return {c: sum(getattr(r, c) for r in rows) for c in DOG_COUNTERS}


async def build(
    session, month: date, *, bureau: str, rule: OnTime, weights: dict[str, float], min_cases: int, now: datetime
) -> Circular:
    period = period_of(PeriodKind.month, month)
    this = total(await counts(session, period, None))
    before = total(await counts(session, previous(period), None))
    last_year = total(await counts(session, year_before(period), None))
    now_v, before_v, year_v = indicators(this, rule), indicators(before, rule), indicators(last_year, rule)
    headline = [
        {
            "key": k,
            "name": BY_KEY[k].name,
            "value": now_v[k],
            "mom": change(now_v[k], before_v[k], BY_KEY[k].rate),
            "yoy": change(now_v[k], year_v[k], BY_KEY[k].rate),
        }
        for k in HEADLINE
    ]
    days, received_by_day, closed_by_day = await daily(session, month)
    categories = await top_categories(session, period, 10)
    ranking = await scored(session, period, rule, weights, min_cases)
    grids = await grid_rates(session, period, rule)
    district = await session.get(LedgerFigure, "district")
    dogs = await dog_figures(session, month)
    per_channel = await counts(session, period, "channel")
    channels = sorted(
        ((CHANNEL_NAMES.get(code, code or "未知"), c.received) for code, c in per_channel.items() if c.received),
        key=lambda t: -t[1],
    )
    orders = (await hotline_counts(session, period.start, period.end, None, None)).values()
    hotline = {k: sum(o[k] for o in orders) for k in next(iter(orders), {})}
    campaigns = await month_summaries(session, period.start, period.end)
    decided = await decisions(session, period.start, period.end, None)
    return Circular(
        bureau=bureau,
        month=month,
        label=period.label,
        headline=headline,
        days=days,
        received_by_day=received_by_day,
        closed_by_day=closed_by_day,
        categories=categories,
        ranking=ranking,
        grids=grids,
        ledger=district.figures if district else None,
        dogs=dogs,
        footnotes=[(i.name, i.printed) for i in INDICATORS],
        generated_at=now,
        channels=channels,
        hotline=hotline,
        campaigns=campaigns,
        decisions=decided,
    )
