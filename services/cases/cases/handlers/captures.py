"""A machine's records as the case's evidence (cases.domain.captures): intake's review of each
(CaptureReviewed) and the party's answer to it online (CaptureAnswered), each kept and in the trail."""

from __future__ import annotations

from sqlalchemy import exists
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select

from cases.handlers.trail import append_trail
from cases.tables import CaptureEvidence, Case, Investigation
from common.messaging.contracts import CaptureAnswered, CaptureReviewed
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork


async def _case(uow: UnitOfWork, case_id: str) -> Case | None:
    return await uow.session.get(Case, case_id, with_for_update=True)


async def record_capture_review(event: CaptureReviewed, env: Envelope, uow: UnitOfWork) -> None:
    """审核 of a record the case rests on: accepted, it may serve as evidence; rejected, it may not."""
    case = await _case(uow, event.case_id)
    if case is None:  # intake names a case it learnt from cases' own events: a real fault
        raise LookupError(f"no case {event.case_id} for the capture review of {event.incident_id}")
    inserted = await uow.session.execute(
        pg_insert(CaptureEvidence)
        .values(
            incident_id=event.incident_id,
            case_id=event.case_id,
            accepted=event.accepted,
            reviewer=event.reviewed_by,
            reviewed_at=event.at,
        )
        .on_conflict_do_nothing()
        .returning(col(CaptureEvidence.incident_id))
    )
    if inserted.first() is None:  # told twice
        return
    await append_trail(
        uow,
        case.id,
        action="capture.accepted" if event.accepted else "capture.rejected",
        actor=event.reviewed_by,
        from_status=case.status,
        to_status=case.status,
        reason=event.reason,
        data={"incident_id": event.incident_id, "basis": "行政处罚法 art. 41"},
    )


async def record_capture_answer(event: CaptureAnswered, env: Envelope, uow: UnitOfWork) -> None:
    """陈述申辩 online: kept with the record and in the trail, to be weighed before a decision."""
    case = await _case(uow, event.case_id)
    held = await uow.session.get(CaptureEvidence, event.incident_id, with_for_update=True)
    if case is None or held is None:
        raise LookupError(f"no reviewed record {event.incident_id} of case {event.case_id}")
    if held.answered_at is not None:
        return
    held.statement, held.answered_at = event.statement, event.at
    uow.session.add(held)
    await append_trail(
        uow,
        case.id,
        action="capture.answered",
        actor="party",
        from_status=case.status,
        to_status=case.status,
        data={"incident_id": event.incident_id, "statement": event.statement},
    )


async def machine_evidence(session, case_id: str) -> tuple[list[bool], bool]:
    """The case's capture records as reviewed, and whether a 现场检查 or 询问 of it is on record."""
    reviews = (await session.exec(select(CaptureEvidence.accepted).where(CaptureEvidence.case_id == case_id))).all()
    investigated = (await session.exec(select(exists().where(col(Investigation.case_id) == case_id)))).one()
    return list(reviews), bool(investigated)
