"""领导驾驶舱 (/reports): the leaders' page behind the staff sign-in, and what it reads: today's and
this month's figures (`GET /v1/reports/live`, polled every second: a new event shows within two
seconds), the month's charts and map as SVG, the registers, and the ranking (a squad leader sees
the squad's own row and the district average)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from common.audiences import ReportReader
from common.auth import Role
from common.clock import bureau_date
from common.refusals import Refused
from reporting.adapters import charts
from reporting.api.deps import MONTH_PATTERN, ServiceDep
from reporting.domain.indicators import BY_KEY, indicators
from reporting.domain.periods import PeriodKind, period_of
from reporting.queries import facts as queries
from reporting.queries.circular import daily, dog_figures, grid_rates, top_categories
from reporting.queries.counts import counts, total

router = APIRouter(tags=["reporting 统计"])
PAGE_ROLES = frozenset({Role.supervisor, Role.dispatcher, Role.squad_leader, Role.admin})
PAGE = (Path(__file__).resolve().parents[1] / "static" / "dashboard.html").read_text(encoding="utf-8")


@router.get("/reports", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(request: Request, service: ServiceDep):
    return await service.pages["/reports"].serve(
        request, PAGE, PAGE_ROLES, "领导驾驶舱供局领导、督查、指挥中心和中队长使用; 您的角色 ({role}) 不使用此页面。"
    )


@router.get(
    "/v1/reports/live",
    summary="today's and this month's figures, for the dashboard (poll it); a squad "
    "leader's: the squad's own, with the district's rates beside them",
)
async def live(principal: ReportReader, service: ServiceDep) -> dict:
    rule = service.settings.on_time_denominator
    today = bureau_date(service.clock.now())
    scope = principal.squad_scope
    async with service.session_factory() as session:
        day = await counts(session, period_of(PeriodKind.day, today), "squad" if scope else None)
        month = await counts(session, period_of(PeriodKind.month, today), "squad" if scope else None)
        figures = await queries.ledger_figures(session) if scope is None else None
        dogs = await dog_figures(session, today.replace(day=1)) if scope is None else None
    district = indicators(total(month), rule)
    if scope is not None:
        day, month = ({k: v for k, v in d.items() if k == scope} for d in (day, month))
    d, m = total(day), total(month)
    return {
        "now": service.clock.now().isoformat(),
        "today": today.isoformat(),
        "month": today.strftime("%Y-%m"),
        "scope": scope,
        "day": {
            "counts": {
                "received": d.received,
                "dispatched": d.dispatched,
                "handled": d.handled,
                "closed": d.closed,
                "overdue_open": d.overdue_open,
            },
            "indicators": indicators(d, rule),
        },
        "month_figures": indicators(m, rule),
        "district_average": {k: v for k, v in district.items() if BY_KEY[k].rate} if scope is not None else None,
        "ledger": figures.figures if figures else None,
        "dogs": dogs,
    }


@router.get(
    "/v1/reports/charts/{name}.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
    summary="the month's charts, as SVG (a squad leader's: the squad's own; no grids' map)",
)
async def chart(
    name: Literal["trend", "categories", "map", "flag"],
    principal: ReportReader,
    service: ServiceDep,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
):
    scope = principal.squad_scope
    if name == "flag":  # 流动红旗, drawn: a machine without an emoji font shows no empty box
        return Response(
            charts.svg(charts.red_flag()),
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )
    if name == "map" and scope is not None:
        raise Refused("the grids' map shows other squads' figures; a squad leader sees the squad's own")
    first = date.fromisoformat(month + "-01") if month else bureau_date(service.clock.now()).replace(day=1)
    period = period_of(PeriodKind.month, first)
    async with service.session_factory() as session:
        if name == "trend":
            days, received, closed = await daily(session, first, scope)
            drawing = charts.trend(days, received, closed, "立案" if scope else "受理")
        elif name == "categories":
            top = await top_categories(session, period, 8, scope)
            drawing = charts.bars(
                [n for n, _ in top],
                [v for _, v in top],
                "本中队本月案件量前八的问题类型" if scope else "本月受理量前八的问题类型",
            )
        else:
            drawing = charts.grid_map(
                await grid_rates(session, period, service.settings.on_time_denominator), "本月各网格处置率"
            )
    return Response(charts.svg(drawing), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
