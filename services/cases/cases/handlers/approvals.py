"""A penalty decision's approvals (承办人意见, 法制审核, 集体讨论, 负责人审批), each in one transaction
with its trail entry; and what a decision still needs. The rules are cases.domain.approvals'."""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlmodel import col, select

from cases.domain import approvals as ap
from cases.domain import enforcement as enf
from cases.domain.lifecycle import Actor
from cases.domain.powers import place
from cases.handlers.powers import load_power
from cases.handlers.reference import officers
from cases.handlers.steps import case_for_update
from cases.handlers.track import TRACK
from cases.handlers.trail import append_trail
from cases.tables import ApprovalRow, EnforcementTrack
from common.refusals import Conflict, Unprocessable
from common.uow import UnitOfWork

MIN_PARTICIPANTS = 3
"""A collective discussion (集体讨论) is the leaders' together: three at least sign its minutes."""


async def given(session, case_id: str) -> list[ap.Approval]:
    return approvals_of(await rows(session, case_id))


def approvals_of(kept: list[ApprovalRow]) -> list[ap.Approval]:
    """The approvals as the rules read them, from the rows as kept."""
    return [ap.Approval(ap.Stage(r.stage), ap.Verdict(r.verdict), r.version, r.actor) for r in kept]


async def rows(session, case_id: str) -> list[ApprovalRow]:
    query = select(ApprovalRow).where(ApprovalRow.case_id == case_id).order_by(col(ApprovalRow.id))
    return list((await session.exec(query)).all())


def still_missing(track: enf.Track, approvals: list[ap.Approval], thresholds: ap.Thresholds) -> list[ap.Stage]:
    """The stages a decision on this track still needs (all of them before a proposal)."""
    if track.proposal is None:
        return list(ap.ORDER[:1]) + [ap.Stage.leader]
    return ap.missing(ap.requirements(track.proposal, thresholds), approvals, track.proposal.version)


def refuse_without_approvals(track: enf.Track, approvals: list[ap.Approval], thresholds: ap.Thresholds) -> None:
    """`decide` without the approvals it needs: 409, the missing stages named."""
    missing = still_missing(track, approvals, thresholds)
    if missing:
        names = ", ".join(f"{s.value} ({ap.NAMES[s]})" for s in missing)
        raise Conflict.field(
            "approvals",
            f"the decision needs its approvals: {names}",
            "approvals_missing",
            missing=[s.value for s in missing],
        )


async def approve(
    uow: UnitOfWork,
    case_id: str,
    actor: Actor,
    thresholds: ap.Thresholds,
    *,
    stage: ap.Stage,
    verdict: ap.Verdict,
    opinion: str,
    amount_fen: int | None = None,
    band: str | None = None,
    departure_reason: str | None = None,
    complex_case: bool = False,
    hearing_held: bool = False,
    minutes: str | None = None,
    participants: list[str] | None = None,
) -> ApprovalRow:
    case = await case_for_update(uow, case_id)
    row = await uow.session.get(EnforcementTrack, case_id)
    track = TRACK.validate_python(row.state) if row else enf.Track()
    now = uow.clock.now()
    found = await officers(uow, [actor.subject])
    person = found[0] if found else None
    ap.check_approver(stage, actor, person, case.squad_id, now.date())
    before = await given(uow.session, case_id)
    if stage == ap.Stage.proposal:
        if verdict != ap.Verdict.approve:
            raise Unprocessable.field("decision", "a proposal is made (approve), not sent back")
        power = await load_power(uow.session, track.power_code) if track.power_code else None
        track = enf.propose(
            track,
            amount_fen=amount_fen,
            band=band,
            departure_reason=departure_reason,
            complex_case=complex_case,
            hearing_held=hearing_held,
            major_power=bool(power and power.major),
        )
        proposal = enf.required(track.proposal, "proposal")
        if power is not None:
            placed = place(
                power,
                enf.required(proposal.band, "band"),
                proposal.party_kind,
                proposal.amount_fen,
                proposal.base_fen,
                proposal.departure_reason,
            )
            track = replace(track, proposal=replace(proposal, band=placed.band.level.value))
        assert row is not None  # a noticed track has its row
        row.state = TRACK.dump_python(track, mode="json")
        uow.session.add(row)
    else:
        standing = track.proposal  # none yet: check_turn refuses, naming the proposal
        needs = ap.requirements(standing, thresholds) if standing else {}
        ap.check_turn(stage, needs, before, standing.version if standing else 0)
        if stage == ap.Stage.collective and verdict == ap.Verdict.approve:
            if not (minutes or "").strip():
                raise Unprocessable.field("minutes", "a collective discussion keeps its minutes (集体讨论记录)")
            if len(set(participants or [])) < MIN_PARTICIPANTS:
                raise Unprocessable.field(
                    "participants", f"name the {MIN_PARTICIPANTS} or more leaders who took part in the discussion"
                )
    proposal = enf.required(track.proposal, "proposal")
    approval = ApprovalRow(
        case_id=case_id,
        version=proposal.version,
        stage=stage.value,
        verdict=verdict.value,
        opinion=opinion,
        minutes=minutes,
        participants=participants or [],
        proposal=asdict(proposal),
        actor=actor.subject,
        actor_name=person.name if person else None,
        at=now,
    )
    uow.session.add(approval)
    await append_trail(
        uow,
        case_id,
        action=f"approval.{stage.value}",
        actor=actor.subject,
        from_status=track.stage.value,
        to_status=track.stage.value,
        reason=opinion[:500],
        data={
            "stage": stage.value,
            "decision": verdict.value,
            "version": proposal.version,
            "power_code": proposal.power_code,
            "band": proposal.band,
            "amount_fen": proposal.amount_fen,
            "departure_reason": proposal.departure_reason,
            "participants": participants or [],
        },
    )
    await uow.commit()
    return approval
