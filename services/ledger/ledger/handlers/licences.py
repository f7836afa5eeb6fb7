"""养犬登记: licences issued (at the counter, from an online application, to an adopter), their
annual inspection, transfer, loss, death and cancellation, walking violations (by an officer,
or a closed 犬只扰民 case naming the licence), and the tick that reminds owners of inspections
and suspends what is overdue. Every step goes into the licence's history."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select

from common.clock import bureau_date
from common.messaging.contracts import DogInspected, DogLicenceChanged, DogLicenceIssued, DogLicencePlaced
from common.refusals import Conflict, NotFound
from common.uow import UnitOfWork
from ledger.adapters.identity import IdentityVault
from ledger.domain.dogs import (
    IN_FORCE,
    DogRefused,
    DogRules,
    KeyZone,
    LicenceStatus,
    Size,
    first_inspection,
    id_number,
    microchip,
    next_inspection,
    old_enough,
    rabies_valid,
    refuse_breed,
    refuse_in_zone,
    size_of,
    zone_of,
)
from ledger.domain.merchant import phone_number, position
from ledger.handlers.devices import register_tag
from ledger.handlers.merchants import grid_map
from ledger.tables import Counter, DogLicence, DogLicenceStep

log = logging.getLogger(__name__)


class DogConflict(Conflict):
    """The chip or tag is another licence's, or a transition the licence's status forbids."""


@dataclass(frozen=True)
class Owner:
    name: str
    id_number: str
    phone: str
    address: str
    lon: float | None = None
    lat: float | None = None
    alone: bool = False


@dataclass(frozen=True)
class Dog:
    name: str
    breed: str
    size: str | None
    sex: str
    birth_date: date
    chip: str | None = None
    height_cm: float | None = None
    colour: str | None = None
    tag_id: str | None = None

    @property
    def size_class(self) -> Size:
        """The size `checked` settled (from the form, or from the height at the withers)."""
        if self.size is None:
            raise DogRefused("size", "dog.size: small, medium or large (or dog.height_cm)")
        return Size(self.size)


@dataclass(frozen=True)
class Rabies:
    certificate: str
    vaccinated_on: date
    clinic: str | None = None


@dataclass(frozen=True)
class Context:
    """What the rules need besides the form: the settings, the key zones, the vault, the actor."""

    rules: DogRules
    zones: list[KeyZone]
    vault: IdentityVault
    district_code: str
    by: str


def household_key(address: str, vault: IdentityVault) -> str:
    return vault.fingerprint("household:" + re.sub(r"\s+", "", address).casefold())


def checked(owner: Owner, dog: Dog, rabies: Rabies, today: date, rules: DogRules) -> tuple[Owner, Dog]:
    """The form's own rules: the identity-card number, the phone, the chip, the size, the breed, the
    age and the vaccination; the first that fails is refused (DogRefused names it)."""
    owner = replace(owner, id_number=id_number(owner.id_number), name=owner.name.strip(), address=owner.address.strip())
    try:
        owner = replace(owner, phone=phone_number(owner.phone))
    except ValueError as exc:
        raise DogRefused("phone", f"owner.phone: {exc}") from None
    if owner.lon is not None or owner.lat is not None:
        try:
            if owner.lon is None or owner.lat is None:
                raise ValueError("give both lon and lat")
            position(owner.lon, owner.lat)
        except (ValueError, TypeError) as exc:
            raise DogRefused("location", f"owner.location: {exc}") from None
    size = dog.size
    if dog.height_cm is not None:
        measured = size_of(dog.height_cm)
        if size is not None and size != measured:
            raise DogRefused("size", f"a dog {dog.height_cm:g} cm at the withers is {measured.value}, not {size}")
        size = measured.value
    if size not in {s.value for s in Size}:
        raise DogRefused("size", "dog.size: small, medium or large (or dog.height_cm)")
    dog = replace(dog, size=size, chip=microchip(dog.chip) if dog.chip else None, breed=dog.breed.strip())
    refuse_breed(dog.breed, rules)
    old_enough(dog.birth_date, today, rules)
    rabies_valid(rabies.vaccinated_on, today, rules)
    return owner, dog


async def household_dogs(uow: UnitOfWork, owner: Owner, vault: IdentityVault, exclude: str | None = None) -> int:
    query = (
        select(func.count())
        .select_from(DogLicence)
        .where(
            col(DogLicence.status).in_([s.value for s in IN_FORCE]),
            or_(
                col(DogLicence.owner_fingerprint) == vault.fingerprint(owner.id_number),
                col(DogLicence.household_key) == household_key(owner.address, vault),
            ),
        )
    )
    if exclude:
        query = query.where(DogLicence.id != exclude)
    return (await uow.session.execute(query)).scalar_one()


async def _refuse_taken(uow: UnitOfWork, chip: str | None, tag_id: str | None, exclude: str | None = None) -> None:
    for column, value, what in ((DogLicence.chip, chip, "chip"), (DogLicence.tag_id, tag_id, "tag")):
        if value is None:
            continue
        query = select(DogLicence.number).where(column == value)
        if exclude:
            query = query.where(DogLicence.id != exclude)
        other = (await uow.session.execute(query)).scalar()
        if other is not None:
            raise DogConflict(f"{what} {value} is licence {other}'s")


async def next_number(uow: UnitOfWork, kind: str, prefix: str, year: int) -> str:
    name = f"{kind}:{year}"
    value = (
        await uow.session.execute(
            pg_insert(Counter)
            .values(name=name, value=1)
            .on_conflict_do_update(index_elements=["name"], set_={"value": col(Counter.value) + 1})
            .returning(col(Counter.value))
        )
    ).scalar_one()
    return f"{prefix}-{year}-{value:06d}"


def history(uow: UnitOfWork, licence_id: str, action: str, by: str, **details) -> None:
    uow.session.add(
        DogLicenceStep(
            licence_id=licence_id,
            action=action,
            by=by,
            at=uow.clock.now(),
            details={
                k: (v.isoformat() if isinstance(v, (date, datetime)) else v)
                for k, v in details.items()
                if v is not None
            },
        )
    )


async def issue_licence(
    uow: UnitOfWork,
    owner: Owner,
    dog: Dog,
    rabies: Rabies,
    ctx: Context,
    *,
    via: str,
    photo: tuple[str, str] | None = None,
    commit: bool = True,
) -> DogLicence:
    """犬证: every rule checked (refused with the one that fails), the number given, the first
    annual inspection due a year on."""
    today = bureau_date(uow.clock.now())
    owner, dog = checked(owner, dog, rabies, today, ctx.rules)
    zone = zone_of(owner.lon, owner.lat, ctx.zones)
    refuse_in_zone(zone, dog.size_class, await household_dogs(uow, owner, ctx.vault) if zone else 0)
    await _refuse_taken(uow, dog.chip, dog.tag_id)
    placed = (
        (await grid_map(uow.session)).grid_for(owner.lon, owner.lat)
        if owner.lon is not None and owner.lat is not None
        else None
    )
    now = uow.clock.now()
    licence = DogLicence(
        id=str(uuid.uuid4()),
        number=await next_number(uow, "dog", f"D{ctx.district_code}", today.year),
        status=LicenceStatus.active,
        via=via,
        owner_name=owner.name,
        owner_id_sealed=ctx.vault.seal(owner.id_number),
        owner_id_masked=IdentityVault.masked(owner.id_number),
        owner_fingerprint=ctx.vault.fingerprint(owner.id_number),
        owner_phone=owner.phone,
        owner_address=owner.address,
        household_key=household_key(owner.address, ctx.vault),
        owner_lon=owner.lon,
        owner_lat=owner.lat,
        owner_alone=owner.alone,
        zone_id=zone.id if zone else None,
        grid_id=placed.grid_id if placed else None,
        dog_name=dog.name,
        breed=dog.breed,
        size=dog.size_class.value,
        height_cm=dog.height_cm,
        colour=dog.colour,
        sex=dog.sex,
        birth_date=dog.birth_date,
        chip=dog.chip,
        tag_id=dog.tag_id,
        photo_key=photo[0] if photo else None,
        photo_type=photo[1] if photo else None,
        rabies_certificate=rabies.certificate,
        vaccinated_on=rabies.vaccinated_on,
        rabies_clinic=rabies.clinic,
        issued_on=today,
        inspection_due_on=first_inspection(today),
        created_at=now,
        updated_at=now,
    )
    uow.session.add(licence)
    if licence.tag_id:
        await register_tag(uow, licence.tag_id, licence, ctx.by)
    history(uow, licence.id, "issued", ctx.by, via=via, number=licence.number)
    uow.publish(
        DogLicenceIssued(
            licence_id=licence.id,
            number=licence.number,
            via=via,
            grid_id=licence.grid_id,
            squad_id=placed.squad_id if placed else None,
            zone_id=licence.zone_id,
            breed=licence.breed,
            size=licence.size,
            issued_on=today,
            inspection_due_on=licence.inspection_due_on,
            at=now,
        )
    )
    if commit:
        await uow.commit()
    return licence


async def licence_for_update(uow: UnitOfWork, licence_id: str) -> DogLicence:
    licence = (await uow.session.exec(select(DogLicence).where(DogLicence.id == licence_id).with_for_update())).first()
    if licence is None:
        raise NotFound(f"dog licence {licence_id} not found")
    return licence


def tell_changed(uow: UnitOfWork, licence: DogLicence, action: str, reason: str | None = None) -> None:
    licence.updated_at = uow.clock.now()
    uow.session.add(licence)
    uow.publish(
        DogLicenceChanged(
            licence_id=licence.id,
            number=licence.number,
            status=licence.status,
            action=action,
            reason=reason,
            at=licence.updated_at,
        )
    )


async def inspect(uow: UnitOfWork, licence_id: str, rabies: Rabies, ctx: Context) -> DogLicence:
    """年检: the immunisation checked on the day, the licence renewed to its next anniversary; one
    suspended for an overdue inspection is reinstated."""
    licence = await licence_for_update(uow, licence_id)
    if licence.status not in (LicenceStatus.active, LicenceStatus.suspended):
        raise DogConflict(f"licence {licence.number} is {licence.status}: it is not inspected")
    today = bureau_date(uow.clock.now())
    rabies_valid(rabies.vaccinated_on, today, ctx.rules)
    due = licence.inspection_due_on
    licence.rabies_certificate, licence.vaccinated_on, licence.rabies_clinic = (
        rabies.certificate,
        rabies.vaccinated_on,
        rabies.clinic,
    )
    licence.inspection_due_on = next_inspection(due, today)
    reinstated = licence.status == LicenceStatus.suspended and licence.status_reason == "inspection_overdue"
    history(
        uow,
        licence.id,
        "inspected",
        ctx.by,
        due_on=due,
        next_due_on=licence.inspection_due_on,
        certificate=rabies.certificate,
    )
    uow.publish(
        DogInspected(
            licence_id=licence.id,
            number=licence.number,
            due_on=due,
            next_due_on=licence.inspection_due_on,
            reinstated=reinstated,
            at=uow.clock.now(),
        )
    )
    if reinstated:
        licence.status, licence.status_reason = LicenceStatus.active, None
        history(uow, licence.id, "reinstated", ctx.by, reason="inspected")
        tell_changed(uow, licence, "reinstated", "inspected")
    licence.updated_at = uow.clock.now()
    uow.session.add(licence)
    await uow.commit()
    return licence


TRANSITIONS = {
    "lost": ({LicenceStatus.active, LicenceStatus.suspended}, LicenceStatus.lost),
    "found": ({LicenceStatus.lost}, LicenceStatus.active),
    "died": (set(IN_FORCE), LicenceStatus.dead),
    "cancelled": (set(IN_FORCE), LicenceStatus.cancelled),
}


async def change_status(uow: UnitOfWork, licence_id: str, action: str, reason: str | None, by: str) -> DogLicence:
    """走失, 找回, 死亡, 注销: each kept in the history and told."""
    allowed, to = TRANSITIONS[action]
    licence = await licence_for_update(uow, licence_id)
    if licence.status not in allowed:
        raise DogConflict(f"licence {licence.number} is {licence.status}: it cannot be {action}")
    licence.status = to
    licence.status_reason = None if to == LicenceStatus.active else reason
    history(uow, licence.id, action, by, reason=reason)
    tell_changed(uow, licence, action, reason)
    await uow.commit()
    return licence


async def transfer(uow: UnitOfWork, licence_id: str, owner: Owner, ctx: Context) -> DogLicence:
    """过户: a new owner, checked as a new registration's owner is (the key zones included)."""
    licence = await licence_for_update(uow, licence_id)
    if licence.status not in (LicenceStatus.active, LicenceStatus.suspended):
        raise DogConflict(f"licence {licence.number} is {licence.status}: it is not transferred")
    owner = replace(owner, id_number=id_number(owner.id_number))
    try:
        owner = replace(owner, phone=phone_number(owner.phone))
    except ValueError as exc:
        raise DogRefused("phone", f"owner.phone: {exc}") from None
    zone = zone_of(owner.lon, owner.lat, ctx.zones)
    refuse_in_zone(zone, Size(licence.size), await household_dogs(uow, owner, ctx.vault, licence.id) if zone else 0)
    previous = licence.owner_id_masked
    placed = (
        (await grid_map(uow.session)).grid_for(owner.lon, owner.lat)
        if owner.lon is not None and owner.lat is not None
        else None
    )
    licence.owner_name, licence.owner_id_sealed = owner.name, ctx.vault.seal(owner.id_number)
    licence.owner_id_masked = IdentityVault.masked(owner.id_number)
    licence.owner_fingerprint = ctx.vault.fingerprint(owner.id_number)
    licence.owner_phone, licence.owner_address, licence.owner_alone = owner.phone, owner.address, owner.alone
    licence.household_key = household_key(owner.address, ctx.vault)
    licence.owner_lon, licence.owner_lat, licence.zone_id = owner.lon, owner.lat, zone.id if zone else None
    if placed is not None and placed.grid_id != licence.grid_id:
        licence.grid_id = placed.grid_id
        uow.publish(
            DogLicencePlaced(
                licence_id=licence.id,
                number=licence.number,
                grid_id=placed.grid_id,
                squad_id=placed.squad_id,
                at=uow.clock.now(),
            )
        )
    history(uow, licence.id, "transferred", ctx.by, previous_owner=previous, new_owner=licence.owner_id_masked)
    tell_changed(uow, licence, "transferred")
    await uow.commit()
    return licence
