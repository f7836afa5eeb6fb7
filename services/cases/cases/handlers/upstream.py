"""What an upstream system's answers do to a case: a 申请退回 approved by the 12345 centre cancels
the case of the order (it goes to another department), as a step of the trail like any other."""

from __future__ import annotations

import logging

from sqlmodel import col, select

from cases.domain.lifecycle import ACTIVE, SYSTEM, Action, Actor, S
from cases.handlers.steps import transition
from cases.tables import Case
from common.messaging.contracts import WorkOrderReturned
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork

log = logging.getLogger(__name__)
INTAKE = Actor(subject="system:intake", role=SYSTEM)


async def cancel_returned(event: WorkOrderReturned, env: Envelope, uow: UnitOfWork) -> None:
    case = (
        await uow.session.exec(
            select(Case)
            .where(Case.incident_id == event.incident_id, col(Case.parent_case_id).is_(None))
            .with_for_update()
        )
    ).first()
    if case is None or case.status not in (ACTIVE | {S.suspended}):
        log.info("order %s returned; its case is %s", event.source_reference, case.status if case else "not opened")
        return
    await transition(uow, case, Action.cancel, INTAKE, reason=event.reason, details={"returned_to": event.system})
    uow.session.add(case)
