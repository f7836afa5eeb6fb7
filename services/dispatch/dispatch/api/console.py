"""The dispatch console (派遣台) at /console: one static page that reads GET /v1/board and then
follows /v1/assignments/stream. Staff sign in first (common.web_session); the page holds no
secret: its calls carry the session cookie, and those that change something its CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from common.principal import Role
from dispatch.api.deps import ServiceDep

CONSOLE_ROLES = frozenset({Role.dispatcher, Role.supervisor, Role.squad_leader, Role.squad_officer, Role.admin})
router = APIRouter(tags=["console 派遣台"])
PAGE = (Path(__file__).resolve().parents[1] / "static" / "console.html").read_text(encoding="utf-8")


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def console(request: Request, service: ServiceDep):
    return await service.pages["/console"].serve(
        request, PAGE, CONSOLE_ROLES, "派遣台供指挥中心派遣员、督查员和各中队使用; 您的角色 ({role}) 不使用派遣台。"
    )
