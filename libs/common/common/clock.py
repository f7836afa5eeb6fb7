"""One time source for the whole platform, injectable so deadline rules can be tested."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
"""The bureau's time zone: its working days, months, deadlines and documents are in Beijing time."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


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


def bureau_date(at: datetime):
    """The bureau's calendar day of a moment (Beijing time)."""
    return at.astimezone(BEIJING).date()


def bureau_midnight(day: date) -> datetime:
    """The moment a bureau's calendar day begins (00:00 Beijing time)."""
    return datetime.combine(day, time(0), BEIJING)
