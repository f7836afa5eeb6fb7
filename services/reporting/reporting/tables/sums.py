"""What the indicators sum: the month cube and the due pairs for whole months, the day cube and
the day pairs for any other range, computed again from the rows for each month marked."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Column, Date, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from reporting.tables.base import ReportingTable
from reporting.tables.rows import _span_case

VALUE_LENGTH = 160
"""A value of the summed tables: a squad, grid, category, channel or urgency, or 'unit|category'."""


class CubeCounts(ReportingTable):
    """What a cube row counts of what happened in its month or on its day."""

    received: int = 0
    joined: int = 0
    filed: int = 0
    rejected: int = 0
    rated: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0


class PairFlags(ReportingTable):
    """What a due pair row is besides the dates of its steps: its flags, and how many cases have them."""

    handled_on_time: bool
    closed_on_time: bool
    returned: bool
    extended: bool
    reworked: bool
    escalated: bool
    with_contact: bool
    replied: bool
    n: int


class MonthCube(CubeCounts, table=True):
    """A month's counts of what happened in it, by each dimension and pair of dimensions (dim '' is
    the whole district): its days summed, whenever the month's rows change."""

    __tablename__ = "month_cube"
    month: date = Field(sa_column=Column(Date, primary_key=True))
    dim: str = Field(primary_key=True, max_length=16)
    value: str = Field(primary_key=True, max_length=VALUE_LENGTH)
    hours: dict = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False),
        description="handling hours histogram: quarter-hour bucket -> cases first handled",
    )


class DuePair(PairFlags, table=True):
    """Cases counted by the months of their steps and their flags (one row per combination): what
    a union over months needs (应结案 = deadline in the period or closed in it, each case once)."""

    __tablename__ = "due_pairs"
    __table_args__ = (Index("ix_due_pairs_anchor", "anchor_month"), Index("ix_due_pairs_dim", "dim"))
    id: int | None = Field(default=None, primary_key=True)
    anchor_month: date = Field(sa_column=Column(Date, nullable=False))
    dim: str = Field(max_length=16)
    value: str = Field(max_length=VALUE_LENGTH)
    dispatched_month: date | None = Field(default=None, sa_column=Column(Date))
    deadline_month: date | None = Field(default=None, sa_column=Column(Date))
    handled_month: date | None = Field(default=None, sa_column=Column(Date))
    closed_month: date | None = Field(default=None, sa_column=Column(Date))
    suspended_month: date | None = Field(
        default=None, sa_column=Column(Date), description="the month of the latest 缓办 (挂起), NONE if never"
    )
    resumed_month: date | None = Field(
        default=None, sa_column=Column(Date), description="the month it resumed after that, NONE if still suspended"
    )


NO_DAY = "'0001-01-01'::date"
"""The day that never came (a case never handled, never closed), as the day pairs write it."""


def day_overdue_span() -> str:
    """A day pair's 超期未处置 span in days: from its deadline's day (exclusive) to its first
    handling's (inclusive; open while not handled), for the pairs handled late or not yet."""
    late = f"deadline_day <> {NO_DAY} AND (handled_day = {NO_DAY} OR handled_day > deadline_day)"
    return _span_case(late, f"daterange(deadline_day, NULLIF(handled_day, {NO_DAY}), '(]'::text)", "daterange")


class DayCube(CubeCounts, table=True):
    """The month cube's counts day by day (what any range that is not whole months sums): the
    reports received and joined, the cases filed and rejected, the ratings and the handling-time
    histogram of each Beijing day, by each dimension alone. Summed with its month, from the rows;
    the month's own cube is then the sum of its days."""

    __tablename__ = "day_cube"
    day: date = Field(sa_column=Column(Date, primary_key=True))
    dim: str = Field(primary_key=True, max_length=16)
    value: str = Field(primary_key=True, max_length=VALUE_LENGTH)
    hours: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))


class DayPair(PairFlags, table=True):
    """The due pairs by the days of the steps (the month pairs are these, summed by month): a range
    reads the pairs with a step in it, or overdue at its end, found by these indexes."""

    __tablename__ = "day_pairs"
    __table_args__ = (
        Index("ix_day_pairs_anchor", "anchor_month"),
        *(Index(f"ix_day_pairs_{c}", "dim", f"{c}_day") for c in ("dispatched", "deadline", "handled", "closed")),
        Index("ix_day_pairs_overdue", text(day_overdue_span()), postgresql_using="gist"),
    )
    id: int | None = Field(default=None, primary_key=True)
    anchor_month: date = Field(sa_column=Column(Date, nullable=False))
    dim: str = Field(max_length=16)
    value: str = Field(max_length=VALUE_LENGTH)
    dispatched_day: date = Field(sa_column=Column(Date, nullable=False))
    deadline_day: date = Field(sa_column=Column(Date, nullable=False))
    handled_day: date = Field(sa_column=Column(Date, nullable=False))
    closed_day: date = Field(sa_column=Column(Date, nullable=False))
    suspended_day: date = Field(sa_column=Column(Date, nullable=False))
    resumed_day: date = Field(sa_column=Column(Date, nullable=False))


class DirtyMonth(ReportingTable, table=True):
    """Months whose rows changed since their cube and pairs were computed. Each change bumps the
    version; the refresher removes the mark only if the version is still the one it read before
    summing, so a change that lands while it sums leaves the month marked (and nobody waits)."""

    __tablename__ = "dirty_months"
    month: date = Field(sa_column=Column(Date, primary_key=True))
    version: int = Field(default=1, sa_column=Column(BigInteger, nullable=False, server_default="1"))
