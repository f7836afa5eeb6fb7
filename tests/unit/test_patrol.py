"""严管区定岗 rules: which shifts a post has on a day, and whether a check-in counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from common.geo import distance_m
from dispatch.domain.deadlines import BEIJING, WorkCalendar
from dispatch.domain.patrol import PatrolRefused, PostWindow, TooFarFromPost, judge_check_in, shifts_on

CALENDAR = WorkCalendar(holidays=frozenset({date(2026, 10, 1)}), workdays=frozenset({date(2026, 9, 27)}))
SCHOOL = [PostWindow(time(16, 30), time(17, 30), "school_days"), PostWindow(time(7, 20), time(8, 10), "school_days")]


def bj(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), BEIJING)


@pytest.mark.parametrize(
    "day, shifts",
    [
        (date(2026, 9, 28), 2),  # Monday
        (date(2026, 9, 26), 0),  # Saturday
        (date(2026, 9, 27), 2),  # Sunday worked in exchange (调休上班)
        (date(2026, 10, 1), 0),  # National Day
    ],
)
def test_school_posts_follow_the_bureau_calendar(day, shifts):
    found = shifts_on(SCHOOL, day, CALENDAR)
    assert len(found) == shifts
    if shifts:
        assert found == [(bj(day, 7, 20), bj(day, 8, 10)), (bj(day, 16, 30), bj(day, 17, 30))]  # in order


def test_a_night_market_window_runs_past_midnight_and_weekdays_are_honoured():
    day = date(2026, 10, 1)
    assert shifts_on([PostWindow(time(18, 30), time(0, 30))], day, CALENDAR) == [
        (bj(day, 18, 30), bj(date(2026, 10, 2), 0, 30))
    ]
    weekend_only = [PostWindow(time(19, 0), time(22, 0), (6, 7))]
    assert shifts_on(weekend_only, date(2026, 10, 2), CALENDAR) == []  # a Friday
    assert len(shifts_on(weekend_only, date(2026, 10, 3), CALENDAR)) == 1


def test_distance_on_the_ground():
    assert distance_m(113.61, 34.735, 113.61, 34.735) == 0
    assert distance_m(113.61, 34.735, 113.62, 34.735) == pytest.approx(914, abs=1)  # 0.01° of longitude here
    assert distance_m(113.61, 34.735, 113.61, 34.745) == pytest.approx(1112, abs=1)


START = datetime(2026, 9, 28, 8, 30, tzinfo=UTC)
END = START + timedelta(hours=1)
GRACE = timedelta(minutes=10)


def judge(now, distance=20.0):
    return judge_check_in(starts_at=START, ends_at=END, now=now, distance=distance, radius_m=200, grace=GRACE)


def test_check_in_window_place_and_lateness():
    with pytest.raises(PatrolRefused, match="opens at 2026-09-28T08:15"):
        judge(START - timedelta(minutes=16))
    assert judge(START - timedelta(minutes=15)).late is False
    assert judge(START + GRACE).late is False
    assert judge(START + GRACE + timedelta(seconds=1)).late is True
    with pytest.raises(PatrolRefused, match="ended"):
        judge(END)
    with pytest.raises(TooFarFromPost, match="201 m from the post; check in within 200 m"):
        judge(START, distance=201)
    assert judge(START, distance=200).distance_m == 200
