"""Intake's service layer: the command that takes a complaint in, and the handlers that show a
case's progress on the incident it came from."""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import asdict, dataclass, field

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select

from common.logging import mask_phone, redact_phones
from common.messaging.contracts import (CaseDispatched, CaseFlagged, CaseOpened, CasePublicNoteAdded,
                                        CaseTransitioned, IncidentReported, Location)
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from intake.domain import STATUS_OF_CASE, Flag, IncidentStatus, initial_flags, with_flag
from intake.geo import Geocoder, Place
from intake.tables import Address, Category, IdempotencyKey, Incident


@dataclass(frozen=True)
class ReportIncident:
    category_code: str
    location: Location
    description: str
    channel: str
    urgency: str
    reported_by: str
    caller_name: str | None = None
    caller_phone: str | None = None
    source_reference: str | None = None
    idempotency_key: str | None = None
    address_string: str | None = None
    attributes: dict = field(default_factory=dict)
    media_urls: tuple[str, ...] = ()
    contact_email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    client_id: str | None = None

    def fingerprint(self) -> str:
        """What makes two requests 'the same request' for an idempotency key."""
        body = {k: v for k, v in asdict(self).items() if k not in ("idempotency_key", "reported_by")}
        body["location"] = self.location.model_dump()
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class IdempotencyKeyReused(Exception):
    """The same key came back with a different request."""


@dataclass(frozen=True)
class Reported:
    incident: Incident
    replayed: bool


class _Refreshed:
    """Reference data every request needs and an admin rarely changes: read again from the
    database at most every `ttl_s` seconds."""

    def __init__(self, session_factory, ttl_s: float) -> None:
        self._session_factory = session_factory
        self._ttl_s = ttl_s
        self._loaded_at = float("-inf")

    async def _load(self) -> None:
        if time.monotonic() - self._loaded_at > self._ttl_s:
            async with self._session_factory() as session:
                await self._reload(session)
            self._loaded_at = time.monotonic()

    async def _reload(self, session) -> None:
        raise NotImplementedError


class Catalogue(_Refreshed):
    """The category codes of the service catalogue and their time limits."""

    def __init__(self, session_factory, ttl_s: float = 30.0) -> None:
        super().__init__(session_factory, ttl_s)
        self._limits: dict[str, tuple[float, float]] = {}

    async def _reload(self, session) -> None:
        rows = (await session.exec(select(Category.code, Category.time_limit_hours,
                                          Category.urgent_time_limit_hours))).all()
        self._limits = {code: (ordinary, urgent) for code, ordinary, urgent in rows}

    async def known(self, code: str) -> bool:
        await self._load()
        return code in self._limits

    async def time_limit(self, code: str, urgency: str) -> float | None:
        """处置时限 in hours for this urgency, or None for a category not in the catalogue."""
        await self._load()
        limits = self._limits.get(code)
        return None if limits is None else float(limits[1] if urgency == "urgent" else limits[0])


class AddressBook(_Refreshed):
    """The district's address table (intake.tables.Address), for addresses without a point."""

    def __init__(self, session_factory, ttl_s: float = 60.0) -> None:
        super().__init__(session_factory, ttl_s)
        self._geocoder = Geocoder([])

    async def _reload(self, session) -> None:
        rows = (await session.exec(select(Address.address, Address.lon, Address.lat))).all()
        self._geocoder = Geocoder([tuple(r) for r in rows])

    async def locate(self, address: str) -> Place | None:
        await self._load()
        return self._geocoder.locate(address)


async def report_incident(uow: UnitOfWork, cmd: ReportIncident, catalogue: Catalogue) -> Reported:
    """受理: store the incident and announce it. An unknown category is accepted and flagged.
    With an idempotency key, a retry of the same request returns the first incident."""
    now = uow.clock.now()
    incident_id = str(uuid.uuid4())
    if cmd.idempotency_key is not None:
        # Two racing retries: the second INSERT waits for the first to commit, then finds it.
        claimed = (await uow.session.execute(
            insert(IdempotencyKey).values(principal=cmd.reported_by, key=cmd.idempotency_key,
                                          request_hash=cmd.fingerprint(), incident_id=incident_id,
                                          created_at=now)
            .on_conflict_do_nothing().returning(IdempotencyKey.incident_id))).first()
        if claimed is None:
            first = await uow.session.get(IdempotencyKey, (cmd.reported_by, cmd.idempotency_key))
            if first.request_hash != cmd.fingerprint():
                raise IdempotencyKeyReused(
                    f"Idempotency-Key {cmd.idempotency_key!r} was used for a different request")
            incident = await uow.session.get(Incident, first.incident_id)
            uow.session.expunge(incident)  # nothing to commit: keep it readable after the rollback
            return Reported(incident, replayed=True)
    category_known = await catalogue.known(cmd.category_code)
    incident = Incident(
        id=incident_id, channel=cmd.channel, category_code=cmd.category_code,
        category_known=category_known, urgency=cmd.urgency,
        lon=cmd.location.lon, lat=cmd.location.lat, description=cmd.description,
        caller_name=cmd.caller_name, caller_phone=cmd.caller_phone,
        source_reference=cmd.source_reference, reported_by=cmd.reported_by,
        flags=initial_flags(category_known), status=IncidentStatus.received,
        reported_at=now, updated_at=now, address_string=cmd.address_string, attributes=dict(cmd.attributes),
        media_urls=list(cmd.media_urls), contact_email=cmd.contact_email, device_id=cmd.device_id,
        account_id=cmd.account_id, client_id=cmd.client_id,
        open311_token=str(uuid.uuid4()) if cmd.channel == "open311" else None,
    )
    uow.session.add(incident)
    uow.publish(IncidentReported(
        incident_id=incident.id, reported_at=now, channel=cmd.channel,
        category_code=cmd.category_code, category_known=incident.category_known,
        urgency=cmd.urgency, location=cmd.location, description=redact_phones(cmd.description),
        caller_phone_masked=mask_phone(cmd.caller_phone) if cmd.caller_phone else None,
        source_reference=cmd.source_reference, flags=incident.flags,
        time_limit_hours=await catalogue.time_limit(cmd.category_code, cmd.urgency),
    ))
    await uow.commit()
    return Reported(incident, replayed=False)


async def _incident_for_update(uow: UnitOfWork, event: CaseOpened | CaseDispatched | CaseFlagged | CaseTransitioned
                               | CasePublicNoteAdded) -> Incident:
    result = await uow.session.exec(select(Incident).where(Incident.id == event.incident_id).with_for_update())
    incident = result.first()
    if incident is None:
        raise LookupError(f"case {event.case_id} names unknown incident {event.incident_id}")
    return incident


async def on_case_opened(event: CaseOpened, env: Envelope, uow: UnitOfWork) -> None:
    incident = await _incident_for_update(uow, event)
    incident.case_id, incident.case_number = event.case_id, event.case_number
    if incident.status == IncidentStatus.received:
        incident.status = STATUS_OF_CASE[event.status]
    incident.updated_at = env.time


async def on_case_dispatched(event: CaseDispatched, env: Envelope, uow: UnitOfWork) -> None:
    incident = await _incident_for_update(uow, event)
    incident.case_id, incident.case_number = event.case_id, event.case_number
    incident.squad_id, incident.squad_name = event.squad_id, event.squad_name
    incident.expected_at = event.deadline_at


async def on_case_flagged(event: CaseFlagged, env: Envelope, uow: UnitOfWork) -> None:
    incident = await _incident_for_update(uow, event)
    incident.flags = with_flag(list(incident.flags), event.reason)


async def on_case_transitioned(event: CaseTransitioned, env: Envelope, uow: UnitOfWork) -> None:
    """Every step of the lifecycle shows on the report (rework, suspension, reopening, ...). The
    status is set here only: CaseDispatched, CaseFlagged and CaseClosed each follow a transition
    to their state, and their handlers add what the transition does not carry."""
    incident = await _incident_for_update(uow, event)
    status = STATUS_OF_CASE.get(event.to_status)
    if status is not None:  # one case's events arrive in order (one partition, keyed by case)
        incident.status = status
        incident.updated_at = event.at


async def on_public_note(event: CasePublicNoteAdded, env: Envelope, uow: UnitOfWork) -> None:
    incident = await _incident_for_update(uow, event)
    incident.public_notes = [*incident.public_notes, {"at": event.at.isoformat(), "text": event.text}]
    incident.updated_at = max(incident.updated_at, event.at)


HANDLERS = {
    CaseOpened: on_case_opened,
    CaseDispatched: on_case_dispatched,
    CaseFlagged: on_case_flagged,
    CaseTransitioned: on_case_transitioned,
    CasePublicNoteAdded: on_public_note,
}

__all__ = ["ReportIncident", "report_incident", "HANDLERS", "Flag", "IdempotencyKeyReused", "Reported", "Catalogue",
           "AddressBook"]
