"""Reporting's projections: each event fills in its part of the incident's facts."""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from common.messaging.contracts import CaseClosed, CaseDispatched, CaseOpened, IncidentReported
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from reporting.tables import CaseFact


async def _upsert(uow: UnitOfWork, incident_id: str, **facts) -> None:
    stmt = insert(CaseFact).values(incident_id=incident_id, **facts)
    await uow.session.execute(stmt.on_conflict_do_update(index_elements=["incident_id"],
                                                         set_={k: stmt.excluded[k] for k in facts}))


async def record_received(event: IncidentReported, env: Envelope, uow: UnitOfWork) -> None:
    await _upsert(uow, event.incident_id, category_code=event.category_code, channel=event.channel,
                  received_at=event.reported_at)


async def record_opened(event: CaseOpened, env: Envelope, uow: UnitOfWork) -> None:
    await _upsert(uow, event.incident_id, case_id=event.case_id, category_code=event.category_code)


async def record_dispatched(event: CaseDispatched, env: Envelope, uow: UnitOfWork) -> None:
    await _upsert(uow, event.incident_id, case_id=event.case_id, squad_id=event.squad_id,
                  squad_name=event.squad_name, dispatched_at=event.dispatched_at)


async def record_closed(event: CaseClosed, env: Envelope, uow: UnitOfWork) -> None:
    await _upsert(uow, event.incident_id, case_id=event.case_id, outcome=event.outcome,
                  closed_at=event.closed_at)


HANDLERS = {
    IncidentReported: record_received,
    CaseOpened: record_opened,
    CaseDispatched: record_dispatched,
    CaseClosed: record_closed,
}
