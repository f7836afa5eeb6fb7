"""Cases' service layer: open a case for each incident, follow its dispatch, close it."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import select

from cases.domain import Action, CaseStatus, case_number, next_status
from cases.tables import Case
from common.messaging.contracts import (AssignmentCreated, CaseClosed, CaseDispatched, CaseFlagged,
                                        CaseOpened, CaseUnroutable, IncidentReported)
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork

log = logging.getLogger(__name__)


async def _next_case_number(uow: UnitOfWork, district_code: str) -> str:
    year = uow.clock.now().year
    seq = (await uow.session.execute(text(
        "INSERT INTO cases.case_number_counters (year, last) VALUES (:y, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = case_number_counters.last + 1 RETURNING last"
    ), {"y": year})).scalar_one()
    return case_number(district_code, year, seq)


async def _case_for_update(uow: UnitOfWork, case_id: str) -> Case:
    case = (await uow.session.exec(select(Case).where(Case.id == case_id).with_for_update())).first()
    if case is None:
        raise LookupError(f"unknown case {case_id}")
    return case


async def open_case(event: IncidentReported, env: Envelope, uow: UnitOfWork, *, district_code: str) -> None:
    """立案: every incident becomes a case (verification before filing arrives with the full loop)."""
    existing = (await uow.session.exec(select(Case).where(Case.incident_id == event.incident_id))).first()
    if existing is not None:
        return
    now = uow.clock.now()
    case = Case(id=str(uuid.uuid4()), case_number=await _next_case_number(uow, district_code),
                incident_id=event.incident_id, status=CaseStatus.filed, channel=event.channel,
                category_code=event.category_code, urgency=event.urgency,
                lon=event.location.lon, lat=event.location.lat, flags=list(event.flags), opened_at=now)
    uow.session.add(case)
    log.info("case %s opened for incident %s (%s)", case.case_number, case.incident_id, case.category_code)
    uow.publish(CaseOpened(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                           opened_at=now, channel=event.channel, category_code=event.category_code,
                           urgency=event.urgency, location=event.location, flags=case.flags))


async def mark_dispatched(event: AssignmentCreated, env: Envelope, uow: UnitOfWork) -> None:
    case = await _case_for_update(uow, event.case_id)
    if case.assignment_id == event.assignment_id:
        return
    case.status = next_status(case.status, Action.dispatch)
    case.squad_id, case.squad_name, case.grid_id = event.squad_id, event.squad_name, event.grid_id
    case.assignment_id, case.dispatched_at, case.deadline_at = event.assignment_id, event.assigned_at, event.deadline_at
    uow.session.add(case)
    log.info("case %s dispatched to %s", case.case_number, event.squad_name)
    uow.publish(CaseDispatched(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                               assignment_id=event.assignment_id, squad_id=event.squad_id,
                               squad_name=event.squad_name, grid_id=event.grid_id,
                               category_code=case.category_code, dispatched_at=event.assigned_at,
                               deadline_at=event.deadline_at))


async def flag_for_command_centre(event: CaseUnroutable, env: Envelope, uow: UnitOfWork) -> None:
    case = await _case_for_update(uow, event.case_id)
    case.status = next_status(case.status, Action.flag)
    if event.reason not in case.flags:
        case.flags = [*case.flags, event.reason]
    uow.session.add(case)
    log.info("case %s needs the command centre: %s", case.case_number, event.reason)
    uow.publish(CaseFlagged(case_id=case.id, incident_id=case.incident_id, reason=event.reason,
                            flagged_at=uow.clock.now()))


@dataclass(frozen=True)
class CloseCase:
    case_id: str
    outcome: str
    closed_by: str
    merchant_id: str | None = None


async def close_case(uow: UnitOfWork, cmd: CloseCase) -> Case:
    """结案 with an outcome; a violation by a merchant in the ledger moves the merchant's colour."""
    case = await _case_for_update(uow, cmd.case_id)
    case.status = next_status(case.status, Action.close)
    now = uow.clock.now()
    case.outcome, case.merchant_id, case.closed_at = cmd.outcome, cmd.merchant_id, now
    uow.session.add(case)
    uow.publish(CaseClosed(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                           category_code=case.category_code, squad_id=case.squad_id, outcome=cmd.outcome,
                           merchant_id=cmd.merchant_id, closed_at=now, closed_by=cmd.closed_by))
    await uow.commit()
    return case

