"""The monthly event counters (`GET /v1/reports/monthly`), the counts per squad and category, and
the rebuild of the read model."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from common.audiences import Admin, ReportReader
from reporting.api.deps import ServiceDep
from reporting.handlers.counters import COUNTERS
from reporting.queries import facts as queries

router = APIRouter(tags=["reporting 统计"])


class CountRow(BaseModel):
    squad_id: str | None
    squad_name: str | None
    category: str | None
    received: int
    dispatched: int
    closed: int


@router.get(
    "/v1/reports/counts",
    response_model=list[CountRow],
    summary="受理/派遣/结案 counts per squad and category (squad null: not dispatched yet)",
)
async def counts(
    principal: ReportReader,
    service: ServiceDep,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
):
    async with service.session_factory() as session:
        rows = await queries.counts_by_squad_and_category(
            session, received_from=received_from, received_to=received_to, squad_id=principal.squad_scope
        )
    return [
        CountRow(squad_id=r[0], squad_name=r[1], category=r[2], received=r[3], dispatched=r[4], closed=r[5])
        for r in rows
    ]


class MonthCounters(BaseModel):
    received: int = Field(description="受理")
    dispatched: int = Field(description="派遣 steps (a case dispatched again counts again)")
    closed: int = Field(description="结案")
    violations: int = Field(description="违法属实")
    reworked: int = Field(description="返工")
    fines_collected_fen: int = Field(description="罚没款 collected, in fen")
    returned: int = Field(description="退回 by squads")
    extended: int = Field(description="延期")
    escalated: int = Field(description="assignments that ran overdue (超期)")
    joined: int = Field(description="重复件: reports that joined an open incident instead of opening a case")
    rated: int = Field(description="citizens' ratings (评价); 满意率 = (satisfied + basically_satisfied) / rated")
    satisfied: int = Field(description="满意")
    basically_satisfied: int = Field(description="基本满意")
    dissatisfied: int = Field(description="不满意")
    joined_rated: int = Field(description="ratings by reports that joined a case (重复件): kept apart, not in 满意率")


assert set(MonthCounters.model_fields) == set(COUNTERS), "the report shows every counter the projection keeps"


class MonthlyRow(MonthCounters):
    squad_id: str | None
    squad_name: str | None
    category: str


class MonthlyReport(MonthCounters):
    month: str = Field(description="YYYY-MM, Beijing time")
    satisfaction_rate: float | None = Field(
        description="满意率: (satisfied + basically_satisfied) / rated; null without ratings"
    )
    rows: list[MonthlyRow] = Field(description="per squad (null: not yet dispatched) and category")


@router.get(
    "/v1/reports/monthly",
    response_model=MonthlyReport,
    summary="月报: the month's event counters (the indicators: GET /v1/reports/indicators)",
)
async def monthly(
    principal: ReportReader,
    month: Annotated[str, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")],
    service: ServiceDep,
):
    async with service.session_factory() as session:
        rows = await queries.monthly_counts(session, date.fromisoformat(month + "-01"), principal.squad_scope)
    out = [
        MonthlyRow(
            squad_id=r.squad_id or None,
            squad_name=r.squad_name or None,
            category=r.category_code,
            **{c: getattr(r, c) for c in COUNTERS},
        )
        for r in rows
    ]
    totals = {c: sum(getattr(r, c) for r in out) for c in COUNTERS}
    rate = (totals["satisfied"] + totals["basically_satisfied"]) / totals["rated"] if totals["rated"] else None
    return MonthlyReport(month=month, rows=out, satisfaction_rate=rate, **totals)


class RebuildStatus(BaseModel):
    generation: int
    events_applied: int = Field(
        description="events applied by this generation so far (its replay's, then its consumer's)"
    )
    replaying: bool = Field(
        False, description="the generation is replaying the topics in bulk; its figures are not complete yet"
    )
    months_pending: int = Field(
        0,
        description="months whose rows changed and are not summed again yet (the "
        "indicators over whole months trail by these)",
    )


@router.post(
    "/v1/reports/rebuild",
    response_model=RebuildStatus,
    status_code=202,
    summary="rebuild the read models by replaying the topics from the start",
)
async def rebuild(principal: Admin, service: ServiceDep):
    generation = await service.rebuild()
    return RebuildStatus(generation=generation, events_applied=0, replaying=True)


@router.get("/v1/reports/rebuild", response_model=RebuildStatus)
async def rebuild_status(principal: Admin, service: ServiceDep):
    async with service.session_factory() as session:
        pending = await queries.months_pending(session)
    return RebuildStatus(
        generation=await service.generation(),
        events_applied=service.events_applied,
        replaying=service.replaying,
        months_pending=pending,
    )
