"""What cases keeps of other services' records, as far as a case needs them (the ledger's merchants
and dog licences, the directory's people), and the rules that a case names only a merchant or a
licence that exists and lies in its grid or its squad's area."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select

from cases.domain.officers import Officer
from cases.tables import Case, KnownDogLicence, KnownMerchant, KnownPerson
from common.messaging.contracts import (
    DogLicenceChanged,
    DogLicenceIssued,
    DogLicencePlaced,
    MerchantChanged,
    MerchantRegistered,
    PersonChanged,
)
from common.messaging.envelope import Envelope
from common.refusals import Unprocessable
from common.uow import UnitOfWork


async def record_merchant(event: MerchantRegistered | MerchantChanged, env: Envelope, uow: UnitOfWork) -> None:
    """The ledger's merchants, as far as a case needs them: who exists, and where."""
    values = {
        "name": event.name,
        "grid_id": event.grid_id,
        "squad_id": event.squad_id,
        "closed": getattr(event, "closed", False),
        "updated_at": event.at,
    }
    await uow.session.execute(
        pg_insert(KnownMerchant)
        .values(id=event.merchant_id, **values)
        .on_conflict_do_update(index_elements=["id"], set_=values, where=col(KnownMerchant.updated_at) <= event.at)
    )


async def record_dog_licence(
    event: DogLicenceIssued | DogLicenceChanged | DogLicencePlaced, env: Envelope, uow: UnitOfWork
) -> None:
    """The ledger's dog licences, as far as a case needs them: which exist, whether in force, and
    where the household is (its grid and that grid's squad). Each event brings what it knows."""
    known = {"number": event.number, "updated_at": event.at}
    if isinstance(event, DogLicenceChanged):
        known["status"] = event.status
    if isinstance(event, (DogLicenceIssued, DogLicencePlaced)):
        known |= {"grid_id": event.grid_id, "squad_id": event.squad_id}
    first = {"status": "active", **known}
    await uow.session.execute(
        pg_insert(KnownDogLicence)
        .values(id=event.licence_id, **first)
        .on_conflict_do_update(index_elements=["id"], set_=known, where=col(KnownDogLicence.updated_at) <= event.at)
    )


async def check_dog_licence(uow: UnitOfWork, case: Case, licence_id: str, dog_categories: frozenset[str]) -> None:
    """A 犬只扰民 or 违规遛犬 case names a licence of the dog register, one that is in force."""
    if case.category_code not in dog_categories:
        raise Unprocessable(
            f"dog_licence_id: case {case.case_number} is {case.category_code}, not a dog case "
            f"({', '.join(sorted(dog_categories))})"
        )
    licence = await uow.session.get(KnownDogLicence, licence_id)
    if licence is None or licence.status in ("dead", "cancelled"):
        raise Unprocessable(f"dog_licence_id {licence_id} is not a licence in force in the dog register (养犬登记)")
    if licence.grid_id != case.grid_id and (licence.squad_id is None or licence.squad_id != case.squad_id):
        raise Unprocessable(
            f"dog_licence_id {licence_id} ({licence.number}) is of a household in grid "
            f"{licence.grid_id or 'unknown'}, outside case {case.case_number}'s grid {case.grid_id} and "
            "the area of its squad"
        )


async def record_person(event: PersonChanged, env: Envelope, uow: UnitOfWork) -> None:
    """The directory's people: who took a step, by name, and whether they may be named in an
    investigation (执法证) or review a decision (法律职业资格); an older announcement changes nothing."""
    values = {
        "name": event.name,
        "position": event.position,
        "squad_id": event.squad_id,
        "role": event.role or None,
        "certificate_number": event.certificate_number,
        "certificate_valid_until": event.certificate_valid_until,
        "legal_qualified": event.legal_qualified,
        "updated_at": event.at,
    }
    await uow.session.execute(
        pg_insert(KnownPerson)
        .values(id=event.person_id, **values)
        .on_conflict_do_update(index_elements=["id"], set_=values, where=col(KnownPerson.updated_at) <= event.at)
    )


async def check_merchant(uow: UnitOfWork, case: Case, merchant_id: str) -> None:
    """A case names a merchant of the ledger that lies in the case's grid or in the squad's area;
    otherwise anyone could turn any shop's card red."""
    merchant = await uow.session.get(KnownMerchant, merchant_id)
    if merchant is None or merchant.closed:
        raise Unprocessable(f"merchant_id {merchant_id} is not in the merchant ledger (商户台账)")
    if merchant.grid_id != case.grid_id and (merchant.squad_id is None or merchant.squad_id != case.squad_id):
        raise Unprocessable(
            f"merchant_id {merchant_id} ({merchant.name}) lies in grid {merchant.grid_id or 'unknown'}, "
            f"outside case {case.case_number}'s grid {case.grid_id} and the area of its squad"
        )


async def officers(uow: UnitOfWork, ids: list[str]) -> list[Officer]:
    """The directory's record of these people, as the certificate rules read it."""
    rows = (await uow.session.exec(select(KnownPerson).where(col(KnownPerson.id).in_(ids)))).all()
    return [
        Officer(
            id=r.id,
            name=r.name,
            squad_id=r.squad_id,
            certificate_number=r.certificate_number,
            certificate_valid_until=r.certificate_valid_until,
            legal_qualified=r.legal_qualified,
        )
        for r in rows
    ]
