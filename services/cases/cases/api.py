"""Cases' HTTP API: `/v1/cases`."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from sqlmodel import select

from cases.domain import TransitionNotAllowed
from cases.handlers import CloseCase, close_case
from cases.tables import Case, CaseTrailEntry
from cases.trail import verify
from common.auth import Principal, Role, require_roles
from common.messaging.contracts import CaseOutcome, Location

router = APIRouter(tags=["cases 案卷"])


async def get_service(request: Request):
    return request.app.state.services["cases"]


Reader = Annotated[Principal, Depends(require_roles(Role.dispatcher, Role.supervisor, Role.squad_officer,
                                                    Role.squad_leader, Role.field_monitor, Role.external_system))]
Closer = Annotated[Principal, Depends(require_roles(Role.squad_leader, Role.dispatcher, Role.supervisor))]


class SquadRef(BaseModel):
    id: str
    name: str


class CasePublic(BaseModel):
    id: str
    case_number: str = Field(description="案卷号: district code, year, sequence")
    incident_id: str
    status: str
    channel: str
    category: str
    urgency: str
    location: Location
    flags: list[str]
    squad: SquadRef | None
    grid_id: str | None
    outcome: str | None
    merchant_id: str | None
    opened_at: datetime
    dispatched_at: datetime | None
    deadline_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, c: Case) -> "CasePublic":
        return cls(id=c.id, case_number=c.case_number, incident_id=c.incident_id, status=c.status,
                   channel=c.channel, category=c.category_code, urgency=c.urgency,
                   location=Location(lon=c.lon, lat=c.lat), flags=list(c.flags),
                   squad=SquadRef(id=c.squad_id, name=c.squad_name or "") if c.squad_id else None,
                   grid_id=c.grid_id, outcome=c.outcome, merchant_id=c.merchant_id, opened_at=c.opened_at,
                   dispatched_at=c.dispatched_at, deadline_at=c.deadline_at, closed_at=c.closed_at)


class CloseRequest(BaseModel):
    outcome: CaseOutcome = Field(description="resolved 已解决, violation 违法属实, no_violation 不属实")
    merchant_id: str | None = Field(None, description="商户台账 id of the offending merchant, if any")


async def _load_visible(service, case_id: str, principal: Principal) -> Case:
    async with service.session_factory() as session:
        case = await session.get(Case, case_id)
    if case is None or not principal.sees_squad(case.squad_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} not found")
    return case


@router.get("/v1/cases", response_model=list[CasePublic], summary="案卷, newest first; a squad sees its own")
async def list_cases(principal: Reader, service=Depends(get_service),
                     status_: Annotated[str | None, Query(alias="status")] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0)] = 0):
    query = select(Case).order_by(Case.opened_at.desc()).limit(limit).offset(offset)
    if status_:
        query = query.where(Case.status == status_)
    if principal.squad_scope is not None:
        query = query.where(Case.squad_id == principal.squad_scope)
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
    return [CasePublic.of(c) for c in rows]


@router.get("/v1/cases/{case_id}", response_model=CasePublic)
async def get_case(case_id: str, principal: Reader, service=Depends(get_service)):
    return CasePublic.of(await _load_visible(service, case_id, principal))


@router.post("/v1/cases/{case_id}/close", response_model=CasePublic, summary="结案 with an outcome")
async def close(case_id: str, body: CloseRequest, principal: Closer, service=Depends(get_service)):
    if principal.role == Role.squad_leader:
        await _load_visible(service, case_id, principal)
    try:
        async with service.uow() as uow:
            case = await close_case(uow, CloseCase(case_id=case_id, outcome=body.outcome,
                                                   closed_by=principal.subject, merchant_id=body.merchant_id))
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except TransitionNotAllowed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return CasePublic.of(case)


class TrailEntryPublic(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict
    prev_hash: str
    hash: str


class TrailVerdict(BaseModel):
    intact: bool = Field(description="the chain is whole: no entry changed, removed or reordered")
    entries: int
    first_broken_seq: int | None = Field(description="the first entry that no longer fits the chain")
    reason: str | None


async def _trail(service, case_id: str) -> list[CaseTrailEntry]:
    async with service.session_factory() as session:
        return list((await session.exec(select(CaseTrailEntry).where(CaseTrailEntry.case_id == case_id)
                                        .order_by(CaseTrailEntry.seq))).all())


@router.get("/v1/cases/{case_id}/trail", response_model=list[TrailEntryPublic], summary="痕迹: the case's history")
async def trail(case_id: str, principal: Reader, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    return [TrailEntryPublic.model_validate(e, from_attributes=True) for e in await _trail(service, case_id)]


@router.get("/v1/cases/{case_id}/trail/verify", response_model=TrailVerdict,
            summary="check the case's hash chain; name the first entry that breaks it")
async def verify_trail(case_id: str, principal: Reader, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    rows = await _trail(service, case_id)
    return TrailVerdict(**asdict(verify([r.to_entry() for r in rows])))
