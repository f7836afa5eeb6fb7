"""养犬登记 for staff: `/v1/dog-licences` (the contract others rely on: `POST` with owner, dog and
rabies answers the licence's `id` and `number`; `GET ?chip=` and `?tag=` find a licence), the
annual inspection and its due list, transfer, loss, death, cancellation, walking violations, the
online applications' review, and the captured dogs at the shelter."""
from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Response, UploadFile, status
from pydantic import BaseModel, Field
from sqlmodel import select

from common.access import DOG_OWNER_CONTACT, keeps_register, sees_merchant_phone
from common.auth import Principal, Role, require_roles
from common.clock import bureau_date
from common.messaging.contracts import Location
from common.redaction import mask_name, mask_phone
from ledger.api.deps import Clerk, FieldWorker, ServiceDep, not_found, refusals, store_photo
from ledger.domain.dogs import DogRefused, LicenceStatus, ViolationKind, inspection_state, rabies_valid_until, \
    violations_within_a_year
from ledger.handlers import applications, dogs, strays
from ledger.handlers.dogs import Dog, DogConflict, Owner, Rabies
from ledger.tables import DistrictGrid, DogApplication, DogLicence, DogLicenceStep, DogViolation, Stray, StrayCare

router = APIRouter(tags=["ledger 养犬登记"])
Lookup = Annotated[Principal, Depends(require_roles(Role.ledger_clerk, Role.dispatcher, Role.supervisor,
                                                    Role.squad_officer, Role.squad_leader, Role.admin,
                                                    Role.external_system))]
"""Who finds a licence: the register's keepers (the whole record), and, one licence at a time by
chip, tag or number with the owner's particulars left out, the squads (their own grids), the
command centre and programs (the smart tags' platform, the stray capture's scanners):
common.access."""
Staff = Annotated[Principal, Depends(require_roles(Role.ledger_clerk, Role.dispatcher, Role.supervisor,
                                                   Role.squad_officer, Role.squad_leader, Role.admin))]
"""Who reads the shelter: the bureau's staff."""
Notifier = Annotated[Principal, Depends(require_roles(Role.ledger_clerk, Role.admin, Role.external_system,
                                                      program_scope=DOG_OWNER_CONTACT))]
"""Who reads an owner's contact: the clerks, and a program given the `dog-owner-contact` scope on
purpose (the SMS gateway), not every partner system."""


@contextlib.contextmanager
def dog_refusals():
    """A rule's refusal is a 422 naming the rule; a conflict (a chip taken, a status) a 409."""
    with refusals():  # what is not the dog register's own: a photo refused, a licence not found, ...
        try:
            yield
        except DogRefused as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [
                {"loc": ["body", exc.rule], "msg": str(exc), "type": "dog_rule", "rule": exc.rule}]) from exc
        except DogConflict as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


class OwnerIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=15, max_length=20, description="居民身份证号码: stored encrypted, shown masked")
    phone: str = Field(min_length=5, max_length=20)
    address: str = Field(min_length=1, max_length=300)
    location: Location | None = Field(None, description="the household's position, for the key management zones "
                                                        "(重点管理区); without it they are not checked")
    alone: bool = Field(False, description="独居")

    def owner(self) -> Owner:
        return Owner(name=self.name, id_number=self.id_number, phone=self.phone, address=self.address,
                     lon=self.location.lon if self.location else None, lat=self.location.lat if self.location else None,
                     alone=self.alone)


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
        return Dog(name=self.name, breed=self.breed, size=self.size, sex=self.sex, birth_date=self.birth_date,
                   chip=self.chip, height_cm=self.height_cm, colour=self.colour, tag_id=self.tag_id)


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
    owner: dict = Field(description="name, id_number (masked), phone (masked but for the register's keepers), "
                                    "address, location, alone")
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
    def of(cls, x: DogLicence, principal: Principal, today: date, service, violations: int = 0,
           history: list | None = None) -> "LicenceOut":
        rules = service.settings.dogs
        return cls(
            id=x.id, number=x.number, status=x.status, status_reason=x.status_reason, via=x.via,
            owner={"name": x.owner_name, "id_number": x.owner_id_masked,
                   "phone": x.owner_phone if sees_merchant_phone(principal) else mask_phone(x.owner_phone),
                   "address": x.owner_address, "alone": x.owner_alone,
                   "location": {"lon": x.owner_lon, "lat": x.owner_lat} if x.owner_lon is not None else None},
            dog={"name": x.dog_name, "breed": x.breed, "size": x.size, "height_cm": x.height_cm, "colour": x.colour,
                 "sex": x.sex, "birth_date": x.birth_date, "chip": x.chip, "tag_id": x.tag_id,
                 "photo": f"/v1/dog-licences/{x.id}/photo" if x.photo_key else None},
            rabies={"certificate": x.rabies_certificate, "vaccinated_on": x.vaccinated_on, "clinic": x.rabies_clinic,
                    "valid_until": rabies_valid_until(x.vaccinated_on, rules)},
            zone_id=x.zone_id, grid_id=x.grid_id, issued_on=x.issued_on, inspection_due_on=x.inspection_due_on,
            inspection_state=inspection_state(x.inspection_due_on, today, rules).value,
            violations_in_twelve_months=violations,
            history=None if history is None else [{"action": h.action, "details": h.details, "by": h.by, "at": h.at}
                                                  for h in history])


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
    def of(cls, x: DogLicence, service) -> "LicenceFound":
        return cls(id=x.id, number=x.number, status=x.status, owner={"name": mask_name(x.owner_name)},
                   dog={"name": x.dog_name, "breed": x.breed, "size": x.size, "colour": x.colour, "sex": x.sex,
                        "chip": x.chip, "tag_id": x.tag_id,
                        "photo": f"/v1/dog-licences/{x.id}/photo" if x.photo_key else None},
                   rabies_valid_until=rabies_valid_until(x.vaccinated_on, service.settings.dogs))


def _in_squad_area(query, principal: Principal):
    """A squad's people find only the licences of households in their own grids."""
    if principal.squad_scope is None:
        return query
    return query.where(DogLicence.grid_id.in_(select(DistrictGrid.id).where(
        DistrictGrid.squad_id == principal.squad_scope)))


def context(service, principal: Principal) -> dogs.Context:
    return service.dog_context(principal.subject)


async def _out(service, x: DogLicence, principal: Principal, with_history: bool = False) -> LicenceOut:
    async with service.session_factory() as session:
        moments = (await session.execute(select(DogViolation.at).where(DogViolation.licence_id == x.id))).scalars()
        count = violations_within_a_year(list(moments), service.clock.now())
        history = (await session.exec(select(DogLicenceStep).where(DogLicenceStep.licence_id == x.id)
                                      .order_by(DogLicenceStep.at, DogLicenceStep.id))).all() if with_history else None
    return LicenceOut.of(x, principal, bureau_date(service.clock.now()), service, count, history)


@router.post("/v1/dog-licences", status_code=201, response_model=LicenceOut,
             summary="养犬登记: a licence issued at the counter (422 naming the rule that refuses it)")
async def register(body: LicenceIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            x = await dogs.issue_licence(uow, body.owner.owner(), body.dog.dog(), body.rabies.rabies(),
                                         context(service, principal), via="counter")
    return await _out(service, x, principal)


@router.get("/v1/dog-licences", response_model=list[LicenceOut] | list[LicenceFound],
            summary="find licences: the register's keepers list and filter it; everyone else finds one licence "
                    "by chip or tag (the capture's scan, the smart tags) or number, without the owner's particulars")
async def find(principal: Lookup, service: ServiceDep, chip: Annotated[str | None, Query(max_length=20)] = None,
               tag: Annotated[str | None, Query(max_length=32)] = None,
               number: Annotated[str | None, Query(max_length=32)] = None,
               status_: Annotated[Literal[tuple(LicenceStatus)] | None, Query(alias="status")] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    keys = [(column, value) for column, value in ((DogLicence.chip, chip), (DogLicence.tag_id, tag),
                                                  (DogLicence.number, number)) if value is not None]
    if not keeps_register(principal):
        if len(keys) != 1 or status_ is not None or offset:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [{
                "loc": ["query"], "type": "one_licence",
                "msg": "give one of chip, tag or number: only the register's keepers list the register"}])
        column, value = keys[0]
        query = _in_squad_area(select(DogLicence).where(column == value.strip()).limit(1), principal)
        async with service.session_factory() as session:
            return [LicenceFound.of(x, service) for x in (await session.exec(query)).all()]
    query = select(DogLicence).order_by(DogLicence.number).limit(limit).offset(offset)
    for column, value in (*keys, (DogLicence.status, status_)):
        if value is not None:
            query = query.where(column == value.strip())
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
    return [await _out(service, x, principal) for x in rows]


@router.get("/v1/dog-inspections/due", response_model=list[LicenceOut],
            summary="年检: licences due within the notice days, and overdue ones")
async def due(principal: Clerk, service: ServiceDep):
    today = bureau_date(service.clock.now())
    horizon = today + timedelta(days=service.settings.dogs.inspection_notice_days)
    async with service.session_factory() as session:
        rows = (await session.exec(select(DogLicence).where(
            DogLicence.status.in_([LicenceStatus.active, LicenceStatus.suspended]),
            DogLicence.inspection_due_on <= horizon).order_by(DogLicence.inspection_due_on))).all()
    return [await _out(service, x, principal) for x in rows]


async def _licence(service, licence_id: str, principal: Principal | None = None) -> DogLicence:
    """The licence, if this person may see it (`principal`: a squad, its own grids only)."""
    query = select(DogLicence).where(DogLicence.id == licence_id)
    if principal is not None:
        query = _in_squad_area(query, principal)
    async with service.session_factory() as session:
        x = (await session.exec(query)).first()
    if x is None:
        raise not_found(f"dog licence {licence_id}")
    return x


@router.get("/v1/dog-licences/{licence_id}", response_model=LicenceOut | LicenceFound,
            summary="a licence: with its owner and history for the register's keepers, else as found by chip")
async def licence(licence_id: str, principal: Lookup, service: ServiceDep):
    x = await _licence(service, licence_id, principal)
    if not keeps_register(principal):
        return LicenceFound.of(x, service)
    return await _out(service, x, principal, with_history=True)


@router.get("/v1/dog-licences/{licence_id}/contact",
            summary="the owner's name and phone, for the SMS gateway's reminders and notices (the clerks, and "
                    "a program given the dog-owner-contact scope)")
async def contact(licence_id: str, principal: Notifier, service: ServiceDep) -> dict:
    x = await _licence(service, licence_id)
    return {"licence_id": x.id, "number": x.number, "name": x.owner_name, "phone": x.owner_phone}


@router.get("/v1/dog-licences/{licence_id}/photo", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
async def licence_photo(licence_id: str, principal: Lookup, service: ServiceDep):
    x = await _licence(service, licence_id, principal)
    if not x.photo_key:
        raise not_found(f"a photo of licence {licence_id}")
    return Response(await service.store.get(x.photo_key), media_type=x.photo_type,
                    headers={"Cache-Control": "private, max-age=86400"})


@router.post("/v1/dog-licences/{licence_id}/inspections", response_model=LicenceOut,
             summary="年检: the immunisation checked, the licence renewed (a suspended one reinstated)")
async def inspection(licence_id: str, body: RabiesIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            x = await dogs.inspect(uow, licence_id, body.rabies(), context(service, principal))
    return await _out(service, x, principal)


@router.post("/v1/dog-licences/{licence_id}/transfer", response_model=LicenceOut, summary="过户 to a new owner")
async def transfer(licence_id: str, body: OwnerIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            x = await dogs.transfer(uow, licence_id, body.owner(), context(service, principal))
    return await _out(service, x, principal)


class StatusIn(BaseModel):
    action: Literal["lost", "found", "died", "cancelled"] = Field(description="走失, 找回, 死亡, 注销")
    reason: str | None = Field(None, max_length=200)


@router.post("/v1/dog-licences/{licence_id}/status", response_model=LicenceOut)
async def change(licence_id: str, body: StatusIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            x = await dogs.change_status(uow, licence_id, body.action, body.reason, principal.subject)
    return await _out(service, x, principal)


class ViolationIn(BaseModel):
    kind: Literal["no_lead", "outside_hours", "no_dog_place"] = Field(description="未牵引, 非规定时间遛犬, 禁入场所")
    at: datetime | None = Field(None, description="when (default: now)")
    location: Location | None = None
    note: str | None = Field(None, max_length=500)


@router.post("/v1/dog-licences/{licence_id}/violations", response_model=LicenceOut | LicenceFound, status_code=201,
             summary="违规遛犬 seen by an officer; the third within twelve months suspends the licence")
async def violation(licence_id: str, body: ViolationIn, principal: FieldWorker, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            await dogs.officer_violation(uow, licence_id, ViolationKind(body.kind), at=body.at or service.clock.now(),
                                         lon=body.location.lon if body.location else None,
                                         lat=body.location.lat if body.location else None, note=body.note,
                                         by=principal.subject, rules=service.settings.dogs)
    x = await _licence(service, licence_id)
    return await _out(service, x, principal) if keeps_register(principal) else LicenceFound.of(x, service)


# -- online applications, as the clerk reviews them ------------------------------------------------

class ApplicationOut(BaseModel):
    id: str
    status: str = Field(description="submitted 待审核, approved 已批准, returned 已退回")
    owner: dict
    dog: dict
    rabies: dict
    dog_photo: str
    certificate_photo: str
    reason: str | None
    licence_id: str | None
    postal_tracking: str | None
    submitted_at: datetime
    decided_at: datetime | None
    flags: list[dict] = Field(default_factory=list, description="what the register knows that the owner was not "
                              "told (rule, msg): key_zone_household, a household in a key zone with a dog already")

    @classmethod
    def of(cls, a: DogApplication) -> "ApplicationOut":
        owner = {k: v for k, v in a.form["owner"].items() if k != "id_number"}
        owner["id_number"] = owner.pop("id_masked")
        owner["phone"] = mask_phone(owner["phone"])
        return cls(id=a.id, status=a.status, owner=owner, dog=a.form["dog"], rabies=a.form["rabies"],
                   dog_photo=f"/v1/dog-applications/{a.id}/photos/dog",
                   certificate_photo=f"/v1/dog-applications/{a.id}/photos/certificate", reason=a.reason,
                   licence_id=a.licence_id, postal_tracking=a.postal_tracking, submitted_at=a.submitted_at,
                   decided_at=a.decided_at, flags=a.form.get("flags", []))


@router.get("/v1/dog-applications", response_model=list[ApplicationOut],
            summary="online applications to review, oldest first, a page at a time")
async def applications_list(principal: Clerk, service: ServiceDep,
                            status_: Annotated[Literal["submitted", "approved", "returned"] | None,
                                               Query(alias="status")] = "submitted",
                            limit: Annotated[int, Query(ge=1, le=200)] = 20, offset: Annotated[int, Query(ge=0)] = 0):
    query = select(DogApplication).order_by(DogApplication.submitted_at, DogApplication.id).limit(limit).offset(offset)
    if status_:
        query = query.where(DogApplication.status == status_)
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
    return [ApplicationOut.of(a) for a in rows]


async def _application(service, application_id: str) -> DogApplication:
    async with service.session_factory() as session:
        a = await session.get(DogApplication, application_id)
    if a is None:
        raise not_found(f"dog application {application_id}")
    return a


@router.get("/v1/dog-applications/{application_id}/photos/{which}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
async def application_photo(application_id: str, which: Literal["dog", "certificate"], principal: Clerk,
                            service: ServiceDep):
    a = await _application(service, application_id)
    key, media = (a.dog_photo_key, a.dog_photo_type) if which == "dog" else (a.certificate_key, a.certificate_type)
    return Response(await service.store.get(key), media_type=media, headers={"Cache-Control": "private, max-age=3600"})


class ApproveIn(BaseModel):
    tag_id: str = Field(min_length=1, max_length=32, description="the smart tag posted to the owner")
    postal_tracking: str = Field(min_length=4, max_length=40, description="邮寄 tracking number, shown to the owner")


class ReturnIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="what the owner reads: what to correct")


@router.post("/v1/dog-applications/{application_id}/approve", response_model=ApplicationOut,
             summary="批准: the licence issued and the tag posted")
async def approve(application_id: str, body: ApproveIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            a = await applications.approve(uow, application_id, tag_id=body.tag_id.strip(),
                                           postal_tracking=body.postal_tracking.strip(),
                                           ctx=context(service, principal))
    return ApplicationOut.of(a)


@router.post("/v1/dog-applications/{application_id}/return", response_model=ApplicationOut,
             summary="退回 with a reason the owner reads")
async def send_back(application_id: str, body: ReturnIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            a = await applications.send_back(uow, application_id, reason=body.reason, by=principal.subject)
    return ApplicationOut.of(a)


# -- strays and the shelter ----------------------------------------------------------------------------

class StrayOut(BaseModel):
    id: str
    number: str = Field(description="收容编号")
    status: str = Field(description="sheltered 在所, claimed 已认领, adopted 已领养, dead 死亡")
    phase: str | None = Field(description="while sheltered: quarantine 隔离观察 or kept 留养")
    captured_at: datetime
    location: Location
    grid_id: str | None
    captured_by: str
    breed: str | None
    size: str | None
    colour: str | None
    chip: str | None
    tag_id: str | None
    licence_id: str | None = Field(description="the licence its chip or tag found")
    quarantine_until: date
    claim_until: date
    costs_due_fen: int | None = Field(None, description="what a claim pays today")
    adopted_licence_id: str | None
    photo: str | None
    care: list[dict] | None = None


async def _stray_out(service, s: Stray, detail: bool = False) -> StrayOut:
    today = bureau_date(service.clock.now())
    care, costs = None, None
    if detail:
        async with service.session_factory() as session:
            care = [{"kind": c.kind, "note": c.note, "cost_fen": c.cost_fen, "by": c.by, "at": c.at} for c in
                    (await session.exec(select(StrayCare).where(StrayCare.stray_id == s.id)
                                        .order_by(StrayCare.at))).all()]
            if s.status == strays.SHELTERED:
                costs = await strays.costs_due(session, s, service.settings.shelter_daily_fee_fen, today)
    return StrayOut(id=s.id, number=s.number, status=s.status,
                    phase=None if s.status != strays.SHELTERED else
                    ("quarantine" if today < s.quarantine_until else "kept"),
                    captured_at=s.captured_at, location=Location(lon=s.lon, lat=s.lat), grid_id=s.grid_id,
                    captured_by=s.captured_by, breed=s.breed, size=s.size, colour=s.colour, chip=s.chip,
                    tag_id=s.tag_id, licence_id=s.licence_id, quarantine_until=s.quarantine_until,
                    claim_until=s.claim_until, costs_due_fen=costs, adopted_licence_id=s.adopted_licence_id,
                    photo=f"/v1/strays/{s.id}/photo" if s.photo_key else None, care=care)


@router.post("/v1/strays", status_code=201, response_model=StrayOut,
             summary="抓捕流浪犬: a capture (multipart: where, when, photo, the chip or tag scanned)")
async def capture(principal: FieldWorker, service: ServiceDep, lon: Annotated[float, Form(ge=73, le=136)],
                  lat: Annotated[float, Form(ge=3, le=54)], captured_at: Annotated[datetime | None, Form()] = None,
                  chip: Annotated[str | None, Form(max_length=20)] = None,
                  tag_id: Annotated[str | None, Form(max_length=32)] = None,
                  breed: Annotated[str | None, Form(max_length=50)] = None,
                  size: Annotated[Literal["small", "medium", "large"] | None, Form()] = None,
                  colour: Annotated[str | None, Form(max_length=30)] = None,
                  note: Annotated[str | None, Form(max_length=500)] = None,
                  photo: Annotated[UploadFile | None, File()] = None):
    with dog_refusals():
        stored = await store_photo(service, photo, "strays", "capture photo")
        async with service.uow() as uow:
            seen = strays.Capture(lon=lon, lat=lat, captured_at=captured_at or service.clock.now(), chip=chip or None,
                                  tag_id=tag_id or None, breed=breed, size=size, colour=colour, note=note)
            s = await strays.capture(uow, seen, context(service, principal),
                                     (stored.key, stored.content_type) if stored else None)
    return await _stray_out(service, s, detail=True)


@router.get("/v1/strays", response_model=list[StrayOut])
async def stray_list(principal: Staff, service: ServiceDep,
                     status_: Annotated[Literal["sheltered", "claimed", "adopted", "dead"] | None,
                                        Query(alias="status")] = "sheltered"):
    query = select(Stray).order_by(Stray.captured_at.desc())
    if status_:
        query = query.where(Stray.status == status_)
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
    return [await _stray_out(service, s) for s in rows]


@router.get("/v1/shelter", summary="收容所: capacity in use")
async def shelter(principal: Staff, service: ServiceDep) -> dict:
    today = bureau_date(service.clock.now())
    async with service.session_factory() as session:
        rows = (await session.exec(select(Stray).where(Stray.status == strays.SHELTERED))).all()
    capacity = service.settings.shelter_capacity
    quarantine = sum(1 for s in rows if today < s.quarantine_until)
    adoptable = sum(1 for s in rows if today >= s.quarantine_until and (not s.licence_id or today > s.claim_until))
    return {"capacity": capacity, "in_use": len(rows), "in_quarantine": quarantine, "adoptable": adoptable,
            "use": round(len(rows) / capacity, 3)}


async def _stray(service, stray_id: str) -> Stray:
    async with service.session_factory() as session:
        s = await session.get(Stray, stray_id)
    if s is None:
        raise not_found(f"stray {stray_id}")
    return s


@router.get("/v1/strays/{stray_id}", response_model=StrayOut)
async def stray(stray_id: str, principal: Staff, service: ServiceDep):
    return await _stray_out(service, await _stray(service, stray_id), detail=True)


@router.get("/v1/strays/{stray_id}/photo", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
async def stray_photo(stray_id: str, principal: Staff, service: ServiceDep):
    s = await _stray(service, stray_id)
    if not s.photo_key:
        raise not_found(f"a photo of stray {stray_id}")
    return Response(await service.store.get(s.photo_key), media_type=s.photo_type,
                    headers={"Cache-Control": "private, max-age=86400"})


class CareIn(BaseModel):
    kind: Literal["treatment", "check", "note"]
    note: str = Field(min_length=1, max_length=500)
    cost_fen: int = Field(0, ge=0)


@router.post("/v1/strays/{stray_id}/care", response_model=StrayOut, status_code=201,
             summary="the shelter's care: a treatment, a check, a note (with its cost)")
async def add_care(stray_id: str, body: CareIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            await strays.care(uow, stray_id, kind=body.kind, note=body.note, cost_fen=body.cost_fen,
                              by=principal.subject)
    return await _stray_out(service, await _stray(service, stray_id), detail=True)


class ClaimIn(BaseModel):
    paid_fen: int = Field(ge=0, description="the costs paid (at least what GET shows as costs_due_fen)")
    licence_id: str | None = Field(None, max_length=36, description="for a dog found without a licence: the one "
                                                                     "its owner registered it under now")


@router.post("/v1/strays/{stray_id}/claim", response_model=StrayOut, summary="认领 by the owner, within the claim days")
async def claim(stray_id: str, body: ClaimIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            await strays.claim(uow, stray_id, licence_id=body.licence_id, paid_fen=body.paid_fen,
                               daily_fee_fen=service.settings.shelter_daily_fee_fen, by=principal.subject)
    return await _stray_out(service, await _stray(service, stray_id), detail=True)


class AdoptIn(BaseModel):
    owner: OwnerIn
    dog: DogIn = Field(description="the dog as the adopter registers it (name, breed, sex, an estimated birth date)")
    rabies: RabiesIn


@router.post("/v1/strays/{stray_id}/adopt", response_model=StrayOut,
             summary="领养: after quarantine (and the owner's claim days); the adopter's new licence is issued")
async def adopt(stray_id: str, body: AdoptIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            await strays.adopt(uow, stray_id, body.owner.owner(), body.dog.dog(), body.rabies.rabies(),
                               context(service, principal))
    return await _stray_out(service, await _stray(service, stray_id), detail=True)


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=500)


@router.post("/v1/strays/{stray_id}/died", response_model=StrayOut)
async def stray_died(stray_id: str, body: NoteIn, principal: Clerk, service: ServiceDep):
    with dog_refusals():
        async with service.uow() as uow:
            await strays.died(uow, stray_id, body.note, principal.subject)
    return await _stray_out(service, await _stray(service, stray_id))

