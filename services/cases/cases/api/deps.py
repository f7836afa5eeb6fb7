"""What cases' routes share: the service (typed), the case as this caller may see it, the actor
of a step, and reading a step's photos. Who may call a route is common.audiences (which role takes
which step is cases.domain.lifecycle.WHO); refusals are common.refusals, answered by the one
handler of create_app."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request, UploadFile

from cases import queries
from cases.domain.lifecycle import Actor
from common.photos import MAX_BYTES, Photo, PhotoRejected, inspect
from common.principal import Principal
from common.refusals import NotFound

if TYPE_CHECKING:
    from cases.service import CasesService
    from cases.tables import Case


def get_service(request: Request) -> CasesService:
    return request.app.state.services["cases"]


ServiceDep = Annotated["CasesService", Depends(get_service)]
MAX_STEP_PHOTOS = 9
"""Photos of one kind in one step: before, after, of a seizure."""


async def load_visible(service: CasesService, case_id: str, principal: Principal) -> Case:
    """The case, if this caller may see it (a squad only its own); else NotFound."""
    async with service.session_factory() as session:
        case = await queries.case(session, case_id)
    if case is None or not principal.sees_squad(case.squad_id):
        raise NotFound(f"case {case_id} not found")
    return case


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
