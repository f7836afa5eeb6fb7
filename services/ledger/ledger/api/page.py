"""The clerk's page (/ledger): one static page over the register's API, behind the staff
sign-in; its calls carry the session cookie, and those that change something its CSRF token."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from common.auth import Principal, Role

PAGE_ROLES = frozenset({Role.ledger_clerk, Role.supervisor, Role.admin})
PAGE = (Path(__file__).resolve().parents[1] / "static" / "ledger.html").read_text(encoding="utf-8")
HEADERS = {"Cache-Control": "no-cache",
           "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                      "script-src 'self' 'unsafe-inline'; img-src 'self' data: blob:"}
router = APIRouter(tags=["ledger 台账"])


@router.get("/ledger", response_class=HTMLResponse, include_in_schema=False)
async def ledger_page(request: Request) -> HTMLResponse:
    pages = request.app.state.services["ledger"].pages["/ledger"]
    signed_in = await pages.page_principal(request)
    if not isinstance(signed_in, Principal):
        return signed_in  # to the sign-in
    if signed_in.role not in PAGE_ROLES:
        return await pages.refusal(request, f"台账页面供台账管理员和督查使用; 您的角色 ({signed_in.role.value}) "
                                            "请使用派遣台或移动端查询商户。")
    return HTMLResponse(PAGE, headers=HEADERS)
