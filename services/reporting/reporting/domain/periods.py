"""The periods the bureau reports on: Beijing calendar days [start, end): a day, a week (Monday
first), a month, a quarter, a year, or a range; 环比 compares with the period before (of the same
kind, or the same number of days), 同比 with the same period a year earlier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from common.refusals import Unprocessable


class PeriodKind(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"
    range = "range"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # exclusive

    @property
    def whole_months(self) -> bool:
        """Starts on a month's first day and ends on another's: the monthly tables answer it."""
        return self.start.day == 1 and self.end.day == 1 and self.end > self.start

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        match self.kind:
            case PeriodKind.day:
                return f"{self.start.year}年{self.start.month}月{self.start.day}日"
            case PeriodKind.month:
                return f"{self.start.year}年{self.start.month}月"
            case PeriodKind.quarter:
                return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
            case PeriodKind.year:
                return f"{self.start.year}年"
        return f"{self.start.isoformat()} 至 {last.isoformat()}"

    def months(self) -> list[date]:
        out, m = [], self.start.replace(day=1)
        while m < self.end:
            out.append(m)
            m = _add_months(m, 1)
        return out


def _add_months(d: date, n: int) -> date:
    m0 = d.month - 1 + n
    return date(d.year + m0 // 12, m0 % 12 + 1, 1)


def period_of(kind: PeriodKind, at: date, end: date | None = None) -> Period:
    """The period of `kind` that holds `at` (a range: `at` to `end` inclusive)."""
    match kind:
        case PeriodKind.day:
            return Period(kind, at, at + timedelta(days=1))
        case PeriodKind.week:
            start = at - timedelta(days=at.weekday())
            return Period(kind, start, start + timedelta(days=7))
        case PeriodKind.month:
            start = at.replace(day=1)
            return Period(kind, start, _add_months(start, 1))
        case PeriodKind.quarter:
            start = date(at.year, (at.month - 1) // 3 * 3 + 1, 1)
            return Period(kind, start, _add_months(start, 3))
        case PeriodKind.year:
            return Period(kind, date(at.year, 1, 1), date(at.year + 1, 1, 1))
    if end is None or end < at:
        raise Unprocessable("a range needs `to` on or after `from`")
    return Period(PeriodKind.range, at, end + timedelta(days=1))


def previous(p: Period) -> Period:
    """环比: the period just before."""
    match p.kind:
        case PeriodKind.month:
            return period_of(p.kind, _add_months(p.start, -1))
        case PeriodKind.quarter:
            return period_of(p.kind, _add_months(p.start, -3))
        case PeriodKind.year:
            return period_of(p.kind, date(p.start.year - 1, 1, 1))
    length = p.end - p.start
    return Period(p.kind, p.start - length, p.start)


def year_before(p: Period) -> Period:
    """同比: the same period a year earlier (29 February becomes the 28th)."""

    def back(d: date) -> date:
        try:
            return d.replace(year=d.year - 1)
        except ValueError:
            return d.replace(year=d.year - 1, day=28)

    return Period(p.kind, back(p.start), back(p.end))
