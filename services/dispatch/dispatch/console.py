"""The dispatch console (派遣台) at /console: one static page that reads GET /v1/board and then
follows /v1/assignments/stream. The page holds no secret; it calls the API with the user's token."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["console 派遣台"])
PAGE = (Path(__file__).parent / "static" / "console.html").read_text(encoding="utf-8")


@router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def console() -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"Cache-Control": "no-cache",
                                       "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                                                  "script-src 'self' 'unsafe-inline'; img-src 'self' data:"})
