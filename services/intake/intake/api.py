"""Intake's HTTP API: `/v1/incidents` and `/v1/categories`."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlmodel import select

from common.auth import Principal, Role, require_roles
from common.logging import mask_phone
from common.messaging.contracts import Channel, Location, Urgency
from intake.domain import channel_for
from intake.handlers import IdempotencyKeyReused, ReportIncident, report_incident
from intake.tables import Category, Incident

router = APIRouter(tags=["intake 受理"])


async def get_service(request: Request):
    return request.app.state.services["intake"]


class CallerIn(BaseModel):
    name: str | None = Field(None, max_length=50, description="来电人姓名")
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9\- ]{4,19}$", description="来电号码; kept by intake only")


class IncidentCreate(BaseModel):
    category: str = Field(min_length=1, max_length=64, description="服务目录 category code")
    location: Location
    description: str = Field(min_length=1, max_length=2000, description="问题描述")
    caller: CallerIn | None = None
    channel: Channel | None = Field(None, description="defaults to the caller's role; hotline operators may name a 12345/110 transfer")
    urgency: Urgency = "ordinary"
    source_reference: str | None = Field(None, max_length=64, description="12345/110 transfer reference number")


class SquadRef(BaseModel):
    id: str
    name: str


class CallerOut(BaseModel):
    name: str | None
    phone: str | None = Field(description="masked: 138****5678")


class IncidentPublic(BaseModel):
    id: str
    status: str
    channel: str
    category: str
    category_known: bool
    urgency: str
    location: Location
    description: str
    caller: CallerOut | None
    source_reference: str | None
    flags: list[str]
    case_id: str | None
    case_number: str | None
    squad: SquadRef | None
    reported_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, i: Incident) -> "IncidentPublic":
        caller = None
        if i.caller_name or i.caller_phone:
            caller = CallerOut(name=i.caller_name, phone=mask_phone(i.caller_phone) if i.caller_phone else None)
        return cls(
            id=i.id, status=i.status, channel=i.channel, category=i.category_code,
            category_known=i.category_known, urgency=i.urgency, location=Location(lon=i.lon, lat=i.lat),
            description=i.description, caller=caller, source_reference=i.source_reference,
            flags=list(i.flags), case_id=i.case_id, case_number=i.case_number,
            squad=SquadRef(id=i.squad_id, name=i.squad_name) if i.squad_id else None,
            reported_at=i.reported_at, updated_at=i.updated_at,
        )


class CategoryPublic(BaseModel):
    code: str
    name: str
    kind: str = Field(description="event 事件 or component 部件")
    owner: str
    time_limit_hours: int
    urgent_time_limit_hours: int


Reporter = Annotated[Principal, Depends(require_roles(Role.hotline_operator, Role.field_monitor,
                                                      Role.external_system, Role.dispatcher))]
Reader = Annotated[Principal, Depends(require_roles(
    Role.hotline_operator, Role.field_monitor, Role.dispatcher, Role.supervisor, Role.external_system,
    Role.squad_officer, Role.squad_leader))]
AnyUser = Annotated[Principal, Depends(require_roles(*Role))]


@router.post("/v1/incidents", status_code=status.HTTP_201_CREATED, response_model=IncidentPublic,
             summary="受理: report an incident from the hotline, a field monitor or an external system")
async def create_incident(
    body: IncidentCreate, principal: Reporter, response: Response, service=Depends(get_service),
    idempotency_key: Annotated[str | None, Header(
        max_length=200, description="retry-safe: the same key and body return the first incident")] = None,
):
    try:
        channel = channel_for(principal.role, body.channel)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            [{"loc": ["body", "channel"], "msg": str(exc), "type": "value_error"}]) from exc
    try:
        async with service.uow() as uow:
            reported = await report_incident(uow, ReportIncident(
                category_code=body.category, location=body.location, description=body.description,
                channel=channel, urgency=body.urgency, reported_by=principal.subject,
                caller_name=body.caller.name if body.caller else None,
                caller_phone=body.caller.phone if body.caller else None,
                source_reference=body.source_reference, idempotency_key=idempotency_key,
            ), service.catalogue)
    except IdempotencyKeyReused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            [{"loc": ["header", "Idempotency-Key"], "msg": str(exc), "type": "idempotency_key_reused"}]
                            ) from exc
    if reported.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return IncidentPublic.of(reported.incident)


@router.get("/v1/incidents/{incident_id}", response_model=IncidentPublic, summary="one incident with its case and squad")
async def get_incident(incident_id: str, principal: Reader, service=Depends(get_service)):
    async with service.session_factory() as session:
        incident = await session.get(Incident, incident_id)
    if incident is None or not principal.sees_squad(incident.squad_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"incident {incident_id} not found")
    return IncidentPublic.of(incident)


@router.get("/v1/incidents", response_model=list[IncidentPublic], summary="incidents, newest first")
async def list_incidents(principal: Reader, service=Depends(get_service),
                         status_: Annotated[str | None, Query(alias="status")] = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 50,
                         offset: Annotated[int, Query(ge=0)] = 0):
    query = select(Incident).order_by(Incident.reported_at.desc()).limit(limit).offset(offset)
    if status_:
        query = query.where(Incident.status == status_)
    if principal.squad_scope is not None:
        query = query.where(Incident.squad_id == principal.squad_scope)
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
    return [IncidentPublic.of(i) for i in rows]


@router.get("/v1/categories", response_model=list[CategoryPublic], summary="服务目录: the categories")
async def list_categories(principal: AnyUser, service=Depends(get_service)):
    async with service.session_factory() as session:
        rows = (await session.exec(select(Category).order_by(Category.code))).all()
    return [CategoryPublic.model_validate(c, from_attributes=True) for c in rows]
