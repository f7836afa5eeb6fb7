"""中队排位赛: the squads scored on a period's indicators (weights and the minimum of cases are
settings), and each month's table published when the month closes, with each squad's movement
since the month before and the red flag (流动红旗)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlmodel import select

from common.clock import BEIJING, bureau_midnight
from common.messaging.contracts import RankedSquad as RankedOut
from common.messaging.contracts import SquadRankingPublished
from common.uow import UnitOfWork
from reporting.domain.indicators import OnTime
from reporting.domain.periods import PeriodKind, period_of
from reporting.queries.ranking import published, scored
from reporting.tables import Ranking

log = logging.getLogger(__name__)


async def publish_closed_months(
    uow: UnitOfWork, rule: OnTime, weights: dict[str, float], min_cases: int, delay_h: float
) -> list[date]:
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
        uow.session.add(
            Ranking(
                month=last,
                squad_id=s.squad_id,
                squad_name=s.squad_name,
                score=s.score,
                cases=s.cases,
                rank=s.rank,
                movement=s.movement,
                red_flag=s.red_flag,
                values=dict(s.values.items()),
                published_at=now,
            )
        )
    ranked = [s.score for s in table if s.rank is not None]
    uow.publish(
        SquadRankingPublished(
            month=last,
            weights=[{"indicator": k, "points": v} for k, v in weights.items()],
            min_cases=min_cases,
            squads=[
                RankedOut(
                    squad_id=s.squad_id,
                    squad_name=s.squad_name,
                    rank=s.rank,
                    score=s.score,
                    cases=s.cases,
                    movement=s.movement,
                    red_flag=s.red_flag,
                )
                for s in table
            ],
            red_flag_squad_id=next((s.squad_id for s in table if s.red_flag), None),
            district_score=round(sum(ranked) / len(ranked), 2) if ranked else None,
            at=now,
        )
    )
    await uow.commit()
    log.info(
        "ranking of %s published: %s holds the red flag",
        last.strftime("%Y-%m"),
        next((s.squad_name for s in table if s.red_flag), "nobody"),
    )
    return [last]
