"""The approvals a penalty decision needs, the discretion bands and the certificates, as pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cases.domain import approvals as ap
from cases.domain.enforcement import Step, StepRefused, Track, propose, take
from cases.domain.lifecycle import Actor, NotYourStep
from cases.domain.officers import Officer, check_certified
from cases.domain.powers import Band, Basis, Level, PartyKind, Power, place
from common.principal import Role
from common.refusals import Unprocessable

LINES = ap.Thresholds(
    review_person_fen=100_000,
    review_organisation_fen=2_000_000,
    collective_person_fen=500_000,
    collective_organisation_fen=5_000_000,
)
NOISE = Power(
    code="ZS-82",
    name="公共场所噪声",
    violation="x",
    basis=Basis("中华人民共和国噪声污染防治法", "第八十二条", "第(二)项"),
    bands=(
        Band(Level.minor, "首次", warning=True),
        Band(Level.ordinary, "个人", min_fen=20_000, max_fen=100_000, party=PartyKind.person),
        Band(Level.ordinary, "单位", min_fen=200_000, max_fen=2_000_000, party=PartyKind.organisation),
    ),
)
BUILDING = Power(
    code="GH-64",
    name="违法建设",
    violation="x",
    basis=Basis("中华人民共和国城乡规划法", "第六十四条"),
    bands=(Band(Level.ordinary, "尚可改正", min_pct=5, max_pct=10),),
    major=True,
)


def _proposal(**kw) -> ap.Proposal:
    base = {"version": 1, "power_code": "ZS-82", "band": "ordinary", "party_kind": "person", "amount_fen": 50_000}
    return ap.Proposal(**{**base, **kw})


def test_the_bands_hold_each_kind_of_party_to_its_own_amounts():
    assert place(NOISE, "ordinary", "person", 100_000).within
    with pytest.raises(Unprocessable, match="outside band ordinary"):
        place(NOISE, "ordinary", "person", 100_001)
    assert place(NOISE, "ordinary", "organisation", 300_000).band.party == PartyKind.organisation
    assert not place(NOISE, "ordinary", "person", 300_000, departure_reason="当事人系残疾人").within
    assert place(NOISE, "minor", "person", 0).within  # a warning
    with pytest.raises(Unprocessable, match="no band grave"):
        place(NOISE, "grave", "person", 0)
    with pytest.raises(Unprocessable, match="give base_fen"):
        place(BUILDING, "ordinary", "organisation", 1_000_000)
    assert place(BUILDING, "ordinary", "organisation", 500_000, base_fen=10_000_000).within  # 5 % of ¥100,000
    with pytest.raises(Unprocessable, match="outside band"):
        place(BUILDING, "ordinary", "organisation", 1_100_000, base_fen=10_000_000)
    assert NOISE.cite() == "依据《中华人民共和国噪声污染防治法》第八十二条第(二)项"


def test_what_a_decision_needs_follows_the_amount_the_party_and_the_case():
    assert list(ap.requirements(_proposal(), LINES)) == [ap.Stage.proposal, ap.Stage.leader]
    assert ap.Stage.legal_review in ap.requirements(_proposal(amount_fen=100_000), LINES)
    assert ap.Stage.legal_review not in ap.requirements(_proposal(party_kind="organisation", amount_fen=100_000), LINES)
    assert list(ap.requirements(_proposal(amount_fen=500_000), LINES)) == list(ap.ORDER)
    for facts in ({"complex": True}, {"departure_reason": "低保户"}):
        assert list(ap.requirements(_proposal(**facts), LINES)) == list(ap.ORDER)
    assert ap.Stage.legal_review in ap.requirements(_proposal(hearing_held=True), LINES)
    assert ap.Stage.legal_review in ap.requirements(_proposal(major_power=True), LINES)
    every = ap.Thresholds(**{**LINES.__dict__, "review_every_decision": True})
    assert ap.Stage.legal_review in ap.requirements(_proposal(), every)


def test_stages_come_in_order_and_a_return_spends_the_proposal():
    needs = ap.requirements(_proposal(amount_fen=500_000), LINES)
    given = [ap.Approval(ap.Stage.proposal, ap.Verdict.approve, 1, "o1")]
    with pytest.raises(ap.ApprovalRefused, match="legal_review"):
        ap.check_turn(ap.Stage.collective, needs, given, 1)
    ap.check_turn(ap.Stage.legal_review, needs, given, 1)
    given.append(ap.Approval(ap.Stage.legal_review, ap.Verdict.return_, 1, "legal"))
    with pytest.raises(ap.ApprovalRefused, match="propose again"):
        ap.check_turn(ap.Stage.legal_review, needs, given, 1)
    assert ap.missing(needs, given, 2) == list(ap.ORDER)  # the next version starts over
    with pytest.raises(ap.ApprovalRefused, match="does not need"):
        ap.check_turn(ap.Stage.collective, ap.requirements(_proposal(), LINES), given[:1], 1)


def test_who_gives_each_stage():
    day = date(2026, 11, 23)
    certified = Officer("o1", "朱婷", "sq-ruhe", "豫执1", date(2029, 6, 30))
    ap.check_approver(ap.Stage.proposal, Actor("o1", Role.squad_officer, "sq-ruhe"), certified, "sq-ruhe", day)
    with pytest.raises(NotYourStep):
        ap.check_approver(ap.Stage.proposal, Actor("o1", Role.squad_officer, "sq-xushui"), certified, "sq-ruhe", day)
    lapsed = Officer("o1", "朱婷", "sq-ruhe", "豫执1", date(2026, 1, 1))
    with pytest.raises(Unprocessable, match="lapsed"):
        ap.check_approver(ap.Stage.proposal, Actor("o1", Role.squad_officer, "sq-ruhe"), lapsed, "sq-ruhe", day)
    unqualified = Officer("l2", "某", None, None, None, legal_qualified=False)
    with pytest.raises(NotYourStep, match="法律职业资格"):
        ap.check_approver(ap.Stage.legal_review, Actor("l2", Role.legal_officer), unqualified, "sq-ruhe", day)
    with pytest.raises(NotYourStep):
        ap.check_approver(ap.Stage.leader, Actor("s", Role.supervisor), None, "sq-ruhe", day)
    ap.check_approver(ap.Stage.leader, Actor("b", Role.bureau_leader), None, "sq-ruhe", day)


def test_two_certified_officers_are_named():
    day = date(2026, 11, 23)
    a = Officer("a", "甲", "s", "豫执1", date(2029, 1, 1))
    b = Officer("b", "乙", "s", "豫执2", date(2026, 11, 22))
    c = Officer("c", "丙", "s", None, None)
    check_certified([a, Officer("d", "丁", "s", "豫执4", day)], ["a", "d"], day)  # valid through its last day
    with pytest.raises(Unprocessable, match="at least 2"):
        check_certified([a], ["a", "a"], day)
    with pytest.raises(Unprocessable, match="lapsed on 2026-11-22"):
        check_certified([a, b], ["a", "b"], day)
    with pytest.raises(Unprocessable, match="holds no 执法证"):
        check_certified([a, c], ["a", "c"], day)


def test_a_proposal_is_never_heavier_than_the_notice_and_the_summary_procedure_has_its_limits():
    now = datetime(2026, 11, 23, 1, tzinfo=UTC)
    noticed = take(Track(), Step.notify, now, party="p", power_code="ZS-82", band="ordinary", amount_fen=80_000)
    assert noticed.decision_due == now + timedelta(days=90)
    with pytest.raises(StepRefused, match="art. 45"):
        propose(noticed, amount_fen=90_000)
    lighter = propose(propose(noticed), amount_fen=60_000)
    assert lighter.proposal is not None and (lighter.proposal.version, lighter.proposal.amount_fen) == (2, 60_000)
    with pytest.raises(StepRefused, match="¥200 at most"):
        take(Track(), Step.on_the_spot, now, party="p", decision_number="x", amount_fen=20_001)
    spot = take(
        Track(), Step.on_the_spot, now, party="p", party_kind="organisation", decision_number="x", amount_fen=300_000
    )
    assert spot.summary and spot.summary_filing_due == now + timedelta(days=3)
    filed = take(spot, Step.file_summary, now + timedelta(days=1))
    with pytest.raises(StepRefused, match="filed with the bureau"):
        take(filed, Step.file_summary, now + timedelta(days=2))


def test_a_hearing_asked_for_is_told_7_days_ahead_and_held_before_the_decision():
    now = datetime(2026, 11, 23, 1, tzinfo=UTC)
    noticed = take(Track(), Step.notify, now, party="p", power_code="ZS-82", band="ordinary", amount_fen=80_000)
    with pytest.raises(StepRefused, match="request first"):
        take(noticed, Step.schedule_hearing, now, hearing_at=now + timedelta(days=10))
    with pytest.raises(StepRefused, match="that time is over"):
        take(noticed, Step.request_hearing, now + timedelta(days=6))
    asked = take(noticed, Step.request_hearing, now + timedelta(days=2))
    with pytest.raises(Unprocessable, match="7 days before"):
        take(asked, Step.schedule_hearing, now + timedelta(days=2), hearing_at=now + timedelta(days=5))
    scheduled = take(asked, Step.schedule_hearing, now + timedelta(days=2), hearing_at=now + timedelta(days=10))
    with pytest.raises(StepRefused, match="hold it"):
        take(propose(scheduled), Step.decide, now + timedelta(days=11), decision_number="x")
    with pytest.raises(StepRefused, match="set for"):
        take(scheduled, Step.hold_hearing, now + timedelta(days=9))
    held = propose(take(scheduled, Step.hold_hearing, now + timedelta(days=10)))
    assert held.proposal is not None and held.proposal.hearing_held  # so the legal section reviews it
    assert take(held, Step.decide, now + timedelta(days=11), decision_number="x").stage.value == "decided"
