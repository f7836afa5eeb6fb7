"""What intake's routes share: the service (typed), the public routes' rate limits, the pages'
headers, and the link a photo is handed out with. Who may call a route is common.audiences;
refusals are common.refusals, answered by the one handler of create_app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request

from common.ratelimit import client_address
from intake.handlers.media import signed_query

if TYPE_CHECKING:
    from intake.service import IntakeService
    from intake.tables import IncidentPhoto


def get_service(request: Request) -> IntakeService:
    return request.app.state.services["intake"]


ServiceDep = Annotated["IntakeService", Depends(get_service)]
STATIC = Path(__file__).resolve().parents[1] / "static"
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; img-src 'self' data: blob:",
}


async def limit(request: Request, service: IntakeService, kind: str) -> str:
    """Count the request against its client's per-minute limit (Throttled past it); the client's
    address: `reports` are the public reports' limit, anything else the reads'."""
    address = client_address(request, service.settings.trusted_proxies)
    if kind == "reports":
        await service.limiter.hit(f"reports:{address}", service.settings.public_reports_per_minute, "reports")
    else:
        await service.limiter.hit(f"{kind}:{address}", service.settings.public_reads_per_minute, "requests")
    return address


def photo_link(service: IntakeService, photo: IncidentPhoto) -> str:
    """The link handed out: plain for a public photo, signed and short-lived for the others."""
    if photo.public:
        return f"/v1/photos/{photo.id}"
    query = signed_query(service.photo_key, photo.id, service.clock.now(), service.settings.photo_url_ttl_s)
    return f"/v1/photos/{photo.id}?{query}"


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(max_length=200, description="retry-safe: the same key and body return the first incident"),
]
"""A staff or program report's `Idempotency-Key` (intake.handlers.incidents keeps it with the request's fingerprint)."""
