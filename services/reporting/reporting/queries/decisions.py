"""Penalty decisions over a period, by power and band."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import col

from reporting.tables import DecisionDay


async def decisions(session, start: date, end: date, squad_id: str | None) -> list[dict]:
    """From `start` to `end` (exclusive), per power and band; one squad's only with `squad_id`."""
    query = (
        select(
            col(DecisionDay.power_code),
            col(DecisionDay.band),
            func.max(DecisionDay.power_name),
            *(func.sum(col(getattr(DecisionDay, c))) for c in ("decisions", "on_the_spot", "departures")),
            func.sum(DecisionDay.fines_decided_fen),
        )
        .where(col(DecisionDay.day) >= start, col(DecisionDay.day) < end)
        .group_by(col(DecisionDay.power_code), col(DecisionDay.band))
        .order_by(col(DecisionDay.power_code), col(DecisionDay.band))
    )
    if squad_id is not None:
        query = query.where(col(DecisionDay.squad_id) == squad_id)
    return [
        {
            "power_code": code,
            "band": band,
            "power_name": name,
            "decisions": int(n),
            "on_the_spot": int(spot),
            "departures": int(departed),
            "fines_decided_fen": int(fines),
        }
        for code, band, name, n, spot, departed, fines in (await session.execute(query)).all()
    ]
