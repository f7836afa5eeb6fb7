"""Which cases fall in a campaign, what its targets may name, and its progress against them."""

from __future__ import annotations

from datetime import date

from cases.domain.campaigns import counts_problem, operation_problem, period_problem, target_problem
from common.campaigns import CLOSED, CampaignArea, tags
from common.vocabulary import CAMPAIGN_RATES
from reporting.domain.campaigns import progress
from reporting.domain.indicators import INDICATORS

BOX = {"type": "Polygon", "coordinates": [[[113.6, 34.7], [113.7, 34.7], [113.7, 34.8], [113.6, 34.8], [113.6, 34.7]]]}
DEC = (date(2026, 12, 1), date(2026, 12, 31))


def _case(**over):
    return {
        "category": "street_vending",
        "grid_id": "g1",
        "lon": 113.65,
        "lat": 34.75,
        "address": None,
        "on": date(2026, 12, 5),
    } | over


def test_a_case_falls_in_a_campaign_by_its_period_categories_and_area():
    by_grid = CampaignArea("a", *DEC, categories=frozenset({"street_vending"}), grids=frozenset({"g1"}))
    assert by_grid.covers(**_case())
    assert not by_grid.covers(**_case(grid_id="g2"))
    assert not by_grid.covers(**_case(category="noise"))
    assert not by_grid.covers(**_case(on=date(2026, 11, 30)))
    assert by_grid.covers(**_case(on=date(2026, 12, 31)))  # its last day is in it
    by_polygon = CampaignArea("b", *DEC, area=BOX)
    assert by_polygon.covers(**_case(grid_id=None)) and not by_polygon.covers(**_case(lon=113.5))
    by_street = CampaignArea("c", *DEC, streets=("中原路",))
    assert by_street.covers(**_case(address="中原路 100 号")) and not by_street.covers(**_case(address="建设路 1 号"))
    assert not by_street.covers(**_case())
    district = CampaignArea("d", *DEC)
    assert district.covers(**_case(grid_id=None, category="noise"))
    assert not CampaignArea("e", *DEC, status=CLOSED).covers(**_case())
    assert tags([district, by_street, by_grid], **_case()) == ["a", "d"]


def test_targets_counts_and_periods_are_checked_by_name():
    assert target_problem({"persuaded": 1000, "on_time_closing_rate": 0.95}) is None
    assert "targets.smiles" in target_problem({"smiles": 1})
    assert "between 0 and 1" in target_problem({"satisfaction_rate": 95})
    assert "negative" in target_problem({"cases": -1})
    assert counts_problem({"banned": 2}) is None and "counts.hugs" in counts_problem({"hugs": 1})
    assert "before" in period_problem(date(2026, 12, 2), date(2026, 12, 1))
    assert "at most" in period_problem(date(2026, 1, 1), date(2028, 6, 1))
    today = date(2026, 12, 10)
    assert operation_problem(*DEC, "running", date(2026, 12, 10), today) is None
    assert "not come" in operation_problem(*DEC, "running", date(2026, 12, 11), today)
    assert "outside" in operation_problem(*DEC, "running", date(2026, 11, 11), today)
    assert "closed" in operation_problem(*DEC, "closed", date(2026, 12, 9), today)


def test_every_rate_a_campaign_may_hold_is_one_of_the_bureaus_indicators():
    assert set(CAMPAIGN_RATES) <= {i.key for i in INDICATORS}


def test_progress_meets_a_count_when_reached_and_a_rate_when_held_either_way():
    got = {
        t.name: t
        for t in progress(
            {"persuaded": 100, "cases": 10, "on_time_closing_rate": 0.9, "rework_rate": 0.05, "satisfaction_rate": 0.8},
            {"persuaded": 120, "cases": 4},
            {"on_time_closing_rate": 0.85, "rework_rate": 0.04, "satisfaction_rate": None},
        )
    }
    assert (got["persuaded"].met, got["persuaded"].share) == (True, 1.2)
    assert (got["cases"].met, got["cases"].share) == (False, 0.4)
    assert got["on_time_closing_rate"].met is False and got["rework_rate"].met is True  # at most 5%
    assert got["satisfaction_rate"].met is None  # nothing rated yet


def test_an_illegal_building_only_moves_forward_and_an_ended_one_not_at_all():
    from cases.domain.buildings import Stage, moves, stage_problem

    assert moves(Stage.found, Stage.ordered_to_stop) and not moves(Stage.ordered_to_stop, Stage.stopped)
    assert moves(Stage.stopped, Stage.legalised) and not moves(Stage.legalised, Stage.demolished)
    assert not moves(Stage.demolished, Stage.legalised)
    assert "demolished_m2" in stage_problem(Stage.demolition_ordered, Stage.demolished, None, None)
    assert stage_problem(Stage.demolition_ordered, Stage.demolished, 100, None) is None
    assert "more than" in stage_problem(Stage.found, Stage.demolished, 100, 120)
    assert "closed" in stage_problem(Stage.demolished, Stage.legalised, 100, None)


def test_an_assessments_periods_run_from_its_anchor_and_the_last_closed_one_is_whole():
    from reporting.domain.assessment import Deductions, Scheme, UnitFigures, deduct, rank_units, schemes_of

    three = Scheme("w", "违建", days=3, anchor=date(2026, 1, 1))
    window = three.period_containing(date(2026, 11, 23))
    assert (window.start, window.end) == (date(2026, 11, 21), date(2026, 11, 24))
    last = three.last_closed(date(2026, 11, 24))
    assert (last.start, last.end) == (date(2026, 11, 21), date(2026, 11, 24))
    assert three.last_closed(date(2026, 11, 23)).end == date(2026, 11, 21)
    month = Scheme("m", "月度").last_closed(date(2026, 12, 1))
    assert (month.start, month.end) == (date(2026, 11, 1), date(2026, 12, 1))
    assert deduct(90, 2, 1, Deductions()) == 83.0
    assert deduct(3, 2, 1, Deductions()) == 0.0
    units = rank_units(
        [
            UnitFigures("squad", "a", "A", cases=5, score=90),
            UnitFigures("squad", "b", "B", cases=9, score=95),
            UnitFigures("office", "o", "O", cases=2, score=70),
            UnitFigures("squad", "c", "C", cases=0, score=100),
        ],
        min_cases=1,
    )
    assert [(u.unit_id, u.rank) for u in units] == [("o", 1), ("b", 1), ("a", 2), ("c", None)]
    assert [s.id for s in schemes_of([{"id": "x", "name": "X", "days": 7, "anchor": "2026-06-01"}])] == ["x"]
