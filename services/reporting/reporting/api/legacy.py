"""The monthly event counters (`GET /v1/reports/monthly`), the counts per squad and category, and
the rebuild of the read model."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text

from reporting.api.deps import Admin, Reader, ServiceDep
from reporting.handlers import COUNTERS
from reporting.tables import CaseRow, IncidentRow, MonthlyCount

router = APIRouter(tags=["reporting 统计"])


class CountRow(BaseModel):
    squad_id: str | None
    squad_name: str | None
    category: str | None
    received: int
    dispatched: int
    closed: int


@router.get("/v1/reports/counts", response_model=list[CountRow],
            summary="受理/派遣/结案 counts per squad and category (squad null: not dispatched yet)")
async def counts(principal: Reader, service: ServiceDep, received_from: datetime | None = None,
                 received_to: datetime | None = None):
    i, c = IncidentRow, CaseRow
    query = (select(c.squad_id, c.squad_name, i.category_code, func.count(i.received_at), func.count(c.dispatched_at),
                    func.count(c.closed_at))
             .select_from(i).join(c, c.case_id == i.case_id, isouter=True)
             .group_by(c.squad_id, c.squad_name, i.category_code)
             .order_by(c.squad_id.nulls_first(), i.category_code))
    if received_from:
        query = query.where(i.received_at >= received_from)
    if received_to:
        query = query.where(i.received_at < received_to)
    if principal.squad_scope is not None:
        query = query.where(c.squad_id == principal.squad_scope)
    async with service.session_factory() as session:
        rows = (await session.execute(query)).all()
    return [CountRow(squad_id=r[0], squad_name=r[1], category=r[2], received=r[3], dispatched=r[4], closed=r[5])
            for r in rows]


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
    satisfaction_rate: float | None = Field(description="满意率: (satisfied + basically_satisfied) / rated; "
                                            "null without ratings")
    rows: list[MonthlyRow] = Field(description="per squad (null: not yet dispatched) and category")


@router.get("/v1/reports/monthly", response_model=MonthlyReport,
            summary="月报: the month's event counters (the indicators: GET /v1/reports/indicators)")
async def monthly(principal: Reader, month: Annotated[str, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")],
                  service: ServiceDep):
    first = date.fromisoformat(month + "-01")
    m = MonthlyCount
    query = select(m).where(m.month == first).order_by(m.squad_id, m.category_code)
    if principal.squad_scope is not None:
        query = query.where(m.squad_id == principal.squad_scope)
    async with service.session_factory() as session:
        rows = (await session.execute(query)).scalars().all()
    out = [MonthlyRow(squad_id=r.squad_id or None, squad_name=r.squad_name or None, category=r.category_code,
                      **{c: getattr(r, c) for c in COUNTERS}) for r in rows]
    totals = {c: sum(getattr(r, c) for r in out) for c in COUNTERS}
    rate = (totals["satisfied"] + totals["basically_satisfied"]) / totals["rated"] if totals["rated"] else None
    return MonthlyReport(month=month, rows=out, satisfaction_rate=rate, **totals)


class RebuildStatus(BaseModel):
    generation: int
    events_applied: int = Field(description="events applied by this generation's consumer so far")
    months_pending: int = Field(0, description="months whose rows changed and are not summed again yet (the "
                                               "indicators over whole months trail by these)")


@router.post("/v1/reports/rebuild", response_model=RebuildStatus, status_code=202,
             summary="rebuild the read models by replaying the topics from the start")
async def rebuild(principal: Admin, service: ServiceDep):
    generation = await service.rebuild()
    return RebuildStatus(generation=generation, events_applied=0)


@router.get("/v1/reports/rebuild", response_model=RebuildStatus)
async def rebuild_status(principal: Admin, service: ServiceDep):
    async with service.engine.connect() as conn:
        pending = await conn.scalar(text("SELECT count(*) FROM reporting.dirty_months"))
    return RebuildStatus(generation=await service.generation(),
                         events_applied=service.consumer.handled if service.consumer else 0, months_pending=pending)
