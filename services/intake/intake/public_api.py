"""What a citizen reaches without an account: the report page (`/report`) and the tracking
page (`/track`), the JSON API behind them (`/public/v1/...`), and the photos (`/v1/photos/...`,
public or not). Every endpoint here is rate-limited per client address."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Header, HTTPException, Request, Response, UploadFile, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlmodel import select

from common.access import sees_evidence, sees_photo
from common.auth import OptionalPrincipal
from common.messaging.contracts import Location
from common.photos import PhotoRejected
from common.redaction import redact_personal
from intake import open311 as o
from common.ratelimit import throttled
from intake.abuse import client_address, submitter_of
from intake.domain import LABEL, RATINGS, Throttled, may_rate
from intake.geo import gcj02_to_wgs84
from intake.handlers import (IdempotencyKeyReused, RatingRefused, ReportIncident, rate_report,
                             report_incident)
from intake.media import keep_uploads, signature_valid, signed_query
from intake.tables import Address, Category, Incident, IncidentPhoto

router = APIRouter(tags=["public 市民"])
pages_router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
PAGE_HEADERS = {"Cache-Control": "no-cache",
                "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                           "script-src 'self' 'unsafe-inline'; img-src 'self' data: blob:"}


async def get_service(request: Request):
    return request.app.state.services["intake"]


def unprocessable(field: str, message: str, kind: str = "value_error") -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["body", field], "msg": message, "type": kind}])


def photo_refused(exc: PhotoRejected) -> HTTPException:
    code = status.HTTP_413_CONTENT_TOO_LARGE if exc.too_large else status.HTTP_422_UNPROCESSABLE_CONTENT
    return HTTPException(code, [{"loc": ["body", "photos"], "msg": str(exc), "type": "photo_rejected"}])


async def rate_limited(service, bucket: str, per_minute: int, what: str) -> None:
    """Count one request in `bucket`; past `per_minute`, a 429 naming the limit."""
    try:
        await service.limiter.hit(bucket, per_minute, what)
    except Throttled as exc:
        raise throttled(exc) from exc


async def limit(request: Request, service, kind: str) -> str:
    """Count the request against its client's per-minute limit; returns the client's address."""
    address = client_address(request, service.settings.trusted_proxies)
    if kind == "reports":
        await rate_limited(service, f"reports:{address}", service.settings.public_reports_per_minute, "reports")
    else:
        await rate_limited(service, f"{kind}:{address}", service.settings.public_reads_per_minute, "requests")
    return address


# -- pages ------------------------------------------------------------------------------------------

@pages_router.get("/report", response_class=HTMLResponse)
async def report_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "report.html").read_text(encoding="utf-8"), headers=PAGE_HEADERS)


@pages_router.get("/track", response_class=HTMLResponse)
async def track_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "track.html").read_text(encoding="utf-8"), headers=PAGE_HEADERS)


# -- the report ---------------------------------------------------------------------------------------

class JoinedOut(BaseModel):
    reference: str = Field(description="the open incident this report joined")
    case_number: str | None
    status_label: str

    @classmethod
    def of(cls, joined: Incident) -> "JoinedOut":
        return cls(reference=joined.id, case_number=joined.case_number, status_label=LABEL[joined.status])


class ReportAccepted(BaseModel):
    token: str = Field(description="查询码: keep it to follow the report and to rate the result")
    reference: str = Field(description="the report's id (also its Open311 service_request_id)")
    tracking_url: str
    status: str
    status_label: str
    joined: JoinedOut | None = Field(description="set when the problem was already reported and is being handled: "
                                     "this report joined it")
    message: str


class CategoryChoice(BaseModel):
    code: str
    name: str
    description: str
    attributes: list[dict]


@router.get("/public/v1/categories", response_model=list[CategoryChoice], summary="服务目录 for the report page")
async def public_categories(request: Request, service=Depends(get_service)):
    await limit(request, service, "reads")
    async with service.session_factory() as session:
        rows = (await session.exec(select(Category).where(Category.active).order_by(Category.code))).all()
    return [CategoryChoice(code=c.code, name=c.name, description=c.description, attributes=c.attributes) for c in rows]


@router.get("/public/v1/map", summary="the district's outline and named places, to pick a point on the report page")
async def public_map(request: Request, service=Depends(get_service)):
    await limit(request, service, "reads")
    async with service.session_factory() as session:
        rows = (await session.exec(select(Address.address, Address.lon, Address.lat))).all()
    roads: dict[str, tuple[float, float]] = {}
    for address, lon, lat in rows:  # one label per road: the part before the house number
        road = address.split("号")[0].rstrip("0123456789")
        roads.setdefault(road, (lon, lat))
    lons, lats = [r[1] for r in rows], [r[2] for r in rows]
    pad = 0.004
    return {"bounds": {"min_lon": min(lons) - pad, "max_lon": max(lons) + pad,
                       "min_lat": min(lats) - pad, "max_lat": max(lats) + pad},
            "places": [{"name": n, "lon": lon, "lat": lat} for n, (lon, lat) in sorted(roads.items())]}


@router.post("/public/v1/reports", response_model=ReportAccepted, status_code=201,
             summary="市民网上反映: a citizen's report, with photos (multipart), no account needed")
async def public_report(
    request: Request, response: Response, service=Depends(get_service),
    category: Annotated[str | None, Form(max_length=64, description="服务目录 code")] = None,
    description: Annotated[str | None, Form(max_length=2000, description="问题描述")] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    coordinate_system: Annotated[Literal["wgs84", "gcj02"], Form(
        description="gcj02 for points from Chinese map SDKs (高德, 腾讯); converted to WGS84")] = "wgs84",
    address: Annotated[str | None, Form(max_length=200, description="门牌地址, when there is no point")] = None,
    contact_name: Annotated[str | None, Form(max_length=50)] = None,
    contact_phone: Annotated[str | None, Form(pattern=r"^\+?[0-9][0-9\- ]{4,19}$",
                                              description="kept by intake only, for a call back")] = None,
    photos: Annotated[list[UploadFile], File(description="JPEG, PNG or HEIC, 10 MB each")] = [],  # noqa: B006
    idempotency_key: Annotated[str | None, Header(max_length=120, description="one per form: a retry returns "
                                                 "the first report")] = None,
):
    address_ip = await limit(request, service, "reports")
    if not category:
        raise unprocessable("category", "choose a category (问题类型)")
    if not description or not description.strip():
        raise unprocessable("description", "describe the problem (问题描述)")
    if len(description) > service.settings.max_description:
        raise unprocessable("description", f"at most {service.settings.max_description} characters")
    rules = await service.catalogue.rules(category)
    if rules is None:
        raise unprocessable("category", f"category {category!r} is not in the 服务目录")
    given: dict[str, str | list[str]] = {}
    for name, value in (await request.form()).multi_items():  # attribute[plate]=豫A12345, as in Open311
        m = o.ATTRIBUTE.match(name)
        if m and isinstance(value, str) and value.strip():
            given[m["code"]] = [*given.get(m["code"], []), value.strip()] if m["multi"] else value.strip()
    try:
        attributes = o.check_attributes(rules.attributes, given)
    except o.Open311Error as exc:
        raise unprocessable("attributes", exc.description) from exc
    if lon is not None and lat is not None:
        if coordinate_system == "gcj02":
            lon, lat = gcj02_to_wgs84(lon, lat)
    elif address:
        place = await service.geocoder.locate(address)
        if place is None:
            raise unprocessable("address", f"address {address!r} is not in the district's address table; "
                                           "pick the point on the map instead")
        lon, lat = place.lon, place.lat
    else:
        raise unprocessable("lon", "give the location: a point (lon and lat) or an address")
    try:
        stored = await keep_uploads(service.store, photos, service.settings.max_photos_web)
    except PhotoRejected as exc:
        raise photo_refused(exc) from exc
    submitter = submitter_of("ip", address_ip, service.photo_key)
    try:
        async with service.uow() as uow:
            reported = await report_incident(uow, ReportIncident(
                category_code=category, location=Location(lon=lon, lat=lat), description=description.strip(),
                channel="web", urgency="ordinary", reported_by="web", caller_name=contact_name,
                caller_phone=contact_phone, address_string=address, photos=tuple(stored), public_photos=True,
                attributes=attributes,
                idempotency_key=f"{submitter}:{idempotency_key}" if idempotency_key else None,
                submitter=submitter), service.catalogue, service.policy)
    except Throttled as exc:
        raise throttled(exc) from exc
    except IdempotencyKeyReused as exc:
        raise unprocessable("Idempotency-Key", str(exc), "idempotency_key_reused") from exc
    if reported.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    i, joined = reported.incident, reported.joined
    base = service.settings.public_base_url or str(request.base_url).rstrip("/")
    message = "已受理, 请保存查询码以便查询进度和评价"
    if joined is not None:
        message = (f"该问题已有人反映 ({joined.case_number or joined.id[:8]}), 正在处理中; 您的反映已并入该事件, "
                   "可凭查询码查看处理进度")
    return ReportAccepted(
        token=i.open311_token, reference=i.id, tracking_url=f"{base}/track?token={i.open311_token}",
        status=joined.status if joined else i.status, status_label=LABEL[joined.status if joined else i.status],
        joined=JoinedOut.of(joined) if joined else None, message=message)


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
    incident = (await session.exec(select(Incident).where(Incident.open311_token == token[:36]))).first()
    if incident is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no report has this tracking token (查询码); check it and try "
                                                       "again")
    return incident


async def tracking_of(session, incident: Incident) -> Tracking:
    holder = await session.get(Incident, incident.duplicate_of) if incident.duplicate_of else incident
    category = await session.get(Category, incident.category_code)
    photo_ids = (await session.exec(select(IncidentPhoto.id).where(IncidentPhoto.incident_id == incident.id)
                                    .order_by(IncidentPhoto.incident_id, IncidentPhoto.position))).all()
    hint = may_rate(holder.status, holder.case_id, incident.rating)
    return Tracking(
        reference=incident.id, category=incident.category_code,
        category_name=category.name if category else incident.category_code,
        description=redact_personal(incident.description), status=holder.status, status_label=LABEL.get(holder.status, holder.status),
        reported_at=incident.reported_at, updated_at=max(incident.updated_at, holder.updated_at),
        case_number=holder.case_number, agency_responsible=holder.squad_name, expected_at=holder.expected_at,
        notes=[NoteOut(at=n["at"], text=n["text"]) for n in holder.public_notes],
        photos=[f"/v1/photos/{p}" for p in photo_ids],
        joined=JoinedOut.of(holder) if holder is not incident else None,
        rating=RatingOut(rating=incident.rating, label=RATINGS[incident.rating], comment=incident.rating_comment,
                         rated_at=incident.rated_at) if incident.rating else None,
        can_rate=hint is None, rate_hint=hint)


@router.get("/public/v1/reports/{token}", response_model=Tracking, summary="进度查询: a report by its tracking token")
async def track(token: str, request: Request, service=Depends(get_service)):
    await limit(request, service, "reads")
    async with service.session_factory() as session:
        return await tracking_of(session, await _by_token(session, token))


class RatingIn(BaseModel):
    rating: Literal["satisfied", "basically_satisfied", "dissatisfied"] = Field(description="满意, 基本满意, 不满意")
    comment: str | None = Field(None, max_length=500)


@router.post("/public/v1/reports/{token}/rating", response_model=Tracking, summary="评价: rate the result once closed")
async def rate(token: str, body: RatingIn, request: Request, service=Depends(get_service)):
    await limit(request, service, "reports")
    try:
        async with service.uow() as uow:
            await rate_report(uow, token[:36], body.rating, body.comment.strip() if body.comment else None)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except RatingRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    async with service.session_factory() as session:
        return await tracking_of(session, await _by_token(session, token))


# -- photos -------------------------------------------------------------------------------------------------

async def _photo(service, photo_id: str) -> tuple[IncidentPhoto, Incident]:
    async with service.session_factory() as session:
        photo = await session.get(IncidentPhoto, photo_id[:36])
        incident = await session.get(Incident, photo.incident_id) if photo else None
    if photo is None or incident is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"photo {photo_id} not found")
    return photo, incident


def photo_link(service, photo: IncidentPhoto) -> str:
    """The link handed out: plain for a public photo, signed and short-lived for the others."""
    if photo.public:
        return f"/v1/photos/{photo.id}"
    return f"/v1/photos/{photo.id}?{signed_query(service.photo_key, photo.id, service.clock.now(), service.settings.photo_url_ttl_s)}"


@router.get("/v1/photos/{photo_id}", summary="a report photo as shown: upright, without metadata",
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
async def shown_photo(photo_id: str, request: Request, service=Depends(get_service), *,
                      principal: OptionalPrincipal, expires: int | None = None, sig: str | None = None):
    await limit(request, service, "reads")
    photo, incident = await _photo(service, photo_id)
    if not photo.public and not signature_valid(service.photo_key, photo.id, expires, sig, service.clock.now()):
        if principal is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "this photo is not public: send a staff bearer token "
                                "or use the signed link the API gave you (it may have expired)",
                                headers={"WWW-Authenticate": "Bearer"})
        if not sees_photo(principal, public=False, squad_id=incident.squad_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"photo {photo_id} not found")
    data = await service.store.get(photo.shown_key)
    cache = "public, max-age=86400, immutable" if photo.public else "private, max-age=300"
    return Response(data, media_type=photo.shown_type, headers={"Cache-Control": cache,
                                                                "X-Content-Type-Options": "nosniff"})


@router.get("/v1/photos/{photo_id}/original", summary="the original as received (evidence, with its metadata): staff",
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/heic": {}}}})
async def original_photo(photo_id: str, principal: OptionalPrincipal, service=Depends(get_service)):
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    photo, incident = await _photo(service, photo_id)
    if not sees_evidence(principal, squad_id=incident.squad_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"photo {photo_id} not found")
    data = await service.store.get(photo.original_key)
    return Response(data, media_type=photo.content_type,
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
                             "X-Photo-SHA256": photo.sha256})
