"""Open311 GeoReport v2 under `/open311/v2/`, in JSON and XML, and the admin API that issues and
revokes the client apps' keys (`/v1/open311/keys`). The wire format is intake.domain.open311."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from common.audiences import Admin
from common.geo import gcj02_to_wgs84
from common.messaging.contracts import DESCRIPTION_MAX, Location
from common.photos import PhotoRejected
from common.ratelimit import client_address, submitter_of
from common.redaction import redact_personal
from common.refusals import Refusal
from common.vocabulary import Channel, Urgency
from intake import queries
from intake.api.deps import ServiceDep, limit
from intake.domain import open311 as o
from intake.handlers.incidents import ReportIncident, report_incident
from intake.handlers.keys import issue_key, revoke_key
from intake.handlers.media import keep_uploads

if TYPE_CHECKING:
    from intake.tables import ApiClient, Incident

PREFIX = "/open311/v2"


class Open311Route(APIRoute):
    """Every failure of an Open311 route answers in the specification's error shape, in the
    format the path asked for: `[{"code": 400, "description": "..."}]` or `<errors>`."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            fmt = request.path_params.get("fmt") or ("xml" if request.url.path.endswith(".xml") else "json")
            try:
                return await handler(request)
            except o.Open311Error as exc:
                return render("errors", o.errors([exc]), fmt, exc.code)
            except Refusal as exc:  # a rule of the platform's, answered in the specification's shape
                headers = exc.headers()
                words = exc.detail if isinstance(exc.detail, str) else "; ".join(d["msg"] for d in exc.detail)
                return render("errors", o.errors([o.Open311Error(exc.status, words)]), fmt, exc.status, headers)
            except RequestValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"] if p not in ("query", "path", "body"))
                return render("errors", o.errors([o.Open311Error(400, f"{where}: {first['msg']}")]), fmt, 400)
            except HTTPException as exc:
                return render(
                    "errors",
                    o.errors([o.Open311Error(exc.status_code, str(exc.detail))]),
                    fmt,
                    exc.status_code,
                    exc.headers,
                )

        return route


router = APIRouter(prefix=PREFIX, tags=["Open311 GeoReport v2"], route_class=Open311Route)
keys_router = APIRouter(tags=["Open311 GeoReport v2"])


def render(root: str, value, fmt: str, code: int = 200, headers: dict | None = None) -> Response:
    content, media_type = o.body(root, value, fmt)
    if fmt == "xml":
        return Response(content, status_code=code, media_type=media_type, headers=headers)
    return JSONResponse(content, status_code=code, media_type=media_type, headers=headers)


def _fmt(fmt: str) -> str:
    if fmt not in o.FORMATS:
        raise o.Open311Error(400, f"format {fmt!r} is not supported; use json or xml")
    return fmt


def _jurisdiction(service, jurisdiction_id: str | None) -> None:
    if jurisdiction_id and jurisdiction_id != service.settings.open311_jurisdiction_id:
        raise o.Open311Error(
            404,
            f"jurisdiction_id {jurisdiction_id!r} is not served here; "
            f"this endpoint serves {service.settings.open311_jurisdiction_id}",
        )


# -- discovery and services ------------------------------------------------------------------------


@router.get("/discovery.{fmt}", summary="Service discovery: where this GeoReport v2 endpoint is")
async def discovery(fmt: str, request: Request, service: ServiceDep):
    fmt = _fmt(fmt)
    base = _base(service, request)
    return render(
        "discovery",
        {
            "changeset": service.settings.open311_changeset,
            "contact": service.settings.open311_contact,
            "key_service": service.settings.open311_key_service,
            "endpoints": [
                {
                    "specification": o.SPECIFICATION,
                    "url": f"{base}{PREFIX}",
                    "changeset": service.settings.open311_changeset,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        fmt,
    )


@router.get("/services.{fmt}", summary="服务目录: the service list")
async def services(fmt: str, service: ServiceDep, jurisdiction_id: str | None = None):
    fmt = _fmt(fmt)
    _jurisdiction(service, jurisdiction_id)
    async with service.session_factory() as session:
        rows = await queries.categories(session)
    return render("services", [o.service(c) for c in rows], fmt)


@router.get("/services/{service_code}.{fmt}", summary="A service definition: the attributes it asks for")
async def service_definition(service_code: str, fmt: str, service: ServiceDep, jurisdiction_id: str | None = None):
    fmt = _fmt(fmt)
    _jurisdiction(service, jurisdiction_id)
    async with service.session_factory() as session:
        category = await queries.category(session, service_code)
    if category is None:
        raise o.Open311Error(404, f"service_code {service_code!r} not found")
    return render("service_definition", o.service_definition(category), fmt)


# -- requests ----------------------------------------------------------------------------------------


async def _client(service, api_key: str | None) -> ApiClient:
    if not api_key:
        raise o.Open311Error(403, "api_key is required to submit a service request")
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    async with service.session_factory() as session:
        client = await queries.api_client(session, digest)
    if client is None or client.revoked_at is not None:
        raise o.Open311Error(403, "api_key is not valid (unknown or revoked)")
    return client


async def _readable_channels(service, api_key: str | None) -> frozenset[str] | None:
    """What a reader may list: the channels citizens file publicly (INTAKE_PUBLIC_CHANNELS), or
    every channel (None) for a partner system's key."""
    if api_key:
        client = await _client(service, api_key)
        if client.scope == "partner":
            return None
    return service.settings.public_channels


@router.post("/requests.{fmt}", summary="Submit a service request (form-encoded, api_key required)")
async def post_request(fmt: str, request: Request, service: ServiceDep):
    fmt = _fmt(fmt)
    raw = await request.form()
    form: dict[str, list[str]] = {}
    media = []  # the `media` file upload that several cities' apps send (multipart)
    for name, value in raw.multi_items():
        if isinstance(value, str):
            form.setdefault(name, []).append(value)
        elif name == "media":
            media.append(value)
    _jurisdiction(service, (form.get("jurisdiction_id") or [None])[-1])
    client = await _client(service, (form.get("api_key") or [None])[-1])
    # Counted per key and client address: a device_id is whatever the client chooses to send.
    sender = client_address(request, service.settings.trusted_proxies)
    await service.limiter.hit(
        f"open311:{client.id}:{sender}", service.settings.open311_posts_per_minute, "service requests"
    )
    req = o.parse_request_form(form, DESCRIPTION_MAX)
    coordinate_system = (form.get("coordinate_system") or ["wgs84"])[-1].lower()
    if coordinate_system not in ("wgs84", "gcj02"):
        raise o.Open311Error(400, "coordinate_system must be wgs84 or gcj02")
    async with service.session_factory() as session:
        category = await queries.category(session, req.service_code)
    if category is None:
        raise o.Open311Error(404, f"service_code {req.service_code!r} not found")
    attributes = o.check_attributes(category.attributes, req.attributes)
    if not req.description and not req.media_url and not media:
        raise o.Open311Error(400, "a description or a media_url is required")
    try:
        stored = await keep_uploads(service.store, media, service.settings.max_photos_web)
    except PhotoRejected as exc:
        raise o.Open311Error(413 if exc.too_large else 400, f"media: {exc}") from exc
    if req.lat is not None:
        lon, lat = gcj02_to_wgs84(req.long, req.lat) if coordinate_system == "gcj02" else (req.long, req.lat)
    else:
        place = await service.geocoder.locate(req.address_string or req.address_id or "")
        if place is None:
            raise o.Open311Error(
                400,
                f"address_string {req.address_string or req.address_id!r} is not in the "
                "district's address table; send lat and long instead",
            )
        lon, lat = place.lon, place.lat
    async with service.uow() as uow:
        reported = await report_incident(
            uow,
            ReportIncident(
                category_code=category.code,
                location=Location(lon=lon, lat=lat),
                description=req.description or category.name,
                channel=Channel.open311,
                urgency=Urgency.ordinary,
                reported_by=f"open311:{client.name}",
                caller_name=req.name,
                caller_phone=req.phone,
                address_string=req.address_string,
                attributes=attributes,
                media_urls=(req.media_url,) if req.media_url else (),
                contact_email=req.email,
                device_id=req.device_id,
                account_id=req.account_id,
                client_id=client.id,
                photos=tuple(stored),
                public_photos=True,
                submitter=submitter_of("open311", f"{client.id}:{sender}", service.photo_key),
            ),
            service.catalogue,
            service.policy,
        )
    i, joined = reported.incident, reported.joined
    notice = service.settings.open311_service_notice
    if joined is not None:  # the reporter is told which request it joined
        notice = f"该问题已有人反映 (service_request_id {joined.id}), 正在处理中; 本次反映已并入该请求"
    return render(
        "service_requests",
        [{"service_request_id": i.id, "token": i.open311_token, "service_notice": notice, "account_id": i.account_id}],
        fmt,
        201,
    )


def _request(i: Incident, holder: Incident, names: dict[str, str], photos: list[str], extended: bool) -> dict:
    """One request on the wire. A report that joined an open one (重复件) shows that one's
    progress: its status, squad, deadline and notes."""
    notes = list(holder.public_notes)
    media = [*photos, *i.media_urls]
    out = {
        "service_request_id": i.id,
        "status": o.status_of(holder.status),
        "status_notes": notes[-1]["text"] if notes else None,
        "service_name": names.get(i.category_code, i.category_code),
        "service_code": i.category_code,
        "description": redact_personal(i.description),
        "agency_responsible": holder.squad_name,
        "service_notice": f"已并入 service_request_id {holder.id}" if holder is not i else None,
        "requested_datetime": i.reported_at,
        "updated_datetime": max(i.updated_at, holder.updated_at),
        "expected_datetime": holder.expected_at,
        "address": i.address_string,
        "address_id": None,
        "zipcode": None,
        "lat": i.lat,
        "long": i.lon,
        "media_url": media[0] if media else None,
    }
    if extended:
        out["extended_attributes"] = {
            "channel": i.channel,
            "case_number": holder.case_number,
            "detailed_status": holder.status,
            "photos": media,
            "joined_service_request_id": holder.id if holder is not i else None,
            "notes": [{"datetime": n["at"], "text": n["text"]} for n in notes],
        }
    return out


async def _requests(session, rows: list[Incident], base: str, extended: bool) -> list[dict]:
    holders = await queries.holders(session, {i.duplicate_of for i in rows if i.duplicate_of})
    photos: dict[str, list[str]] = {}
    for incident_id, photo_id in await queries.public_photos(session, [i.id for i in rows]):
        photos.setdefault(incident_id, []).append(f"{base}/v1/photos/{photo_id}")
    names = await queries.category_names(session)
    return [_request(i, holders.get(i.duplicate_of, i), names, photos.get(i.id, []), extended) for i in rows]


def _base(service, request: Request) -> str:
    return service.settings.public_base_url or str(request.base_url).rstrip("/")


def _csv(raw: str | None) -> list[str]:
    return [v.strip() for v in raw.split(",") if v.strip()] if raw else []


@router.get(
    "/requests.{fmt}", summary="Service requests: by id, or filtered (default: the last 90 days, at most 1,000)"
)
async def get_requests(
    fmt: str,
    request: Request,
    service: ServiceDep,
    jurisdiction_id: str | None = None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status_: Annotated[str | None, Query(alias="status")] = None,
    extensions: bool = False,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=o.MAX_REQUESTS)] = o.MAX_REQUESTS,
    api_key: Annotated[
        str | None,
        Query(
            max_length=100, description="a partner key reads every channel; without one, what citizens filed publicly"
        ),
    ] = None,
):
    fmt = _fmt(fmt)
    await limit(request, service, "reads")
    _jurisdiction(service, jurisdiction_id)
    channels = await _readable_channels(service, api_key)
    ids = _csv(service_request_id)[: o.MAX_REQUESTS]  # the specification: with ids, the other filters are ignored
    start = o.parse_datetime("start_date", start_date) if start_date else None
    end = o.parse_datetime("end_date", end_date) if end_date else None
    if start and end and end < start:
        raise o.Open311Error(400, "end_date is before start_date")
    if start is None:
        start = (end or service.clock.now()) - timedelta(days=o.DEFAULT_WINDOW_DAYS)
    states = _csv(status_)
    unknown = [s for s in states if s not in ("open", "closed")]
    if unknown:
        raise o.Open311Error(400, f"status {unknown[0]!r} is not open or closed")
    async with service.session_factory() as session:
        rows = await queries.open311_requests(
            session,
            channels=channels,
            ids=ids,
            start=start,
            end=end,
            codes=_csv(service_code),
            state=states[0] if states and len(set(states)) == 1 else None,
            limit=page_size,
            offset=(page - 1) * page_size,
        )
        return render("service_requests", await _requests(session, rows, _base(service, request), extensions), fmt)


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request")
async def get_request(
    service_request_id: str,
    fmt: str,
    request: Request,
    service: ServiceDep,
    jurisdiction_id: str | None = None,
    extensions: bool = False,
    api_key: Annotated[str | None, Query(max_length=100)] = None,
):
    fmt = _fmt(fmt)
    await limit(request, service, "reads")
    _jurisdiction(service, jurisdiction_id)
    channels = await _readable_channels(service, api_key)
    async with service.session_factory() as session:
        incident = await queries.incident(session, service_request_id)
        if incident is None or channels is not None and incident.channel not in channels:
            raise o.Open311Error(404, f"service_request_id {service_request_id!r} not found")
        return render(
            "service_requests", await _requests(session, [incident], _base(service, request), extensions), fmt
        )


@router.get("/tokens/{token}.{fmt}", summary="The service_request_id of a token")
async def get_token(token: str, fmt: str, request: Request, service: ServiceDep, jurisdiction_id: str | None = None):
    fmt = _fmt(fmt)
    await limit(request, service, "reads")
    _jurisdiction(service, jurisdiction_id)
    async with service.session_factory() as session:
        incident = await queries.by_token(session, token)
    if incident is None:
        raise o.Open311Error(404, f"token {token!r} not found")
    return render("service_requests", [{"service_request_id": incident.id, "token": token}], fmt)


# -- the client apps' keys (admin) -----------------------------------------------------------------------


class KeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w.\- ]+$", description="the client app")
    scope: Literal["public", "partner"] = Field(
        "public",
        description="public: submits requests and reads what anyone reads; partner (a municipal "
        "system): also reads the requests of every channel",
    )


class KeyPublic(BaseModel):
    id: str
    name: str
    key_prefix: str = Field(description="the key's first characters, to recognise it")
    scope: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class KeyIssued(KeyPublic):
    api_key: str = Field(description="shown once; only its SHA-256 is kept")


@keys_router.post(
    "/v1/open311/keys",
    response_model=KeyIssued,
    status_code=201,
    summary="issue an api_key to an Open311 client app (admin)",
)
async def issue(body: KeyRequest, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        client, key = await issue_key(uow, body.name, body.scope, principal.subject)
    return KeyIssued(**client.model_dump(), api_key=key)


@keys_router.get("/v1/open311/keys", response_model=list[KeyPublic], summary="the client apps and their keys")
async def list_keys(principal: Admin, service: ServiceDep):
    async with service.session_factory() as session:
        return await queries.api_clients(session)


@keys_router.delete("/v1/open311/keys/{client_id}", response_model=KeyPublic, summary="revoke a key (admin)")
async def revoke(client_id: str, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        return await revoke_key(uow, client_id)
