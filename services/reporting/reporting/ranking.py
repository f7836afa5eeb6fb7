"""中队排位赛: the squads scored on a period's indicators (weights and the minimum of cases are
settings), and each month's table published when the month closes, with each squad's movement
since the month before and the red flag (流动红旗)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import select

from common.clock import BEIJING, bureau_midnight
from common.messaging.contracts import RankedSquad as RankedOut, SquadRankingPublished
from common.uow import UnitOfWork
from reporting.domain import Counts, OnTime, Period, PeriodKind, indicators, period_of, rank, score
from reporting.read_model import counts
from reporting.tables import Ranking, SquadInfo

log = logging.getLogger(__name__)


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


async def scored(session, period: Period, rule: OnTime, weights: dict[str, float], min_cases: int,
                 previous_ranks: dict[str, int] | None = None) -> list[SquadScore]:
    """Every squad of the period: its indicators, score, cases (应处置) and rank."""
    per_squad = {k: v for k, v in (await counts(session, period, "squad")).items() if k}
    names = await squad_names(session)
    values = {squad: indicators(c, rule) for squad, c in per_squad.items()}
    for squad in names:  # a squad with nothing to do this period is still listed
        values.setdefault(squad, indicators(Counts(), rule))
    table = rank({s: (score(v, weights), per_squad[s].due_handle if s in per_squad else 0) for s, v in values.items()},
                 min_cases, previous_ranks)
    return [SquadScore(r.squad_id, names.get(r.squad_id, r.squad_id), values[r.squad_id], r.score, r.cases, r.rank,
                       r.movement, r.red_flag) for r in table]


async def published(session, month: date) -> list[Ranking]:
    return list((await session.exec(select(Ranking).where(Ranking.month == month)
                                    .order_by(Ranking.rank.nulls_last(), Ranking.squad_id))).all())


async def publish_closed_months(uow: UnitOfWork, rule: OnTime, weights: dict[str, float], min_cases: int,
                                delay_h: float) -> list[date]:
    """The tick: the month just closed (after the delay) is ranked and published, once."""
    now = uow.clock.now()
    this_month = now.astimezone(BEIJING).date().replace(day=1)
    last = (this_month - timedelta(days=1)).replace(day=1)
    opens = bureau_midnight(this_month) + timedelta(hours=delay_h)
    if now < opens:
        return []
    if (await uow.session.exec(select(Ranking.squad_id).where(Ranking.month == last).limit(1))).first():
        return []
    before = (last - timedelta(days=1)).replace(day=1)
    previous_ranks = {r.squad_id: r.rank for r in await published(uow.session, before) if r.rank is not None}
    table = await scored(uow.session, period_of(PeriodKind.month, last), rule, weights, min_cases, previous_ranks)
    if not any(s.cases for s in table):
        return []
    for s in table:
        uow.session.add(Ranking(month=last, squad_id=s.squad_id, squad_name=s.squad_name, score=s.score, cases=s.cases,
                                rank=s.rank, movement=s.movement, red_flag=s.red_flag,
                                values={k: v for k, v in s.values.items()}, published_at=now))
    ranked = [s.score for s in table if s.rank is not None]
    uow.publish(SquadRankingPublished(
        month=last, weights=[{"indicator": k, "points": v} for k, v in weights.items()],
        min_cases=min_cases,
        squads=[RankedOut(squad_id=s.squad_id, squad_name=s.squad_name, rank=s.rank, score=s.score, cases=s.cases,
                          movement=s.movement, red_flag=s.red_flag) for s in table],
        red_flag_squad_id=next((s.squad_id for s in table if s.red_flag), None),
        district_score=round(sum(ranked) / len(ranked), 2) if ranked else None, at=now))
    await uow.commit()
    log.info("ranking of %s published: %s holds the red flag", last.strftime("%Y-%m"),
             next((s.squad_name for s in table if s.red_flag), "nobody"))
    return [last]
