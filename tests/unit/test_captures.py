"""A capture camera's records and 行政处罚法 art. 41 (intake.domain.captures, cases.domain.captures)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.domain.captures import refuse_without_evidence
from common.refusals import Conflict, Unprocessable
from intake.domain.captures import Record, accept, answerable, holder, notice, reviewable


def record(**kw) -> Record:
    base = {"incident_id": "i-1", "evidence_grade": True, "photos": 1, "vehicle": True, "plate": "豫A8K2L1"}
    return Record(**{**base, "reviewed": None, **kw})


def test_only_an_evidence_grade_record_not_yet_reviewed_is_reviewed():
    reviewable(record())
    with pytest.raises(Unprocessable, match="not a capture camera's record"):
        reviewable(record(evidence_grade=None))
    with pytest.raises(Conflict, match="never evidence"):
        reviewable(record(evidence_grade=False))
    with pytest.raises(Conflict, match="reviewed already"):
        reviewable(record(reviewed="accepted"))


def test_an_accepted_record_is_whole():
    accept(record())
    accept(record(vehicle=False, plate=None))  # a street vendor's: no plate to ask for
    with pytest.raises(Unprocessable, match="lacks a photo and the plate"):
        accept(record(photos=0, plate=None))


def test_the_party_holds_the_code_and_a_vehicle_s_plate_and_answers_once():
    assert holder(None, None) and holder("豫A8K2L1", " 豫a8k2l1 ") and not holder("豫A8K2L1", None)
    answerable("accepted", None)
    with pytest.raises(Conflict, match="answered already"):
        answerable("accepted", datetime(2026, 11, 23, tzinfo=UTC))
    with pytest.raises(Conflict, match="not an accepted record"):
        answerable("rejected", None)
    told = notice("某局", "违法停车", "豫A8K2L1", datetime(2026, 11, 23, 0, 58, tzinfo=UTC), "建设路", "ABCD2345", "u")
    assert "豫A8K2L1" in told and "2026年11月23日 08:58" in told and "号牌和告知码 ABCD2345" in told


def test_a_machine_s_case_alleges_only_on_an_accepted_record_or_its_own_investigation():
    refuse_without_evidence("hotline_12319", [], False)  # not a machine's case: no such rule
    refuse_without_evidence("camera", [False, True], False)
    refuse_without_evidence("camera", [], True)
    for reviews in ([], [False]):
        with pytest.raises(Conflict, match="art. 41"):
            refuse_without_evidence("iot", reviews, False)
