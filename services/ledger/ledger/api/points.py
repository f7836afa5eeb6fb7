"""便民疏导点: applications, the joint survey, the decision, stalls; the school gates the distance
rule measures from."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from common.audiences import Approver, Clerk, RegisterReader
from ledger.api.deps import ServiceDep, not_found
from ledger.domain.points import KINDS, PointStatus
from ledger.handlers.points import (
    PointApplication,
    apply_for_point,
    assign_stall,
    decide_point,
    put_school_gate,
    record_opinion,
    release_stall,
    withdraw_point,
)
from ledger.queries import points as pq

if TYPE_CHECKING:
    from ledger.tables import DesignatedPoint

router = APIRouter(tags=["ledger 便民疏导点"])
Kind = Literal[tuple(KINDS)]


class PointIn(BaseModel):
    number: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$", description="编号, ZY-ZC-001")
    kind: Kind = Field(description=", ".join(f"{k} {v}" for k, v in KINDS.items()))
    name: str = Field(min_length=1, max_length=200)
    geometry: dict = Field(description="the place: a GeoJSON Polygon (WGS84)")
    stalls: int = Field(ge=1, le=500)
    hours: str = Field(min_length=1, max_length=100, description="06:00-09:30")
    season: str = Field("全年", max_length=100)
    goods: str = Field(min_length=1, max_length=500, description="what may be sold")
    office: str = Field(min_length=1, max_length=100, description="the managing office (办事处)")
    applicant: str = Field(min_length=1, max_length=200, description="who applied (a merchant, an office)")


class OpinionIn(BaseModel):
    department: str = Field(min_length=1, max_length=100, description="城管, 交警, 市场监管, 办事处, ...")
    agree: bool
    note: str | None = Field(None, max_length=500)


class DecisionIn(BaseModel):
    approve: bool
    reason: str | None = Field(None, max_length=500, description="required to refuse")


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class StallIn(BaseModel):
    merchant_id: str = Field(max_length=36, description="a registered vendor (a stall merchant)")


class PointOut(BaseModel):
    id: str
    number: str
    kind: str
    kind_name: str
    name: str
    geometry: dict
    lon: float
    lat: float
    grid_id: str | None
    stalls: int
    hours: str
    season: str
    goods: str
    office: str
    applicant: str
    status: str = Field(
        description="applied 已申请, surveying 联合踏勘中, approved 已批准, refused 不予批准, withdrawn 已撤销"
    )
    reason: str | None
    applied_at: datetime
    decided_at: datetime | None
    opinions: list[dict] = []
    stall_holders: list[dict] = []


async def point_out(service, p: DesignatedPoint, detail: bool = True) -> PointOut:
    out = PointOut(**{k: getattr(p, k) for k in PointOut.model_fields if hasattr(p, k)}, kind_name=KINDS[p.kind])
    if detail:
        async with service.session_factory() as session:
            opinions = await pq.opinions(session, p.id)
            stalls = await pq.stalls(session, p.id)
        out.opinions = [
            {"department": o.department, "agree": o.agree, "note": o.note, "at": o.recorded_at} for o in opinions
        ]
        out.stall_holders = [{"number": s.number, "merchant_id": s.merchant_id, "since": s.assigned_at} for s in stalls]
    return out


@router.post(
    "/v1/points",
    status_code=201,
    response_model=PointOut,
    summary="申请: a designated point applied for (409 when too near a school gate, with the distance)",
)
async def apply(body: PointIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        p = await apply_for_point(
            uow, PointApplication(**body.model_dump()), by=principal.subject, rule=service.settings.survey
        )
    return await point_out(service, p)


@router.get("/v1/points", response_model=list[PointOut])
async def points(
    principal: RegisterReader,
    service: ServiceDep,
    status: Literal[tuple(PointStatus)] | None = None,
    kind: Kind | None = None,
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
):
    async with service.session_factory() as session:
        rows = await pq.points(session, status=status, kind=kind, grid_id=grid_id)
    return [await point_out(service, p, detail=False) for p in rows]


async def _load(service, point_id: str) -> DesignatedPoint:
    async with service.session_factory() as session:
        p = await pq.point(session, point_id)
    if p is None:
        raise not_found(f"designated point {point_id}")
    return p


@router.get("/v1/points/{point_id}", response_model=PointOut)
async def point(point_id: str, principal: RegisterReader, service: ServiceDep):
    return await point_out(service, await _load(service, point_id))


@router.post("/v1/points/{point_id}/opinions", response_model=PointOut, summary="联合踏勘: a department's opinion")
async def opinion(point_id: str, body: OpinionIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        p = await record_opinion(
            uow, point_id, department=body.department, agree=body.agree, note=body.note, by=principal.subject
        )
    return await point_out(service, p)


@router.post(
    "/v1/points/{point_id}/decision",
    response_model=PointOut,
    summary="批准 or 不予批准 (supervisors): approval needs the survey's opinions, none against",
)
async def decision(point_id: str, body: DecisionIn, principal: Approver, service: ServiceDep):
    async with service.uow() as uow:
        p = await decide_point(
            uow, point_id, approve=body.approve, reason=body.reason, by=principal.subject, rule=service.settings.survey
        )
    return await point_out(service, p)


@router.post("/v1/points/{point_id}/withdraw", response_model=PointOut, summary="撤销 an approved point")
async def withdraw(point_id: str, body: ReasonIn, principal: Approver, service: ServiceDep):
    async with service.uow() as uow:
        p = await withdraw_point(uow, point_id, reason=body.reason, by=principal.subject)
    return await point_out(service, p)


StallNumber = Annotated[int, Path(ge=1, le=500)]


@router.post(
    "/v1/points/{point_id}/stalls/{number}/assign",
    response_model=PointOut,
    summary="a stall to a registered vendor (one each; a held stall is released first, never transferred)",
)
async def assign(point_id: str, number: StallNumber, body: StallIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        await assign_stall(uow, point_id, number, body.merchant_id, by=principal.subject)
    return await point_out(service, await _load(service, point_id))


@router.post("/v1/points/{point_id}/stalls/{number}/release", response_model=PointOut)
async def release(point_id: str, number: StallNumber, body: ReasonIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        await release_stall(uow, point_id, number, reason=body.reason, by=principal.subject)
    return await point_out(service, await _load(service, point_id))


class GateIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    lon: float = Field(ge=73, le=136)
    lat: float = Field(ge=3, le=54)


@router.get("/v1/school-gates", summary="school gates, for the points' distance rule")
async def gates(principal: RegisterReader, service: ServiceDep) -> list[dict]:
    async with service.session_factory() as session:
        rows = await pq.school_gates(session)
    return [{"id": g.id, "name": g.name, "lon": g.lon, "lat": g.lat} for g in rows]


@router.put("/v1/school-gates/{gate_id}", response_model=GateIn)
async def put_gate(
    gate_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")], body: GateIn, principal: Clerk, service: ServiceDep
):
    async with service.uow() as uow:
        await put_school_gate(uow, gate_id, name=body.name, lon=body.lon, lat=body.lat)
    return body
