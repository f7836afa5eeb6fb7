"""A case's progress, shown on the incident it came from: each step of the case is one event and
one UPDATE of the incident (the status through STATUS_OF_CASE, the squad and deadline once
dispatched, the public notes). The hot steps (opened, dispatched) are applied a batch at a time
with one set-based statement prepared once; the row lock is each UPDATE's own and nothing is
read back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import TIMESTAMP

from common.db import Prepared, rows_changed, table_of, unnest
from common.messaging.contracts import (
    CaseDispatched,
    CaseFlagged,
    CaseOpened,
    CasePublicNoteAdded,
    CaseTransitioned,
    EnforcementStepRecorded,
    IncidentReplied,
    WorkCalendarChanged,
)
from common.messaging.envelope import Envelope
from common.messaging.inbox import Batched
from common.uow import UnitOfWork
from common.vocabulary import CaseAction, CaseStatus
from intake.domain.incidents import STATUS_OF_CASE, IncidentStatus
from intake.handlers import upstream_link as link
from intake.handlers import work_orders as orders
from intake.tables import Incident

INCIDENTS = table_of(Incident)
RECEIVED = IncidentStatus.received.value


_OPENED = select(
    *(unnest(c).label(c) for c in ("id", "case_id", "case_number", "status")),
    unnest("at", TIMESTAMP(timezone=True)).label("at"),
).subquery("o")
_APPLY_OPENED = Prepared(
    update(INCIDENTS)
    .where(INCIDENTS.c.id == _OPENED.c.id)
    .values(
        case_id=_OPENED.c.case_id,
        case_number=_OPENED.c.case_number,
        updated_at=_OPENED.c.at,
        status=case((INCIDENTS.c.status == RECEIVED, _OPENED.c.status), else_=INCIDENTS.c.status),
    )
    .returning(INCIDENTS.c.id)
)
_DISPATCHED = select(
    *(unnest(c).label(c) for c in ("id", "case_id", "case_number", "squad_id", "squad_name")),
    unnest("at", TIMESTAMP(timezone=True)).label("at"),
    unnest("expected_at", TIMESTAMP(timezone=True)).label("expected_at"),
).subquery("d")
_APPLY_DISPATCHED = Prepared(
    update(INCIDENTS)
    .where(INCIDENTS.c.id == _DISPATCHED.c.id)
    .values(
        status=STATUS_OF_CASE[CaseStatus.dispatched].value,
        case_id=_DISPATCHED.c.case_id,
        case_number=_DISPATCHED.c.case_number,
        squad_id=_DISPATCHED.c.squad_id,
        squad_name=_DISPATCHED.c.squad_name,
        expected_at=_DISPATCHED.c.expected_at,
        updated_at=_DISPATCHED.c.at,
    )
    .returning(INCIDENTS.c.id)
)


def _refuse_unknown(batch: Sequence[Envelope[CaseOpened | CaseDispatched]], updated: list) -> None:
    found = {r[0] for r in updated}
    unknown = [e.data for e in batch if e.data.incident_id not in found]
    if unknown:
        raise LookupError(f"case {unknown[0].case_id} names unknown incident {unknown[0].incident_id}")


async def on_cases_opened(batch: list[Envelope[CaseOpened]], uow: UnitOfWork) -> None:
    events = [e.data for e in batch]
    updated = await _APPLY_OPENED.fetch(
        await uow.db(),
        id=[e.incident_id for e in events],
        case_id=[e.case_id for e in events],
        case_number=[e.case_number for e in events],
        status=[STATUS_OF_CASE[e.status].value for e in events],
        at=[e.time for e in batch],
    )
    _refuse_unknown(batch, updated)


async def on_cases_dispatched(batch: list[Envelope[CaseDispatched]], uow: UnitOfWork) -> None:
    """派遣: the status, the squad and the deadline, from the step's one event."""
    events = [e.data for e in batch]
    updated = await _APPLY_DISPATCHED.fetch(
        await uow.db(),
        id=[e.incident_id for e in events],
        case_id=[e.case_id for e in events],
        case_number=[e.case_number for e in events],
        squad_id=[e.squad_id for e in events],
        squad_name=[e.squad_name for e in events],
        at=[e.dispatched_at for e in events],
        expected_at=[e.deadline_at for e in events],
    )
    _refuse_unknown(batch, updated)


async def _update_incident(uow: UnitOfWork, event: Any, **values: Any) -> None:
    changed = await rows_changed(
        uow.session, update(INCIDENTS).where(INCIDENTS.c.id == event.incident_id).values(**values)
    )
    if changed == 0:
        raise LookupError(f"case {event.case_id} names unknown incident {event.incident_id}")


async def on_case_flagged(event: CaseFlagged, env: Envelope, uow: UnitOfWork) -> None:
    await _update_incident(
        uow,
        event,
        flags=case(
            (INCIDENTS.c.flags.contains([event.reason]), INCIDENTS.c.flags),
            else_=INCIDENTS.c.flags.op("||")(func.jsonb_build_array(event.reason)),
        ),
    )


async def on_case_transitioned(event: CaseTransitioned, env: Envelope, uow: UnitOfWork) -> None:
    """Every other step of the lifecycle shows on the report (verification, filing, handling,
    rework, suspension, closure, reopening, ...)."""
    status = STATUS_OF_CASE.get(event.to_status)
    # one case's events arrive in order (one partition, keyed by case)
    values = {"status": status.value, "updated_at": event.at} if status is not None else {"id": INCIDENTS.c.id}
    await _update_incident(uow, event, **values)
    if event.to_status == CaseStatus.closed:
        await _shown_on_tracking(event, uow)
    if event.action == CaseAction.reopen:  # the reopened case will close again: its reporters may rate again
        await uow.session.execute(
            update(INCIDENTS)
            .where(or_(INCIDENTS.c.id == event.incident_id, INCIDENTS.c.duplicate_of == event.incident_id))
            .values(rating=None, rating_comment=None, rated_at=None)
        )


TRACKED = frozenset({"web", "open311"})
"""Channels whose reporters follow their report on the tracking page (with its token)."""


async def _shown_on_tracking(event: CaseTransitioned, uow: UnitOfWork) -> None:
    """反馈: a tracked report's result shows on its page once the case closes; the first time is
    the reply. (A hotline caller is called back by the operator: POST /v1/incidents/{id}/reply.)"""
    row = (
        await uow.session.execute(
            update(INCIDENTS)
            .where(
                INCIDENTS.c.id == event.incident_id, INCIDENTS.c.channel.in_(TRACKED), INCIDENTS.c.replied_at.is_(None)
            )
            .values(replied_at=event.at)
            .returning(INCIDENTS.c.channel)
        )
    ).first()
    if row is not None:
        uow.publish(
            IncidentReplied(
                incident_id=event.incident_id, case_id=event.case_id, channel=row.channel, how="tracking", at=event.at
            )
        )


async def on_public_note(event: CasePublicNoteAdded, env: Envelope, uow: UnitOfWork) -> None:
    note = func.jsonb_build_object("at", event.at.isoformat(), "text", event.text)
    await _update_incident(
        uow,
        event,
        public_notes=INCIDENTS.c.public_notes.op("||")(func.jsonb_build_array(note)),
        updated_at=func.greatest(INCIDENTS.c.updated_at, event.at),
    )


HANDLERS = {
    CaseOpened: Batched(on_cases_opened),
    CaseDispatched: Batched(on_cases_dispatched),
    CaseFlagged: on_case_flagged,
    CaseTransitioned: on_case_transitioned,
    CasePublicNoteAdded: on_public_note,
}


def linked(handlers: dict) -> dict:
    """The handlers with the work orders following their cases (intake.handlers.work_orders), for a
    service linked to upstream systems."""

    async def opened(batch, uow):
        await on_cases_opened(batch, uow)
        await orders.on_opened(batch, uow)

    async def dispatched(batch, uow):
        await on_cases_dispatched(batch, uow)
        await orders.on_dispatched(batch, uow)

    async def transitioned(event, env, uow):
        await on_case_transitioned(event, env, uow)
        await orders.on_transitioned(event, env, uow)

    return {
        **handlers,
        CaseOpened: Batched(opened),
        CaseDispatched: Batched(dispatched),
        CaseTransitioned: transitioned,
        WorkCalendarChanged: link.on_calendar,
        EnforcementStepRecorded: orders.on_enforcement,
    }
