"""`GET /v1/reports/hotline`: the figures the 12345 and 110 hotline centres assess the bureau on,
per squad, over a period: 及时签收率, 按时办结率, 回退率, 重办率, 满意率, with the 执法办案 orders
apart (their 满意率 is not their only measure)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from common.audiences import ReportReader
from reporting.api.deps import PeriodDep, ServiceDep
from reporting.queries import facts
from reporting.queries.hotline import COUNTS, hotline_counts

router = APIRouter(tags=["reporting 统计"])


def _rate(n: int, of: int) -> float | None:
    return round(n / of, 4) if of else None


class HotlineRow(BaseModel):
    squad_id: str = Field(description="'' for orders not yet dispatched")
    name: str
    counts: dict[str, int] = Field(description=", ".join(COUNTS))
    sign_on_time_rate: float | None = Field(description="及时签收率: signed within the limit / received")
    finish_on_time_rate: float | None = Field(description="按时办结率: replied within the limit / replied")
    return_rate: float | None = Field(description="回退率: 申请退回 / received")
    redo_rate: float | None = Field(description="重办率: done again / replied")
    satisfaction_rate: float | None = Field(description="满意率 (满意 and 基本满意), 执法办案 orders left out")
    enforcement_satisfaction_rate: float | None = Field(description="满意率 of the 执法办案 orders, apart")

    @classmethod
    def of(cls, squad_id: str, name: str, c: dict[str, int]) -> HotlineRow:
        return cls(
            squad_id=squad_id,
            name=name,
            counts=c,
            sign_on_time_rate=_rate(c["signed_on_time"], c["received"]),
            finish_on_time_rate=_rate(c["finished_on_time"], c["replied"]),
            return_rate=_rate(c["returned"], c["received"]),
            redo_rate=_rate(c["redone"], c["replied"]),
            satisfaction_rate=_rate(c["satisfied"], c["rated"]),
            enforcement_satisfaction_rate=_rate(c["enforcement_satisfied"], c["enforcement_rated"]),
        )


class HotlineReport(BaseModel):
    period: str
    label: str
    start: str
    end: str = Field(description="exclusive")
    system: str | None
    total: HotlineRow
    rows: list[HotlineRow]


@router.get(
    "/v1/reports/hotline",
    response_model=HotlineReport,
    summary="12345 考核: 及时签收率, 按时办结率, 回退率, 重办率, 满意率 per squad over a period; a squad leader sees "
    "the own squad's",
)
async def hotline_report(
    principal: ReportReader,
    service: ServiceDep,
    period: PeriodDep,
    system: Annotated[str | None, Query(max_length=32, description="one upstream system: 12345, 110")] = None,
):
    async with service.session_factory() as session:
        counts = await hotline_counts(session, period.start, period.end, principal.squad_scope, system)
        names = await facts.squad_names(session)
    rows = [HotlineRow.of(k, names.get(k, k or "未派遣"), c) for k, c in sorted(counts.items())]
    total = {k: sum(c[k] for c in counts.values()) for k in COUNTS}
    return HotlineReport(
        period=period.kind.value,
        label=period.label,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        system=system,
        total=HotlineRow.of("", "全局", total),
        rows=rows,
    )
