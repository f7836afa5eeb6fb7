"""Working time (工作时间) on the bureau's calendar: weekdays, minus public holidays, plus the
weekend days that are worked in exchange (调休上班), in the bureau's office hours, Beijing time.

Shared by dispatch (deadlines in working hours) and reporting (handling time in working hours,
from the calendar dispatch announces). Pure functions over a `WorkCalendar` value, so the
arithmetic is tested directly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from common.clock import BEIJING

OFFICE_HOURS = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
"""Rule of ours, from common bureau hours: 7 working hours a day."""


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend days worked in exchange
    periods: tuple[tuple[time, time], ...] = OFFICE_HOURS
    tz: ZoneInfo = field(default=BEIJING)

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5

    def _periods_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (start, end) as aware datetimes, from the one containing `start` on."""
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(3660):  # ten years of days: a calendar with no working day at all is a bug
            if self.is_working_day(day):
                for begin, end in self.periods:
                    b = datetime.combine(day, begin, self.tz)
                    e = datetime.combine(day, end, self.tz)
                    if e > local:
                        yield max(b, local), e
            day += timedelta(days=1)
        raise ValueError("the calendar has no working time in ten years")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        remaining = timedelta(hours=hours)
        if remaining <= timedelta(0):
            return start
        for begin, end in self._periods_from(start):
            if end - begin >= remaining:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= end - begin
        raise AssertionError("unreachable")  # pragma: no cover

    def periods_between(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The working periods from `start` to `end`, clipped to them (what a console needs to show
        the working time left before a deadline, second by second)."""
        out: list[tuple[datetime, datetime]] = []
        if end <= start:
            return out
        for begin, stop in self._periods_from(start):
            if begin >= end:
                break
            out.append((begin, min(stop, end)))
        return out

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        total = timedelta(0)
        for begin, stop in self._periods_from(start):
            if begin >= end:
                break
            total += min(stop, end) - begin
        return total.total_seconds() / 3600


# -- the State Council's calendar, with the bureau's corrections on top --------------------------------


@dataclass(frozen=True)
class SpecialDay:
    day: date
    kind: str  # holiday 节假日 | workday 调休上班 | ordinary (a bureau's correction only)
    name: str
    source: str  # national (国务院办公厅通知, from chinesecalendar) | bureau


def national_years() -> range:
    """The years whose 国务院办公厅 holiday notice `chinesecalendar` holds."""
    from chinese_calendar import constants

    years = {d.year for d in constants.holidays}
    return range(min(years), max(years) + 1)


def national_days() -> dict[date, SpecialDay]:
    """Every holiday and 调休 workday of the State Council's notices, as `chinesecalendar` keeps them
    (data someone else keeps current: an upgrade of the package brings next year's)."""
    from chinese_calendar import constants

    chinese = {h.value: h.chinese for h in constants.Holiday}
    out = {d: SpecialDay(d, "holiday", chinese.get(n, n), "national") for d, n in constants.holidays.items()}
    out.update(
        {d: SpecialDay(d, "workday", f"{chinese.get(n, n)}调休上班", "national") for d, n in constants.workdays.items()}
    )
    return out


def with_corrections(national: dict[date, SpecialDay], bureau: list[tuple[date, str, str]]) -> dict[date, SpecialDay]:
    """The calendar in force: the national days, each of the bureau's own days (kind holiday,
    workday, or ordinary) in place of the national one."""
    days = dict(national)
    for day, kind, name in bureau:
        days[day] = SpecialDay(day, kind, name, "bureau")
    return days


def calendar_of(days: dict[date, SpecialDay], periods: tuple[tuple[time, time], ...] = OFFICE_HOURS) -> WorkCalendar:
    return WorkCalendar(
        holidays=frozenset(d for d, s in days.items() if s.kind == "holiday"),
        workdays=frozenset(d for d, s in days.items() if s.kind == "workday"),
        periods=periods,
    )


def year_loaded(year: int, days: dict[date, SpecialDay]) -> bool:
    """Whether a year's holidays are known: the national notice, or the bureau's own holidays typed in."""
    return year in national_years() or any(d.year == year and s.kind == "holiday" for d, s in days.items())


def next_year_warning(today: date, days: dict[date, SpecialDay]) -> str | None:
    """From November on, what the administrators are told while next year's holidays are not loaded."""
    nxt = today.year + 1
    if today.month < 11 or year_loaded(nxt, days):
        return None
    return (
        f"{nxt}年节假日安排尚未载入: 截止时限将把{nxt}年的元旦、春节等按工作日计算。国务院办公厅通知发布后, "
        f"请升级 chinesecalendar 或在 PUT /v1/calendar/{{日期}} 录入。"
    )
