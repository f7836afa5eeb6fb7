"""Ledger's service layer: register merchants; grade them when a case against them closes."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlmodel import select

from common.messaging.contracts import CaseClosed, EnforcementStepRecorded, MerchantGradeChanged
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from ledger.domain import Colour, colour_after_enforcement, colour_after_violation
from ledger.tables import GradeChange, Merchant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisterMerchant:
    name: str
    operator: str
    address: str
    business_nature: str
    grid_id: str | None = None


async def register_merchant(uow: UnitOfWork, cmd: RegisterMerchant) -> Merchant:
    now = uow.clock.now()
    merchant = Merchant(id=str(uuid.uuid4()), name=cmd.name, operator=cmd.operator, address=cmd.address,
                        business_nature=cmd.business_nature, grid_id=cmd.grid_id, colour=Colour.blue.name,
                        violations={}, created_at=now, updated_at=now)
    uow.session.add(merchant)
    await uow.commit()
    return merchant


async def _merchant_for_update(uow: UnitOfWork, merchant_id: str, case_id: str) -> Merchant | None:
    merchant = (await uow.session.exec(select(Merchant).where(Merchant.id == merchant_id).with_for_update())).first()
    if merchant is None:
        # A case may name a merchant the ledger does not hold yet; the case stands regardless.
        log.warning("case %s names merchant %s, not in the ledger", case_id, merchant_id)
    return merchant


def _regrade(uow: UnitOfWork, merchant: Merchant, after: Colour, *, case_id: str, category_code: str,
             at) -> None:
    before = Colour.named(merchant.colour)
    merchant.colour, merchant.updated_at = after.name, at
    uow.session.add(merchant)
    if after != before:
        uow.session.add(GradeChange(merchant_id=merchant.id, case_id=case_id, category_code=category_code,
                                    previous=before.name, current=after.name, changed_at=at))
        uow.publish(MerchantGradeChanged(merchant_id=merchant.id, previous=before.name, current=after.name,
                                         case_id=case_id, category_code=category_code, changed_at=at))


async def grade_after_case(event: CaseClosed, env: Envelope, uow: UnitOfWork) -> None:
    if event.outcome != "violation" or event.merchant_id is None:
        return
    if (merchant := await _merchant_for_update(uow, event.merchant_id, event.case_id)) is None:
        return
    prior = merchant.violations.get(event.category_code, 0)
    merchant.violations = {**merchant.violations, event.category_code: prior + 1}
    _regrade(uow, merchant, colour_after_violation(Colour.named(merchant.colour), prior),
             case_id=event.case_id, category_code=event.category_code, at=event.closed_at)


async def grade_after_enforcement(event: EnforcementStepRecorded, env: Envelope, uow: UnitOfWork) -> None:
    if event.merchant_id is None:
        return
    if (merchant := await _merchant_for_update(uow, event.merchant_id, event.case_id)) is None:
        return
    _regrade(uow, merchant, colour_after_enforcement(Colour.named(merchant.colour), event.step),
             case_id=event.case_id, category_code=event.category_code, at=event.at)
