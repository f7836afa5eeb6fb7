"""送达 as kept: the party's 送达地址确认书 and each document served, with its 送达回证, in the
transaction of the record and its trail entry. The rules are cases.domain.delivery's. The address
for electronic service is personal data: kept in its table, never in the trail or an event."""

from __future__ import annotations

import uuid
from datetime import datetime

from cases.domain import delivery
from cases.domain import documents as docs
from cases.domain.lifecycle import Actor
from cases.handlers.documents import Paperwork, facts_of, issue, trail_of
from cases.handlers.steps import case_for_update
from cases.handlers.track import load_track
from cases.handlers.trail import append_trail
from cases.tables import CaseDocument, ServiceConsent, ServiceRecord
from common.refusals import NotFound
from common.uow import UnitOfWork


async def confirm_address(
    uow: UnitOfWork,
    case_id: str,
    actor: Actor,
    papers: Paperwork,
    *,
    channel: str,
    address: str,
    signed_by: str,
    confirmed_at: datetime,
) -> CaseDocument:
    case = await case_for_update(uow, case_id)
    track = await load_track(uow.session, case_id)
    consent = ServiceConsent(
        case_id=case_id,
        channel=channel,
        address=address,
        signed_by=signed_by,
        confirmed_at=confirmed_at,
        recorded_by=actor.subject,
    )
    await uow.session.merge(consent)
    text = docs.address_confirmation(facts_of(case, track), channel, address, signed_by, confirmed_at)
    form = await issue(uow, case, "address_confirmation", text, papers)
    await append_trail(
        uow,
        case_id,
        action="service.address_confirmed",
        actor=actor.subject,
        from_status=case.status,
        to_status=case.status,
        data={"channel": channel, "documents": [trail_of(form)]},
    )
    await uow.commit()
    return form


async def serve(
    uow: UnitOfWork,
    case_id: str,
    document_id: str,
    actor: Actor,
    papers: Paperwork,
    *,
    method: str,
    served_at: datetime,
    recipient: str,
    tracking_number: str | None,
    evidence: str | None,
) -> ServiceRecord:
    case = await case_for_update(uow, case_id)
    served = await uow.session.get(CaseDocument, document_id, with_for_update=True)
    if served is None or served.case_id != case_id:
        raise NotFound(f"no document {document_id} in case {case_id}")
    if not docs.KINDS[served.kind].to_party:
        raise delivery.NotServable(f"a {served.name} is the bureau's own record: it is not served on the party")
    if served.served_at is not None:
        raise delivery.NotServable(f"{served.name} was served at {served.served_at.isoformat()}")
    consent = await uow.session.get(ServiceConsent, case_id)
    delivery.check(
        method,
        consented=consent is not None,
        tracking_number=tracking_number,
        evidence=evidence,
        issued_at=served.created_at,
        served_at=served_at,
        now=uow.clock.now(),
    )
    track = await load_track(uow.session, case_id)
    text = docs.service_receipt(
        facts_of(case, track),
        (served.name or served.kind, served.number),
        method,
        served_at,
        recipient,
        tracking_number,
        evidence,
    )
    receipt = await issue(uow, case, "service_receipt", text, papers)
    record = ServiceRecord(
        id=str(uuid.uuid4()),
        case_id=case_id,
        document_id=document_id,
        method=method,
        served_at=served_at,
        recipient=recipient,
        tracking_number=tracking_number,
        evidence=evidence,
        receipt_id=receipt.id,
        recorded_by=actor.subject,
        recorded_at=uow.clock.now(),
    )
    served.served_at, served.service_method = served_at, method
    uow.session.add_all([record, served])
    await append_trail(
        uow,
        case_id,
        action="service.served",
        actor=actor.subject,
        from_status=case.status,
        to_status=case.status,
        data={
            "document_id": document_id,
            "method": method,
            "served_at": served_at.isoformat(),
            "documents": [trail_of(receipt)],
        },
    )
    await uow.commit()
    return record
