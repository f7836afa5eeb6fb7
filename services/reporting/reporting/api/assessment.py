"""考评 over HTTP: a scheme's offices (办事处) and squads over any period (a preview, computed from the
rows), the periods published, and a published period's 考评通报 as HTML and PDF."""

from __future__ import annotations

import asyncio
from datetime import date

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from common.audiences import CommandCentre, ReportReader
from common.refusals import NotFound
from reporting.adapters.assessment import Bulletin, render_html, render_pdf
from reporting.api.deps import PeriodDep, ServiceDep
from reporting.queries.assessment import assess, published

router = APIRouter(tags=["reporting 统计"])
HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


class Unit(BaseModel):
    unit_kind: str
    unit_id: str
    unit_name: str
    rank: int | None
    score: float
    cases: int = Field(description="应处置 cases of the scheme's categories")
    notices: int = Field(description="责改通知书 received in the period")
    notices_late: int
    values: dict[str, float | int | None]


class Assessment(BaseModel):
    scheme: str
    scheme_name: str
    start: date
    end: date = Field(description="exclusive")
    published: bool
    units: list[Unit]


def _scheme(service, scheme_id: str):
    scheme = next((s for s in service.schemes if s.id == scheme_id), None)
    if scheme is None:
        raise NotFound(f"unknown assessment scheme {scheme_id}: {', '.join(s.id for s in service.schemes)}")
    return scheme


@router.get("/v1/reports/assessment-schemes", summary="考评: the bureau's schemes (REPORTING_ASSESSMENTS)")
async def schemes(principal: ReportReader, service: ServiceDep) -> list[dict]:
    return [
        {
            "id": s.id,
            "name": s.name,
            "days": s.days,
            "anchor": s.anchor,
            "categories": list(s.categories),
            "exclude": list(s.exclude),
            "min_cases": s.min_cases,
        }
        for s in service.schemes
    ]


@router.get(
    "/v1/reports/assessments/{scheme_id}",
    response_model=Assessment,
    summary="考评 over any period (period=..., or range with from and to): the offices and squads scored and ranked",
)
async def preview(scheme_id: str, principal: CommandCentre, service: ServiceDep, period: PeriodDep) -> Assessment:
    scheme = _scheme(service, scheme_id)
    s = service.settings
    async with service.session_factory() as session:
        units = await assess(
            session,
            scheme,
            period,
            s.on_time_denominator,
            s.ranking_weights,
            service.deductions,
            session_factory=service.session_factory,
        )
        held = await published(session, scheme.id, period.start)
    return Assessment(
        scheme=scheme.id,
        scheme_name=scheme.name,
        start=period.start,
        end=period.end,
        published=any(r.end == period.end for r in held),
        units=[Unit(**{k: getattr(u, k) for k in Unit.model_fields}) for u in units],
    )


@router.get(
    "/v1/reports/assessments/{scheme_id}/published", summary="the periods of a scheme published, the latest first"
)
async def published_periods(scheme_id: str, principal: ReportReader, service: ServiceDep) -> list[dict]:
    _scheme(service, scheme_id)
    async with service.session_factory() as session:
        rows = await published(session, scheme_id)
    seen: dict[date, dict] = {}
    for r in rows:
        seen.setdefault(r.start, {"start": r.start, "end": r.end, "published_at": r.published_at})
    return list(seen.values())


async def _bulletin(service, scheme_id: str, start: date) -> Bulletin:
    scheme = _scheme(service, scheme_id)
    async with service.session_factory() as session:
        rows = await published(session, scheme_id, start)
    if not rows:
        raise NotFound(f"no {scheme.name} published for the period from {start}")
    rows.sort(key=lambda r: (r.unit_kind != "office", r.rank is None, r.rank or 0, r.unit_id))
    return Bulletin(service.settings.bureau_name, scheme.name, rows[0].start, rows[0].end, rows, rows[0].published_at)


@router.get(
    "/v1/reports/assessments/{scheme_id}/{start}/bulletin",
    response_class=HTMLResponse,
    summary="考评通报 of a published period, as an HTML page",
)
async def bulletin_page(scheme_id: str, start: date, principal: CommandCentre, service: ServiceDep):
    return HTMLResponse(render_html(await _bulletin(service, scheme_id, start)), headers=HEADERS)


@router.get(
    "/v1/reports/assessments/{scheme_id}/{start}/bulletin.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="考评通报 of a published period, as a PDF to print and send",
)
async def bulletin_pdf(scheme_id: str, start: date, principal: CommandCentre, service: ServiceDep):
    pdf = await asyncio.to_thread(render_pdf, await _bulletin(service, scheme_id, start))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="assessment-{scheme_id}-{start}.pdf"',
            "Cache-Control": "no-store",
        },
    )
