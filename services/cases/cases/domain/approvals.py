"""The approvals a penalty decision needs, framework-free (行政处罚法 arts. 57, 58; 住建部令第55号).

    承办人意见 proposal → 法制审核 legal_review → 集体讨论 collective → 负责人审批 leader → decide

The handling officer proposes the penalty (the power, its band, the amount). The legal section
reviews it when art. 58 or the bureau's 重大执法决定法制审核目录 asks: a power in the 目录, a fine at
or over the bureau's thresholds (for example ¥1,000 for a person, ¥20,000 for an organisation),
a case that went through a hearing, a complex case, a departure from the discretion standard.
The bureau's leaders discuss it collectively when it is complex or serious (art. 57(2)): the
bureau's thresholds, a departure from the standard. The responsible leader signs off last. A
return at any stage sends the proposal back: the approvals given are spent, and the next step is
a new proposal (its version one more), which every stage approves again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cases.domain.lifecycle import Actor, NotYourStep
from cases.domain.officers import Officer, check_certified
from common.principal import Role
from common.refusals import Conflict


class Stage(StrEnum):
    proposal = "proposal"
    legal_review = "legal_review"
    collective = "collective"
    leader = "leader"


ORDER = (Stage.proposal, Stage.legal_review, Stage.collective, Stage.leader)
NAMES = {
    Stage.proposal: "承办人意见",
    Stage.legal_review: "法制审核",
    Stage.collective: "集体讨论",
    Stage.leader: "负责人审批",
}


class Verdict(StrEnum):
    approve = "approve"
    return_ = "return"


@dataclass(frozen=True)
class Thresholds:
    """The bureau's own lines (settings): the law leaves the amounts to each bureau."""

    review_person_fen: int
    review_organisation_fen: int
    collective_person_fen: int
    collective_organisation_fen: int
    review_every_decision: bool = False


@dataclass(frozen=True)
class Proposal:
    """What the approvals approve: the penalty as the handling officer proposed it."""

    version: int
    power_code: str | None
    band: str | None
    party_kind: str
    amount_fen: int
    base_fen: int | None = None
    departure_reason: str | None = None
    complex: bool = False
    hearing_held: bool = False
    major_power: bool = False


@dataclass(frozen=True)
class Approval:
    stage: Stage
    verdict: Verdict
    version: int
    by: str


def requirements(p: Proposal, t: Thresholds) -> dict[Stage, list[str]]:
    """Each stage the decision needs, with why."""
    person = p.party_kind == "person"
    review_line = t.review_person_fen if person else t.review_organisation_fen
    collective_line = t.collective_person_fen if person else t.collective_organisation_fen
    review = [
        why
        for needed, why in (
            (t.review_every_decision, "the bureau reviews every decision"),
            (p.major_power, f"power {p.power_code} is in the 重大执法决定法制审核目录"),
            (p.amount_fen >= review_line, f"a fine of ¥{review_line / 100:,.0f} or more for a {p.party_kind}"),
            (p.hearing_held, "the case went through a hearing (art. 58(2))"),
            (p.complex, "a complex case (art. 58(3))"),
            (bool(p.departure_reason), "a departure from the discretion standard"),
        )
        if needed
    ]
    collective = [
        why
        for needed, why in (
            (p.complex, "a complex case (art. 57(2))"),
            (p.amount_fen >= collective_line, f"a fine of ¥{collective_line / 100:,.0f} or more for a {p.party_kind}"),
            (bool(p.departure_reason), "a departure from the discretion standard"),
        )
        if needed
    ]
    out = {Stage.proposal: ["the handling officer's proposal (承办人意见)"]}
    if review:
        out[Stage.legal_review] = review
    if collective:
        out[Stage.collective] = collective
    out[Stage.leader] = ["the responsible leader signs off (负责人审批)"]
    return out


def missing(required: dict[Stage, list[str]], given: list[Approval], version: int) -> list[Stage]:
    """The stages still to approve the proposal of this version, in order."""
    approved = {a.stage for a in given if a.version == version and a.verdict == Verdict.approve}
    return [s for s in ORDER if s in required and s not in approved]


class ApprovalRefused(Conflict):
    """Not this approval now: the reason names the stage before it, or the return."""


def check_turn(stage: Stage, required: dict[Stage, list[str]], given: list[Approval], version: int) -> None:
    """A stage is given in its turn: on a proposal that stands (not sent back), after the stages
    before it that the case needs, once."""
    if stage == Stage.proposal:
        return  # a new proposal is always possible: it opens the next version
    if version == 0:
        raise ApprovalRefused(f"{stage.value}: there is no proposal (承办人意见) to approve yet")
    current = [a for a in given if a.version == version]
    if any(a.verdict == Verdict.return_ for a in current):
        back = next(a for a in current if a.verdict == Verdict.return_)
        raise ApprovalRefused(
            f"{stage.value}: the proposal was sent back at {back.stage.value} ({NAMES[back.stage]}); propose again"
        )
    if stage not in required:
        raise ApprovalRefused(f"{stage.value}: this proposal does not need a {NAMES[stage]}")
    before = missing(required, given, version)
    if stage not in before:
        raise ApprovalRefused(f"{stage.value}: already approved for proposal {version}")
    if before[0] != stage:
        raise ApprovalRefused(f"{stage.value}: {before[0].value} ({NAMES[before[0]]}) comes first")


def check_approver(stage: Stage, actor: Actor, person: Officer | None, case_squad_id: str | None, on: date) -> None:
    """Who gives each stage: the case's squad proposes, by a certified officer; the legal section
    reviews, by a person with the 法律职业资格; the bureau's leaders discuss and sign off."""
    match stage:
        case Stage.proposal:
            if actor.role not in (Role.squad_officer, Role.squad_leader) or actor.squad_id != case_squad_id:
                raise NotYourStep("the proposal (承办人意见) is the handling squad's officer's")
            check_certified([person], [actor.subject], on, least=1)
        case Stage.legal_review:
            if actor.role != Role.legal_officer:
                raise NotYourStep("the 法制审核 is the legal section's (legal_officer)")
            if person is None or not person.legal_qualified:
                raise NotYourStep(
                    f"{actor.subject} does not hold the 法律职业资格 in the directory: the 法制审核 is not theirs"
                )
        case Stage.collective | Stage.leader:
            if actor.role != Role.bureau_leader:
                raise NotYourStep(f"the {NAMES[stage]} is the bureau's leaders' (bureau_leader)")
