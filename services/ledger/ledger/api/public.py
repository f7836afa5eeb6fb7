"""What anyone may read (公示), rate-limited per client: a merchant's public page, which the card's
QR code opens (/m/{code}: the shop, its current colour and its duties, never the operator or a
phone number), and the designated points with their hours, for citizens looking for breakfast."""

from __future__ import annotations

import html
from pathlib import Path as FilePath
from string import Template
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from common.clock import BEIJING, bureau_date
from ledger.adapters.documents import COLOURS
from ledger.api.deps import ServiceDep, not_found
from ledger.domain.colour import LABELS, MEANING, Colour
from ledger.domain.letters import DUTIES
from ledger.domain.points import KINDS
from ledger.queries import merchants as mq
from ledger.queries import points as pq
from ledger.queries.frontage import letter_status

router = APIRouter(tags=["ledger 公示 (public)"])
CardCode = Annotated[str, Path(pattern=r"^[A-Z2-9]{10}$", description="the code on the card and in its QR code")]
PAGE_HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
STATIC = FilePath(__file__).resolve().parents[1] / "static"
CARD_PAGE = Template((STATIC / "card.html").read_text(encoding="utf-8"))
POINTS_PAGE = Template((STATIC / "points.html").read_text(encoding="utf-8"))
"""Filled with values escaped here (html.escape) or built from escaped values."""


async def _limit(request: Request, service) -> None:
    settings = service.settings
    await service.limiter.limit(request, settings.trusted_proxies, "public", settings.public_reads_per_minute)


class MerchantNotice(BaseModel):
    name: str
    sign: str | None
    address: str
    grid: str | None
    colour: Literal["blue", "yellow", "orange", "red"]
    colour_label: str
    colour_meaning: str
    card_current: bool = Field(description="false: this card was replaced; the colour above is the current one")
    card_issued_at: str
    letter_valid_until: str | None = Field(description="门前三包 letter in force until")
    letter_status: str = Field(description="valid, renewal_due, expired, none")
    duties: list[dict]


async def _notice(service, code: str) -> MerchantNotice:
    async with service.session_factory() as session:
        found = await mq.notice(session, code)
    if found is None:
        raise not_found(f"card {code}")
    card, m, grid, letter = found.card, found.merchant, found.grid, found.letter
    colour = Colour.named(m.colour)
    return MerchantNotice(
        name=m.name,
        sign=m.sign,
        address=m.address,
        grid=grid.name if grid else None,
        colour=m.colour,
        colour_label=LABELS[colour],
        colour_meaning=MEANING[colour],
        card_current=card.superseded_at is None,
        card_issued_at=card.issued_at.astimezone(BEIJING).date().isoformat(),
        letter_valid_until=letter.valid_until.isoformat() if letter else None,
        letter_status=letter_status(letter, bureau_date(service.clock.now()), service.settings.letters),
        duties=[{"name": n, "text": t} for n, t in DUTIES],
    )


@router.get("/public/v1/cards/{code}", response_model=MerchantNotice, summary="商户公示: what the card's QR code tells")
async def card_notice(code: CardCode, request: Request, service: ServiceDep):
    await _limit(request, service)
    return await _notice(service, code)


LETTER_WORDS = {"valid": "有效", "renewal_due": "即将到期, 待续签", "expired": "已过期", "none": "未签订"}


@router.get("/m/{code}", response_class=HTMLResponse, include_in_schema=False)
async def card_page(code: CardCode, request: Request, service: ServiceDep):
    await _limit(request, service)
    n = await _notice(service, code)
    e = html.escape
    replaced = "" if n.card_current else "<p class='note'>此卡已换发, 以下为商户当前信用等级。</p>"
    letter = (
        f"有效期至 {e(n.letter_valid_until)} ({LETTER_WORDS[n.letter_status]})"
        if n.letter_valid_until
        else LETTER_WORDS["none"]
    )
    duties = "".join(f"<li><b>{e(d['name'])}</b>: {e(d['text'])}</li>" for d in n.duties)
    body = CARD_PAGE.substitute(
        name=e(n.name),
        band=COLOURS[Colour.named(n.colour)],
        bureau=e(service.settings.bureau_name),
        colour_label=e(n.colour_label),
        colour_meaning=e(n.colour_meaning),
        replaced=replaced,
        sign=e(n.sign or "—"),
        address=e(n.address),
        grid=e(n.grid or "—"),
        letter=letter,
        issued=e(n.card_issued_at),
        duties=duties,
    )
    return HTMLResponse(body, headers=PAGE_HEADERS)


class PublicPoint(BaseModel):
    number: str
    kind: str
    kind_name: str
    name: str
    location: dict
    geometry: dict
    hours: str
    season: str
    goods: str
    office: str
    stalls: int


async def _points(service, kind: str | None) -> list[PublicPoint]:
    async with service.session_factory() as session:
        rows = await pq.open_points(session, kind)
    return [
        PublicPoint(
            number=p.number,
            kind=p.kind,
            kind_name=KINDS[p.kind],
            name=p.name,
            location={"lon": p.lon, "lat": p.lat},
            geometry=p.geometry,
            hours=p.hours,
            season=p.season,
            goods=p.goods,
            office=p.office,
            stalls=p.stalls,
        )
        for p in rows
    ]


Kind = Literal[tuple(KINDS)]


@router.get(
    "/public/v1/points",
    response_model=list[PublicPoint],
    summary="便民疏导点 open to the public: where, when, what is sold",
)
async def public_points(request: Request, service: ServiceDep, kind: Kind | None = None):
    await _limit(request, service)
    return await _points(service, kind)


@router.get("/points", response_class=HTMLResponse, include_in_schema=False)
async def points_page(request: Request, service: ServiceDep, kind: Annotated[Kind | None, Query()] = None):
    await _limit(request, service)
    e = html.escape
    rows = await _points(service, kind)
    tabs = f"<a href='/points'{'' if kind else ' class=on'}>全部</a> " + " ".join(
        f"<a href='/points?kind={k}'{' class=on' if k == kind else ''}>{e(v)}</a>" for k, v in KINDS.items()
    )
    items = (
        "".join(
            f"<li data-number='{e(p.number)}'><b>{e(p.name)}</b> <span class='kind'>{e(p.kind_name)}</span><br>"
            f"<span class='hours'>{e(p.hours)}</span> · {e(p.season)} · {p.stalls} 个摊位<br>"
            f"<small>经营: {e(p.goods)} · 管理: {e(p.office)} · 编号 {e(p.number)} · "
            f"{p.location['lon']:.5f}, {p.location['lat']:.5f}</small></li>"
            for p in rows
        )
        or "<li>暂无</li>"
    )
    page = POINTS_PAGE.substitute(bureau=e(service.settings.bureau_name), tabs=tabs, items=items)
    return HTMLResponse(page, headers=PAGE_HEADERS)
