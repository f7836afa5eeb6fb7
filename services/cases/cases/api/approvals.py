"""A penalty decision's approvals over HTTP: 承办人意见, 法制审核, 集体讨论, 负责人审批."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cases.api.deps import ServiceDep, actor_of, load_visible
from cases.domain import approvals as ap
from cases.domain import enforcement as enf
from cases.domain.powers import Level
from cases.handlers.approvals import approvals_of, approve, rows, still_missing
from cases.handlers.track import load_track
from common.audiences import DossierReader, PenaltyApprover

router = APIRouter(tags=["cases 案卷"])


class ApprovalIn(BaseModel):
    stage: ap.Stage = Field(
        description="proposal 承办人意见 (the handling squad), legal_review 法制审核 (the legal section), "
        "collective 集体讨论 and leader 负责人审批 (the bureau's leaders)"
    )
    decision: Literal["approve", "return"] = Field(description="approve, or send the proposal back (return)")
    opinion: str = Field(min_length=2, max_length=2000, description="the opinion, with the reasons for a return")
    amount_fen: int | None = Field(
        None, ge=0, le=10_000_000_000, description="proposal: the fine proposed; never more than the notice said"
    )
    band: Level | None = Field(None, description="proposal: the band the facts put the case in")
    departure_reason: str | None = Field(
        None, min_length=2, max_length=1000, description="proposal: why the amount departs from the band"
    )
    complex: bool = Field(False, description="proposal: 情节复杂 or 重大违法 (arts. 57(2), 58(3))")
    hearing_held: bool = Field(False, description="proposal: the case went through a hearing (art. 58(2))")
    minutes: str | None = Field(None, max_length=10000, description="collective: 集体讨论记录")
    participants: list[str] | None = Field(
        None, max_length=20, description="collective: the leaders who took part, by name"
    )


class ApprovalOut(BaseModel):
    stage: str
    stage_name: str
    decision: str
    version: int
    opinion: str
    minutes: str | None
    participants: list[str]
    by: str
    by_name: str | None
    at: datetime


class Requirement(BaseModel):
    stage: str
    stage_name: str
    why: list[str]


class ApprovalsOut(BaseModel):
    proposal: dict | None = Field(description="the penalty proposed (承办人意见) that the approvals are for")
    required: list[Requirement] = Field(description="the stages its decision needs, and why")
    missing: list[str] = Field(description="those still to approve it, in order")
    approvals: list[ApprovalOut] = Field(description="every approval and return, of every version, in order")


async def _answer(service, case_id: str) -> ApprovalsOut:
    async with service.session_factory() as session:
        track = await load_track(session, case_id)
        kept = await rows(session, case_id)
    approvals = approvals_of(kept)
    thresholds = service.settings.thresholds()
    required = ap.requirements(track.proposal, thresholds) if track.proposal else {}
    return ApprovalsOut(
        proposal=asdict(track.proposal) if track.proposal else None,
        required=[Requirement(stage=s.value, stage_name=ap.NAMES[s], why=w) for s, w in required.items()],
        missing=[s.value for s in still_missing(track, approvals, thresholds)]
        if track.stage in (enf.Stage.opened, enf.Stage.noticed)
        else [],
        approvals=[
            ApprovalOut(
                stage=r.stage,
                stage_name=ap.NAMES[ap.Stage(r.stage)],
                decision=r.verdict,
                version=r.version,
                opinion=r.opinion,
                minutes=r.minutes,
                participants=r.participants,
                by=r.actor,
                by_name=r.actor_name,
                at=r.at,
            )
            for r in kept
        ],
    )


@router.get(
    "/v1/cases/{case_id}/approvals",
    response_model=ApprovalsOut,
    summary="a penalty's approvals: what the decision needs, and why, and what was given",
)
async def approvals(case_id: str, principal: DossierReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    return await _answer(service, case_id)


@router.post(
    "/v1/cases/{case_id}/approvals",
    response_model=ApprovalsOut,
    status_code=201,
    summary="an approval or a return: 承办人意见 (a new proposal), 法制审核, 集体讨论 (with its minutes), 负责人审批",
)
async def give_approval(case_id: str, body: ApprovalIn, principal: PenaltyApprover, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        await approve(
            uow,
            case_id,
            actor_of(principal),
            service.settings.thresholds(),
            stage=body.stage,
            verdict=ap.Verdict(body.decision),
            opinion=body.opinion,
            amount_fen=body.amount_fen,
            band=body.band,
            departure_reason=body.departure_reason,
            complex_case=body.complex,
            hearing_held=body.hearing_held,
            minutes=body.minutes,
            participants=body.participants,
        )
    return await _answer(service, case_id)
