"""What reporting tells: the squads' monthly ranking (中队排位赛)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from common.messaging.contracts.base import IntegrationEvent, Topics


class RankedSquad(BaseModel):
    squad_id: str
    squad_name: str
    rank: int | None = Field(description="None: fewer cases than the minimum, listed but not ranked")
    score: float = Field(description="out of the weights' sum (100 by default)")
    cases: int = Field(description="应处置 cases in the month")
    movement: int | None = Field(None, description="places gained since last month (+ up, − down)")
    red_flag: bool = Field(False, description="流动红旗: the month's first")


class Weight(BaseModel):
    indicator: str = Field(description="disposal_rate, on_time_disposal_rate, rework_rate, ...")
    points: float


class SquadRankingPublished(
    IntegrationEvent, type="reporting.ranking.published.v1", topic=Topics.rankings, key="month"
):
    """中队排位赛: a month's squad ranking, published when the month closes: each squad's score and movement since last
    month, and who holds the red flag (流动红旗)."""

    month: date = Field(description="the month ranked: its first day (Beijing calendar)")
    weights: list[Weight] = Field(description="points per indicator (a lower-is-better rate counts as 1 − rate)")
    min_cases: int
    squads: list[RankedSquad]
    red_flag_squad_id: str | None
    district_score: float | None = Field(description="the ranked squads' mean score")
    at: datetime

    examples: ClassVar = (
        (
            "november",
            "November's ranking",
            {
                "month": "2026-11-01",
                "weights": [
                    {"indicator": k, "points": v}
                    for k, v in (
                        ("disposal_rate", 30),
                        ("on_time_disposal_rate", 20),
                        ("rework_rate", 20),
                        ("overdue_rate", 20),
                        ("extension_rate", 10),
                    )
                ],
                "min_cases": 20,
                "red_flag_squad_id": "sq-ruhe",
                "district_score": 93.4,
                "at": "2026-12-01T02:00:00Z",
                "squads": [
                    {
                        "squad_id": "sq-ruhe",
                        "squad_name": "汝河中队",
                        "rank": 1,
                        "score": 97.2,
                        "cases": 812,
                        "movement": 2,
                        "red_flag": True,
                    },
                    {
                        "squad_id": "sq-zhishu",
                        "squad_name": "直属执法大队",
                        "rank": None,
                        "score": 88.0,
                        "cases": 9,
                        "movement": None,
                        "red_flag": False,
                    },
                ],
            },
        ),
    )


class AssessedUnit(BaseModel):
    unit_kind: Literal["office", "squad"]
    unit_id: str
    unit_name: str
    rank: int | None = Field(description="None: fewer cases than the scheme's minimum, listed but not ranked")
    score: float = Field(description="the weighted indicators, less the 责改通知书 deductions")
    cases: int = Field(description="应处置 cases of the scheme's categories in the period")
    notices: int = Field(description="责改通知书 received in the period")
    notices_late: int = Field(description="of those, answered late or not answered by the period's end")


class AssessmentPublished(
    IntegrationEvent, type="reporting.assessment.published.v1", topic=Topics.rankings, key="scheme_id"
):
    """考评通报: an assessment of the offices (办事处) and squads over one of the bureau's periods (three days for 违建,
    a month for the rest), published once when the period has closed, with its table."""

    scheme_id: str
    scheme_name: str
    start: date
    end: date = Field(description="exclusive")
    weights: list[Weight]
    units: list[AssessedUnit]
    at: datetime
