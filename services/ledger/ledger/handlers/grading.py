"""一卡四色 in motion: a merchant's colour moves when a case against it closes as a violation or
its enforcement track takes a step (from cases' events), and recovers on the tick as the
bureau's rule says; each change keeps its reason and case, and issues a new card."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select

from common.clock import BEIJING
from common.db import table_of
from common.messaging.contracts import (
    CaseClosed,
    EnforcementStepRecorded,
    MerchantCardIssued,
    MerchantChanged,
    MerchantColourRecovered,
    MerchantGradeChanged,
)
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from ledger.domain.colour import (
    Colour,
    RecoveryMode,
    RecoveryRule,
    colour_after_enforcement,
    colour_after_violation,
    recovery,
)
from ledger.domain.months import add_months_at
from ledger.handlers.merchants import is_assisted, merchant_state, new_card_code
from ledger.tables import Card, GradeChange, Merchant, MerchantCase

log = logging.getLogger(__name__)


async def _merchant_for_update(uow: UnitOfWork, merchant_id: str, case_id: str) -> Merchant | None:
    merchant = (await uow.session.exec(select(Merchant).where(Merchant.id == merchant_id).with_for_update())).first()
    if merchant is None:
        # A case may name a merchant the ledger does not hold yet; the case stands regardless.
        log.warning("case %s names merchant %s, not in the ledger", case_id, merchant_id)
    return merchant


async def issue_card(uow: UnitOfWork, merchant: Merchant, at: datetime) -> str:
    """A new card (告知卡) in the merchant's colour; the one before it is superseded."""
    code, previous = new_card_code(), merchant.card_code
    if previous:
        await uow.session.execute(update(Card).where(col(Card.code) == previous).values(superseded_at=at))
    await uow.session.execute(
        insert(table_of(Card)).values(
            code=code, merchant_id=merchant.id, colour=merchant.colour, issued_at=at, superseded_at=None
        )
    )
    merchant.card_code = code
    uow.publish(
        MerchantCardIssued(
            merchant_id=merchant.id, card_code=code, colour=merchant.colour, superseded_code=previous, issued_at=at
        )
    )
    return code


async def _recolour(
    uow: UnitOfWork,
    merchant: Merchant,
    after: Colour,
    *,
    reason: str,
    at: datetime,
    case_id: str | None = None,
    category_code: str | None = None,
) -> bool:
    before = Colour.named(merchant.colour)
    if after == before:
        return False
    merchant.colour, merchant.colour_since, merchant.updated_at = after.name, at, at
    if after == Colour.blue:
        merchant.violations = {}  # the "same violation again" starts afresh
    uow.session.add(
        GradeChange(
            merchant_id=merchant.id,
            reason=reason,
            case_id=case_id,
            category_code=category_code,
            previous=before.name,
            current=after.name,
            changed_at=at,
        )
    )
    await issue_card(uow, merchant, at)
    uow.session.add(merchant)
    uow.publish(merchant_state(merchant, MerchantChanged, at, assisted=await is_assisted(uow.session, merchant.id)))
    return True


async def _seen_case(
    uow: UnitOfWork,
    merchant_id: str,
    *,
    case_id: str,
    case_number: str,
    category_code: str,
    squad_id: str | None,
    at: datetime,
    outcome: str | None = None,
    closed_at: datetime | None = None,
    step: str | None = None,
) -> None:
    """The merchant's cases, as the case events tell them (ledger never reads cases' tables)."""
    values: dict[str, Any] = {"case_number": case_number, "category_code": category_code, "squad_id": squad_id}
    if outcome is not None:
        values.update(outcome=outcome, closed_at=closed_at)
    if step is not None:
        values["last_step"] = step
    await uow.session.execute(
        pg_insert(MerchantCase)
        .values(merchant_id=merchant_id, case_id=case_id, first_seen_at=at, **values)
        .on_conflict_do_update(index_elements=["merchant_id", "case_id"], set_=values)
    )


async def grade_after_case(event: CaseClosed, env: Envelope, uow: UnitOfWork) -> None:
    if event.merchant_id is None:
        return
    if (merchant := await _merchant_for_update(uow, event.merchant_id, event.case_id)) is None:
        return
    await _seen_case(
        uow,
        merchant.id,
        case_id=event.case_id,
        case_number=event.case_number,
        category_code=event.category_code,
        squad_id=event.squad_id,
        at=event.closed_at,
        outcome=event.outcome,
        closed_at=event.closed_at,
    )
    if event.outcome != "violation":
        return
    prior = merchant.violations.get(event.category_code, 0)
    merchant.violations = {**merchant.violations, event.category_code: prior + 1}
    merchant.last_violation_at = max(filter(None, (merchant.last_violation_at, event.closed_at)))
    after = colour_after_violation(Colour.named(merchant.colour), prior)
    if after != Colour.named(merchant.colour):
        uow.publish(
            MerchantGradeChanged(
                merchant_id=merchant.id,
                previous=merchant.colour,
                current=after.name,
                case_id=event.case_id,
                category_code=event.category_code,
                changed_at=event.closed_at,
            )
        )
    await _recolour(
        uow,
        merchant,
        after,
        reason="violation",
        at=event.closed_at,
        case_id=event.case_id,
        category_code=event.category_code,
    )
    uow.session.add(merchant)


async def grade_after_enforcement(event: EnforcementStepRecorded, env: Envelope, uow: UnitOfWork) -> None:
    if event.merchant_id is None:
        return
    if (merchant := await _merchant_for_update(uow, event.merchant_id, event.case_id)) is None:
        return
    await _seen_case(
        uow,
        merchant.id,
        case_id=event.case_id,
        case_number=event.case_number,
        category_code=event.category_code,
        squad_id=None,
        at=event.at,
        step=event.step,
    )
    after = colour_after_enforcement(Colour.named(merchant.colour), event.step, event.amount_fen)
    if after != Colour.named(merchant.colour):
        merchant.last_violation_at = max(filter(None, (merchant.last_violation_at, event.at)))
        uow.publish(
            MerchantGradeChanged(
                merchant_id=merchant.id,
                previous=merchant.colour,
                current=after.name,
                case_id=event.case_id,
                category_code=event.category_code,
                changed_at=event.at,
            )
        )
    await _recolour(
        uow,
        merchant,
        after,
        reason=f"enforcement:{event.step}",
        at=event.at,
        case_id=event.case_id,
        category_code=event.category_code,
    )


async def recover_colours(uow: UnitOfWork, rule: RecoveryRule, limit: int = 500) -> int:
    """The tick: every merchant whose colour is due to recover steps down (or resets), each step
    an event and a new card. Rows are claimed with SKIP LOCKED, so replicas share the work;
    commits; returns how many recovered (call again while it is `limit`)."""
    now = uow.clock.now()
    clean = func.greatest(Merchant.colour_since, func.coalesce(Merchant.last_violation_at, Merchant.colour_since))
    if rule.mode == RecoveryMode.yearly:
        year_start = datetime(now.astimezone(BEIJING).year, 1, 1, tzinfo=BEIJING)
        due = clean < year_start
    else:  # the exact months are counted below, in Beijing's calendar; a day's slack here
        due = clean <= add_months_at(now, -rule.months) + timedelta(days=1)
    rows = (
        await uow.session.exec(
            select(Merchant)
            .where(Merchant.colour != Colour.blue.name, col(Merchant.closed).is_(False), due)
            .order_by(clean)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    recovered = 0
    for m in rows:
        step = recovery(
            Colour.named(m.colour),
            colour_since=m.colour_since,
            last_violation_at=m.last_violation_at,
            now=now,
            rule=rule,
        )
        if step is None:
            continue
        clean_since = max(filter(None, (m.colour_since, m.last_violation_at)))
        previous = m.colour
        await _recolour(uow, m, step.colour, reason=step.reason, at=now)
        uow.publish(
            MerchantColourRecovered(
                merchant_id=m.id,
                previous=previous,
                current=step.colour.name,
                reason=step.reason,
                clean_since=clean_since,
                at=now,
            )
        )
        recovered += 1
    await uow.commit()
    return recovered
