"""What the hotline centres assess the bureau on, per squad over a period, from the upstream orders
received in it (榆林's monthly set; Beijing's 响应率, 解决率, 满意率): 及时签收率, 按时办结率, 回退率,
重办率, 满意率. Orders of 执法办案 (the case went into the penalty track) are counted apart for
satisfaction, whose 不满意 may only mean the party was fined (Guangdong's rule)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import and_, func
from sqlmodel import col, select

from common.clock import BEIJING
from reporting.tables import HotlineOrder

H = HotlineOrder
GOOD = ("satisfied", "basically_satisfied")
COUNTS = {
    "received": None,
    "signed_on_time": and_(col(H.signed_at).is_not(None), col(H.signed_at) <= col(H.sign_due_at)),
    "replied": col(H.replied_at).is_not(None),
    "finished_on_time": and_(col(H.replied_at).is_not(None), col(H.replied_at) <= col(H.finish_due_at)),
    "returned": col(H.returned),
    "redone": col(H.redo_count) > 0,
    "rated": and_(col(H.satisfaction).is_not(None), ~col(H.enforcement)),
    "satisfied": and_(col(H.satisfaction).in_(GOOD), ~col(H.enforcement)),
    "enforcement": col(H.enforcement),
    "enforcement_rated": and_(col(H.satisfaction).is_not(None), col(H.enforcement)),
    "enforcement_satisfied": and_(col(H.satisfaction).in_(GOOD), col(H.enforcement)),
}


async def hotline_counts(
    session, start: date, end: date, squad_id: str | None, system: str | None
) -> dict[str, dict[str, int]]:
    """Per squad ('' for orders not yet dispatched): the counts above, over the orders received
    from `start` to `end` (exclusive, the bureau's days)."""
    since, until = (datetime.combine(d, time(), BEIJING) for d in (start, end))
    columns = [func.count().filter(c) if c is not None else func.count() for c in COUNTS.values()]
    query = (
        select(col(H.squad_id), *columns)
        .where(col(H.received_at) >= since, col(H.received_at) < until)
        .group_by(col(H.squad_id))
    )
    if squad_id is not None:
        query = query.where(H.squad_id == squad_id)
    if system is not None:
        query = query.where(H.system == system)
    return {
        row[0]: dict(zip(COUNTS, (int(n) for n in row[1:]), strict=True)) for row in (await session.exec(query)).all()
    }
