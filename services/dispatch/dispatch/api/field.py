"""城管通, the field app at /field: a phone-sized page for squad officers, squad leaders and field
monitors, that keeps working with a weak signal or none (a service worker caches the shell; what
is done offline waits in the phone's IndexedDB and is sent with an Idempotency-Key until the
server acknowledges it). Static files, no build step, nothing from a CDN. Served by dispatch,
which owns the assignments it starts from; its calls go to every service, with the bearer token
`/field/auth/token` gives the signed-in session (common.web_session)."""

from __future__ import annotations

import gzip
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from common.principal import Role
from common.refusals import NotFound
from dispatch.api.deps import ServiceDep

FIELD_ROLES = frozenset({Role.squad_officer, Role.squad_leader, Role.field_monitor, Role.admin})
STATIC = Path(__file__).resolve().parents[1] / "static" / "field"
FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "sw.js": "text/javascript; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon.svg": "image/svg+xml",
}
CONTENT = {name: (STATIC / name).read_bytes() for name in FILES}
GZIPPED = {name: gzip.compress(data, 9, mtime=0) for name, data in CONTENT.items()}
"""Compressed once: a phone on a weak signal loads the app's script in a quarter of the bytes."""
PAGE = (STATIC / "index.html").read_text(encoding="utf-8")
router = APIRouter(tags=["field 城管通"])


@router.get("/field", response_class=HTMLResponse, include_in_schema=False)
async def field(request: Request, service: ServiceDep):
    return await service.pages["/field"].serve(
        request,
        PAGE,
        FIELD_ROLES,
        "城管通供中队队员、中队长和数字化监督员在街面使用; 您的角色 ({role}) 请使用派遣台或台账。",
    )


@router.get("/field/{name}", include_in_schema=False)
async def field_file(name: str, request: Request) -> Response:
    """The shell's files: revalidated each time (the service worker keeps its own copy, and
    updates it in the background)."""
    if name not in FILES:
        raise NotFound(f"no file {name} in the field app")
    headers = {"Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/field"
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(GZIPPED[name], media_type=FILES[name], headers={**headers, "Content-Encoding": "gzip"})
    return Response(CONTENT[name], media_type=FILES[name], headers=headers)
