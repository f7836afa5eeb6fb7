"""Patrol posts in strict zones (严管区定岗): school gates at the start and end of the school
day, night markets in their hours. A post has time windows; officers are rostered to a post for
a day and get one shift per window; they check in on arrival, at the post; a shift not checked
in by the end of its grace period raises an alert to the squad leader (dispatch.handlers.assignments.check_patrols).

Pure rules over values, with the times passed in, so they are tested directly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from common.refusals import Conflict, Unprocessable
from dispatch.domain.deadlines import WorkCalendar

CHECK_IN_OPENS_BEFORE = timedelta(minutes=15)
"""How early an officer may check in for a shift (rule of ours)."""


class PatrolRefused(Conflict):
    """A check-in that cannot be accepted now (too early, the shift over), with why."""


class TooFarFromPost(Unprocessable):
    """A check-in from too far away: the location is at fault."""

    def __init__(self, message: str, field: str = "location", kind: str = "too_far_from_post") -> None:
        super().__init__(message, detail=[{"loc": ["body", field], "msg": message, "type": kind}])


@dataclass(frozen=True)
class PostWindow:
    """One time window of a post, Beijing time. `days`: "school_days" (the bureau calendar's
    working days: weekdays and 调休 Saturdays, without public holidays), "daily", or ISO
    weekdays (1 = Monday .. 7 = Sunday). A window whose end is before its start runs past
    midnight (a night market from 18:00 to 01:00)."""

    start: time
    end: time
    days: str | tuple[int, ...] = "daily"

    def applies_on(self, day: date, calendar: WorkCalendar) -> bool:
        if self.days == "school_days":
            return calendar.is_working_day(day)
        if self.days == "daily":
            return True
        return day.isoweekday() in self.days

    def on(self, day: date, calendar: WorkCalendar) -> tuple[datetime, datetime] | None:
        if not self.applies_on(day, calendar):
            return None
        starts = datetime.combine(day, self.start, calendar.tz)
        ends = datetime.combine(day, self.end, calendar.tz)
        if ends <= starts:
            ends += timedelta(days=1)
        return starts, ends


def shifts_on(windows: list[PostWindow], day: date, calendar: WorkCalendar) -> list[tuple[datetime, datetime]]:
    """The shifts one rostered officer has at a post on a day, in order."""
    return sorted(w for w in (window.on(day, calendar) for window in windows) if w is not None)


@dataclass(frozen=True)
class CheckIn:
    distance_m: float
    late: bool


def judge_check_in(
    *,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    distance: float,
    radius_m: float,
    grace: timedelta,
    accuracy_m: float | None = None,
) -> CheckIn:
    """Whether a check-in is accepted: within the post's radius, with a fix at least as sure as
    the radius, from 15 minutes before the shift until its end. After the grace period it is
    accepted and marked late. A refusal says which failed: the distance, or the accuracy."""
    if now < starts_at - CHECK_IN_OPENS_BEFORE:
        raise PatrolRefused(f"check-in opens at {(starts_at - CHECK_IN_OPENS_BEFORE).isoformat()}")
    if now >= ends_at:
        raise PatrolRefused(f"the shift ended at {ends_at.isoformat()}")
    if distance > radius_m:
        raise TooFarFromPost(f"you are {distance:.0f} m from the post; check in within {radius_m:.0f} m of it")
    if accuracy_m is not None and accuracy_m > radius_m:
        raise TooFarFromPost(
            f"the position is only sure to ±{accuracy_m:.0f} m; the post needs ±{radius_m:.0f} m or better "
            "(wait for the GPS fix, outdoors)",
            field="accuracy_m",
            kind="position_too_uncertain",
        )
    return CheckIn(distance_m=distance, late=now > starts_at + grace)
