"""Report photos: `/v1/photos/{id}`, the copy shown (upright, without metadata: public when a
citizen sent it with a public report, else for staff on the incident or through the signed link
the API handed out), and `/original`, the evidence as received, for staff."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from common.access import sees_evidence, sees_photo
from common.auth import OptionalPrincipal
from common.refusals import NotFound, Unauthenticated
from intake import queries
from intake.api.deps import ServiceDep, limit
from intake.handlers.media import signature_valid

router = APIRouter(tags=["public 市民"])


async def _photo(service, photo_id: str):
    async with service.session_factory() as session:
        photo, incident = await queries.photo_with_incident(session, photo_id)
    if photo is None or incident is None:
        raise NotFound(f"photo {photo_id} not found")
    return photo, incident


@router.get(
    "/v1/photos/{photo_id}",
    summary="a report photo as shown: upright, without metadata",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
async def shown_photo(
    photo_id: str,
    request: Request,
    service: ServiceDep,
    *,
    principal: OptionalPrincipal,
    expires: int | None = None,
    sig: str | None = None,
):
    await limit(request, service, "reads")
    photo, incident = await _photo(service, photo_id)
    if not photo.public and not signature_valid(service.photo_key, photo.id, expires, sig, service.clock.now()):
        if principal is None:
            raise Unauthenticated(
                "this photo is not public: send a staff bearer token "
                "or use the signed link the API gave you (it may have expired)"
            )
        if not sees_photo(principal, public=False, squad_id=incident.squad_id):
            raise NotFound(f"photo {photo_id} not found")
    data = await service.store.get(photo.shown_key)
    cache = "public, max-age=86400, immutable" if photo.public else "private, max-age=300"
    return Response(
        data, media_type=photo.shown_type, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    )


@router.get(
    "/v1/photos/{photo_id}/original",
    summary="the original as received (evidence, with its metadata): staff",
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/heic": {}}}},
)
async def original_photo(photo_id: str, principal: OptionalPrincipal, service: ServiceDep):
    if principal is None:
        raise Unauthenticated("missing bearer token")
    photo, incident = await _photo(service, photo_id)
    if not sees_evidence(principal, squad_id=incident.squad_id):
        raise NotFound(f"photo {photo_id} not found")
    data = await service.store.get(photo.original_key)
    return Response(
        data,
        media_type=photo.content_type,
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Photo-SHA256": photo.sha256,
        },
    )
