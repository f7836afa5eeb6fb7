"""Incidents for staff and systems: `/v1/incidents` (the hotline, the 回访, a dispatcher's split of
a wrong merge) and `/v1/machine-events` (cameras and IoT); the reports from the street with their
photos are intake.api.street."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from common.access import sees_contacts, sees_photo
from common.audiences import Dispatcher, IncidentReader, Partner, Replier, Reporter
from common.clock import BEIJING
from common.messaging.contracts import DESCRIPTION_MAX, CaseOwner, Channel, Location, Urgency
from common.photos import PhotoRejected
from common.principal import Principal, Role
from common.redaction import mask_phone
from common.refusals import NotFound, Unprocessable
from common.vocabulary import Rating
from intake import queries
from intake.api.deps import IdempotencyKeyHeader, ServiceDep, photo_link
from intake.domain.devices import admit
from intake.domain.incidents import MAX_MACHINE_IMAGES, channel_for, check_owned
from intake.handlers.incidents import (
    ReportIncident,
    detach_report,
    reply_to_reporter,
    report_incident,
    visit_by_upstream,
)
from intake.handlers.media import keep_photos

if TYPE_CHECKING:
    from intake.tables import Incident

router = APIRouter(tags=["intake 受理"])


class CallerIn(BaseModel):
    name: str | None = Field(None, max_length=50, description="来电人姓名")
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9\- ]{4,19}$", description="来电号码; kept by intake only")


class PetitionIn(BaseModel):
    """信访: how it came."""

    form: Literal["letter", "visit", "online"] = Field(description="来信, 来访, 网上信访 (the 信访 system)")
    number: str | None = Field(None, max_length=64, description="信访件编号")


class InstructionIn(BaseModel):
    """领导交办: the instruction as given."""

    text: str = Field(min_length=1, max_length=1000, description="批示内容")
    given_by: str = Field(min_length=1, max_length=50, description="交办领导 (title and name)")
    given_at: date = Field(description="交办日期")


class PostIn(BaseModel):
    """舆情: the post or article."""

    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://", description="链接")
    outlet: str = Field(min_length=1, max_length=100, description="where it appeared (平台, 媒体)")
    published_at: datetime | None = None


class WorkOrderIn(BaseModel):
    """An upstream order's kind and origin (12345 转办)."""

    kind: Literal["phone", "online"] = Field("phone", description="电话工单 or 网络工单: which 办结 limit runs")
    origin: Literal["110"] | None = Field(None, description="110: a 非警务 order the police handed to 12345")


class IncidentCreate(BaseModel):
    category: str = Field(min_length=1, max_length=64, description="服务目录 category code")
    location: Location
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX, description="问题描述")
    address: str | None = Field(None, max_length=200, description="门牌地址 as the caller gives it")
    caller: CallerIn | None = None
    channel: Channel | None = Field(
        None, description="defaults to the caller's role; hotline operators may name a 12345/110 transfer"
    )
    urgency: Urgency = Urgency.ordinary
    source_reference: str | None = Field(None, max_length=64, description="12345/110 transfer reference number")
    source_deadline: datetime | None = Field(
        None,
        description="the upstream order's own 办结时限 (wins when earlier than the category's); on 信访, 领导交办 "
        "and 舆情 the 化解时限, which replaces the category's limit. With its offset",
    )
    owner: CaseOwner | None = Field(None, description="包案领导, 责任单位, 责任人: 信访, 领导交办 and 舆情 only")
    petition: PetitionIn | None = Field(None, description="信访 (letters_visits): required there, refused elsewhere")
    instruction: InstructionIn | None = Field(None, description="领导交办 (leadership): required there")
    post: PostIn | None = Field(None, description="舆情 (media): required there")
    work_order: WorkOrderIn | None = Field(
        None, description="an upstream order (12345, 110): its kind and origin; answered back when linked"
    )


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
    source_deadline: datetime | None = None
    owner: CaseOwner | None = None
    origin: dict = Field(default_factory=dict, description="信访 petition, 领导交办 instruction or 舆情 post")
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
    def of(cls, i: Incident, photos: list[PhotoOut] = (), *, contacts: bool = False) -> IncidentPublic:
        """`contacts`: the caller's name and masked number, for those who may see them (common.access)."""
        caller = None
        if contacts and (i.caller_name or i.caller_phone):
            caller = CallerOut(name=i.caller_name, phone=mask_phone(i.caller_phone) if i.caller_phone else None)
        return cls(
            id=i.id,
            status=i.status,
            channel=i.channel,
            category=i.category_code,
            category_known=i.category_known,
            urgency=i.urgency,
            location=Location(lon=i.lon, lat=i.lat),
            description=i.description,
            caller=caller,
            source_reference=i.source_reference,
            source_deadline=i.source_deadline,
            owner=CaseOwner(**i.owner) if i.owner else None,
            origin=i.origin or {},
            flags=list(i.flags),
            case_id=i.case_id,
            case_number=i.case_number,
            squad=SquadRef(id=i.squad_id, name=i.squad_name) if i.squad_id else None,
            reported_at=i.reported_at,
            updated_at=i.updated_at,
            observed_at=i.observed_at,
            category_version=i.category_version,
            attributes=i.attributes,
            source_event_id=i.source_event_id,
            duplicate_of=i.duplicate_of,
            rating=i.rating,
            photos=list(photos),
        )


async def shown_to(principal: Principal, service, session, rows: list[Incident]) -> list[IncidentPublic]:
    """The incidents as this reader may see them: contact details and photos by common.access,
    each photo with the link the reader may follow (one query for all)."""
    photos: dict[str, list[PhotoOut]] = {}
    squad_of = {i.id: i.squad_id for i in rows}
    if rows:
        for p in await queries.photos_of(session, list(squad_of)):
            if sees_photo(principal, public=p.public, squad_id=squad_of[p.incident_id]):
                photos.setdefault(p.incident_id, []).append(
                    PhotoOut(
                        id=p.id,
                        url=photo_link(service, p),
                        original_url=f"/v1/photos/{p.id}/original",
                        sha256=p.sha256,
                        public=p.public,
                        taken_at=p.taken_at,
                    )
                )
    contacts = sees_contacts(principal)
    return [IncidentPublic.of(i, photos.get(i.id, []), contacts=contacts) for i in rows]


@router.post(
    "/v1/incidents",
    status_code=status.HTTP_201_CREATED,
    response_model=IncidentPublic,
    summary="受理: report an incident from the hotline, a field monitor or an external system",
)
async def create_incident(
    body: IncidentCreate,
    principal: Reporter,
    response: Response,
    service: ServiceDep,
    idempotency_key: IdempotencyKeyHeader = None,
):
    channel = channel_for(principal.role, body.channel)
    if body.source_deadline is not None and body.source_deadline.tzinfo is None:
        raise Unprocessable.field("source_deadline", "source_deadline needs a time zone offset")
    origin = check_owned(
        channel,
        {k: getattr(body, k).model_dump(mode="json") if getattr(body, k) else None for k in ORIGINS},
        body.owner.model_dump() if body.owner else None,
    )
    async with service.uow() as uow:
        reported = await report_incident(
            uow,
            ReportIncident(
                category_code=body.category,
                location=body.location,
                description=body.description,
                channel=channel,
                urgency=body.urgency,
                reported_by=principal.subject,
                caller_name=body.caller.name if body.caller else None,
                caller_phone=body.caller.phone if body.caller else None,
                source_reference=body.source_reference,
                source_deadline=body.source_deadline,
                owner=body.owner.model_dump() if body.owner else None,
                origin=origin,
                idempotency_key=idempotency_key,
                address_string=body.address,
                order_kind=body.work_order.kind if body.work_order else "phone",
                order_origin=body.work_order.origin if body.work_order else None,
            ),
            service.catalogue,
            service.policy,
            service.link,
        )
    if reported.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return IncidentPublic.of(reported.incident, contacts=sees_contacts(principal))


ORIGINS = ("petition", "instruction", "post")


async def shown_one(principal: Principal, service, incident: Incident) -> IncidentPublic:
    async with service.session_factory() as session:
        return (await shown_to(principal, service, session, [incident]))[0]


@router.get(
    "/v1/incidents/{incident_id}", response_model=IncidentPublic, summary="one incident with its case and squad"
)
async def get_incident(incident_id: str, principal: IncidentReader, service: ServiceDep):
    async with service.session_factory() as session:
        incident = await queries.incident(session, incident_id)
        if incident is None or not principal.sees_squad(incident.squad_id):
            raise NotFound(f"incident {incident_id} not found")
        return (await shown_to(principal, service, session, [incident]))[0]


@router.get("/v1/incidents", response_model=list[IncidentPublic], summary="incidents, newest first")
async def list_incidents(
    principal: IncidentReader,
    service: ServiceDep,
    status_: Annotated[str | None, Query(alias="status", max_length=32)] = None,
    duplicate_of: Annotated[
        str | None, Query(max_length=36, description="the reports that joined this incident (重复件)")
    ] = None,
    source_reference: Annotated[
        str | None, Query(max_length=64, description="a partner finds its order (12345/110 工单编号)")
    ] = None,
    updated_since: Annotated[
        datetime | None,
        Query(description="changed at or after this time (with its offset), oldest change first: a partner's poll"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    if updated_since is not None and updated_since.tzinfo is None:
        raise Unprocessable.field("updated_since", "updated_since needs a time zone offset", where="query")
    async with service.session_factory() as session:
        rows = await queries.incidents(
            session,
            status=status_ or None,
            duplicate_of=duplicate_of or None,
            source_reference=source_reference or None,
            updated_since=updated_since,
            squad_scope=principal.squad_scope,
            limit=limit,
            offset=offset,
        )
        return await shown_to(principal, service, session, rows)


# -- machines: non-site enforcement cameras and IoT -------------------------------------------------------

MACHINE_KINDS = {
    "parking_capture": ("camera", "illegal_parking"),  # 违停抓拍
    "camera_detection": ("camera", None),  # 视频智能识别 (占道经营, 渣土车, ...)
    "dog_tag_alarm": ("iot", "dog_nuisance"),  # 智能犬牌告警 (no leash zone, ...)
    "iot_alarm": ("iot", None),  # 其他物联感知
    "shared_bike_parking": ("iot", "illegal_parking"),  # 共享单车 operator: a bike parked outside its 电子围栏
}


class MachineEvent(BaseModel):
    source_event_id: str = Field(
        min_length=1,
        max_length=200,
        description="the source system's own event id: sending it again returns the first incident (idempotent)",
    )
    kind: Literal["parking_capture", "camera_detection", "dog_tag_alarm", "iot_alarm", "shared_bike_parking"]
    category: str | None = Field(
        None,
        max_length=64,
        description="服务目录 code; default for the kind: "
        "parking_capture and shared_bike_parking → illegal_parking, dog_tag_alarm → dog_nuisance",
    )
    occurred_at: datetime = Field(description="when the device saw it, with its offset")
    location: Location
    device_id: str = Field(
        min_length=1,
        max_length=64,
        description="the device in the register of devices (设备台账, PUT /v1/devices/{id}) that saw it: a camera "
        "for a capture or a detection, a dog tag or a fume monitor for an alarm (a shared bike's: the operator's "
        "fence, not checked)",
    )
    description: str = Field("", max_length=DESCRIPTION_MAX)
    plate: str | None = Field(None, max_length=16, description="车牌号 read by the camera")
    tag_id: str | None = Field(None, max_length=32, description="犬牌 (smart tag) id")
    operator: str | None = Field(None, max_length=50, description="共享单车 operator (美团, 哈啰, 青桔, ...)")
    bike_id: str | None = Field(None, max_length=64, description="the operator's bike number")
    images: list[str] = Field(
        default_factory=list, max_length=MAX_MACHINE_IMAGES, description="base64 JPEG or PNG, 10 MB each"
    )


@router.post(
    "/v1/machine-events",
    status_code=status.HTTP_201_CREATED,
    response_model=IncidentPublic,
    responses={200: {"description": "the same source_event_id again: the first incident"}},
    summary="非现场执法: a camera capture or an IoT alarm from an external system",
)
async def machine_event(body: MachineEvent, principal: Partner, response: Response, service: ServiceDep):
    await service.limiter.hit(
        f"machine:{principal.subject}", service.settings.machine_events_per_minute, "machine events"
    )
    if body.occurred_at.tzinfo is None:
        raise Unprocessable.field("occurred_at", "occurred_at needs a time zone offset")
    ahead = (body.occurred_at - service.clock.now()).total_seconds()
    if ahead > service.settings.machine_clock_skew_s:
        raise Unprocessable.field(
            "occurred_at", f"occurred_at is {ahead:.0f} s ahead of the bureau's clock: check the device's clock"
        )
    channel, default_category = MACHINE_KINDS[body.kind]
    category = body.category or default_category
    if category is None:
        raise Unprocessable.field("category", f"a {body.kind} names its category (服务目录 code)")
    try:
        images = [(f"images[{n}]", base64.b64decode(img, validate=True)) for n, img in enumerate(body.images)]
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable.field("images", f"images must be base64 ({exc})") from exc
    try:
        stored = await keep_photos(service.store, images, MAX_MACHINE_IMAGES)
    except PhotoRejected as exc:
        raise exc.naming("photos") from exc
    if body.kind == "shared_bike_parking" and not (body.operator and body.bike_id):
        raise Unprocessable.field("bike_id", "a shared_bike_parking event names its operator and bike_id")
    async with service.session_factory() as session:
        known = await queries.device(session, body.device_id)
    from_device = admit(body.kind, body.device_id, known, body.occurred_at.astimezone(BEIJING).date())
    bike = {"vehicle": "bicycle", "operator": body.operator, "bike_id": body.bike_id}
    given = (("plate", body.plate), ("tag", body.tag_id), *(bike.items() if body.kind == "shared_bike_parking" else ()))
    attributes = {**{k: v for k, v in given if v}, **from_device}
    names = {
        "parking_capture": "违停抓拍",
        "camera_detection": "视频识别",
        "dog_tag_alarm": "犬牌告警",
        "iot_alarm": "物联告警",
        "shared_bike_parking": "共享单车违停",
    }
    async with service.uow() as uow:
        reported = await report_incident(
            uow,
            ReportIncident(
                category_code=category,
                location=body.location,
                channel=channel,
                urgency=Urgency.ordinary,
                description=body.description
                or f"{names[body.kind]} {body.plate or body.tag_id or body.bike_id or ''}".strip(),
                reported_by=f"machine:{principal.subject}",
                device_id=body.device_id,
                attributes=attributes,
                photos=tuple(stored),
                observed_at=body.occurred_at,
                source_event_id=body.source_event_id,
                idempotency_key=body.source_event_id,
            ),
            service.catalogue,
            service.policy,
        )
    if reported.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return await shown_one(principal, service, reported.incident)


# -- 回访: the caller told the result ------------------------------------------------------------------------


class ReplyRequest(BaseModel):
    how: Literal["callback", "sms", "upstream"] = Field(
        "callback", description="回访 by telephone, a text message, or by the upstream system (12345) itself"
    )
    rating: Rating | None = Field(
        None,
        description="满意度 the caller gave on the 回访 (满意, 基本满意, 不满意): the case's 评价, once per closure",
    )
    comment: str | None = Field(None, max_length=500, description="the caller's words")
    satisfaction: str | None = Field(
        None,
        max_length=32,
        description="an upstream system's 回访 of its own order, on its own scale (12345's 满意度 code): "
        "满意 archives the order, 不满意 sends it back to be done again (重办)",
    )


@router.post(
    "/v1/incidents/{incident_id}/reply",
    response_model=IncidentPublic,
    summary="回访: the caller was told the result of the closed case (反馈率 counts it)",
)
async def reply(incident_id: str, body: ReplyRequest, principal: Replier, service: ServiceDep):
    if principal.role == Role.external_system or body.satisfaction is not None:
        if principal.role != Role.external_system or body.satisfaction is None:
            raise Unprocessable.field(
                "satisfaction", "satisfaction is an upstream system's 回访 of its own order, and it gives one"
            )
        async with service.uow() as uow:
            incident = await visit_by_upstream(
                uow, service.link, incident_id, principal.subject, body.satisfaction, body.comment
            )
        return await shown_one(principal, service, incident)
    async with service.uow() as uow:
        incident = await reply_to_reporter(
            uow, incident_id, body.how, body.rating, body.comment.strip() if body.comment else None
        )
    return await shown_one(principal, service, incident)


# -- a dispatcher splits a wrong merge -----------------------------------------------------------------------


class DetachRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why this is a different problem")


@router.post(
    "/v1/incidents/{incident_id}/detach",
    response_model=IncidentPublic,
    summary="拆分误合并: a report that joined the wrong incident gets a case of its own (dispatcher)",
)
async def detach(incident_id: str, body: DetachRequest, principal: Dispatcher, service: ServiceDep):
    async with service.uow() as uow:
        incident = await detach_report(uow, incident_id, principal.subject, body.reason, service.catalogue)
    return await shown_one(principal, service, incident)
