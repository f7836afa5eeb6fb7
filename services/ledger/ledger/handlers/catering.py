"""餐饮油烟: a catering place's cooking heads and fume purifier, its cleanings, and the inspection
rounds that visit the places (the clerk plans a round; squad officers record the visits)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import insert
from sqlmodel import col, select

from common.clock import bureau_date
from common.db import table_of
from common.refusals import NotFound, Unprocessable
from common.uow import UnitOfWork
from ledger.domain.catering import size_class
from ledger.handlers.frontage import StoredFile
from ledger.tables import InspectionRound, Merchant, Purifier, PurifierCleaning, RoundVisit

RESULTS = {"compliant": "合格", "non_compliant": "不合格", "closed": "停业/关门"}


async def _catering(uow: UnitOfWork, merchant_id: str) -> Merchant:
    m = (await uow.session.exec(select(Merchant).where(Merchant.id == merchant_id).with_for_update())).first()
    if m is None:
        raise NotFound(f"merchant {merchant_id} not found")
    if m.business_nature != "catering":
        raise Unprocessable(f"merchant {merchant_id} is not a catering place (business_nature {m.business_nature})")
    return m


async def record_purifier(
    uow: UnitOfWork, merchant_id: str, *, cooking_heads: float, model: str, rated_efficiency: float, installed_on: date
) -> Purifier:
    """The place's 基准灶头 (its size class follows) and its purifier, installed or replaced."""
    size_class(cooking_heads)  # refuses fewer than one
    m = await _catering(uow, merchant_id)
    if installed_on > bureau_date(uow.clock.now()):
        raise Unprocessable(f"installed_on {installed_on} is in the future")
    m.cooking_heads, m.updated_at = cooking_heads, uow.clock.now()
    uow.session.add(m)
    purifier = await uow.session.get(Purifier, merchant_id, with_for_update=True)
    if purifier is None:
        purifier = Purifier(
            merchant_id=merchant_id,
            model=model,
            rated_efficiency=rated_efficiency,
            installed_on=installed_on,
            updated_at=uow.clock.now(),
        )
    else:
        if purifier.installed_on != installed_on:
            purifier.last_cleaned_on = None  # a new purifier: its cleanings start anew
        purifier.model, purifier.rated_efficiency, purifier.installed_on = model, rated_efficiency, installed_on
        purifier.updated_at = uow.clock.now()
    uow.session.add(purifier)
    await uow.commit()
    return purifier


async def record_cleaning(
    uow: UnitOfWork, merchant_id: str, *, cleaned_on: date, by: str, note: str | None
) -> Purifier:
    await _catering(uow, merchant_id)
    purifier = await uow.session.get(Purifier, merchant_id, with_for_update=True)
    if purifier is None:
        raise Unprocessable(f"merchant {merchant_id} has no purifier on record: record it first")
    if cleaned_on > bureau_date(uow.clock.now()) or cleaned_on < purifier.installed_on:
        raise Unprocessable(f"cleaned_on {cleaned_on} is not between the purifier's installation and today")
    uow.session.add(
        PurifierCleaning(
            merchant_id=merchant_id, cleaned_on=cleaned_on, recorded_by=by, note=note, recorded_at=uow.clock.now()
        )
    )
    if purifier.last_cleaned_on is None or cleaned_on > purifier.last_cleaned_on:
        purifier.last_cleaned_on = cleaned_on
        uow.session.add(purifier)
    await uow.commit()
    return purifier


async def plan_round(
    uow: UnitOfWork, *, name: str, starts_on: date, ends_on: date, grid_ids: list[str] | None, by: str
) -> InspectionRound:
    """A round over the catering places still trading (of some grids, or all)."""
    if ends_on < starts_on:
        raise Unprocessable("ends_on is before starts_on")
    query = select(Merchant.id, Merchant.squad_id).where(
        Merchant.business_nature == "catering", col(Merchant.closed).is_(False)
    )
    if grid_ids:
        query = query.where(col(Merchant.grid_id).in_(grid_ids))
    places = (await uow.session.exec(query)).all()
    if not places:
        raise Unprocessable("no catering places to visit" + (f" in {', '.join(grid_ids)}" if grid_ids else ""))
    r = InspectionRound(
        id=str(uuid.uuid4()), name=name, starts_on=starts_on, ends_on=ends_on, created_by=by, created_at=uow.clock.now()
    )
    uow.session.add(r)
    await uow.session.flush()
    await uow.session.execute(
        insert(table_of(RoundVisit)), [{"round_id": r.id, "merchant_id": m, "squad_id": squad} for m, squad in places]
    )
    await uow.commit()
    return r


async def record_visit(
    uow: UnitOfWork,
    round_id: str,
    merchant_id: str,
    *,
    result: str,
    note: str | None,
    photo: StoredFile | None,
    by: str,
    squad_scope: str | None,
) -> RoundVisit:
    """A visit of the round; a squad's officer records visits of the squad's places only."""
    if result not in RESULTS:
        raise Unprocessable(f"result {result!r}: one of {', '.join(RESULTS)}")
    r = await uow.session.get(InspectionRound, round_id)
    visit = (
        await uow.session.exec(
            select(RoundVisit)
            .where(RoundVisit.round_id == round_id, RoundVisit.merchant_id == merchant_id)
            .with_for_update()
        )
    ).first()
    if r is None or visit is None or (squad_scope is not None and visit.squad_id != squad_scope):
        raise NotFound(f"merchant {merchant_id} is not a place of round {round_id}")
    today = bureau_date(uow.clock.now())
    if not (r.starts_on <= today <= r.ends_on):
        raise Unprocessable(f"round {r.name} runs {r.starts_on} to {r.ends_on}")
    visit.result, visit.note, visit.visited_by, visit.visited_at = result, note, by, uow.clock.now()
    visit.photo_key, visit.photo_type = (photo.key, photo.content_type) if photo else (None, None)
    uow.session.add(visit)
    await uow.commit()
    return visit
