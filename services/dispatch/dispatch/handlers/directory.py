"""The directory's service layer: an admin's edits in one place, people learnt from their first
sign-in, and every change told to the services that need it (SquadChanged, PersonChanged) once
and only when something changed (a digest of what was last told is kept on each row)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from common.messaging.contracts import PersonChanged, SquadChanged, StaffSignedIn
from common.messaging.envelope import Envelope
from common.refusals import NotFound, Unprocessable
from common.uow import UnitOfWork
from dispatch.domain.directory import (
    POSITION_OF_ROLE,
    UNIT_OF_ROLE,
    Link,
    PersonInfo,
    UnitInfo,
    escalation_chain,
    leader,
    refuse_position,
)
from dispatch.tables import Officer, Squad, Unit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Directory:
    units: dict[str, UnitInfo]
    squads: dict[str, Squad]
    people: list[PersonInfo]

    def chain(self, squad_id: str) -> tuple[Link, ...]:
        squad = self.squads.get(squad_id)
        return escalation_chain(squad_id, squad.brigade_id if squad else None, self.units, self.people)


async def load(session) -> Directory:
    units = {
        u.id: UnitInfo(u.id, u.kind, u.name, u.parent_id, u.escalate_after_hours)
        for u in (await session.exec(select(Unit))).all()
    }
    squads = {s.id: s for s in (await session.exec(select(Squad))).all()}
    people = [
        PersonInfo(p.id, p.name, p.position, p.squad_id, p.unit_id) for p in (await session.exec(select(Officer))).all()
    ]
    return Directory(units, squads, people)


def _digest(event) -> str:
    return hashlib.sha256(event.model_dump_json(exclude={"at"}).encode()).hexdigest()


def _person_event(p: Officer, at) -> PersonChanged:
    return PersonChanged(
        person_id=p.id,
        name=p.name,
        position=p.position,
        role=p.platform_role or "",
        squad_id=p.squad_id,
        unit_id=p.unit_id,
        on_duty=p.on_duty,
        certificate_number=p.certificate_number,
        certificate_valid_until=p.certificate_valid_until,
        legal_qualified=p.legal_qualified,
        at=at,
    )


async def announce(uow: UnitOfWork) -> int:
    """SquadChanged and PersonChanged for what changed since it was last told; commits."""
    now, told = uow.clock.now(), 0
    directory = await load(uow.session)
    for squad in (await uow.session.exec(select(Squad).with_for_update())).all():
        brigade = directory.units.get(squad.brigade_id or "")
        head = leader(directory.people, "中队长", squad_id=squad.id)
        event = SquadChanged(
            squad_id=squad.id,
            name=squad.name,
            brigade_id=brigade and brigade.id,
            brigade_name=brigade and brigade.name,
            leader_id=head and head.id,
            leader_name=head and head.name,
            at=now,
        )
        if squad.announced != (digest := _digest(event)):
            squad.announced = digest
            uow.session.add(squad)
            uow.publish(event)
            told += 1
    for person in (await uow.session.exec(select(Officer).with_for_update())).all():
        changed = _person_event(person, now)
        if person.announced != (digest := _digest(changed)):
            person.announced = digest
            uow.session.add(person)
            uow.publish(changed)
            told += 1
    await uow.commit()
    return told


async def _unit_of(uow: UnitOfWork, event: StaffSignedIn) -> str:
    """A desk's unit: an office's staff their office (the unit their sign-in names), the centre's
    roles the centre, everyone else the bureau."""
    if event.role == "office_staff" and event.squad_id:
        office = await uow.session.get(Unit, event.squad_id)
        if office is not None and office.kind == "office":
            return office.id
    return UNIT_OF_ROLE.get(event.role, "bureau")


async def on_staff_signed_in(event: StaffSignedIn, env: Envelope, uow: UnitOfWork) -> None:
    """A sign-in creates the person from the provider's claims, or brings their name, role and
    squad up to date (the provider is what grants access: the directory follows it)."""
    person = await uow.session.get(Officer, event.subject, with_for_update=True)
    squad_id = event.squad_id if event.squad_id and (await uow.session.get(Squad, event.squad_id)) is not None else None
    position = POSITION_OF_ROLE.get(event.role)
    if person is None:
        if position is None:
            return  # a program, not a person
        person = Officer(
            id=event.subject,
            name=event.name,
            position=position,
            platform_role=event.role,
            squad_id=squad_id if position in ("中队长", "队员") else None,
            unit_id=None if position in ("中队长", "队员") else await _unit_of(uow, event),
            on_duty=True,
        )
        log.info("directory: %s (%s) learnt from their first sign-in", event.subject, position)
    else:
        person.name, person.platform_role = event.name, event.role
        if squad_id and person.squad_id != squad_id:
            person.squad_id, person.unit_id = squad_id, None
    uow.session.add(person)
    await uow.session.flush()
    now = uow.clock.now()
    changed = _person_event(person, now)
    if person.announced != (digest := _digest(changed)):
        person.announced = digest
        uow.publish(changed)


async def put_unit(
    uow: UnitOfWork, unit_id: str, *, kind: str, name: str, parent_id: str | None, escalate_after_hours: float | None
) -> Unit:
    unit = await uow.session.get(Unit, unit_id, with_for_update=True)
    if parent_id is not None and (parent_id == unit_id or await uow.session.get(Unit, parent_id) is None):
        raise Unprocessable(f"parent_id {parent_id} is not another unit of the directory")
    if unit is not None and unit.kind != kind:
        squads = (await uow.session.exec(select(Squad.id).where(Squad.brigade_id == unit_id))).all()
        people = (await uow.session.exec(select(Officer.id).where(Officer.unit_id == unit_id))).all()
        if squads or people:
            raise Unprocessable(
                f"unit {unit_id} is a {unit.kind} with squads {list(squads)} and people {list(people)}: "
                f"move them before it becomes a {kind}"
            )
    unit = unit or Unit(id=unit_id, kind=kind, name=name)
    unit.kind, unit.name, unit.parent_id, unit.escalate_after_hours = kind, name, parent_id, escalate_after_hours
    uow.session.add(unit)
    await uow.session.flush()
    await announce(uow)
    return unit


async def put_squad(uow: UnitOfWork, squad_id: str, *, name: str, office: str, brigade_id: str | None) -> Squad:
    if brigade_id is not None:
        unit = await uow.session.get(Unit, brigade_id)
        if unit is None or unit.kind != "brigade":
            raise Unprocessable(f"brigade_id {brigade_id} is not a brigade of the directory")
    squad = await uow.session.get(Squad, squad_id, with_for_update=True) or Squad(id=squad_id, name=name, office=office)
    squad.name, squad.office, squad.brigade_id = name, office, brigade_id
    uow.session.add(squad)
    await uow.session.flush()
    await announce(uow)
    return squad


async def put_person(
    uow: UnitOfWork,
    person_id: str,
    *,
    name: str,
    position: str,
    role: str | None,
    squad_id: str | None,
    unit_id: str | None,
    on_duty: bool,
    certificate_number: str | None = None,
    certificate_valid_until: date | None = None,
    legal_qualified: bool = False,
) -> Officer:
    directory = await load(uow.session)
    refuse_position(position, squad_id, unit_id, directory.units)
    if squad_id and squad_id not in directory.squads:
        raise Unprocessable(f"squad_id {squad_id} is not a squad of the directory")
    person = await uow.session.get(Officer, person_id, with_for_update=True) or Officer(id=person_id, name=name)
    person.name, person.position, person.platform_role = name, position, role
    person.squad_id, person.unit_id, person.on_duty = squad_id, None if squad_id else unit_id, on_duty
    person.certificate_number, person.certificate_valid_until = certificate_number, certificate_valid_until
    person.legal_qualified = legal_qualified
    uow.session.add(person)
    await uow.session.flush()
    await announce(uow)
    return person


async def set_on_duty(uow: UnitOfWork, person_id: str, on_duty: bool, *, squad_scope: str | None) -> Officer:
    """在岗: an admin for anyone, a squad leader for the squad's own people."""
    person = await uow.session.get(Officer, person_id, with_for_update=True)
    if person is None or (squad_scope is not None and person.squad_id != squad_scope):
        raise NotFound(f"person {person_id} not found")
    person.on_duty = on_duty
    uow.session.add(person)
    await uow.session.flush()
    await announce(uow)
    return person
