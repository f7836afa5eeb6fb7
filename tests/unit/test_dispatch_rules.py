"""Dispatch's rules without a database: working-time arithmetic on the bureau's calendar,
ordered routing rules, the officer suggestion and the escalation chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from common.workcalendar import SpecialDay, calendar_of, national_days, next_year_warning, with_corrections, year_loaded
from dispatch.domain.deadlines import BEIJING, WorkCalendar, deadline, warning_time
from dispatch.domain.directory import PersonInfo, UnitInfo, escalation_chain, refuse_position
from dispatch.domain.routing import (
    CaseToRoute,
    GridArea,
    GridMap,
    OfficerLoad,
    RoutingRule,
    escalation_step,
    route,
    suggest_officer,
)

CALENDAR = calendar_of(national_days())  # the State Council's notices, from chinesecalendar


def bj(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def test_a_deadline_across_a_weekend():
    friday_3pm = bj(2026, 11, 20, 15, 0)
    # Friday has 2.5 working hours left; 24 working hours = 2.5 + 7 (Mon) + 7 (Tue) + 7 (Wed) + 0.5 (Thu)
    assert CALENDAR.add_working_hours(friday_3pm, 24) == bj(2026, 11, 26, 9, 0)
    assert CALENDAR.add_working_hours(friday_3pm, 2.5) == bj(2026, 11, 20, 17, 30)
    assert CALENDAR.add_working_hours(friday_3pm, 3) == bj(2026, 11, 23, 9, 0)  # Monday morning
    assert CALENDAR.working_hours_between(friday_3pm, bj(2026, 11, 23, 9, 0)) == 3


def test_a_deadline_across_a_public_holiday_and_a_makeup_workday():
    before_national_day = bj(2026, 9, 30, 16, 0)  # 1.5 h left that day; 1–7 October are holidays
    assert CALENDAR.add_working_hours(before_national_day, 7) == bj(2026, 10, 8, 16, 0)
    # Saturday 10 October is worked in exchange (调休上班): the clock runs that day
    assert CALENDAR.is_working_day(date(2026, 10, 10)) and not CALENDAR.is_working_day(date(2026, 10, 11))
    assert CALENDAR.add_working_hours(bj(2026, 10, 9, 17, 0), 1) == bj(2026, 10, 10, 9, 0)
    # and without the holidays the same arithmetic lands on 1 October
    assert WorkCalendar().add_working_hours(before_national_day, 7) == bj(2026, 10, 1, 16, 0)


def test_lunch_and_night_are_not_working_time():
    assert CALENDAR.add_working_hours(bj(2026, 11, 23, 11, 0), 2) == bj(2026, 11, 23, 15, 0)
    assert CALENDAR.add_working_hours(bj(2026, 11, 23, 22, 0), 1) == bj(2026, 11, 24, 9, 30)


def test_urgent_limits_run_on_the_clock_and_the_warning_comes_at_the_share():
    saturday_night = bj(2026, 11, 21, 23, 0)
    assert deadline(CALENDAR, saturday_night, 2, "urgent") == bj(2026, 11, 22, 1, 0)
    monday = bj(2026, 11, 23, 8, 30)
    assert deadline(CALENDAR, monday, 10, "ordinary") == bj(2026, 11, 24, 11, 30)  # 7 h Monday, 3 h Tuesday
    assert warning_time(CALENDAR, monday, 10, "ordinary", 0.8) == bj(2026, 11, 24, 9, 30)  # 8 h: 80 %


SQ = {
    "ruhe": GridArea(
        "g-ruhe",
        "汝河网格",
        "sq-ruhe",
        "汝河中队",
        {
            "type": "Polygon",
            "coordinates": [
                [[113.595, 34.72], [113.625, 34.72], [113.625, 34.7525], [113.595, 34.7525], [113.595, 34.72]]
            ],
        },
    )
}
GRIDS = GridMap(list(SQ.values()))
RULES = [
    RoutingRule("渣土: 直属大队", squad_id="sq-zhishu", categories=frozenset({"construction_waste"})),
    RoutingRule(
        "夜间施工噪音", squad_id="sq-zhishu", categories=frozenset({"noise"}), keywords=("工地", "施工"), hours=(22, 6)
    ),
    RoutingRule("110 转办先人工", channels=frozenset({"transfer_110"}), queue=True),
]


def _case(category="street_vending", channel="hotline_12319", text="占道经营", lon=113.61, lat=34.74, hour=10):
    return CaseToRoute(category_code=category, channel=channel, description=text, lon=lon, lat=lat, local_hour=hour)


def test_the_first_rule_that_matches_wins_and_the_grid_decides_otherwise():
    assert route(_case(), RULES, GRIDS).squad_id == "sq-ruhe"
    assert route(_case(), RULES, GRIDS).rule is None
    r = route(_case("construction_waste"), RULES, GRIDS)
    assert (r.squad_id, r.rule) == ("sq-zhishu", "渣土: 直属大队")
    assert route(_case("noise", text="工地夜间施工", hour=23), RULES, GRIDS).squad_id == "sq-zhishu"
    assert route(_case("noise", text="工地夜间施工", hour=3), RULES, GRIDS).squad_id == "sq-zhishu"  # wraps midnight
    assert route(_case("noise", text="工地夜间施工", hour=14), RULES, GRIDS).squad_id == "sq-ruhe"  # daytime
    assert route(_case("noise", text="广场舞", hour=23), RULES, GRIDS).squad_id == "sq-ruhe"  # no keyword
    held = route(_case(channel="transfer_110"), RULES, GRIDS)
    assert held.squad_id is None and held.reason == "rule:110 转办先人工"
    # order matters: with the queue rule first, construction waste from 110 waits too
    assert route(_case("construction_waste", channel="transfer_110"), [RULES[2], RULES[0]], GRIDS).squad_id is None


def test_outside_every_grid_the_command_centre_decides_unless_a_rule_names_a_squad():
    assert route(_case(lon=113.9, lat=34.9), RULES, GRIDS).reason == "outside_grid"
    assert route(_case("construction_waste", lon=113.9, lat=34.9), RULES, GRIDS).squad_id == "sq-zhishu"
    grid_rule = [RoutingRule("网格优先", grids=frozenset({"g-ruhe"}))]
    assert route(_case(lon=113.9, lat=34.9), grid_rule, GRIDS).reason == "outside_grid"


def test_the_officer_on_duty_with_the_fewest_open_assignments_is_suggested():
    officers = [OfficerLoad("o1", True, 3), OfficerLoad("o2", True, 1), OfficerLoad("o3", False, 0)]
    assert suggest_officer(officers) == "o2"
    assert suggest_officer([OfficerLoad("o3", False, 0)]) is None


def test_the_escalation_chain_is_read_from_the_directory_and_climbs_one_step_at_a_time():
    units = {
        "bureau": UnitInfo("bureau", "bureau", "中原区城管执法局", None, None),
        "bd-2": UnitInfo("bd-2", "brigade", "第二执法大队", "bureau", 3.0),
    }
    people = [
        PersonInfo("sq-ruhe-leader", "马超", "中队长", "sq-ruhe", None),
        PersonInfo("sq-ruhe-o1", "朱婷", "队员", "sq-ruhe", None),
        PersonInfo("bd-2-head", "宋立新", "大队长", None, "bd-2"),
        PersonInfo("bureau-head", "高建国", "局长", None, "bureau"),
    ]
    chain = escalation_chain("sq-ruhe", "bd-2", units, people)
    assert [escalation_step(level, chain) for level in range(4)] == [
        ("squad_leader", 0.0, "sq-ruhe-leader", "马超"),
        ("brigade_leader", 3.0, "bd-2-head", "宋立新"),
        ("bureau_leader", 8.0, "bureau-head", "高建国"),
        None,
    ]  # the bureau sets no offset: 8 by default
    assert timedelta(0) < timedelta(hours=escalation_step(1, chain).after_hours)
    # a squad with no brigade and no leader: the chain still reaches the bureau
    assert [link.role for link in escalation_chain("sq-new", None, units, people)] == ["squad_leader", "bureau_leader"]


def test_a_position_sits_in_a_unit_of_its_kind():
    units = {"bd-2": UnitInfo("bd-2", "brigade", "第二执法大队", "bureau", None)}
    refuse_position("队员", "sq-ruhe", None, units)
    refuse_position("大队长", None, "bd-2", units)
    for position, squad, unit, why in (
        ("队员", None, None, "belongs to a squad"),
        ("大队长", "sq-ruhe", None, "does not"),
        ("局长", None, "bd-2", "kind bureau"),
        ("厨师", None, None, "not one of"),
    ):
        with pytest.raises(ValueError, match=why):
            refuse_position(position, squad, unit, units)


def test_the_national_calendar_with_the_bureaus_own_days_on_top():
    national = national_days()
    assert national[date(2026, 2, 17)] == SpecialDay(date(2026, 2, 17), "holiday", "春节", "national")
    assert national[date(2026, 10, 10)].kind == "workday"  # 国庆节调休上班
    days = with_corrections(
        national, [(date(2026, 10, 7), "ordinary", "照常上班"), (date(2026, 11, 24), "holiday", "临时调整")]
    )
    calendar = calendar_of(days)
    assert calendar.is_working_day(date(2026, 10, 7)) and not calendar.is_working_day(date(2026, 11, 24))
    assert not calendar.is_working_day(date(2026, 10, 6))  # the national holiday the bureau did not touch


def test_from_november_the_administrators_are_warned_while_next_years_holidays_are_not_loaded():
    national = national_days()
    latest = max(national_years_of(national))
    assert next_year_warning(date(latest, 10, 31), national) is None  # not before November
    warning = next_year_warning(date(latest, 11, 1), national)
    assert warning is not None and f"{latest + 1}年节假日安排尚未载入" in warning
    typed = with_corrections(national, [(date(latest + 1, 1, 1), "holiday", "元旦")])  # the bureau typed it in
    assert year_loaded(latest + 1, typed) and next_year_warning(date(latest, 11, 1), typed) is None
    if latest > 2026:  # once chinesecalendar brings 2027, 2027's deadlines skip its holidays by themselves
        assert not calendar_of(national).is_working_day(date(2027, 1, 1))


def national_years_of(days) -> set[int]:
    return {d.year for d, s in days.items() if s.kind == "holiday"}


def test_the_ninety_days_are_warned_ten_calendar_days_ahead_and_the_filing_not_at_all():
    from dispatch.domain.deadlines import legal_warning

    due = datetime(2027, 2, 21, 1, 0, tzinfo=UTC)
    assert legal_warning("decision", due, 10) == datetime(2027, 2, 11, 1, 0, tzinfo=UTC)
    assert legal_warning("summary_filing", due, 10) is None
