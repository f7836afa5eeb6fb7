"""Months on the calendar, as the ledger's rules count them (a letter's year, a purifier's three
months, a colour's six): the same day of the month later on, or that month's last day."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from common.clock import BEIJING


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_months_at(at: datetime, months: int) -> datetime:
    """The same time of day, `months` later in Beijing's calendar."""
    local = at.astimezone(BEIJING)
    moved = add_months(local.date(), months)
    return local.replace(year=moved.year, month=moved.month, day=moved.day).astimezone(at.tzinfo)
