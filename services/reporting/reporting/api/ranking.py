"""`GET /v1/reports/ranking`: 中队排位赛 for a month (published, or as it stands now). Squad
leaders see their own squad's rank and score and the district average, not the other squads."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from common.audiences import ReportReader
from common.clock import bureau_date
from reporting.api.deps import MONTH_PATTERN, ServiceDep
from reporting.domain.periods import PeriodKind, period_of
from reporting.queries.ranking import published, scored

router = APIRouter(tags=["reporting 统计"])


class SquadRow(BaseModel):
    squad_id: str
    squad_name: str
    rank: int | None = Field(description="None: fewer 应处置 cases than the minimum, listed but not ranked")
    score: float
    cases: int
    movement: int | None = Field(None, description="places gained since last month")
    red_flag: bool = Field(description="流动红旗")
    indicators: dict


class RankingOut(BaseModel):
    month: str = Field(description="YYYY-MM, or YYYY for a year's standing")
    published: bool = Field(description="false: the month is not closed yet, or not published; figures as they stand")
    weights: dict[str, float]
    min_cases: int
    district_score: float | None = Field(description="the ranked squads' mean score")
    squads: list[SquadRow]


@router.get(
    "/v1/reports/ranking",
    response_model=RankingOut,
    summary="中队排位赛: the month's squad ranking (published, or as it stands), or a year's standing",
)
async def ranking(
    principal: ReportReader,
    service: ServiceDep,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    year: Annotated[
        int | None,
        Query(ge=2000, le=2100, description="the year's standing instead of a month's (computed, never published)"),
    ] = None,
):
    settings = service.settings
    today = bureau_date(service.clock.now())
    first = (today if month is None else date(int(month[:4]), int(month[5:]), 1)).replace(day=1)
    period = period_of(PeriodKind.month, first)
    if year is not None:
        first, period = date(year, 1, 1), period_of(PeriodKind.year, date(year, 1, 1))
    async with service.session_factory() as session:
        rows = await published(session, first) if year is None else []
        if rows:
            squads = [
                SquadRow(
                    squad_id=r.squad_id,
                    squad_name=r.squad_name,
                    rank=r.rank,
                    score=r.score,
                    cases=r.cases,
                    movement=r.movement,
                    red_flag=r.red_flag,
                    indicators=r.values,
                )
                for r in rows
            ]
        else:
            table = await scored(
                session, period, settings.on_time_denominator, settings.ranking_weights, settings.ranking_min_cases
            )
            squads = [
                SquadRow(
                    squad_id=s.squad_id,
                    squad_name=s.squad_name,
                    rank=s.rank,
                    score=s.score,
                    cases=s.cases,
                    movement=s.movement,
                    red_flag=s.red_flag,
                    indicators=s.values,
                )
                for s in table
            ]
    ranked = [s.score for s in squads if s.rank is not None]
    district = round(sum(ranked) / len(ranked), 2) if ranked else None
    if principal.squad_scope is not None:
        squads = [s for s in squads if s.squad_id == principal.squad_scope]
    return RankingOut(
        month=first.strftime("%Y" if year is not None else "%Y-%m"),
        published=bool(rows),
        weights=settings.ranking_weights,
        min_cases=settings.ranking_min_cases,
        district_score=district,
        squads=squads,
    )
