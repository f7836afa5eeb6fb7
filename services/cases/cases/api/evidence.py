"""Video and audio evidence over HTTP: a resumable upload (the tus protocol, tuspyserver) that
streams to disk and then to the object store, played back with range requests, every viewing
logged.

    POST  /v1/evidence-uploads        tus creation, Upload-Metadata: case_id, filename, filetype (base64);
                                      a docking station: device_id and recorded_at instead of case_id
    PATCH /v1/evidence-uploads/{id}   the bytes from Upload-Offset: a lost connection resumes where it stopped
    HEAD  /v1/evidence-uploads/{id}   how far it got

The last PATCH checks the file by its content, hashes it and keeps it with the case; its answer
says if the file was refused and why."""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from tuspyserver import create_tus_router

from cases.api.deps import ServiceDep, actor_of, get_service, load_visible
from cases.handlers.evidence import case_evidence, keep_upload, log_viewing, one_evidence, viewings
from cases.handlers.stations import attach, camera_officer, keep_station_file, offers
from cases.settings import CasesSettings
from common.audiences import CASE_WORKERS, DossierReader
from common.auth import require_roles
from common.principal import Principal, Role
from common.refusals import NotFound, Refusal, Refused, TooLarge, Unprocessable

log = logging.getLogger(__name__)
router = APIRouter(tags=["cases 案卷"])
UPLOADERS = frozenset({Role.squad_officer, Role.squad_leader, Role.dispatcher, Role.supervisor, Role.admin})
SLICE = 1024 * 1024
_worker = require_roles(*CASE_WORKERS, Role.external_system)
Uploader = Annotated[Principal, Depends(_worker)]
"""tus's own `auth` and our hooks name this one dependency, so a request's token is read once."""
EVIDENCE_PIECE = 64 * 1024 * 1024
"""The largest piece one PATCH may carry (tus clients send 5–50 MB at a time on a weak network)."""


def tus_router(settings: CasesSettings) -> APIRouter:
    """The tus endpoints, made with the service's settings (where the parts wait, how big a file may be)."""

    async def before_creating(request: Request, principal: Uploader):
        service = get_service(request)

        async def check(metadata: dict, info: dict) -> None:
            case_id, device_id = metadata.get("case_id"), metadata.get("device_id")
            if not (case_id or device_id) or not metadata.get("filename") or not metadata.get("filetype"):
                raise Unprocessable.field(
                    "Upload-Metadata",
                    "name the case (case_id) or, from a docking station, the camera (device_id), the file (filename) "
                    "and its type (filetype)",
                )
            if (info.get("size") or 0) > settings.evidence_max_bytes:
                raise TooLarge(f"a file of evidence is {settings.evidence_max_bytes // 2**20} MB at most")
            if device_id and not case_id:  # a docking station (采集站): the camera must be a body camera in service
                if principal.role not in (Role.external_system, Role.admin):
                    raise Refused("a docking station uploads a camera's files; an officer uploads to a case")
                _recorded_at(metadata)
                async with service.session_factory() as session:
                    await camera_officer(session, device_id)
                return
            await load_visible(service, case_id, principal)
            if principal.role not in UPLOADERS:
                raise Refused(f"evidence is uploaded by the case's squad or the command centre, not {principal.role}")

        return check

    async def when_complete(request: Request, principal: Uploader):
        service = get_service(request)

        async def keep(file_path: str, metadata: dict) -> None:
            path = Path(file_path)
            try:
                if not metadata.get("case_id"):
                    async with service.uow() as uow:
                        await keep_station_file(
                            uow,
                            service.store,
                            metadata["device_id"],
                            principal.subject,
                            path,
                            metadata["filename"][:200],
                            _recorded_at(metadata),
                        )
                    _remove(path)
                    return
                await load_visible(service, metadata["case_id"], principal)
                async with service.uow() as uow:
                    await keep_upload(
                        uow,
                        service.store,
                        metadata["case_id"],
                        actor_of(principal),
                        path,
                        metadata["filename"][:200],
                        settings.evidence_retention_days,
                    )
            except Refusal:
                _remove(path)  # refused by its content: nothing of it is kept
                raise
            except Exception:
                log.exception("evidence upload %s complete but not kept; its file is left for a retry", path.name)
                raise
            _remove(path)

        return keep

    made = create_tus_router(
        prefix="v1/evidence-uploads",
        files_dir=settings.evidence_upload_dir,
        max_size=settings.evidence_max_bytes,
        auth=_worker,
        days_to_keep=settings.evidence_upload_days,
        pre_create_dep=before_creating,
        upload_complete_dep=when_complete,
        tags=["cases 案卷"],
    )
    for route in made.routes:
        route.include_in_schema = False  # the tus protocol's own document describes them (tus.io)
    return made


def _recorded_at(metadata: dict) -> datetime | None:
    """The time a docking station tagged a file with (ISO 8601 with its offset), if it did."""
    given = metadata.get("recorded_at")
    if not given:
        return None
    try:
        at = datetime.fromisoformat(given)
    except ValueError as exc:
        raise Unprocessable.field("Upload-Metadata", f"recorded_at is not an ISO 8601 time: {given!r}") from exc
    if at.tzinfo is None:
        raise Unprocessable.field("Upload-Metadata", "recorded_at needs its offset (+08:00)")
    return at


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.info")):
        try:
            os.remove(p)
        except FileNotFoundError:
            pass


class EvidenceOut(BaseModel):
    id: str
    kind: str = Field(description="video, audio")
    filename: str
    content_type: str
    size: int
    sha256: str = Field(description="of the original, as kept; also in the trail")
    container: str
    codec: str
    duration_s: float | None
    recorded_at: datetime | None = Field(description="when the camera says it recorded")
    uploaded_by: str
    uploaded_at: datetime
    retained_until: date
    url: str


class ViewingOut(BaseModel):
    viewer: str
    at: datetime
    first_byte: int
    last_byte: int


@router.get(
    "/v1/cases/{case_id}/evidence", response_model=list[EvidenceOut], summary="视听证据: the case's video and audio"
)
async def evidence_list(case_id: str, principal: DossierReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.session_factory() as session:
        rows = await case_evidence(session, case_id)
    return [
        EvidenceOut(
            **{k: getattr(r, k) for k in EvidenceOut.model_fields if k != "url"},
            url=f"/v1/cases/{case_id}/evidence/{r.id}/content",
        )
        for r in rows
    ]


async def _one(service, case_id: str, evidence_id: str):
    async with service.session_factory() as session:
        found = await one_evidence(session, case_id, evidence_id)
    if found is None:
        raise NotFound(f"no evidence {evidence_id} in case {case_id}")
    return found


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first byte range asked for (`bytes=a-b`, `a-`, `-n`), inclusive; None for the whole."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    first_spec = spec.split(",")[0].strip()
    if unit.strip() != "bytes" or "-" not in first_spec:
        raise Refusal(f"unreadable Range {header!r}: bytes=first-last", status=416)
    a, _, b = first_spec.partition("-")
    if not a:  # the last n bytes
        n = int(b) if b.isdigit() else 0
        start, end = max(0, size - n), size - 1
    else:
        if not a.isdigit() or (b and not b.isdigit()):
            raise Refusal(f"unreadable Range {header!r}", status=416)
        start, end = int(a), min(int(b), size - 1) if b else size - 1
    if start >= size or start > end:
        raise Refusal(f"Range {header!r} lies outside the file's {size} bytes", status=416)
    return start, end


@router.get(
    "/v1/cases/{case_id}/evidence/{evidence_id}/content",
    response_class=StreamingResponse,
    summary="play it back: the original, whole or by range (206); every viewing is logged",
    responses={200: {"content": {"video/mp4": {}}}, 206: {"content": {"video/mp4": {}}}},
)
async def evidence_content(
    case_id: str, evidence_id: str, request: Request, principal: DossierReader, service: ServiceDep
):
    await load_visible(service, case_id, principal)
    ev = await _one(service, case_id, evidence_id)
    asked = _range(request.headers.get("range"), ev.size)
    start, end = asked or (0, ev.size - 1)
    async with service.uow() as uow:
        await log_viewing(uow, ev, principal.subject, start, end)

    async def body():
        at = start
        while at <= end:
            chunk = await service.store.read_range(ev.object_key, at, min(SLICE, end - at + 1))
            if not chunk:
                return
            yield chunk
            at += len(chunk)

    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1), "X-Content-SHA256": ev.sha256}
    if asked:
        headers["Content-Range"] = f"bytes {start}-{end}/{ev.size}"
    return StreamingResponse(body(), status_code=206 if asked else 200, media_type=ev.content_type, headers=headers)


@router.get(
    "/v1/cases/{case_id}/evidence/{evidence_id}/viewings",
    response_model=list[ViewingOut],
    summary="who viewed it, when, which bytes",
)
async def evidence_viewings(case_id: str, evidence_id: str, principal: DossierReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    ev = await _one(service, case_id, evidence_id)
    async with service.session_factory() as session:
        return [
            ViewingOut(viewer=v.viewer, at=v.at, first_byte=v.first_byte, last_byte=v.last_byte)
            for v in await viewings(session, ev.id)
        ]


class StationFileOut(BaseModel):
    id: str
    device_id: str
    officer_id: str = Field(description="who carried the camera")
    filename: str
    kind: str
    size: int
    sha256: str
    codec: str
    duration_s: float | None
    recorded_at: datetime
    uploaded_at: datetime


@router.get(
    "/v1/cases/{case_id}/evidence/offers",
    response_model=list[StationFileOut],
    summary="采集站: the body cameras' files recorded while their officers worked on the case, not yet attached",
)
async def station_offers(case_id: str, principal: DossierReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    margin = timedelta(minutes=service.settings.station_match_minutes)
    async with service.session_factory() as session:
        rows = await offers(session, case_id, margin)
    return [StationFileOut(**{k: getattr(r, k) for k in StationFileOut.model_fields}) for r in rows]


@router.post(
    "/v1/cases/{case_id}/evidence/offers/{file_id}",
    response_model=EvidenceOut,
    status_code=201,
    summary="attach an offered file to the case as evidence, in one step (the same original, its hash in the trail)",
)
async def attach_offer(case_id: str, file_id: str, principal: Uploader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    if principal.role not in UPLOADERS:
        raise Refused(f"evidence is attached by the case's squad or the command centre, not {principal.role}")
    margin = timedelta(minutes=service.settings.station_match_minutes)
    async with service.uow() as uow:
        r = await attach(uow, case_id, file_id, actor_of(principal), margin, service.settings.evidence_retention_days)
    return EvidenceOut(
        **{k: getattr(r, k) for k in EvidenceOut.model_fields if k != "url"},
        url=f"/v1/cases/{case_id}/evidence/{r.id}/content",
    )
