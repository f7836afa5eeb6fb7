"""One time source for the whole platform, injectable so deadline rules can be tested."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BUREAU_TIME_ZONE = "Asia/Shanghai"
"""The bureau's time zone, by its IANA name: its working days, months, deadlines and documents are
in Beijing time. SQL that turns an instant into the bureau's day or month names it through
`bureau_local` (never the name typed again)."""
BEIJING = ZoneInfo(BUREAU_TIME_ZONE)


def bureau_local(column: str) -> str:
    """SQL: the instant in `column` (a timestamptz) as the bureau's wall-clock time."""
    return f"timezone('{BUREAU_TIME_ZONE}', {column})"


def bureau_day_sql(column: str) -> str:
    """SQL: the bureau's calendar day holding the instant in `column`."""
    return f"{bureau_local(column)}::date"


def bureau_month_sql(column: str) -> str:
    """SQL: the first day of the bureau's month holding the instant in `column`."""
    return f"date_trunc('month', {bureau_local(column)})::date"


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime (UTC)")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def bureau_date(at: datetime) -> date:
    """The bureau's calendar day of a moment (Beijing time)."""
    return at.astimezone(BEIJING).date()


def bureau_midnight(day: date) -> datetime:
    """The moment a bureau's calendar day begins (00:00 Beijing time)."""
    return datetime.combine(day, time(0), BEIJING)
