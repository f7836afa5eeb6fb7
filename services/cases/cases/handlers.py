"""Cases' service layer: open a case for each incident, follow its dispatch, close it."""
from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, replace

from sqlalchemy import text
from sqlmodel import select

from cases.domain import Action, CaseStatus, case_number, next_status
from cases.tables import Case, CaseTrailEntry
from cases.trail import GENESIS, TrailEntry, entry_hash
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


async def append_trail(uow: UnitOfWork, case_id: str, *, action: str, actor: str, from_status: str | None,
                       to_status: str | None, reason: str | None = None, data: dict | None = None) -> None:
    """One link of the case's hash chain, in the transaction of the change it records. Callers
    hold the case's row lock, so two links cannot claim the same place in the chain."""
    last = (await uow.session.exec(select(CaseTrailEntry).where(CaseTrailEntry.case_id == case_id)
                                   .order_by(CaseTrailEntry.seq.desc()).limit(1))).first()
    entry = TrailEntry(case_id=case_id, seq=last.seq + 1 if last else 1, at=uow.clock.now(), actor=actor,
                       action=action, from_status=from_status, to_status=to_status, reason=reason,
                       data=data or {}, prev_hash=last.hash if last else GENESIS)
    uow.session.add(CaseTrailEntry(**asdict(replace(entry, hash=entry_hash(entry)))))


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
    await append_trail(uow, case.id, action="open", actor="system:intake", from_status=None, to_status=case.status,
                       data={"incident_id": case.incident_id, "channel": case.channel,
                             "category": case.category_code, "case_number": case.case_number})
    log.info("case %s opened for incident %s (%s)", case.case_number, case.incident_id, case.category_code)
    uow.publish(CaseOpened(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                           opened_at=now, channel=event.channel, category_code=event.category_code,
                           urgency=event.urgency, location=event.location, flags=case.flags))


async def mark_dispatched(event: AssignmentCreated, env: Envelope, uow: UnitOfWork) -> None:
    case = await _case_for_update(uow, event.case_id)
    if case.assignment_id == event.assignment_id:
        return
    before = case.status
    case.status = next_status(case.status, Action.dispatch)
    await append_trail(uow, case.id, action="dispatch", actor="system:dispatch", from_status=before,
                       to_status=case.status, data={"squad_id": event.squad_id, "grid_id": event.grid_id,
                                                    "assignment_id": event.assignment_id})
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
    before = case.status
    case.status = next_status(case.status, Action.flag)
    await append_trail(uow, case.id, action="flag", actor="system:dispatch", from_status=before,
                       to_status=case.status, reason=event.reason)
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
    before = case.status
    case.status = next_status(case.status, Action.close)
    await append_trail(uow, case.id, action="close", actor=cmd.closed_by, from_status=before, to_status=case.status,
                       data={"outcome": cmd.outcome, "merchant_id": cmd.merchant_id})
    now = uow.clock.now()
    case.outcome, case.merchant_id, case.closed_at = cmd.outcome, cmd.merchant_id, now
    uow.session.add(case)
    uow.publish(CaseClosed(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                           category_code=case.category_code, squad_id=case.squad_id, outcome=cmd.outcome,
                           merchant_id=cmd.merchant_id, closed_at=now, closed_by=cmd.closed_by))
    await uow.commit()
    return case

