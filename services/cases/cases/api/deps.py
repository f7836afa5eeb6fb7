"""What cases' routes share: the service (typed), the case as this caller may see it, the actor
of a step, and reading a step's photos. Who may call a route is common.audiences (which role takes
which step is cases.domain.lifecycle.WHO); refusals are common.refusals, answered by the one
handler of create_app."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, Request, UploadFile
from pydantic import BaseModel, ValidationError

from cases import queries
from cases.domain import delivery
from cases.domain.lifecycle import Actor
from common.photos import MAX_BYTES, Photo, PhotoRejected, inspect
from common.principal import Principal
from common.refusals import NotFound, Unprocessable

if TYPE_CHECKING:
    from cases.service import CasesService
    from cases.tables import Case


def get_service(request: Request) -> CasesService:
    return request.app.state.services["cases"]


ServiceDep = Annotated["CasesService", Depends(get_service)]
MAX_STEP_PHOTOS = 9
"""Photos of one kind in one step: before, after, of a seizure."""


async def load_visible(service: CasesService, case_id: str, principal: Principal) -> Case:
    """The case, if this caller may see it (a squad only its own, an office only its area's); else
    NotFound."""
    async with service.session_factory() as session:
        case = await queries.case(session, case_id)
        area = await queries.office_grids(session, principal.office_id)
    if case is None or not principal.sees_squad(case.squad_id) or (area is not None and case.grid_id not in area):
        raise NotFound(f"case {case_id} not found")
    return case


async def public_read(service: CasesService, request: Request) -> None:
    """A public page's request, counted per client address (Throttled past the bureau's limit)."""
    s = service.settings
    await service.limiter.limit(request, s.trusted_proxies, "public", s.public_reads_per_minute)


def document_entry(case_id: str, d) -> dict:
    """A document as a list shows it (GET /v1/cases/{id}/documents, the track's `documents`)."""
    return {
        "id": d.id,
        "kind": d.kind,
        "name": d.name or d.kind,
        "number": d.number,
        "format": "pdf" if d.content_type == "application/pdf" else d.content_type,
        "sha256": d.sha256,
        "signed": d.signed,
        "signer": d.signer,
        "formats": ["pdf", "ofd"] if d.ofd_sha256 else ["pdf"],
        "ofd_sha256": d.ofd_sha256,
        "created_at": d.created_at,
        "served_at": d.served_at,
        "service_method": d.service_method,
        "service_due": delivery.due(d.created_at) if d.signed and d.served_at is None else None,
        "url": f"/v1/cases/{case_id}/documents/{d.id}",
    }


def actor_of(principal: Principal) -> Actor:
    return Actor(subject=principal.subject, role=principal.role, squad_id=principal.squad_id)


def refuse_too_many(files: list[UploadFile] | None, kind: str) -> None:
    if len(files or []) > MAX_STEP_PHOTOS:
        raise PhotoRejected(f"at most {MAX_STEP_PHOTOS} {kind} photos; {len(files or [])} were sent")


async def read_photos(files: list[UploadFile] | None, kind: str) -> list[Photo]:
    """Read and check the photos of one kind (their count already checked); Pillow runs in a
    worker thread, off the event loop."""
    photos = []
    for i, upload in enumerate(files or []):
        data = await upload.read(MAX_BYTES + 1)
        photos.append(await asyncio.to_thread(inspect, data, f"{kind} photo {i + 1} ({upload.filename})"))
    return photos


async def store_photos_under(service: CasesService, prefix: str, photos: list[Photo]) -> list[dict]:
    """Put a step's photos in the store under `prefix` before the transaction that refers to them
    (content-addressed: a retried request writes the same objects again); what the row keeps of each."""
    kept = []
    for p in photos:
        key = f"{prefix}/{p.sha256}.{p.extension}"
        await service.store.put(key, p.data, p.content_type)
        kept.append({"sha256": p.sha256, "content_type": p.content_type, "object_key": key})
    return kept


M = TypeVar("M", bound=BaseModel)


async def body_and_photos(request: Request, model: type[M], kind: str, field: str) -> tuple[M, list[Photo]]:
    """A step's body as JSON, or as multipart with that JSON in `field` and its `photos` (a
    monitor's photo of a 核实 or 核查, the items of a 暂扣), the photos checked before anything is kept."""
    photos: list[Photo] = []
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=MAX_STEP_PHOTOS + 1)
        raw = form.get(field)
        if not isinstance(raw, str):
            raise Unprocessable.field(field, f"the multipart form needs `{field}`, the JSON of the request")
        files = [f for f in form.getlist("photos") if not isinstance(f, str)]
        refuse_too_many(files, kind)  # type: ignore[arg-type]
        photos = await read_photos(files, kind)  # type: ignore[arg-type]
        where: list[str] = [field]
    else:
        raw, where = (await request.body()) or b"{}", []
    try:
        return model.model_validate_json(raw), photos
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Unprocessable.field([*where, *map(str, first["loc"])], first["msg"]) from exc


def with_photos(model: type[BaseModel], field: str, photos: str) -> dict:
    """The OpenAPI request body of a route read by `body_and_photos`: the JSON, or multipart with
    it in `field` and the photos."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": model.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [field],
                        "properties": {
                            field: {"type": "string", "description": "the JSON of the application/json body"},
                            "photos": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "description": f"{photos} (JPEG, PNG or HEIC, 10 MB each, at most {MAX_STEP_PHOTOS})",
                            },
                        },
                    }
                },
            },
        }
    }
