"""月度通报: `GET /v1/reports/circular?month=` as a page, `.pdf` to print and send."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from common.audiences import CommandCentre
from reporting.adapters.circular import render_html, render_pdf
from reporting.api.deps import MONTH_PATTERN, ServiceDep
from reporting.queries.circular import build

router = APIRouter(tags=["reporting 统计"])
Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]
HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


async def _circular(service, month: str):
    s = service.settings
    async with service.session_factory() as session:
        return await build(
            session,
            date.fromisoformat(month + "-01"),
            bureau=s.bureau_name,
            rule=s.on_time_denominator,
            weights=s.ranking_weights,
            min_cases=s.ranking_min_cases,
            now=service.clock.now(),
        )


@router.get(
    "/v1/reports/circular",
    response_class=HTMLResponse,
    summary="月度通报 as an HTML page: the headline figures with 环比/同比, the trend, the top categories, the "
    "ranking, the grids' map, the registers, the formulas",
)
async def circular_page(month: Month, principal: CommandCentre, service: ServiceDep):
    return HTMLResponse(render_html(await _circular(service, month)), headers=HEADERS)


@router.get(
    "/v1/reports/circular.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="月度通报 as a PDF, ready to print and send",
)
async def circular_pdf(month: Month, principal: CommandCentre, service: ServiceDep):
    circular = await _circular(service, month)
    pdf = await asyncio.to_thread(render_pdf, circular)  # ReportLab is CPU work: off the event loop
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="circular-{month}.pdf"', "Cache-Control": "no-store"},
    )
