"""The indicators' formulas, the periods, 环比/同比 and the squad ranking, as pure functions."""

from datetime import date

import pytest

from reporting.domain.indicators import BY_KEY, INDICATORS, Counts, OnTime, change, indicators
from reporting.domain.periods import Period, PeriodKind, period_of, previous, year_before
from reporting.domain.ranking import DEFAULT_WEIGHTS, rank, score


def month_of_a_squad(**overrides) -> Counts:
    base = {
        "received": 120,
        "joined": 20,
        "filed": 90,
        "rejected": 10,
        "dispatched": 80,
        "returned": 4,
        "extended": 8,
        "due_close": 100,
        "closed": 88,
        "closed_on_time": 81,
        "suspended": 10,
        "due_handle": 80,
        "handled": 72,
        "handled_on_time": 60,
        "reworked": 5,
        "overdue_open": 6,
        "escalated": 2,
        "rated": 40,
        "satisfied": 30,
        "basically_satisfied": 6,
        "dissatisfied": 4,
        "with_contact": 50,
        "replied": 45,
        "handling_hours": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
    }
    base.update(overrides)
    return Counts(**base)


def test_each_formula_over_its_own_denominator():
    v = indicators(month_of_a_squad())
    assert v["received"] == 120 and v["filed"] == 90 and v["dispatched"] == 80
    assert v["filing_rate"] == 0.75  # 90 / 120
    assert v["dispatch_rate"] == round(80 / 90, 6)
    assert v["accurate_dispatch_rate"] == 0.95  # 1 − 4 / 80
    assert v["closing_rate"] == round(88 / 90, 6)  # 结案 / (应结案 − 缓办)
    assert v["on_time_closing_rate"] == 0.9  # 81 / (100 − 10)
    assert v["disposal_rate"] == 0.9  # 72 / 80
    assert v["on_time_disposal_rate"] == 0.75  # 60 / 80
    assert v["rework_rate"] == 0.05  # 5 / 100
    assert v["extension_rate"] == 0.1  # 8 / 80
    assert v["overdue_open"] == 6 and v["overdue_rate"] == 0.075
    assert v["feedback_rate"] == 0.9  # 45 / 50
    assert v["satisfaction_rate"] == 0.9  # (30 + 6) / 40
    assert v["handling_median_hours"] == 5.5
    assert v["handling_p90_hours"] == 10.0


def test_the_local_rule_changes_only_the_on_time_denominators():
    due, done = indicators(month_of_a_squad(), OnTime.due), indicators(month_of_a_squad(), OnTime.done)
    assert done["on_time_closing_rate"] == round(81 / 88, 6)  # over 结案数
    assert done["on_time_disposal_rate"] == round(60 / 72, 6)
    assert due["on_time_disposal_rate"] != done["on_time_disposal_rate"]
    assert {k for k in due if due[k] != done[k]} == {"on_time_closing_rate", "on_time_disposal_rate"}


def test_no_denominator_is_no_figure_not_zero():
    v = indicators(Counts())
    assert all(v[i.key] is None for i in INDICATORS if i.rate)
    assert v["received"] == 0 and v["handling_median_hours"] is None


def test_every_indicator_documents_its_formula_with_its_chinese_name():
    for i in INDICATORS:
        assert i.formula, i.key
        assert i.name.split(" ")[0].rstrip("P90") in i.formula or i.name in i.formula, (i.key, i.formula)
    assert "应结案数 − 缓办数" in BY_KEY["closing_rate"].formula


def test_counts_add_field_by_field():
    a, b = month_of_a_squad(), month_of_a_squad(received=1, handling_hours=[20.0])
    s = a + b
    assert s.received == 121 and s.closed == 176 and len(s.handling_hours) == 11


@pytest.mark.parametrize(
    "kind, at, start, end",
    [
        (PeriodKind.day, date(2026, 3, 9), date(2026, 3, 9), date(2026, 3, 10)),
        (PeriodKind.week, date(2026, 3, 12), date(2026, 3, 9), date(2026, 3, 16)),  # a Thursday: from Monday
        (PeriodKind.month, date(2026, 2, 15), date(2026, 2, 1), date(2026, 3, 1)),
        (PeriodKind.quarter, date(2026, 5, 31), date(2026, 4, 1), date(2026, 7, 1)),
        (PeriodKind.year, date(2026, 12, 31), date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_periods_are_beijing_calendar_days(kind, at, start, end):
    p = period_of(kind, at)
    assert (p.start, p.end) == (start, end)


def test_a_range_includes_its_last_day_and_must_not_run_backwards():
    p = period_of(PeriodKind.range, date(2026, 3, 1), date(2026, 3, 10))
    assert p.end == date(2026, 3, 11) and not p.whole_months
    assert period_of(PeriodKind.range, date(2026, 1, 1), date(2026, 3, 31)).whole_months
    with pytest.raises(ValueError, match="from"):
        period_of(PeriodKind.range, date(2026, 3, 10), date(2026, 3, 1))


def test_huanbi_and_tongbi_periods():
    jan = period_of(PeriodKind.month, date(2026, 1, 20))
    assert previous(jan) == Period(PeriodKind.month, date(2025, 12, 1), date(2026, 1, 1))
    assert year_before(jan) == Period(PeriodKind.month, date(2025, 1, 1), date(2025, 2, 1))
    q1 = period_of(PeriodKind.quarter, date(2026, 2, 1))
    assert previous(q1).start == date(2025, 10, 1) and previous(q1).end == date(2026, 1, 1)
    ten_days = period_of(PeriodKind.range, date(2026, 3, 1), date(2026, 3, 10))
    assert previous(ten_days) == Period(PeriodKind.range, date(2026, 2, 19), date(2026, 3, 1))
    leap = period_of(PeriodKind.day, date(2028, 2, 29))
    assert year_before(leap).start == date(2027, 2, 28)
    assert period_of(PeriodKind.quarter, date(2026, 8, 1)).label == "2026年第3季度"


def test_change_is_points_for_rates_and_relative_for_counts():
    assert change(0.93, 0.9, rate=True) == 0.03
    assert change(110, 100, rate=False) == 0.1
    assert change(5, 0, rate=False) is None and change(None, 0.5, rate=True) is None


def test_the_default_weights_make_a_perfect_squad_score_100():
    perfect = month_of_a_squad(handled=80, handled_on_time=80, reworked=0, overdue_open=0, extended=0)
    assert sum(DEFAULT_WEIGHTS.values()) == 100
    assert score(indicators(perfect), DEFAULT_WEIGHTS) == 100.0
    v = indicators(month_of_a_squad())
    # 0.9×30 + 0.75×20 + (1 − 0.05)×20 + (1 − 0.075)×20 + (1 − 0.1)×10
    assert score(v, DEFAULT_WEIGHTS) == round(27 + 15 + 19 + 18.5 + 9, 2)
    with_rating = {**DEFAULT_WEIGHTS, "satisfaction_rate": 10.0}
    assert score(v, with_rating) == round(88.5 + 9, 2)
    # a rate with nothing to measure is fully met, whichever way it counts
    assert score(indicators(month_of_a_squad(due_close=0, reworked=0)), {"rework_rate": 20.0}) == 20.0
    assert score({}, DEFAULT_WEIGHTS) == 100.0


def test_one_lucky_case_cannot_top_the_table():
    table = rank(
        {"lucky": (100.0, 1), "busy": (92.0, 300), "steady": (95.0, 120), "slow": (80.0, 150)},
        min_cases=20,
        previous_ranks={"busy": 1, "steady": 3, "slow": 2},
    )
    ranked = [(r.squad_id, r.rank, r.movement, r.red_flag) for r in table]
    assert ranked == [
        ("steady", 1, 2, True),
        ("busy", 2, -1, False),
        ("slow", 3, -1, False),
        ("lucky", None, None, False),
    ]


def test_ties_go_to_the_squad_with_more_cases():
    table = rank({"a": (90.0, 30), "b": (90.0, 60)}, min_cases=20)
    assert [r.squad_id for r in table] == ["b", "a"] and table[0].movement is None
