"""The enforcement track's deadlines, with a clock that the test moves: along the whole court
path (decision → no payment, no reconsideration, no lawsuit → court application inside its
window → ruling → enforced), and each way off it."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from cases.adapters.official import Paper, render
from cases.domain import documents
from cases.domain.enforcement import Stage, Step, StepRefused, Track, add_months, court_eligible, propose, take
from common.clock import FixedClock

SERVED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Beijing, 2 March 2026


def _decided(clock: FixedClock) -> Track:
    t = take(Track(), Step.warn, clock.now(), party="老王烧烤 (王某)", merchant_id="m-1")
    t = take(
        t,
        Step.notify,
        clock.now(),
        party="老王烧烤 (王某)",
        merchant_id="m-1",
        legal_basis="《郑州市城市市容和环境卫生管理条例》第二十条",
        amount_fen=150_000,
    )
    assert t.hearing_request_until == clock.now() + timedelta(days=5)
    with pytest.raises(StepRefused, match="needs its approvals"):
        take(t, Step.decide, clock.now() + timedelta(days=6), decision_number="中城管罚决字〔2026〕第12号")
    t = propose(t)  # its approvals are the handler's to check (cases.domain.approvals)
    with pytest.raises(StepRefused, match="may ask for a hearing until"):
        take(t, Step.decide, clock.now() + timedelta(days=4), decision_number="中城管罚决字〔2026〕第12号")
    clock.advance(timedelta(days=6))
    return take(t, Step.decide, clock.now(), decision_number="中城管罚决字〔2026〕第12号", served_at=SERVED)


def test_the_whole_court_path_with_its_deadlines():
    clock = FixedClock(SERVED - timedelta(days=6))
    t = _decided(clock)
    assert t.stage == Stage.decided
    assert t.payment_due == SERVED + timedelta(days=15)
    assert t.reconsideration_until == SERVED + timedelta(days=60)
    assert t.lawsuit_until == datetime(2026, 9, 2, 2, 0, tzinfo=UTC)  # six months
    assert t.court_application_until == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # then three

    clock.advance(timedelta(days=20))  # payment overdue, but the party may still ask for review or sue
    assert not court_eligible(t, clock.now())
    with pytest.raises(StepRefused, match="may still pay, ask for reconsideration or sue until 2026-09-02"):
        take(t, Step.apply_to_court, clock.now())
    clock._at = t.lawsuit_until  # the last moment of the lawsuit period: still not
    with pytest.raises(StepRefused):
        take(t, Step.apply_to_court, clock.now())
    clock.advance(timedelta(days=1))
    assert court_eligible(t, clock.now())
    with pytest.raises(StepRefused, match="period for reconsideration ended"):
        take(t, Step.reconsider, clock.now())
    with pytest.raises(StepRefused, match="period for lawsuit ended"):
        take(t, Step.sue, clock.now())
    t = take(t, Step.apply_to_court, clock.now())
    assert t.stage == Stage.court_applied and t.court_applied_at == clock.now()
    clock.advance(timedelta(days=30))
    t = take(t, Step.court_grants, clock.now())
    assert t.stage == Stage.court_ruled
    with pytest.raises(StepRefused, match="cannot apply_to_court when the enforcement track is court_ruled"):
        take(t, Step.apply_to_court, clock.now())
    clock.advance(timedelta(days=60))
    t = take(t, Step.enforce, clock.now())
    assert (t.stage, t.collected_fen, t.closed_at) == (Stage.enforced, 150_000, clock.now())


def test_the_court_window_closes():
    clock = FixedClock(SERVED - timedelta(days=6))
    t = _decided(clock)
    clock._at = t.court_application_until + timedelta(seconds=1)
    assert not court_eligible(t, clock.now())
    with pytest.raises(StepRefused, match="window for applying to the court ended 2026-12-02"):
        take(t, Step.apply_to_court, clock.now())


def test_payment_reconsideration_and_lawsuit():
    clock = FixedClock(SERVED - timedelta(days=6))
    t = _decided(clock)
    with pytest.raises(StepRefused, match="the fine is 150000 fen; 1500 fen was given"):
        take(t, Step.pay, clock.now(), amount_fen=1500)
    paid = take(t, Step.pay, clock.now() + timedelta(days=3), amount_fen=150_000)
    assert paid.stage == Stage.paid and paid.collected_fen == 150_000
    with pytest.raises(StepRefused):
        take(paid, Step.apply_to_court, t.lawsuit_until + timedelta(days=1))

    review = take(t, Step.reconsider, SERVED + timedelta(days=59))
    assert review.stage == Stage.under_review and review.review_kind == "reconsideration"
    assert take(review, Step.review_revoked, SERVED + timedelta(days=100)).stage == Stage.revoked
    upheld = take(review, Step.review_upheld, SERVED + timedelta(days=100))
    assert upheld.stage == Stage.decided  # the party must still pay; the court path stays open
    assert take(upheld, Step.apply_to_court, upheld.lawsuit_until + timedelta(days=1)).stage == Stage.court_applied

    sued = take(t, Step.sue, SERVED + timedelta(days=150))
    upheld_by_court = take(sued, Step.review_upheld, SERVED + timedelta(days=200))
    with pytest.raises(StepRefused, match="the party sued"):
        take(upheld_by_court, Step.apply_to_court, t.lawsuit_until + timedelta(days=1))


def test_a_decision_needs_a_notice_first_unless_the_party_waived():
    with pytest.raises(StepRefused, match="cannot decide when the enforcement track is none"):
        take(Track(), Step.decide, SERVED, decision_number="x")
    noticed = propose(take(Track(), Step.notify, SERVED, party="p", legal_basis="b", amount_fen=100))
    assert (
        take(noticed, Step.decide, SERVED + timedelta(hours=1), decision_number="x", party_waived=True).stage
        == Stage.decided
    )


def test_months_are_counted_on_the_calendar():
    assert add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 3) == datetime(2027, 2, 15, tzinfo=UTC)


def test_the_penalty_decision_pdf_says_what_it_must():
    track = replace(
        Track(),
        stage=Stage.decided,
        party="老王烧烤 (王某)",
        legal_basis="《郑州市城市市容和环境卫生管理条例》第二十条",
        amount_fen=150_050,
        decision_number="中城管罚决字〔2026〕第12号",
        served_at=SERVED,
        payment_due=SERVED + timedelta(days=15),
        reconsideration_until=SERVED + timedelta(days=60),
        lawsuit_until=add_months(SERVED, 6),
    )
    text_of = documents.penalty_decision(documents.Facts("410102-2026-000042", track, "露天烧烤"))
    paper = Paper(
        bureau="郑州市中原区城市管理综合执法局",
        title=documents.KINDS["penalty_decision"].name,
        number=track.decision_number,
        fields=text_of.fields,
        paragraphs=text_of.paragraphs,
        dated=SERVED,
        verify_code="ABCD2345",
    )
    rendered = render(paper)
    pdf = rendered.pdf
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "郑州市中原区城市管理综合执法局",
        "行政处罚决定书",
        "中城管罚决字〔2026〕第12号",
        "410102-2026-000042",
        "老王烧烤 (王某)",
        "第二十条",
        "¥1,500.50",
        "2026年3月2日",
        "2026年3月17日",
        "2026年5月1日",
        "2026年9月2日",
        "ABCD2345",
        "百分之三",
    ):
        assert expected in text, f"{expected!r} missing from the PDF text: {text!r}"
    assert render(paper) == rendered  # same decision, same bytes, same hash, the seal in the same place
    # the seal goes over the bureau's name: on its page (the last), inside the page, right of centre
    spot = rendered.seal_spot
    assert spot.page == len(reader.pages)
    assert 105 < spot.x_mm and spot.x_mm + spot.size_mm <= 200 and 20 < spot.y_mm < 297 - spot.size_mm
