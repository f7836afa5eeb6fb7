"""中队排位赛, read: the squads scored on a period's indicators, and a month's published table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from reporting.domain.indicators import Counts, OnTime, indicators
from reporting.domain.periods import Period
from reporting.domain.ranking import rank, score
from reporting.queries.counts import counts
from reporting.tables import Ranking, SquadInfo


@dataclass(frozen=True)
class SquadScore:
    squad_id: str
    squad_name: str
    values: dict
    score: float
    cases: int
    rank: int | None
    movement: int | None
    red_flag: bool


async def squad_names(session) -> dict[str, str]:
    return {s.squad_id: s.name for s in (await session.exec(select(SquadInfo))).all()}


async def scored(
    session,
    period: Period,
    rule: OnTime,
    weights: dict[str, float],
    min_cases: int,
    previous_ranks: dict[str, int] | None = None,
) -> list[SquadScore]:
    """Every squad of the period: its indicators, score, cases (应处置) and rank."""
    per_squad = {k: v for k, v in (await counts(session, period, "squad")).items() if k}
    names = await squad_names(session)
    values = {squad: indicators(c, rule) for squad, c in per_squad.items()}
    for squad in names:  # a squad with nothing to do this period is still listed
        values.setdefault(squad, indicators(Counts(), rule))
    table = rank(
        {s: (score(v, weights), per_squad[s].due_handle if s in per_squad else 0) for s, v in values.items()},
        min_cases,
        previous_ranks,
    )
    return [
        SquadScore(
            r.squad_id,
            names.get(r.squad_id, r.squad_id),
            values[r.squad_id],
            r.score,
            r.cases,
            r.rank,
            r.movement,
            r.red_flag,
        )
        for r in table
    ]


async def published(session, month: date) -> list[Ranking]:
    return list(
        (
            await session.exec(
                select(Ranking)
                .where(Ranking.month == month)
                .order_by(col(Ranking.rank).nulls_last(), col(Ranking.squad_id))
            )
        ).all()
    )
