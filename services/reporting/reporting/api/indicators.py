"""`GET /v1/reports/indicators`: every indicator over a period, by one dimension or none, with
环比 and 同比, as JSON, CSV or XLSX."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from common.audiences import ReportReader
from common.spreadsheets import CSV, XLSX, csv_bytes, xlsx_bytes
from common.vocabulary import CHANNEL_NAMES, URGENCY_NAMES
from reporting.api.deps import By, PeriodDep, ServiceDep
from reporting.domain.indicators import INDICATORS, Counts, change, indicators
from reporting.domain.periods import previous, year_before
from reporting.queries import facts as queries
from reporting.queries.counts import apart, counts, total

router = APIRouter(tags=["reporting 统计"])
FORMULAS = "\n".join(f"- {i.name} (`{i.key}`): {i.formula}" for i in INDICATORS)


class Row(BaseModel):
    value: str = Field(description="the squad, grid, category, channel or urgency ('' for all, or not known yet)")
    name: str
    indicators: dict[str, float | int | None]
    previous: dict[str, float | None] = Field(description="环比: rates in points, counts as relative change")
    year_before: dict[str, float | None] = Field(description="同比, likewise")


class IndicatorReport(BaseModel):
    period: str
    label: str
    start: str
    end: str = Field(description="exclusive")
    by: str | None
    on_time_denominator: str
    total: Row
    rows: list[Row]
    formulas: dict[str, str] = Field(description="each indicator's formula, as the circular prints it")


async def names(session, by: str | None) -> dict[str, str]:
    if by == "squad":
        return await queries.squad_names(session)
    if by == "grid":
        return await queries.grid_names(session)
    if by == "category":
        return await queries.category_names(session)
    if by == "channel":
        return CHANNEL_NAMES
    if by == "urgency":
        return URGENCY_NAMES
    return {}


def _row(value: str, name: str, now: Counts, before: Counts, last_year: Counts, rule) -> Row:
    a, b, y = indicators(now, rule), indicators(before, rule), indicators(last_year, rule)
    return Row(
        value=value,
        name=name,
        indicators=a,
        previous={i.key: change(a[i.key], b[i.key], i.rate) for i in INDICATORS},
        year_before={i.key: change(a[i.key], y[i.key], i.rate) for i in INDICATORS},
    )


async def report(service, period, by: str | None, scope: str | None = None) -> IndicatorReport:
    rule = service.settings.on_time_denominator
    now, before, last_year, label = await apart(
        service.session_factory,
        [
            *(lambda s, p=p: counts(s, p, by) for p in (period, previous(period), year_before(period))),
            lambda s: names(s, by),
        ],
    )
    if scope is not None:  # a squad leader sees the squad's own row
        now, before, last_year = ({k: v for k, v in d.items() if k == scope} for d in (now, before, last_year))
    rows = (
        [
            _row(v, label.get(v, v or "未派遣"), now[v], before.get(v, Counts()), last_year.get(v, Counts()), rule)
            for v in sorted(now, key=lambda k: (k == "", k))
        ]
        if by
        else []
    )
    return IndicatorReport(
        period=period.kind.value,
        label=period.label,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        by=by,
        on_time_denominator=rule.value,
        total=_row(
            "", "合计" if scope is None else label.get(scope, scope), total(now), total(before), total(last_year), rule
        ),
        rows=rows,
        formulas={i.key: i.formula for i in INDICATORS},
    )


def _table(r: IndicatorReport) -> tuple[list[str], list[list]]:
    header = ["名称", *[i.name for i in INDICATORS]]
    rows = [[x.name, *[x.indicators[i.key] for i in INDICATORS]] for x in [*r.rows, r.total]]
    return header, rows


@router.get(
    "/v1/reports/indicators",
    response_model=IndicatorReport,
    summary="指标: every indicator over a period, by squad, grid, category, channel or urgency, with 环比 and "
    "同比; format=csv|xlsx for the table",
    description="Formulas:\n\n" + FORMULAS,
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
async def indicators_report(
    principal: ReportReader,
    service: ServiceDep,
    period: PeriodDep,
    by: By | None = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
):
    scope = principal.squad_scope
    r = await report(service, period, "squad" if scope is not None else by, scope)
    if format == "json":
        return r
    header, rows = _table(r)
    name = f"indicators-{r.start}-{r.by or 'all'}.{format}"
    if format == "csv":
        return Response(
            csv_bytes(header, rows), media_type=CSV, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    return Response(
        xlsx_bytes([(r.label, header, rows)]),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
