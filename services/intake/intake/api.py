"""Intake's HTTP API for staff and systems: `/v1/incidents` (the hotline, field monitors' reports
with photos, a dispatcher's split of a wrong merge), `/v1/machine-events` (cameras and IoT), and
the 服务目录 `/v1/categories` with its versions."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from fastapi import (APIRouter, Depends, File, Form, Header, HTTPException, Path, Query, Request, Response, UploadFile,
                     status)
from pydantic import BaseModel, Field
from sqlmodel import select

from common.access import sees_contacts, sees_photo
from common.auth import Principal, Role, require_roles
from common.redaction import mask_phone
from common.messaging.contracts import Channel, Location, Urgency
from common.photos import PhotoRejected
from intake.domain import channel_for
from intake.geo import gcj02_to_wgs84
from intake.handlers import (IdempotencyKeyReused, NotJoined, NotToReply, RatingRefused, ReportIncident,
                             detach_report, edit_category, reply_to_reporter, report_incident)
from intake.media import keep_photos, keep_uploads
from intake.public_api import photo_link, photo_refused, rate_limited, unprocessable
from intake.tables import Category, CategoryVersion, Incident, IncidentPhoto

router = APIRouter(tags=["intake 受理"])
MAX_MACHINE_IMAGES = 3


async def get_service(request: Request):
    return request.app.state.services["intake"]


class CallerIn(BaseModel):
    name: str | None = Field(None, max_length=50, description="来电人姓名")
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9\- ]{4,19}$", description="来电号码; kept by intake only")


class IncidentCreate(BaseModel):
    category: str = Field(min_length=1, max_length=64, description="服务目录 category code")
    location: Location
    description: str = Field(min_length=1, max_length=2000, description="问题描述")
    address: str | None = Field(None, max_length=200, description="门牌地址 as the caller gives it")
    caller: CallerIn | None = None
    channel: Channel | None = Field(None, description="defaults to the caller's role; hotline operators may name a 12345/110 transfer")
    urgency: Urgency = "ordinary"
    source_reference: str | None = Field(None, max_length=64, description="12345/110 transfer reference number")


class SquadRef(BaseModel):
    id: str
    name: str


class PhotoOut(BaseModel):
    id: str
    url: str = Field(description="the copy shown (upright, no metadata); signed and short-lived unless public")
    original_url: str = Field(description="the original as received, evidence: staff bearer token")
    sha256: str = Field(description="of the original")
    public: bool
    taken_at: datetime | None


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
    observed_at: datetime | None = None
    category_version: int | None = Field(None, description="the 服务目录 version it was filed under")
    attributes: dict = Field(default_factory=dict)
    source_event_id: str | None = None
    duplicate_of: str | None = Field(None, description="the open incident this report joined (重复件)")
    rating: str | None = None
    photos: list[PhotoOut] = Field(default_factory=list)

    @classmethod
    def of(cls, i: Incident, photos: list[PhotoOut] = (), *, contacts: bool = False) -> "IncidentPublic":
        """`contacts`: the caller's name and masked number, for those who may see them (common.access)."""
        caller = None
        if contacts and (i.caller_name or i.caller_phone):
            caller = CallerOut(name=i.caller_name, phone=mask_phone(i.caller_phone) if i.caller_phone else None)
        return cls(
            id=i.id, status=i.status, channel=i.channel, category=i.category_code,
            category_known=i.category_known, urgency=i.urgency, location=Location(lon=i.lon, lat=i.lat),
            description=i.description, caller=caller, source_reference=i.source_reference,
            flags=list(i.flags), case_id=i.case_id, case_number=i.case_number,
            squad=SquadRef(id=i.squad_id, name=i.squad_name) if i.squad_id else None,
            reported_at=i.reported_at, updated_at=i.updated_at, observed_at=i.observed_at,
            category_version=i.category_version, attributes=i.attributes, source_event_id=i.source_event_id,
            duplicate_of=i.duplicate_of, rating=i.rating, photos=list(photos),
        )


async def shown_to(principal: Principal, service, session, rows: list[Incident]) -> list[IncidentPublic]:
    """The incidents as this reader may see them: contact details and photos by common.access,
    each photo with the link the reader may follow (one query for all)."""
    photos: dict[str, list[PhotoOut]] = {}
    squad_of = {i.id: i.squad_id for i in rows}
    if rows:
        for p in (await session.exec(select(IncidentPhoto).where(IncidentPhoto.incident_id.in_(list(squad_of)))
                                     .order_by(IncidentPhoto.incident_id, IncidentPhoto.position))).all():
            if sees_photo(principal, public=p.public, squad_id=squad_of[p.incident_id]):
                photos.setdefault(p.incident_id, []).append(PhotoOut(
                    id=p.id, url=photo_link(service, p), original_url=f"/v1/photos/{p.id}/original",
                    sha256=p.sha256, public=p.public, taken_at=p.taken_at))
    contacts = sees_contacts(principal)
    return [IncidentPublic.of(i, photos.get(i.id, []), contacts=contacts) for i in rows]


class CategoryRulesIn(BaseModel):
    """One category of the 服务目录 as an admin sets it."""
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["event", "component"] = Field(description="event 事件 or component 部件")
    owner: Literal["grid_squad", "specialist"] = Field(description="the kind of squad that owns it")
    time_limit_hours: int = Field(ge=1, le=24 * 90, description="处置时限 in working hours")
    urgent_time_limit_hours: int = Field(ge=1, le=24 * 30, description="紧急: clock hours")
    description: str = Field("", max_length=500)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    attributes: list[dict] = Field(default_factory=list, max_length=20,
                                   description="Open311 attributes: code, datatype, required, description, values")
    dedup_radius_m: int = Field(50, ge=0, le=2000, description="重复件 radius; 0: never merge")
    dedup_window_hours: int = Field(24, ge=0, le=24 * 90, description="重复件 window; 0: never merge")
    active: bool = Field(True, description="false retires it: reports of it are accepted and flagged")


class CategoryEdit(CategoryRulesIn):
    reason: str = Field(min_length=1, max_length=500, description="why it changed (kept with the version)")


class CategoryPublic(CategoryRulesIn):
    code: str
    version: int


class CategoryVersionPublic(CategoryPublic):
    changed_by: str
    changed_at: datetime
    reason: str


Reporter = Annotated[Principal, Depends(require_roles(Role.hotline_operator, Role.field_monitor,
                                                      Role.external_system, Role.dispatcher))]
Reader = Annotated[Principal, Depends(require_roles(
    Role.hotline_operator, Role.field_monitor, Role.dispatcher, Role.supervisor, Role.external_system,
    Role.squad_officer, Role.squad_leader))]
AnyUser = Annotated[Principal, Depends(require_roles(*Role))]
FieldMonitor = Annotated[Principal, Depends(require_roles(Role.field_monitor))]
Machine = Annotated[Principal, Depends(require_roles(Role.external_system))]
Dispatcher = Annotated[Principal, Depends(require_roles(Role.dispatcher))]
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]


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
                address_string=body.address,
            ), service.catalogue, service.policy)
    except IdempotencyKeyReused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            [{"loc": ["header", "Idempotency-Key"], "msg": str(exc), "type": "idempotency_key_reused"}]
                            ) from exc
    if reported.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return IncidentPublic.of(reported.incident, contacts=sees_contacts(principal))


@router.get("/v1/incidents/{incident_id}", response_model=IncidentPublic, summary="one incident with its case and squad")
async def get_incident(incident_id: str, principal: Reader, service=Depends(get_service)):
    async with service.session_factory() as session:
        incident = await session.get(Incident, incident_id)
        if incident is None or not principal.sees_squad(incident.squad_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"incident {incident_id} not found")
        return (await shown_to(principal, service, session, [incident]))[0]


@router.get("/v1/incidents", response_model=list[IncidentPublic], summary="incidents, newest first")
async def list_incidents(principal: Reader, service=Depends(get_service),
                         status_: Annotated[str | None, Query(alias="status")] = None,
                         duplicate_of: Annotated[str | None, Query(
                             description="the reports that joined this incident (重复件)")] = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 50,
                         offset: Annotated[int, Query(ge=0)] = 0):
    query = select(Incident).order_by(Incident.reported_at.desc()).limit(limit).offset(offset)
    if status_:
        query = query.where(Incident.status == status_)
    if duplicate_of:
        query = query.where(Incident.duplicate_of == duplicate_of)
    if principal.squad_scope is not None:
        query = query.where(Incident.squad_id == principal.squad_scope)
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
        return await shown_to(principal, service, session, list(rows))


@router.get("/v1/categories", response_model=list[CategoryPublic], summary="服务目录: the categories")
async def list_categories(principal: AnyUser, service=Depends(get_service)):
    async with service.session_factory() as session:
        rows = (await session.exec(select(Category).order_by(Category.code))).all()
    return [CategoryPublic.model_validate(c, from_attributes=True) for c in rows]


@router.put("/v1/categories/{code}", response_model=CategoryPublic,
            summary="服务目录: add a category or change one (a new version; filed cases keep theirs) (admin)")
async def put_category(code: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,63}$",
                                                   description="lower-case letters, digits and _")],
                       body: CategoryEdit, principal: Admin, service=Depends(get_service)):
    rules = body.model_dump(exclude={"reason"})
    async with service.uow() as uow:
        category = await edit_category(uow, code, rules, principal.subject, body.reason)
    await service.catalogue.load()
    return CategoryPublic.model_validate(category, from_attributes=True)


@router.get("/v1/categories/{code}/versions", response_model=list[CategoryVersionPublic],
            summary="服务目录: every version of a category, oldest first")
async def category_versions(code: str, principal: AnyUser, service=Depends(get_service)):
    async with service.session_factory() as session:
        rows = (await session.exec(select(CategoryVersion).where(CategoryVersion.code == code)
                                   .order_by(CategoryVersion.version))).all()
    if not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"category {code} not found")
    return [CategoryVersionPublic.model_validate(v, from_attributes=True) for v in rows]


# -- field monitors: a report with GPS and photos ---------------------------------------------------------

@router.post("/v1/field-reports", status_code=status.HTTP_201_CREATED, response_model=IncidentPublic,
             summary="监督员上报: a field monitor's report with its GPS point and up to 9 photos (multipart)")
async def field_report(
    principal: FieldMonitor, response: Response, service=Depends(get_service),
    category: Annotated[str | None, Form(min_length=1, max_length=64)] = None,
    description: Annotated[str | None, Form(max_length=2000, description="may be left out: the photos say it")] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180, description="the device's GPS point")] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    coordinate_system: Annotated[Literal["wgs84", "gcj02"], Form()] = "wgs84",
    observed_at: Annotated[datetime | None, Form(description="when it was seen; default: the first photo's "
                                                             "EXIF time, else now")] = None,
    urgency: Annotated[Urgency, Form()] = "ordinary",
    photos: Annotated[list[UploadFile], File(description="JPEG, PNG or HEIC, 10 MB each, at most 9")] = [],  # noqa: B006
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
):
    if not category:
        raise unprocessable("category", "category is required")
    if lon is None or lat is None:
        raise unprocessable("lon", "lon and lat (the device's GPS point) are required")
    if observed_at is not None and observed_at.tzinfo is None:
        raise unprocessable("observed_at", "observed_at needs a time zone offset (2026-11-22T09:30:00+08:00)")
    if coordinate_system == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    try:
        stored = await keep_uploads(service.store, photos, service.settings.max_photos_field)
    except PhotoRejected as exc:
        raise photo_refused(exc) from exc
    if observed_at is None:
        observed_at = next((p.taken_at for p in stored if p.taken_at), None)
    try:
        async with service.uow() as uow:
            reported = await report_incident(uow, ReportIncident(
                category_code=category, location=Location(lon=lon, lat=lat), description=description or "",
                channel="field_monitor", urgency=urgency, reported_by=principal.subject, photos=tuple(stored),
                observed_at=observed_at, idempotency_key=idempotency_key), service.catalogue, service.policy)
    except IdempotencyKeyReused as exc:
        raise unprocessable("Idempotency-Key", str(exc), "idempotency_key_reused") from exc
    if reported.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    async with service.session_factory() as session:
        return (await shown_to(principal, service, session, [reported.incident]))[0]


# -- machines: non-site enforcement cameras and IoT -------------------------------------------------------

MACHINE_KINDS = {
    "parking_capture": ("camera", "illegal_parking"),  # 违停抓拍
    "camera_detection": ("camera", None),  # 视频智能识别 (占道经营, 渣土车, ...)
    "dog_tag_alarm": ("iot", "dog_nuisance"),  # 智能犬牌告警 (no leash zone, ...)
    "iot_alarm": ("iot", None),  # 其他物联感知
}


class MachineEvent(BaseModel):
    source_event_id: str = Field(min_length=1, max_length=200, description="the source system's own event id: "
                                 "sending it again returns the first incident (idempotent)")
    kind: Literal["parking_capture", "camera_detection", "dog_tag_alarm", "iot_alarm"]
    category: str | None = Field(None, max_length=64, description="服务目录 code; default for the kind: "
                                 "parking_capture → illegal_parking, dog_tag_alarm → dog_nuisance")
    occurred_at: datetime = Field(description="when the device saw it, with its offset")
    location: Location
    device_id: str = Field(min_length=1, max_length=100, description="camera or tag reader id")
    description: str = Field("", max_length=2000)
    plate: str | None = Field(None, max_length=16, description="车牌号 read by the camera")
    tag_id: str | None = Field(None, max_length=32, description="犬牌 (smart tag) id")
    images: list[str] = Field(default_factory=list, max_length=MAX_MACHINE_IMAGES,
                              description="base64 JPEG or PNG, 10 MB each")


@router.post("/v1/machine-events", status_code=status.HTTP_201_CREATED, response_model=IncidentPublic,
             responses={200: {"description": "the same source_event_id again: the first incident"}},
             summary="非现场执法: a camera capture or an IoT alarm from an external system")
async def machine_event(body: MachineEvent, principal: Machine, response: Response, service=Depends(get_service)):
    await rate_limited(service, f"machine:{principal.subject}", service.settings.machine_events_per_minute,
                       "machine events")
    if body.occurred_at.tzinfo is None:
        raise unprocessable("occurred_at", "occurred_at needs a time zone offset")
    channel, default_category = MACHINE_KINDS[body.kind]
    category = body.category or default_category
    if category is None:
        raise unprocessable("category", f"a {body.kind} names its category (服务目录 code)")
    try:
        images = [(f"images[{n}]", base64.b64decode(img, validate=True)) for n, img in enumerate(body.images)]
    except (binascii.Error, ValueError) as exc:
        raise unprocessable("images", f"images must be base64 ({exc})") from exc
    try:
        stored = await keep_photos(service.store, images, MAX_MACHINE_IMAGES)
    except PhotoRejected as exc:
        raise photo_refused(exc) from exc
    attributes = {k: v for k, v in (("plate", body.plate), ("tag", body.tag_id)) if v}
    names = {"parking_capture": "违停抓拍", "camera_detection": "视频识别", "dog_tag_alarm": "犬牌告警", "iot_alarm": "物联告警"}
    try:
        async with service.uow() as uow:
            reported = await report_incident(uow, ReportIncident(
                category_code=category, location=body.location, channel=channel, urgency="ordinary",
                description=body.description or f"{names[body.kind]} {body.plate or body.tag_id or ''}".strip(),
                reported_by=f"machine:{principal.subject}", device_id=body.device_id, attributes=attributes,
                photos=tuple(stored), observed_at=body.occurred_at, source_event_id=body.source_event_id,
                idempotency_key=body.source_event_id), service.catalogue, service.policy)
    except IdempotencyKeyReused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"source_event_id {body.source_event_id!r} was already sent "
                                                      "with different content") from exc
    if reported.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    async with service.session_factory() as session:
        return (await shown_to(principal, service, session, [reported.incident]))[0]


# -- 回访: the caller told the result ------------------------------------------------------------------------

class ReplyRequest(BaseModel):
    how: Literal["callback", "sms"] = Field("callback", description="回访 by telephone, or a text message")
    rating: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None = Field(
        None, description="满意度 the caller gave on the 回访 (满意, 基本满意, 不满意): the case's 评价, once per closure")
    comment: str | None = Field(None, max_length=500, description="the caller's words")


Hotline = Annotated[Principal, Depends(require_roles(Role.hotline_operator, Role.dispatcher))]


@router.post("/v1/incidents/{incident_id}/reply", response_model=IncidentPublic,
             summary="回访: the caller was told the result of the closed case (反馈率 counts it)")
async def reply(incident_id: str, body: ReplyRequest, principal: Hotline, service=Depends(get_service)):
    try:
        async with service.uow() as uow:
            incident = await reply_to_reporter(uow, incident_id, body.how, body.rating,
                                               body.comment.strip() if body.comment else None)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except (NotToReply, RatingRefused) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    async with service.session_factory() as session:
        return (await shown_to(principal, service, session, [incident]))[0]


# -- a dispatcher splits a wrong merge -----------------------------------------------------------------------

class DetachRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why this is a different problem")


@router.post("/v1/incidents/{incident_id}/detach", response_model=IncidentPublic,
             summary="拆分误合并: a report that joined the wrong incident gets a case of its own (dispatcher)")
async def detach(incident_id: str, body: DetachRequest, principal: Dispatcher, service=Depends(get_service)):
    try:
        async with service.uow() as uow:
            incident = await detach_report(uow, incident_id, principal.subject, body.reason, service.catalogue)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except NotJoined as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    async with service.session_factory() as session:
        return (await shown_to(principal, service, session, [incident]))[0]
