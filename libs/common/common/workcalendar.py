"""Working time (工作时间) on the bureau's calendar: weekdays, minus public holidays, plus the
weekend days that are worked in exchange (调休上班), in the bureau's office hours, Beijing time.

Shared by dispatch (deadlines in working hours) and reporting (handling time in working hours,
from the calendar dispatch announces). Pure functions over a `WorkCalendar` value, so the
arithmetic is tested directly."""
from __future__ import annotations

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

    def _periods_from(self, start: datetime):
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
        out = []
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
