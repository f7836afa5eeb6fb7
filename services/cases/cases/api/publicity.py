"""行政处罚结果公示 over HTTP: the public page and its JSON (no sign-in), and a case's publication for
staff (published, withheld and why, withdrawn)."""

from __future__ import annotations

import html
from datetime import date, datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from cases import queries
from cases.api.deps import ServiceDep, load_visible, public_read
from cases.domain.publication import WITHHELD_NAMES, Withheld
from common.audiences import DossierReader
from common.refusals import NotFound

router = APIRouter(tags=["publicity 行政处罚结果公示"])
PAGE = 50


class PublishedOut(BaseModel):
    decision_number: str
    party: str = Field(description="a natural person by the family name alone")
    violation: str
    basis: str
    decision: str
    decided_on: date
    published_at: datetime


class PublicationOut(PublishedOut):
    due_by: date = Field(description="the last day the publication is on time (working days)")
    published_at: datetime | None  # type: ignore[assignment]
    withheld: str | None = Field(description="minor, secret, privacy: not published")
    withheld_because: str | None
    shown_until: datetime | None
    withdrawn_at: datetime | None
    withdrawn_reason: str | None


def _public(r) -> PublishedOut:
    return PublishedOut(**{k: getattr(r, k) for k in PublishedOut.model_fields})


@router.get(
    "/v1/public/penalties",
    response_model=list[PublishedOut],
    summary="行政处罚结果公示 (public): the decisions shown now, newest first, 50 a page",
)
async def penalties(request: Request, service: ServiceDep, page: int = Query(1, ge=1, le=1000)):
    await public_read(service, request)
    async with service.session_factory() as session:
        rows = await queries.shown(session, service.clock.now(), (page - 1) * PAGE, PAGE)
    return [_public(r) for r in rows]


@router.get("/publicity", response_class=HTMLResponse, summary="行政处罚结果公示 (public page)")
async def publicity(request: Request, service: ServiceDep, page: int = Query(1, ge=1, le=1000)):
    await public_read(service, request)
    async with service.session_factory() as session:
        rows = await queries.shown(session, service.clock.now(), (page - 1) * PAGE, PAGE)
    e = html.escape
    items = "".join(
        f"<article><h2>{e(r.decision_number)}</h2><dl><dt>当事人</dt><dd>{e(r.party)}</dd>"
        f"<dt>违法行为</dt><dd>{e(r.violation)}</dd><dt>处罚依据</dt><dd>{e(r.basis)}</dd>"
        f"<dt>处罚决定</dt><dd>{e(r.decision)}</dd><dt>决定日期</dt><dd>{r.decided_on.isoformat()}</dd></dl></article>"
        for r in rows
    )
    more = f'<p><a href="/publicity?page={page + 1}">下一页</a></p>' if len(rows) == PAGE else ""
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>行政处罚结果公示</title>'
        "<style>body{font-family:sans-serif;margin:1rem;max-width:48rem}article{border-bottom:1px solid #ddd;"
        "padding:.5rem 0}h2{font-size:1rem;margin:.3rem 0}dl{display:grid;grid-template-columns:6em 1fr;margin:0}"
        "dt{color:#555}dd{margin:0 0 .2rem}</style></head>"
        f"<body><h1>{e(service.settings.bureau_name)} 行政处罚结果公示</h1>"
        f"{items or '<p>暂无公示信息。</p>'}{more}</body></html>"
    )
    return HTMLResponse(body, headers={"Cache-Control": "public, max-age=60"})


@router.get(
    "/v1/cases/{case_id}/publication",
    response_model=PublicationOut,
    summary="the case's 结果公示: published (until when), withheld and why, or withdrawn",
)
async def publication(case_id: str, principal: DossierReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.session_factory() as session:
        row = await queries.publication(session, case_id)
    if row is None:
        raise NotFound(f"case {case_id} has no decision to publish")
    return PublicationOut(
        **{k: getattr(row, k) for k in PublicationOut.model_fields if k != "withheld_because"},
        withheld_because=WITHHELD_NAMES[Withheld(row.withheld)] if row.withheld else None,
    )
