"""Working time (工作时间) on the bureau's calendar: weekdays, minus public holidays, plus the
weekend days that are worked in exchange (调休上班), in the bureau's office hours, Beijing time.

A category's time limit in working hours becomes a deadline by walking forward through the
working periods; an urgent case's limit runs on the clock (the command centre works 24 hours,
四位一体). Pure functions over a `WorkCalendar` value, so the arithmetic is tested directly."""

from __future__ import annotations

from datetime import datetime, timedelta

from common.clock import BEIJING
from common.vocabulary import OWNED_CHANNELS, Urgency
from common.workcalendar import OFFICE_HOURS, WorkCalendar

__all__ = [
    "BEIJING",
    "LEGAL_KINDS",
    "OFFICE_HOURS",
    "WorkCalendar",
    "binding",
    "deadline",
    "legal_warning",
    "warning_time",
]

LEGAL_KINDS = {"decision": ("decision_warning", "decision_overdue"), "summary_filing": (None, "filing_overdue")}
"""The deadlines in law a penalty case runs against (cases announces them) and how each is told:
the 90 days to decide are warned ahead and escalated when missed; the 3 days to file an
on-the-spot decision only escalated (three days leave no room for a warning)."""


def deadline(calendar: WorkCalendar, start: datetime, time_limit_hours: float, urgency: str) -> datetime:
    """The assignment's deadline: urgent limits run on the clock, ordinary ones in working hours."""
    if urgency == Urgency.urgent:
        return start + timedelta(hours=time_limit_hours)
    return calendar.add_working_hours(start, time_limit_hours)


def warning_time(
    calendar: WorkCalendar, start: datetime, time_limit_hours: float, urgency: str, share: float
) -> datetime:
    """When the officer is warned: once `share` of the time limit is used (80 %, say)."""
    return deadline(calendar, start, time_limit_hours * share, urgency)


def binding(
    calendar: WorkCalendar,
    start: datetime,
    time_limit_hours: float,
    urgency: str,
    share: float,
    *,
    channel: str,
    source_deadline: datetime | None,
) -> tuple[datetime, datetime, str]:
    """(deadline, warning, basis) of an assignment: the category's limit in working time, unless the
    case carries a deadline of its own. A 信访, 领导交办 or 舆情 case's 化解时限 replaces it (basis
    `resolution`); an upstream order's deadline (a 12345 order's 办结时限) wins when it is earlier
    (basis `source`). A deadline of the case's own warns at the same share of the time left."""
    own = deadline(calendar, start, time_limit_hours, urgency)
    if source_deadline is None:
        return own, warning_time(calendar, start, time_limit_hours, urgency, share), "category"
    if channel in OWNED_CHANNELS:
        basis = "resolution"
    elif source_deadline < own:
        basis = "source"
    else:
        return own, warning_time(calendar, start, time_limit_hours, urgency, share), "category"
    left = max(source_deadline - start, timedelta(0))
    return source_deadline, start + left * share, basis


def legal_warning(kind: str, due: datetime, warn_days: int) -> datetime | None:
    """When the squad is warned of a deadline in law: `warn_days` calendar days ahead of the 90
    days (the law counts them on the calendar, not in working time); never for the 3 days' filing."""
    if LEGAL_KINDS[kind][0] is None:
        return None
    return due - timedelta(days=warn_days)
