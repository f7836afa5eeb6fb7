"""The enforcement track inside a case (行政处罚, under the laws named below), framework-free:

    warning 警告 → notice of proposed penalty 行政处罚事先告知 (the party may make a statement
    or ask for a hearing until its deadline) → penalty decision 行政处罚决定 (served) →
    paid 已缴纳, or reconsideration 行政复议 (60 days) / lawsuit 行政诉讼 (6 months) →
    when none was used and the fine is unpaid: application to the court for compulsory
    enforcement 非诉强制执行 (within 3 months after the lawsuit period ends) → court ruling
    裁定 → enforced 已强制执行.

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

from cases.domain.lifecycle import TERMINAL, Actor, CaseStatus, NotYourStep
from common.principal import Role
from common.refusals import Conflict

HEARING_REQUEST_DAYS = 5
PAYMENT_DAYS = 15
RECONSIDERATION_DAYS = 60
LAWSUIT_MONTHS = 6
COURT_APPLICATION_MONTHS = 3


class Stage(StrEnum):
    none = "none"
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
    Step.warn: frozenset({Stage.none}),
    Step.notify: frozenset({Stage.none, Stage.warned}),
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
    merchant_id: str | None = None
    legal_basis: str | None = None
    amount_fen: int | None = None
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
        case Step.warn:
            return replace(track, stage=Stage.warned, party=given["party"], merchant_id=given.get("merchant_id"))
        case Step.notify:
            return replace(
                track,
                stage=Stage.noticed,
                party=given["party"],
                merchant_id=given.get("merchant_id"),
                legal_basis=given["legal_basis"],
                amount_fen=given["amount_fen"],
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
            served = given.get("served_at") or now
            lawsuit_until = add_months(served, LAWSUIT_MONTHS)
            return replace(
                track,
                stage=Stage.decided,
                decision_number=given["decision_number"],
                legal_basis=given.get("legal_basis") or track.legal_basis,
                amount_fen=given.get("amount_fen") or track.amount_fen,
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
