"""The command centre's page of the links to the city (/links): the 12345 and 110 orders with their
limits, the messages waiting or failed (send again), and the webhook subscriptions; one static page
over intake's API, behind the staff sign-in."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from common.auth import Role

PAGE_ROLES = frozenset({Role.dispatcher, Role.supervisor, Role.admin})
REFUSED = "对接页面供指挥中心 (派遣员、督查) 和系统管理员使用; 您的角色 ({role}) 无需使用。"
PAGE = (Path(__file__).resolve().parents[1] / "static" / "links.html").read_text(encoding="utf-8")
router = APIRouter(tags=["intake 受理"])


@router.get("/links", response_class=HTMLResponse, include_in_schema=False)
async def links_page(request: Request):
    return (
        await request.app.state.services["intake"]
        .pages["/links"]
        .serve(
            request,
            PAGE,
            PAGE_ROLES,
            "对接页面供指挥中心 (派遣员、督查) 和系统管理员使用; 您的角色 ({role}) 无需使用。",
        )
    )
