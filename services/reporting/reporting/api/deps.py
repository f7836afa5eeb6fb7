"""What reporting's routes share: the service (typed) and the period asked for. Who reads is
common.audiences (ReportReader: a squad leader their own squad's; CommandCentre: every squad's)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Depends, Query, Request

from common.clock import bureau_date
from common.refusals import Unprocessable
from reporting.domain.periods import Period, PeriodKind, period_of

if TYPE_CHECKING:
    from reporting.service import ReportingService


def get_service(request: Request) -> ReportingService:
    return request.app.state.services["reporting"]


ServiceDep = Annotated["ReportingService", Depends(get_service)]
By = Literal["squad", "grid", "category", "channel", "urgency"]
YEAR = r"(19[7-9]\d|20\d{2}|21\d{2})"
"""1970 to 2199: the years the platform can have figures for (and a year before, for 同比)."""
MONTH_PATTERN = rf"^{YEAR}-(0[1-9]|1[0-2])$"
"""YYYY-MM, in those years."""
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2199, 12, 31)


def check_range(first: date, last: date) -> None:
    """A range of days the platform reports on: both within those years, `last` on or after
    `first`, ten years at most."""
    for d in (first, last):
        if not FIRST_DAY <= d <= LAST_DAY:
            raise ValueError(f"{d.isoformat()} is outside {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
    if last < first:
        raise ValueError("a range needs `to` on or after `from`")
    if (last - first).days > 3660:
        raise ValueError("a range of at most ten years")


def period_param(
    period: Annotated[
        PeriodKind, Query(description="day, week, month, quarter, year, or range (with from and to)")
    ] = PeriodKind.month,
    at: Annotated[
        str | None,
        Query(
            pattern=rf"^{YEAR}(-\d{{2}}(-\d{{2}})?)?$",
            description="a day in the period, or YYYY-MM, or YYYY (default: today, Beijing time)",
        ),
    ] = None,
    from_: Annotated[date | None, Query(alias="from", description="a range's first day")] = None,
    to: Annotated[date | None, Query(description="a range's last day (inclusive)")] = None,
    request: Request = None,
) -> Period:
    try:
        if from_ is not None or to is not None:
            if from_ is None or to is None:
                raise ValueError("a range needs both `from` and `to`")
            check_range(from_, to)
            return period_of(PeriodKind.range, from_, to)
        if at is None:
            day = bureau_date(request.app.state.services["reporting"].clock.now())
        else:
            parts = [int(p) for p in at.split("-")]
            day = date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        if period == PeriodKind.range:
            raise ValueError("period=range takes `from` and `to`")
        return period_of(period, day)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc


PeriodDep = Annotated[Period, Depends(period_param)]
