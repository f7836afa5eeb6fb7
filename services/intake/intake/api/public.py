"""What a citizen reaches without an account: the report page (`/report`) and the tracking
page (`/track`), and the JSON API behind them (`/public/v1/...`). Every endpoint here is
rate-limited per client address."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from common.geo import gcj02_to_wgs84
from common.messaging.contracts import DESCRIPTION_MAX, Location
from common.ratelimit import submitter_of
from common.redaction import redact_personal
from common.refusals import NotFound, Unprocessable
from common.vocabulary import RATING_NAMES, Channel, Rating, Urgency
from intake import queries
from intake.api.deps import PAGE_HEADERS, STATIC, ServiceDep, limit
from intake.domain import open311 as o
from intake.domain.incidents import LABEL, may_rate
from intake.handlers.incidents import ReportIncident, rate_report, report_incident
from intake.handlers.media import keep_uploads

if TYPE_CHECKING:
    from intake.tables import Incident

router = APIRouter(tags=["public 市民"])
pages_router = APIRouter(include_in_schema=False)


# -- pages ------------------------------------------------------------------------------------------


@pages_router.get("/report", response_class=HTMLResponse)
async def report_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "report.html").read_text(encoding="utf-8"), headers=PAGE_HEADERS)


@pages_router.get("/public/page.css")
async def page_style() -> Response:
    """The look the tracking and the record pages share."""
    css = (STATIC / "public.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "no-cache"})


@pages_router.get("/captures", response_class=HTMLResponse)
async def captures_page() -> HTMLResponse:
    """非现场执法记录查询: the party looks a reviewed record up and answers it (intake.api.captures)."""
    return HTMLResponse((STATIC / "captures.html").read_text(encoding="utf-8"), headers=PAGE_HEADERS)


@pages_router.get("/track", response_class=HTMLResponse)
async def track_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "track.html").read_text(encoding="utf-8"), headers=PAGE_HEADERS)


# -- the report ---------------------------------------------------------------------------------------


class JoinedOut(BaseModel):
    reference: str = Field(description="the open incident this report joined")
    case_number: str | None
    status_label: str

    @classmethod
    def of(cls, joined: Incident) -> JoinedOut:
        return cls(reference=joined.id, case_number=joined.case_number, status_label=LABEL[joined.status])


class ReportAccepted(BaseModel):
    token: str = Field(description="查询码: keep it to follow the report and to rate the result")
    reference: str = Field(description="the report's id (also its Open311 service_request_id)")
    tracking_url: str
    status: str
    status_label: str
    joined: JoinedOut | None = Field(
        description="set when the problem was already reported and is being handled: this report joined it"
    )
    message: str


class CategoryChoice(BaseModel):
    code: str
    name: str
    description: str
    attributes: list[dict]


@router.get("/public/v1/categories", response_model=list[CategoryChoice], summary="服务目录 for the report page")
async def public_categories(request: Request, service: ServiceDep):
    await limit(request, service, "reads")
    async with service.session_factory() as session:
        rows = await queries.categories(session, active_only=True)
    return [CategoryChoice(code=c.code, name=c.name, description=c.description, attributes=c.attributes) for c in rows]


@router.get("/public/v1/map", summary="the district's outline and named places, to pick a point on the report page")
async def public_map(request: Request, service: ServiceDep):
    await limit(request, service, "reads")
    async with service.session_factory() as session:
        rows = await queries.addresses(session)
    roads: dict[str, tuple[float, float]] = {}
    for address, lon, lat in rows:  # one label per road: the part before the house number
        road = address.split("号")[0].rstrip("0123456789")
        roads.setdefault(road, (lon, lat))
    lons, lats = [r[1] for r in rows], [r[2] for r in rows]
    pad = 0.004
    return {
        "bounds": {
            "min_lon": min(lons) - pad,
            "max_lon": max(lons) + pad,
            "min_lat": min(lats) - pad,
            "max_lat": max(lats) + pad,
        },
        "places": [{"name": n, "lon": lon, "lat": lat} for n, (lon, lat) in sorted(roads.items())],
    }


@router.post(
    "/public/v1/reports",
    response_model=ReportAccepted,
    status_code=201,
    summary="市民网上反映: a citizen's report, with photos (multipart), no account needed",
)
async def public_report(
    request: Request,
    response: Response,
    service: ServiceDep,
    category: Annotated[str | None, Form(max_length=64, description="服务目录 code")] = None,
    description: Annotated[str | None, Form(max_length=DESCRIPTION_MAX, description="问题描述")] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    coordinate_system: Annotated[
        Literal["wgs84", "gcj02"],
        Form(description="gcj02 for points from Chinese map SDKs (高德, 腾讯); converted to WGS84"),
    ] = "wgs84",
    address: Annotated[str | None, Form(max_length=200, description="门牌地址, when there is no point")] = None,
    contact_name: Annotated[str | None, Form(max_length=50)] = None,
    contact_phone: Annotated[
        str | None, Form(pattern=r"^\+?[0-9][0-9\- ]{4,19}$", description="kept by intake only, for a call back")
    ] = None,
    photos: Annotated[list[UploadFile], File(description="JPEG, PNG or HEIC, 10 MB each")] = [],  # noqa: B006
    idempotency_key: Annotated[
        str | None, Header(max_length=120, description="one per form: a retry returns the first report")
    ] = None,
):
    address_ip = await limit(request, service, "reports")
    if not category:
        raise Unprocessable.field("category", "choose a category (问题类型)")
    if not description or not description.strip():
        raise Unprocessable.field("description", "describe the problem (问题描述)")
    if len(description) > DESCRIPTION_MAX:
        raise Unprocessable.field("description", f"at most {DESCRIPTION_MAX} characters")
    rules = await service.catalogue.rules(category)
    if rules is None:
        raise Unprocessable.field("category", f"category {category!r} is not in the 服务目录")
    given: dict[str, str | list[str]] = {}
    for name, value in (await request.form()).multi_items():  # attribute[plate]=豫A12345, as in Open311
        m = o.ATTRIBUTE.match(name)
        if m and isinstance(value, str) and value.strip():
            given[m["code"]] = [*given.get(m["code"], []), value.strip()] if m["multi"] else value.strip()
    try:
        attributes = o.check_attributes(rules.attributes, given)
    except o.Open311Error as exc:
        raise Unprocessable.field("attributes", exc.description) from exc
    if lon is not None and lat is not None:
        if coordinate_system == "gcj02":
            lon, lat = gcj02_to_wgs84(lon, lat)
    elif address:
        place = await service.geocoder.locate(address)
        if place is None:
            raise Unprocessable.field(
                "address",
                f"address {address!r} is not in the district's address table; pick the point on the map instead",
            )
        lon, lat = place.lon, place.lat
    else:
        raise Unprocessable.field("lon", "give the location: a point (lon and lat) or an address")
    stored = await keep_uploads(service.store, photos, service.settings.max_photos_web)
    submitter = submitter_of("ip", address_ip, service.photo_key)
    async with service.uow() as uow:
        reported = await report_incident(
            uow,
            ReportIncident(
                category_code=category,
                location=Location(lon=lon, lat=lat),
                description=description.strip(),
                channel=Channel.web,
                urgency=Urgency.ordinary,
                reported_by="web",
                caller_name=contact_name,
                caller_phone=contact_phone,
                address_string=address,
                photos=tuple(stored),
                public_photos=True,
                attributes=attributes,
                idempotency_key=f"{submitter}:{idempotency_key}" if idempotency_key else None,
                submitter=submitter,
            ),
            service.catalogue,
            service.policy,
        )
    if reported.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    i, joined = reported.incident, reported.joined
    base = service.settings.public_base_url or str(request.base_url).rstrip("/")
    message = "已受理, 请保存查询码以便查询进度和评价"
    if joined is not None:
        message = (
            f"该问题已有人反映 ({joined.case_number or joined.id[:8]}), 正在处理中; 您的反映已并入该事件, "
            "可凭查询码查看处理进度"
        )
    return ReportAccepted(
        token=i.open311_token,
        reference=i.id,
        tracking_url=f"{base}/track?token={i.open311_token}",
        status=joined.status if joined else i.status,
        status_label=LABEL[joined.status if joined else i.status],
        joined=JoinedOut.of(joined) if joined else None,
        message=message,
    )


# -- following it ----------------------------------------------------------------------------------------


class NoteOut(BaseModel):
    at: datetime
    text: str


class RatingOut(BaseModel):
    rating: str
    label: str
    comment: str | None
    rated_at: datetime


class Tracking(BaseModel):
    reference: str
    category: str
    category_name: str
    description: str
    status: str
    status_label: str
    reported_at: datetime
    updated_at: datetime
    case_number: str | None
    agency_responsible: str | None = Field(description="the squad handling it")
    expected_at: datetime | None
    notes: list[NoteOut] = Field(description="公开说明, oldest first")
    photos: list[str] = Field(description="links to this report's photos")
    joined: JoinedOut | None
    rating: RatingOut | None
    can_rate: bool
    rate_hint: str | None = Field(description="why it cannot be rated yet")


async def _by_token(session, token: str) -> Incident:
    incident = await queries.by_token(session, token)
    if incident is None:
        raise NotFound("no report has this tracking token (查询码); check it and try again")
    return incident


async def tracking_of(session, incident: Incident) -> Tracking:
    holder = await queries.incident(session, incident.duplicate_of) if incident.duplicate_of else incident
    category = await queries.category(session, incident.category_code)
    photo_ids = await queries.photo_ids(session, incident.id)
    hint = may_rate(holder.status, holder.case_id, incident.rating)
    return Tracking(
        reference=incident.id,
        category=incident.category_code,
        category_name=category.name if category else incident.category_code,
        description=redact_personal(incident.description),
        status=holder.status,
        status_label=LABEL.get(holder.status, holder.status),
        reported_at=incident.reported_at,
        updated_at=max(incident.updated_at, holder.updated_at),
        case_number=holder.case_number,
        agency_responsible=holder.squad_name,
        expected_at=holder.expected_at,
        notes=[NoteOut(at=n["at"], text=n["text"]) for n in holder.public_notes],
        photos=[f"/v1/photos/{p}" for p in photo_ids],
        joined=JoinedOut.of(holder) if holder is not incident else None,
        rating=RatingOut(
            rating=incident.rating,
            label=RATING_NAMES[incident.rating],
            comment=incident.rating_comment,
            rated_at=incident.rated_at,
        )
        if incident.rating
        else None,
        can_rate=hint is None,
        rate_hint=hint,
    )


@router.get("/public/v1/reports/{token}", response_model=Tracking, summary="进度查询: a report by its tracking token")
async def track(token: str, request: Request, service: ServiceDep):
    await limit(request, service, "reads")
    async with service.session_factory() as session:
        return await tracking_of(session, await _by_token(session, token))


class RatingIn(BaseModel):
    rating: Rating = Field(description="满意, 基本满意, 不满意")
    comment: str | None = Field(None, max_length=500)


@router.post("/public/v1/reports/{token}/rating", response_model=Tracking, summary="评价: rate the result once closed")
async def rate(token: str, body: RatingIn, request: Request, service: ServiceDep):
    await limit(request, service, "reports")
    async with service.uow() as uow:
        await rate_report(uow, token[:36], body.rating, body.comment.strip() if body.comment else None)
    async with service.session_factory() as session:
        return await tracking_of(session, await _by_token(session, token))
