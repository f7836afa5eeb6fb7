"""The enforcement track inside a case (行政处罚, under the laws named below), framework-free:

    warning 警告 → notice of proposed penalty 行政处罚事先告知 (the party may make a statement
    or ask for a hearing until its deadline) → penalty decision 行政处罚决定 (served) →
    paid 已缴纳, or reconsideration 行政复议 (60 days) / lawsuit 行政诉讼 (6 months) →
    when none was used and the fine is unpaid: application to the court for compulsory
    enforcement 非诉强制执行 (within 3 months after the lawsuit period ends) → court ruling
    裁定 → enforced 已强制执行.

The general procedure opens with 立案 (art. 54) and is decided within 90 days of it (art. 60); the
decision needs its approvals (cases.domain.approvals). The summary procedure (简易程序, art. 51) is
decided on the spot, a warning or a fine up to ¥200 for a person and ¥3,000 for an organisation,
and filed with the bureau within 3 days (住建部令第55号).

Legal periods (rules of ours, read from the laws the seeds name): a hearing must be asked for
within 5 days of the notice (行政处罚法 art. 64); payment within 15 days of service (art. 67);
reconsideration within 60 days (行政复议法 art. 20); lawsuit within 6 months (行政诉讼法
art. 46); the court application within 3 months after those periods end (行政强制法 art. 53).
All dates are computed here, from a clock the caller passes in."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from cases.domain.approvals import Proposal
from cases.domain.lifecycle import TERMINAL, Actor, CaseStatus, NotYourStep
from common.principal import Role
from common.refusals import Conflict, Unprocessable

HEARING_REQUEST_DAYS = 5
HEARING_NOTICE_DAYS = 7
PAYMENT_DAYS = 15
RECONSIDERATION_DAYS = 60
LAWSUIT_MONTHS = 6
COURT_APPLICATION_MONTHS = 3
DECISION_DAYS = 90
SUMMARY_FILING_DAYS = 3
SUMMARY_LIMIT_FEN = {"person": 20_000, "organisation": 300_000}


class Stage(StrEnum):
    none = "none"
    opened = "opened"  # 已立案
    warned = "warned"  # 警告
    noticed = "noticed"  # 已告知
    decided = "decided"  # 已作出处罚决定并送达
    under_review = "under_review"  # 复议或诉讼中
    revoked = "revoked"  # 决定被撤销
    court_applied = "court_applied"  # 已申请法院强制执行
    court_ruled = "court_ruled"  # 法院裁定准予执行
    court_refused = "court_refused"  # 法院裁定不予执行
    paid = "paid"  # 已缴纳
    enforced = "enforced"  # 已强制执行


class Step(StrEnum):
    open = "open"
    on_the_spot = "on_the_spot"
    file_summary = "file_summary"
    order_correction = "order_correction"
    request_hearing = "request_hearing"
    schedule_hearing = "schedule_hearing"
    hold_hearing = "hold_hearing"
    warn = "warn"
    notify = "notify"
    decide = "decide"
    pay = "pay"
    reconsider = "reconsider"
    sue = "sue"
    review_upheld = "review_upheld"
    review_revoked = "review_revoked"
    apply_to_court = "apply_to_court"
    court_grants = "court_grants"
    court_refuses = "court_refuses"
    enforce = "enforce"


FROM: dict[Step, frozenset[Stage]] = {
    Step.open: frozenset({Stage.none, Stage.warned}),
    Step.on_the_spot: frozenset({Stage.none}),
    Step.file_summary: frozenset({Stage.decided, Stage.paid, Stage.under_review}),
    Step.order_correction: frozenset({Stage.none, Stage.warned, Stage.opened, Stage.noticed}),
    Step.warn: frozenset({Stage.none}),
    Step.notify: frozenset({Stage.none, Stage.warned, Stage.opened}),
    Step.request_hearing: frozenset({Stage.noticed}),
    Step.schedule_hearing: frozenset({Stage.noticed}),
    Step.hold_hearing: frozenset({Stage.noticed}),
    Step.decide: frozenset({Stage.noticed}),
    Step.pay: frozenset({Stage.decided, Stage.court_applied, Stage.court_ruled}),
    Step.reconsider: frozenset({Stage.decided}),
    Step.sue: frozenset({Stage.decided}),
    Step.review_upheld: frozenset({Stage.under_review}),
    Step.review_revoked: frozenset({Stage.under_review}),
    Step.apply_to_court: frozenset({Stage.decided}),
    Step.court_grants: frozenset({Stage.court_applied}),
    Step.court_refuses: frozenset({Stage.court_applied}),
    Step.enforce: frozenset({Stage.court_ruled}),
}


class StepRefused(Conflict):
    """The step is not allowed now, with the reason."""


ENFORCERS = frozenset({Role.squad_officer, Role.squad_leader, Role.supervisor, Role.admin})
"""Who takes enforcement steps: the squad that has the case, a supervisor."""
NO_ENFORCEMENT = frozenset({CaseStatus.reported, CaseStatus.verified}) | TERMINAL
"""A case not yet filed, or ended, takes no enforcement step."""


def check_enforcer(case_status: str, case_squad_id: str | None, actor: Actor) -> None:
    """An enforcement step on this case by this actor: the squad that has it or a supervisor, on a
    filed case that has not ended."""
    if actor.role not in ENFORCERS:
        raise NotYourStep(f"enforcement steps are taken by the squad or a supervisor, not {actor.role}")
    if actor.role in (Role.squad_officer, Role.squad_leader) and actor.squad_id != case_squad_id:
        raise NotYourStep(f"the case is not with squad {actor.squad_id}")
    if case_status in NO_ENFORCEMENT:
        raise StepRefused(f"no enforcement on a case that is {case_status}")


def add_months(at: datetime, months: int) -> datetime:
    month0 = at.month - 1 + months
    year, month = at.year + month0 // 12, month0 % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Track:
    """The state of one case's enforcement track."""

    stage: Stage = Stage.none
    party: str | None = None
    party_kind: str = "person"
    merchant_id: str | None = None
    legal_basis: str | None = None
    power_code: str | None = None
    power_name: str | None = None
    band: str | None = None
    base_fen: int | None = None
    departure_reason: str | None = None
    amount_fen: int | None = None
    opened_at: datetime | None = None
    decision_due: datetime | None = None
    proposal: Proposal | None = None
    summary: bool = False
    summary_filing_due: datetime | None = None
    summary_filed_at: datetime | None = None
    correction_until: datetime | None = None
    """责令(限期)改正: by when the party must correct."""
    hearing_requested_at: datetime | None = None
    hearing_at: datetime | None = None
    hearing_held_at: datetime | None = None
    noticed_at: datetime | None = None
    hearing_request_until: datetime | None = None
    decision_number: str | None = None
    served_at: datetime | None = None
    payment_due: datetime | None = None
    reconsideration_until: datetime | None = None
    lawsuit_until: datetime | None = None
    court_application_until: datetime | None = None
    review_kind: str | None = None  # reconsideration | lawsuit
    review_outcome: str | None = None
    collected_fen: int = 0
    court_applied_at: datetime | None = None
    court_ruled_at: datetime | None = None
    closed_at: datetime | None = None


def take(track: Track, step: Step, now: datetime, **given: Any) -> Track:
    """Apply one step at `now`; returns the new track or raises StepRefused naming why."""
    if track.stage not in FROM[step]:
        raise StepRefused(
            f"cannot {step.value} when the enforcement track is {track.stage.value}; "
            f"allowed from {sorted(s.value for s in FROM[step])}"
        )
    match step:
        case Step.open:
            return replace(
                track,
                stage=Stage.opened,
                party=given["party"],
                party_kind=given.get("party_kind") or track.party_kind,
                merchant_id=given.get("merchant_id"),
                **_penalty(given),
                opened_at=now,
                decision_due=now + timedelta(days=DECISION_DAYS),
            )
        case Step.on_the_spot:
            kind = given.get("party_kind") or "person"
            amount = given.get("amount_fen") or 0
            if amount > SUMMARY_LIMIT_FEN[kind]:
                raise StepRefused(
                    f"the summary procedure fines a {kind} ¥{SUMMARY_LIMIT_FEN[kind] / 100:,.0f} at most "
                    f"(art. 51); ¥{amount / 100:,.2f} goes through the general procedure (open, notify, decide)"
                )
            return replace(
                track,
                stage=Stage.decided,
                summary=True,
                party=given["party"],
                party_kind=kind,
                merchant_id=given.get("merchant_id"),
                **_penalty(given),
                amount_fen=amount,
                decision_number=given["decision_number"],
                opened_at=now,
                served_at=now,
                summary_filing_due=now + timedelta(days=SUMMARY_FILING_DAYS),
                payment_due=now + timedelta(days=PAYMENT_DAYS),
                reconsideration_until=now + timedelta(days=RECONSIDERATION_DAYS),
                lawsuit_until=add_months(now, LAWSUIT_MONTHS),
                court_application_until=add_months(add_months(now, LAWSUIT_MONTHS), COURT_APPLICATION_MONTHS),
            )
        case Step.file_summary:
            if not track.summary:
                raise StepRefused("only a decision of the summary procedure (当场处罚) is filed with the bureau")
            if track.summary_filed_at is not None:
                raise StepRefused(f"filed with the bureau at {track.summary_filed_at.isoformat()}")
            return replace(track, summary_filed_at=now)
        case Step.request_hearing:  # art. 64(1): within 5 days of the notice
            until = required(track.hearing_request_until, "hearing_request_until")
            if now > until:
                raise StepRefused(f"a hearing is asked for by {until.isoformat()} (art. 64); that time is over")
            if track.hearing_requested_at is not None:
                raise StepRefused(f"the party asked for a hearing at {track.hearing_requested_at.isoformat()}")
            return replace(track, hearing_requested_at=now)
        case Step.schedule_hearing:  # art. 64(2): the party is told 7 days before
            if track.hearing_requested_at is None:
                raise StepRefused("no hearing was asked for: record the party's request first (request_hearing)")
            at = given["hearing_at"]
            if at < now + timedelta(days=HEARING_NOTICE_DAYS):
                raise Unprocessable.field(
                    "hearing_at", f"the party is told of a hearing {HEARING_NOTICE_DAYS} days before it (art. 64)"
                )
            return replace(track, hearing_at=at)
        case Step.hold_hearing:
            if track.hearing_at is None:
                raise StepRefused("the hearing is held once it is scheduled and the party told (schedule_hearing)")
            if now < track.hearing_at:
                raise StepRefused(f"the hearing is set for {track.hearing_at.isoformat()}")
            return replace(track, hearing_held_at=now)
        case Step.order_correction:
            if given["correct_by"] <= now:
                raise Unprocessable.field("correct_by", "the party is given a time to correct that lies ahead")
            return replace(
                track,
                party=given.get("party") or track.party,
                correction_until=given["correct_by"],
            )
        case Step.warn:
            return replace(track, stage=Stage.warned, party=given["party"], merchant_id=given.get("merchant_id"))
        case Step.notify:
            return replace(
                track,
                stage=Stage.noticed,
                party=given["party"],
                party_kind=given.get("party_kind") or track.party_kind,
                merchant_id=given.get("merchant_id"),
                **_penalty(given),
                amount_fen=given["amount_fen"],
                opened_at=track.opened_at or now,
                decision_due=track.decision_due or now + timedelta(days=DECISION_DAYS),
                noticed_at=now,
                hearing_request_until=now + timedelta(days=HEARING_REQUEST_DAYS),
            )
        case Step.decide:
            hearing_until = required(track.hearing_request_until, "hearing_request_until")
            if now < hearing_until and not given.get("party_waived"):
                raise StepRefused(
                    f"the party may ask for a hearing until {hearing_until.isoformat()}; "
                    "decide after that, or record that the party waived the right"
                )
            proposal = track.proposal
            if proposal is None:
                raise StepRefused("a decision needs its approvals, starting with the proposal (承办人意见)")
            if track.hearing_requested_at is not None and track.hearing_held_at is None:
                raise StepRefused("the party asked for a hearing: hold it (hold_hearing) before the decision")
            if given.get("amount_fen") is not None and given["amount_fen"] != proposal.amount_fen:
                raise StepRefused(
                    f"the approved proposal {proposal.version} fines ¥{proposal.amount_fen / 100:,.2f}; "
                    f"¥{given['amount_fen'] / 100:,.2f} needs a new proposal and its approvals"
                )
            served = given.get("served_at") or now
            lawsuit_until = add_months(served, LAWSUIT_MONTHS)
            return replace(
                track,
                stage=Stage.decided,
                decision_number=given["decision_number"],
                band=proposal.band,
                departure_reason=proposal.departure_reason,
                amount_fen=proposal.amount_fen,
                served_at=served,
                payment_due=served + timedelta(days=PAYMENT_DAYS),
                reconsideration_until=served + timedelta(days=RECONSIDERATION_DAYS),
                lawsuit_until=lawsuit_until,
                court_application_until=add_months(lawsuit_until, COURT_APPLICATION_MONTHS),
            )
        case Step.pay:
            amount = given["amount_fen"]
            if amount != track.amount_fen:
                raise StepRefused(f"the fine is {track.amount_fen} fen; {amount} fen was given")
            return replace(track, stage=Stage.paid, collected_fen=amount, closed_at=now)
        case Step.reconsider | Step.sue:
            kind, until = (
                ("reconsideration", required(track.reconsideration_until, "reconsideration_until"))
                if step == Step.reconsider
                else ("lawsuit", required(track.lawsuit_until, "lawsuit_until"))
            )
            if now > until:
                raise StepRefused(f"the period for {kind} ended {until.isoformat()}")
            return replace(track, stage=Stage.under_review, review_kind=kind)
        case Step.review_upheld:
            return replace(track, stage=Stage.decided, review_outcome="upheld")
        case Step.review_revoked:
            return replace(track, stage=Stage.revoked, review_outcome="revoked", closed_at=now)
        case Step.apply_to_court:
            if track.review_kind == "lawsuit":
                raise StepRefused("the party sued: the court's judgment is enforced, not by a 非诉 application")
            lawsuit_until = required(track.lawsuit_until, "lawsuit_until")
            window_end = required(track.court_application_until, "court_application_until")
            if now <= lawsuit_until:
                raise StepRefused(
                    f"the party may still pay, ask for reconsideration or sue until "
                    f"{lawsuit_until.isoformat()}; apply to the court after that"
                )
            if now > window_end:
                raise StepRefused(f"the window for applying to the court ended {window_end.isoformat()}")
            return replace(track, stage=Stage.court_applied, court_applied_at=now)
        case Step.court_grants:
            return replace(track, stage=Stage.court_ruled, court_ruled_at=now)
        case Step.court_refuses:
            return replace(track, stage=Stage.court_refused, court_ruled_at=now, closed_at=now)
        case Step.enforce:
            return replace(
                track,
                stage=Stage.enforced,
                collected_fen=given.get("amount_fen") or track.amount_fen or 0,
                closed_at=now,
            )
    raise AssertionError(step)  # pragma: no cover - every Step is matched above


def propose(
    track: Track,
    *,
    amount_fen: int | None = None,
    band: str | None = None,
    departure_reason: str | None = None,
    complex_case: bool = False,
    hearing_held: bool = False,
    major_power: bool = False,
) -> Track:
    """承办人意见: the penalty proposed for the decision, once the party was notified; never more
    than the notice said (art. 45: 不得因当事人陈述、申辩而给予更重的处罚). Each proposal is a new
    version, which the stages approve again."""
    if track.stage != Stage.noticed:
        raise StepRefused(
            f"a proposal is made after the notice (告知) and before the decision; the track is {track.stage.value}"
        )
    noticed = required(track.amount_fen, "amount")
    amount = noticed if amount_fen is None else amount_fen
    if amount > noticed:
        raise StepRefused(
            f"the notice said ¥{noticed / 100:,.2f}; the decision may not be heavier (art. 45): notify again"
        )
    return replace(
        track,
        proposal=Proposal(
            version=(track.proposal.version if track.proposal else 0) + 1,
            power_code=track.power_code,
            band=band or track.band,
            party_kind=track.party_kind,
            amount_fen=amount,
            base_fen=track.base_fen,
            departure_reason=departure_reason or track.departure_reason,
            complex=complex_case,
            hearing_held=hearing_held or track.hearing_held_at is not None,
            major_power=major_power,
        ),
    )


def _penalty(given: dict[str, Any]) -> dict[str, Any]:
    """The penalty a step names: the power and its band (with the provision cited as the legal
    basis), or the free text of a recorded departure."""
    return {
        "power_code": given.get("power_code"),
        "power_name": given.get("power_name"),
        "band": given.get("band"),
        "base_fen": given.get("base_fen"),
        "departure_reason": given.get("departure_reason"),
        "legal_basis": given.get("legal_basis"),
    }


def court_eligible(track: Track, now: datetime) -> bool:
    """非诉强制执行 may be applied for now: decided, unpaid, no review used, periods over, window open."""
    return (
        track.stage == Stage.decided
        and track.review_kind != "lawsuit"
        and track.lawsuit_until is not None
        and track.court_application_until is not None
        and track.lawsuit_until < now <= track.court_application_until
    )


T = TypeVar("T")


def required(value: T | None, what: str) -> T:
    """A fact the track's stage guarantees (FROM allows a step only once the steps before it set
    their facts): a track missing it was not built by `take`, and is refused."""
    if value is None:  # pragma: no cover - a track built outside take()
        raise StepRefused(f"the enforcement track has no {what}")
    return value
