"""The street's work that opens no case: 劝导 per squad and category over a period."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import col, select

from reporting.tables import PersuasionDay


async def persuasions(session, start: date, end: date, by: str, squad_id: str | None) -> dict[str, int]:
    """劝导 from `start` to `end` (exclusive), per squad or per category; one squad's only with `squad_id`."""
    key = col(PersuasionDay.squad_id) if by == "squad" else col(PersuasionDay.category_code)
    query = (
        select(key, func.sum(PersuasionDay.persuasions))
        .where(col(PersuasionDay.day) >= start, col(PersuasionDay.day) < end)
        .group_by(key)
    )
    if squad_id is not None:
        query = query.where(PersuasionDay.squad_id == squad_id)
    return {k: int(n) for k, n in (await session.exec(query)).all()}
