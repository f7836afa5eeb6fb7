"""`GET /v1/reports/persuasions`: 劝导 recorded in the street (城管通), per squad or per category,
over a period: the work that stops a violation without a case (seed 002: "劝导制止失礼行为10万余次").
`GET /v1/reports/decisions`: the penalty decisions of a period by power (权责清单) and band (裁量基准)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from common.audiences import ReportReader
from reporting.api.deps import PeriodDep, ServiceDep
from reporting.queries import facts
from reporting.queries.decisions import decisions
from reporting.queries.street import persuasions

router = APIRouter(tags=["reporting 统计"])


class CountRow(BaseModel):
    value: str = Field(description="the squad or the category ('' when not known)")
    name: str
    persuasions: int


class PersuasionReport(BaseModel):
    period: str
    label: str
    start: str
    end: str = Field(description="exclusive")
    by: Literal["squad", "category"]
    total: int
    rows: list[CountRow]


@router.get(
    "/v1/reports/persuasions",
    response_model=PersuasionReport,
    summary="劝导数: violations stopped on the spot without a case, per squad or category; a squad leader sees "
    "the own squad's",
)
async def persuasion_report(
    principal: ReportReader, service: ServiceDep, period: PeriodDep, by: Literal["squad", "category"] = "squad"
):
    async with service.session_factory() as session:
        counts = await persuasions(session, period.start, period.end, by, principal.squad_scope)
        names = await (facts.squad_names(session) if by == "squad" else facts.category_names(session))
    rows = [CountRow(value=k, name=names.get(k, k or "未知"), persuasions=n) for k, n in counts.items()]
    rows.sort(key=lambda r: (-r.persuasions, r.value))
    return PersuasionReport(
        period=period.kind.value,
        label=period.label,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        by=by,
        total=sum(counts.values()),
        rows=rows,
    )


class DecisionRow(BaseModel):
    power_code: str = Field(description="the power of the 权责清单 ('' for a free-text basis)")
    power_name: str | None
    band: str = Field(description="minor 轻微, ordinary 一般, serious 较重, grave 严重 ('' when none)")
    decisions: int
    on_the_spot: int = Field(description="of them decided on the spot (简易程序)")
    departures: int = Field(description="of them departing from the list or its band, with a recorded reason")
    fines_decided_fen: int


class DecisionReport(BaseModel):
    period: str
    label: str
    start: str
    end: str = Field(description="exclusive")
    total: int
    fines_decided_fen: int
    rows: list[DecisionRow]


@router.get(
    "/v1/reports/decisions",
    response_model=DecisionReport,
    summary="行政处罚决定: the decisions of a period by power (权责清单) and band (裁量基准); a squad leader sees "
    "the own squad's",
)
async def decision_report(principal: ReportReader, service: ServiceDep, period: PeriodDep):
    async with service.session_factory() as session:
        rows = await decisions(session, period.start, period.end, principal.squad_scope)
    return DecisionReport(
        period=period.kind.value,
        label=period.label,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        total=sum(r["decisions"] for r in rows),
        fines_decided_fen=sum(r["fines_decided_fen"] for r in rows),
        rows=[DecisionRow(**r) for r in rows],
    )
