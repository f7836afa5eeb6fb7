"""审核 of a capture camera's record and the party's answer online (intake.domain.captures): each
kept and told (CaptureReviewed, CaptureAnswered) in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from common.messaging.contracts import CaptureAnswered, CaptureReviewed
from common.redaction import redact_private
from common.refusals import Conflict, NotFound
from common.uow import UnitOfWork
from intake.domain import captures as rules
from intake.tables import CaptureReview, Incident, IncidentPhoto


@dataclass(frozen=True)
class Reviewed:
    review: CaptureReview
    incident: Incident


async def _record(uow: UnitOfWork, incident_id: str) -> tuple[Incident, rules.Record, str | None]:
    incident = await uow.session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    review = await uow.session.get(CaptureReview, incident_id)
    photos = (await uow.session.exec(select(func.count()).where(IncidentPhoto.incident_id == incident_id))).one()
    grade = incident.attributes.get("evidence_grade")
    record = rules.Record(
        incident_id=incident.id,
        evidence_grade=grade if isinstance(grade, bool) else None,
        photos=int(photos),
        vehicle=incident.category_code == "illegal_parking" or "plate" in incident.attributes,
        plate=incident.attributes.get("plate"),
        reviewed=review.status if review is not None else None,
    )
    case_id = incident.case_id
    if case_id is None and incident.duplicate_of:  # a record that joined an earlier one: that one's case
        root = await uow.session.get(Incident, incident.duplicate_of)
        case_id = root.case_id if root is not None else None
    return incident, record, case_id


async def review_capture(
    uow: UnitOfWork, incident_id: str, accept: bool, reason: str | None, reviewer: str
) -> Reviewed:
    """A person's review of the record: accepted (whole, with a 告知码 for the party) or rejected
    (with its reason), once."""
    incident, record, case_id = await _record(uow, incident_id)
    rules.reviewable(record)
    if accept:
        rules.accept(record)
    if case_id is None:
        raise Conflict(f"incident {incident_id} has no case yet: review it once its case is filed")
    now = uow.clock.now()
    review = CaptureReview(
        incident_id=incident.id,
        case_id=case_id,
        status="accepted" if accept else "rejected",
        reason=reason,
        reviewer=reviewer,
        reviewed_at=now,
        code=rules.notice_code() if accept else None,
    )
    uow.session.add(review)
    uow.publish(
        CaptureReviewed(
            incident_id=incident.id, case_id=case_id, accepted=accept, reason=reason, reviewed_by=reviewer, at=now
        )
    )
    try:
        await uow.commit()
    except IntegrityError as exc:  # another reviewer took it first (or, once in 32^8, the same code)
        raise Conflict(f"incident {incident_id} was reviewed already") from exc
    return Reviewed(review, incident)


async def answer_capture(uow: UnitOfWork, review: CaptureReview, statement: str) -> CaptureReview:
    """陈述申辩: the party's answer, once; told to the case with personal numbers masked."""
    held = await uow.session.get(CaptureReview, review.incident_id, with_for_update=True)
    assert held is not None  # the caller found it by its code
    rules.answerable(held.status, held.answered_at)
    now = uow.clock.now()
    held.statement, held.answered_at = statement, now
    uow.session.add(held)
    uow.publish(
        CaptureAnswered(incident_id=held.incident_id, case_id=held.case_id, statement=redact_private(statement), at=now)
    )
    await uow.commit()
    return held
