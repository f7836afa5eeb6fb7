"""The clerk's page (/ledger): one static page over the register's API, behind the staff
sign-in; its calls carry the session cookie, and those that change something its CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from common.auth import Role

PAGE_ROLES = frozenset({Role.ledger_clerk, Role.supervisor, Role.admin})
PAGE = (Path(__file__).resolve().parents[1] / "static" / "ledger.html").read_text(encoding="utf-8")
router = APIRouter(tags=["ledger 台账"])


@router.get("/ledger", response_class=HTMLResponse, include_in_schema=False)
async def ledger_page(request: Request):
    return (
        await request.app.state.services["ledger"]
        .pages["/ledger"]
        .serve(
            request,
            PAGE,
            PAGE_ROLES,
            "台账页面供台账管理员和督查使用; 您的角色 ({role}) 请使用派遣台或移动端查询商户。",
            img_src=" blob:",
        )
    )
