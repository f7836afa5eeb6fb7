"""养犬登记 for staff: `/v1/dog-licences` (the contract others rely on: `POST` with owner, dog and
rabies answers the licence's `id` and `number`; `GET ?chip=`, `?tag=` or `?number=` finds one
licence), the annual inspection and its due list, transfer, loss, death, cancellation, and walking
violations. The register's keepers read it whole; everyone else finds one licence at a time
without the owner's particulars (common.access)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from common.access import keeps_register, sees_merchant_phone
from common.audiences import Clerk, FieldWorker, LicenceFinder, OwnerContact
from common.clock import bureau_date
from common.messaging.contracts import Location
from common.principal import Principal
from common.redaction import mask_name, mask_phone
from common.refusals import Unprocessable
from ledger.api.deps import ServiceDep, not_found
from ledger.domain.dogs import (
    LicenceStatus,
    ViolationKind,
    inspection_state,
    rabies_valid_until,
    violations_within_a_year,
)
from ledger.handlers import licences as dogs
from ledger.handlers.dog_violations import officer_violation
from ledger.handlers.licences import Dog, Owner, Rabies
from ledger.queries import dogs as dq

if TYPE_CHECKING:
    from ledger.tables import DogLicence

router = APIRouter(tags=["ledger 养犬登记"])


class OwnerIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=15, max_length=20, description="居民身份证号码: stored encrypted, shown masked")
    phone: str = Field(min_length=5, max_length=20)
    address: str = Field(min_length=1, max_length=300)
    location: Location | None = Field(
        None,
        description="the household's position, for the key management zones "
        "(重点管理区); without it they are not checked",
    )
    alone: bool = Field(False, description="独居")

    def owner(self) -> Owner:
        return Owner(
            name=self.name,
            id_number=self.id_number,
            phone=self.phone,
            address=self.address,
            lon=self.location.lon if self.location else None,
            lat=self.location.lat if self.location else None,
            alone=self.alone,
        )


class DogIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    breed: str = Field(min_length=1, max_length=50, description="品种")
    size: Literal["small", "medium", "large"] | None = Field(None, description="小型, 中型, 大型 (or height_cm)")
    sex: Literal["male", "female"]
    birth_date: date
    chip: str | None = Field(None, max_length=20, description="microchip, 15 digits (ISO 11784)")
    height_cm: float | None = Field(None, gt=0, le=120, description="at the withers: <35 small, <60 medium")
    colour: str | None = Field(None, max_length=30)
    tag_id: str | None = Field(None, max_length=32, description="电子智能犬牌")

    def dog(self) -> Dog:
        return Dog(
            name=self.name,
            breed=self.breed,
            size=self.size,
            sex=self.sex,
            birth_date=self.birth_date,
            chip=self.chip,
            height_cm=self.height_cm,
            colour=self.colour,
            tag_id=self.tag_id,
        )


class RabiesIn(BaseModel):
    certificate: str = Field(min_length=1, max_length=50, description="狂犬疫苗免疫证明 number")
    vaccinated_on: date
    clinic: str | None = Field(None, max_length=100)

    def rabies(self) -> Rabies:
        return Rabies(certificate=self.certificate, vaccinated_on=self.vaccinated_on, clinic=self.clinic)


class LicenceIn(BaseModel):
    owner: OwnerIn
    dog: DogIn
    rabies: RabiesIn


class LicenceOut(BaseModel):
    id: str
    number: str = Field(description="犬证号")
    status: str = Field(description="active 有效, suspended 暂停, lost 走失, dead 死亡, cancelled 注销")
    status_reason: str | None
    via: str
    owner: dict = Field(
        description="name, id_number (masked), phone (masked but for the register's keepers), address, location, alone"
    )
    dog: dict
    rabies: dict
    zone_id: str | None
    grid_id: str | None
    issued_on: date
    inspection_due_on: date = Field(description="年检, each year on the licence's date")
    inspection_state: str = Field(description="current, due (within the notice days), overdue, suspend")
    violations_in_twelve_months: int
    history: list[dict] | None = None

    @classmethod
    def of(
        cls, x: DogLicence, principal: Principal, today: date, service, violations: int = 0, history: list | None = None
    ) -> LicenceOut:
        rules = service.settings.dogs
        return cls(
            id=x.id,
            number=x.number,
            status=x.status,
            status_reason=x.status_reason,
            via=x.via,
            owner={
                "name": x.owner_name,
                "id_number": x.owner_id_masked,
                "phone": x.owner_phone if sees_merchant_phone(principal) else mask_phone(x.owner_phone),
                "address": x.owner_address,
                "alone": x.owner_alone,
                "location": {"lon": x.owner_lon, "lat": x.owner_lat} if x.owner_lon is not None else None,
            },
            dog={
                "name": x.dog_name,
                "breed": x.breed,
                "size": x.size,
                "height_cm": x.height_cm,
                "colour": x.colour,
                "sex": x.sex,
                "birth_date": x.birth_date,
                "chip": x.chip,
                "tag_id": x.tag_id,
                "photo": f"/v1/dog-licences/{x.id}/photo" if x.photo_key else None,
            },
            rabies={
                "certificate": x.rabies_certificate,
                "vaccinated_on": x.vaccinated_on,
                "clinic": x.rabies_clinic,
                "valid_until": rabies_valid_until(x.vaccinated_on, rules),
            },
            zone_id=x.zone_id,
            grid_id=x.grid_id,
            issued_on=x.issued_on,
            inspection_due_on=x.inspection_due_on,
            inspection_state=inspection_state(x.inspection_due_on, today, rules).value,
            violations_in_twelve_months=violations,
            history=None
            if history is None
            else [{"action": h.action, "details": h.details, "by": h.by, "at": h.at} for h in history],
        )


class LicenceFound(BaseModel):
    """A licence as those who find it one at a time read it: the licence, the dog, whose it is in
    a masked name; never the owner's address, position, household or identity number."""

    id: str
    number: str = Field(description="犬证号")
    status: str = Field(description="active 有效, suspended 暂停, lost 走失, dead 死亡, cancelled 注销")
    owner: dict = Field(description="name, masked (李**)")
    dog: dict
    rabies_valid_until: date = Field(description="the vaccination's validity (狂犬免疫有效期)")

    @classmethod
    def of(cls, x: DogLicence, service) -> LicenceFound:
        return cls(
            id=x.id,
            number=x.number,
            status=x.status,
            owner={"name": mask_name(x.owner_name)},
            dog={
                "name": x.dog_name,
                "breed": x.breed,
                "size": x.size,
                "colour": x.colour,
                "sex": x.sex,
                "chip": x.chip,
                "tag_id": x.tag_id,
                "photo": f"/v1/dog-licences/{x.id}/photo" if x.photo_key else None,
            },
            rabies_valid_until=rabies_valid_until(x.vaccinated_on, service.settings.dogs),
        )


def context(service, principal: Principal) -> dogs.Context:
    return service.dog_context(principal.subject)


async def _out(service, x: DogLicence, principal: Principal, with_history: bool = False) -> LicenceOut:
    async with service.session_factory() as session:
        count = violations_within_a_year(await dq.violation_times(session, x.id), service.clock.now())
        history = await dq.history(session, x.id) if with_history else None
    return LicenceOut.of(x, principal, bureau_date(service.clock.now()), service, count, history)


@router.post(
    "/v1/dog-licences",
    status_code=201,
    response_model=LicenceOut,
    summary="养犬登记: a licence issued at the counter (422 naming the rule that refuses it)",
)
async def register(body: LicenceIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        x = await dogs.issue_licence(
            uow, body.owner.owner(), body.dog.dog(), body.rabies.rabies(), context(service, principal), via="counter"
        )
    return await _out(service, x, principal)


@router.get(
    "/v1/dog-licences",
    response_model=list[LicenceOut] | list[LicenceFound],
    summary="find licences: the register's keepers list and filter it; everyone else finds one licence "
    "by chip or tag (the capture's scan, the smart tags) or number, without the owner's particulars",
)
async def find(
    principal: LicenceFinder,
    service: ServiceDep,
    chip: Annotated[str | None, Query(max_length=20)] = None,
    tag: Annotated[str | None, Query(max_length=32)] = None,
    number: Annotated[str | None, Query(max_length=32)] = None,
    status_: Annotated[Literal[tuple(LicenceStatus)] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    keys = {k: v for k, v in (("chip", chip), ("tag", tag), ("number", number)) if v is not None}
    if not keeps_register(principal):
        if len(keys) != 1 or status_ is not None or offset:
            raise Unprocessable.field(
                [],
                "give one of chip, tag or number: only the register's keepers list the register",
                "one_licence",
                where="query",
            )
        [(key, value)] = keys.items()
        async with service.session_factory() as session:
            x = await dq.licence_by(session, key, value, principal.squad_scope)
        return [LicenceFound.of(x, service)] if x else []
    async with service.session_factory() as session:
        rows = await dq.licences(session, keys=keys, status=status_, limit=limit, offset=offset)
    return [await _out(service, x, principal) for x in rows]


@router.get(
    "/v1/dog-inspections/due",
    response_model=list[LicenceOut],
    summary="年检: licences due within the notice days, and overdue ones",
)
async def due(principal: Clerk, service: ServiceDep):
    today = bureau_date(service.clock.now())
    horizon = today + timedelta(days=service.settings.dogs.inspection_notice_days)
    async with service.session_factory() as session:
        rows = await dq.due(session, horizon)
    return [await _out(service, x, principal) for x in rows]


async def _licence(service, licence_id: str, principal: Principal | None = None) -> DogLicence:
    """The licence, if this person may see it (`principal`: a squad, its own grids only)."""
    async with service.session_factory() as session:
        x = await dq.licence(session, licence_id, principal.squad_scope if principal else None)
    if x is None:
        raise not_found(f"dog licence {licence_id}")
    return x


@router.get(
    "/v1/dog-licences/{licence_id}",
    response_model=LicenceOut | LicenceFound,
    summary="a licence: with its owner and history for the register's keepers, else as found by chip",
)
async def licence(licence_id: str, principal: LicenceFinder, service: ServiceDep):
    x = await _licence(service, licence_id, principal)
    if not keeps_register(principal):
        return LicenceFound.of(x, service)
    return await _out(service, x, principal, with_history=True)


@router.get(
    "/v1/dog-licences/{licence_id}/contact",
    summary="the owner's name and phone, for the SMS gateway's reminders and notices (the clerks, and "
    "a program given the dog-owner-contact scope)",
)
async def contact(licence_id: str, principal: OwnerContact, service: ServiceDep) -> dict:
    x = await _licence(service, licence_id)
    return {"licence_id": x.id, "number": x.number, "name": x.owner_name, "phone": x.owner_phone}


@router.get(
    "/v1/dog-licences/{licence_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
async def licence_photo(licence_id: str, principal: LicenceFinder, service: ServiceDep):
    x = await _licence(service, licence_id, principal)
    if not x.photo_key:
        raise not_found(f"a photo of licence {licence_id}")
    return Response(
        await service.store.get(x.photo_key),
        media_type=x.photo_type,
        headers={"Cache-Control": "private, max-age=86400"},
    )


@router.post(
    "/v1/dog-licences/{licence_id}/inspections",
    response_model=LicenceOut,
    summary="年检: the immunisation checked, the licence renewed (a suspended one reinstated)",
)
async def inspection(licence_id: str, body: RabiesIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        x = await dogs.inspect(uow, licence_id, body.rabies(), context(service, principal))
    return await _out(service, x, principal)


@router.post("/v1/dog-licences/{licence_id}/transfer", response_model=LicenceOut, summary="过户 to a new owner")
async def transfer(licence_id: str, body: OwnerIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        x = await dogs.transfer(uow, licence_id, body.owner(), context(service, principal))
    return await _out(service, x, principal)


class StatusIn(BaseModel):
    action: Literal["lost", "found", "died", "cancelled"] = Field(description="走失, 找回, 死亡, 注销")
    reason: str | None = Field(None, max_length=200)


@router.post("/v1/dog-licences/{licence_id}/status", response_model=LicenceOut)
async def change(licence_id: str, body: StatusIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        x = await dogs.change_status(uow, licence_id, body.action, body.reason, principal.subject)
    return await _out(service, x, principal)


class ViolationIn(BaseModel):
    kind: Literal["no_lead", "outside_hours", "no_dog_place"] = Field(description="未牵引, 非规定时间遛犬, 禁入场所")
    at: datetime | None = Field(None, description="when (default: now)")
    location: Location | None = None
    note: str | None = Field(None, max_length=500)


@router.post(
    "/v1/dog-licences/{licence_id}/violations",
    response_model=LicenceOut | LicenceFound,
    status_code=201,
    summary="违规遛犬 seen by an officer; the third within twelve months suspends the licence",
)
async def violation(licence_id: str, body: ViolationIn, principal: FieldWorker, service: ServiceDep):
    async with service.uow() as uow:
        await officer_violation(
            uow,
            licence_id,
            ViolationKind(body.kind),
            at=body.at or service.clock.now(),
            lon=body.location.lon if body.location else None,
            lat=body.location.lat if body.location else None,
            note=body.note,
            by=principal.subject,
            rules=service.settings.dogs,
        )
    x = await _licence(service, licence_id)
    return await _out(service, x, principal) if keeps_register(principal) else LicenceFound.of(x, service)
