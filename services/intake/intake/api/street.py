"""Reports from the street, with the device's GPS point and photos (multipart): a field monitor's
(监督员上报, `/v1/field-reports`) and what a squad officer finds on patrol (巡查上报,
`/v1/patrol-reports`), which goes straight to the officer's own squad."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status

from common.audiences import Monitor, SquadMember
from common.geo import gcj02_to_wgs84
from common.messaging.contracts import DESCRIPTION_MAX, Channel, Location, Urgency
from common.principal import Principal
from common.refusals import Refused, Unprocessable
from intake.api.deps import IdempotencyKeyHeader, ServiceDep
from intake.api.incidents import IncidentPublic, shown_one
from intake.handlers.incidents import ReportIncident, report_incident
from intake.handlers.media import keep_uploads

router = APIRouter(tags=["intake 受理"])


@dataclass
class FieldForm:
    """What a report from the street carries (multipart): the category, the device's point, the
    photos taken there, and when it was seen."""

    category: Annotated[str | None, Form(min_length=1, max_length=64)] = None
    description: Annotated[
        str | None, Form(max_length=DESCRIPTION_MAX, description="may be left out: the photos say it")
    ] = None
    lon: Annotated[float | None, Form(ge=-180, le=180, description="the device's GPS point")] = None
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None
    coordinate_system: Annotated[Literal["wgs84", "gcj02"], Form()] = "wgs84"
    observed_at: Annotated[
        datetime | None, Form(description="when it was seen; default: the first photo's EXIF time, else now")
    ] = None
    urgency: Annotated[Urgency, Form()] = Urgency.ordinary
    photos: Annotated[list[UploadFile] | None, File(description="JPEG, PNG or HEIC, 10 MB each, at most 9")] = None


async def _street_report(
    form: FieldForm,
    principal: Principal,
    service,
    response: Response,
    idempotency_key: str | None,
    *,
    channel: Channel,
    squad_id: str | None = None,
):
    if not form.category:
        raise Unprocessable.field("category", "category is required")
    if form.lon is None or form.lat is None:
        raise Unprocessable.field("lon", "lon and lat (the device's GPS point) are required")
    if form.observed_at is not None and form.observed_at.tzinfo is None:
        raise Unprocessable.field("observed_at", "observed_at needs a time zone offset (2026-11-22T09:30:00+08:00)")
    lon, lat = form.lon, form.lat
    if form.coordinate_system == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    stored = await keep_uploads(service.store, form.photos or [], service.settings.max_photos_field)
    observed_at = form.observed_at or next((p.taken_at for p in stored if p.taken_at), None)
    async with service.uow() as uow:
        reported = await report_incident(
            uow,
            ReportIncident(
                category_code=form.category,
                location=Location(lon=lon, lat=lat),
                description=form.description or "",
                channel=channel,
                urgency=form.urgency,
                reported_by=principal.subject,
                photos=tuple(stored),
                observed_at=observed_at,
                idempotency_key=idempotency_key,
                reporter_squad_id=squad_id,
            ),
            service.catalogue,
            service.policy,
        )
    if reported.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return await shown_one(principal, service, reported.incident)


@router.post(
    "/v1/field-reports",
    status_code=status.HTTP_201_CREATED,
    response_model=IncidentPublic,
    summary="监督员上报: a field monitor's report with its GPS point and up to 9 photos (multipart)",
)
async def field_report(
    principal: Monitor,
    response: Response,
    service: ServiceDep,
    form: Annotated[FieldForm, Depends()],
    idempotency_key: IdempotencyKeyHeader = None,
):
    return await _street_report(form, principal, service, response, idempotency_key, channel=Channel.field_monitor)


@router.post(
    "/v1/patrol-reports",
    status_code=status.HTTP_201_CREATED,
    response_model=IncidentPublic,
    summary="巡查上报: what a squad officer finds on patrol, given straight to the officer's own squad",
    description="Multipart, as `/v1/field-reports`. The case skips the command centre: dispatch gives it to "
    "the reporter's squad and names the reporter as its officer, who may handle it on the spot (即查即处: "
    "accept, then `POST /v1/cases/{id}/handle`). It counts in reporting under the channel `patrol` (巡查发现).",
)
async def patrol_report(
    principal: SquadMember,
    response: Response,
    service: ServiceDep,
    form: Annotated[FieldForm, Depends()],
    idempotency_key: IdempotencyKeyHeader = None,
):
    if principal.squad_id is None:
        raise Refused("a patrol report comes from a squad: this account belongs to none")
    return await _street_report(
        form, principal, service, response, idempotency_key, channel=Channel.patrol, squad_id=principal.squad_id
    )
