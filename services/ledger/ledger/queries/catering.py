"""Catering places read: each with its purifier, the efficiency its size requires and when its
cleaning is due; the inspection rounds and a round's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select

from ledger.domain.catering import REQUIRED_EFFICIENCY, CleaningRule, below_required, cleaning_due, size_class
from ledger.tables import InspectionRound, Merchant, Purifier, RoundVisit


@dataclass
class CateringPlace:
    merchant: Merchant
    purifier: Purifier | None
    size: str | None
    required: float | None
    below_required: bool
    cleaning_due: date | None
    cleaning_overdue: bool


async def catering_places(
    session, today: date, rule: CleaningRule, grid_id: str | None = None, squad_scope: str | None = None
) -> list[CateringPlace]:
    query = (
        select(Merchant, Purifier)
        .join(Purifier, col(Purifier.merchant_id) == Merchant.id, isouter=True)
        .where(Merchant.business_nature == "catering", col(Merchant.closed).is_(False))
        .order_by(col(Merchant.name))
    )
    if grid_id:
        query = query.where(Merchant.grid_id == grid_id)
    if squad_scope:
        query = query.where(Merchant.squad_id == squad_scope)
    out = []
    for m, p in (await session.exec(query)).all():
        size = size_class(m.cooking_heads) if m.cooking_heads and m.cooking_heads >= 1 else None
        due = cleaning_due(p.last_cleaned_on, p.installed_on, rule) if p else None
        out.append(
            CateringPlace(
                merchant=m,
                purifier=p,
                size=size.value if size else None,
                required=REQUIRED_EFFICIENCY[size] if size else None,
                below_required=bool(p and size and below_required(p.rated_efficiency, m.cooking_heads)),
                cleaning_due=due,
                cleaning_overdue=bool(due and today > due),
            )
        )
    return out


async def round_progress(session, round_id: str) -> dict:
    rows = (
        await session.exec(
            select(RoundVisit.result, func.count())
            .where(RoundVisit.round_id == round_id)
            .group_by(col(RoundVisit.result))
        )
    ).all()
    by = dict(rows)
    planned = sum(by.values())
    left = by.get(None, 0)
    return {
        "planned": planned,
        "visited": planned - left,
        "left": left,
        "results": {k: v for k, v in by.items() if k is not None},
    }


async def purifier(session, merchant_id: str) -> Purifier | None:
    return await session.get(Purifier, merchant_id)


async def rounds(session) -> list[InspectionRound]:
    return list((await session.exec(select(InspectionRound).order_by(col(InspectionRound.starts_on).desc()))).all())


async def inspection_round(session, round_id: str) -> InspectionRound | None:
    return await session.get(InspectionRound, round_id)


async def round_visits(session, round_id: str, squad_scope: str | None) -> list[tuple[RoundVisit, Merchant]]:
    """A round's visits with their shops (a squad: its own)."""
    query = (
        select(RoundVisit, Merchant)
        .join(Merchant, col(Merchant.id) == RoundVisit.merchant_id)
        .where(RoundVisit.round_id == round_id)
    )
    if squad_scope is not None:
        query = query.where(RoundVisit.squad_id == squad_scope)
    return list((await session.exec(query.order_by(col(Merchant.grid_id), col(Merchant.name)))).all())
