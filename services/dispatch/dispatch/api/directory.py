"""The directory's routes: `/v1/directory`, read by staff, edited by an admin in one place."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, model_validator

from common.audiences import Admin, SquadLeader, Staff
from common.principal import Role
from dispatch import queries
from dispatch.api.deps import ServiceDep
from dispatch.domain.directory import POSITIONS
from dispatch.handlers.directory import load, put_person, put_squad, put_unit, set_on_duty

router = APIRouter(tags=["directory 组织机构"])
Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")]


class PersonOut(BaseModel):
    id: str
    name: str
    position: str
    role: str | None
    on_duty: bool
    open_assignments: int
    certificate_number: str | None = Field(None, description="执法证号")
    certificate_valid_until: date | None = Field(None, description="执法证有效期至")
    legal_qualified: bool = Field(False, description="法律职业资格")


class LinkOut(BaseModel):
    role: str = Field(description="squad_leader, brigade_leader, bureau_leader")
    after_hours: float = Field(description="working hours after the deadline")
    person_id: str | None
    person_name: str | None


class SquadOut(BaseModel):
    id: str
    name: str
    office: str
    brigade_id: str | None
    people: list[PersonOut]
    escalation_chain: list[LinkOut] = Field(description="逐级负责制: who is told, in order, when a case runs late")


class UnitOut(BaseModel):
    id: str
    kind: str
    name: str
    parent_id: str | None
    escalate_after_hours: float | None
    people: list[PersonOut]


class DirectoryOut(BaseModel):
    units: list[UnitOut] = Field(description="the bureau, the command centre and the brigades")
    squads: list[SquadOut]


@router.get("/v1/directory", response_model=DirectoryOut, summary="组织机构: bureau, brigades, squads and people")
async def directory(principal: Staff, service: ServiceDep):
    async with service.session_factory() as session:
        d = await load(session)
        people = await queries.people(session)

    def out(p) -> PersonOut:
        return PersonOut(
            id=p.id,
            name=p.name,
            position=p.position,
            role=p.platform_role,
            on_duty=p.on_duty,
            open_assignments=p.open_assignments,
            certificate_number=p.certificate_number,
            certificate_valid_until=p.certificate_valid_until,
            legal_qualified=p.legal_qualified,
        )

    return DirectoryOut(
        units=[
            UnitOut(**u.__dict__, people=[out(p) for p in people if p.unit_id == u.id])
            for u in sorted(d.units.values(), key=lambda u: (u.kind != "bureau", u.id))
        ],
        squads=[
            SquadOut(
                id=s.id,
                name=s.name,
                office=s.office,
                brigade_id=s.brigade_id,
                people=[out(p) for p in people if p.squad_id == s.id],
                escalation_chain=[LinkOut(**link._asdict()) for link in d.chain(s.id)],
            )
            for s in sorted(d.squads.values(), key=lambda s: s.id)
        ],
    )


class UnitIn(BaseModel):
    kind: Literal["bureau", "brigade", "centre", "office"]
    name: str = Field(min_length=1, max_length=100)
    parent_id: str | None = Field(None, min_length=1, max_length=64)
    escalate_after_hours: float | None = Field(
        None,
        ge=0,
        le=200,
        description="working hours after the deadline at which this unit's leader is told (brigade, bureau)",
    )


class SquadIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    office: str = Field(min_length=1, max_length=100, description="the street office it works with")
    brigade_id: str | None = Field(None, min_length=1, max_length=64)


class PersonIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    position: Literal[tuple(POSITIONS)] = Field(description="局长, 大队长, 中队长, 副中队长, 队员, 派遣员, ...")
    role: Role | None = Field(None, description="their role on the platform (the identity provider grants it)")
    squad_id: str | None = Field(None, min_length=1, max_length=64)
    unit_id: str | None = Field(None, min_length=1, max_length=64)
    on_duty: bool = True
    certificate_number: str | None = Field(
        None, min_length=1, max_length=32, description="执法证号: who may be named in an investigation step"
    )
    certificate_valid_until: date | None = Field(None, description="执法证有效期至 (with the number)")
    legal_qualified: bool = Field(False, description="holds the 法律职业资格: may do a 法制审核")

    @model_validator(mode="after")
    def _certificate_whole(self) -> PersonIn:
        if (self.certificate_number is None) != (self.certificate_valid_until is None):
            raise ValueError("certificate_number and certificate_valid_until go together")
        return self


class DutyIn(BaseModel):
    on_duty: bool


@router.put(
    "/v1/directory/units/{unit_id}", response_model=UnitIn, summary="the bureau, a brigade, the command centre (admin)"
)
async def unit(unit_id: Id, body: UnitIn, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        u = await put_unit(uow, unit_id, **body.model_dump())
    await service.load_directory()
    return UnitIn(kind=u.kind, name=u.name, parent_id=u.parent_id, escalate_after_hours=u.escalate_after_hours)


@router.put("/v1/directory/squads/{squad_id}", response_model=SquadIn, summary="a squad and its brigade (admin)")
async def squad(squad_id: Id, body: SquadIn, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        s = await put_squad(uow, squad_id, **body.model_dump())
    await service.load_directory()
    return SquadIn(name=s.name, office=s.office, brigade_id=s.brigade_id)


@router.put("/v1/directory/people/{person_id}", response_model=PersonIn, summary="a person and their position (admin)")
async def person(person_id: Id, body: PersonIn, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        p = await put_person(
            uow,
            person_id,
            name=body.name,
            position=body.position,
            role=body.role.value if body.role else None,
            squad_id=body.squad_id,
            unit_id=body.unit_id,
            on_duty=body.on_duty,
            certificate_number=body.certificate_number,
            certificate_valid_until=body.certificate_valid_until,
            legal_qualified=body.legal_qualified,
        )
    await service.load_directory()
    return PersonIn(
        name=p.name,
        position=p.position,
        role=p.platform_role,
        squad_id=p.squad_id,
        unit_id=p.unit_id,
        on_duty=p.on_duty,
        certificate_number=p.certificate_number,
        certificate_valid_until=p.certificate_valid_until,
        legal_qualified=p.legal_qualified,
    )


@router.post(
    "/v1/directory/people/{person_id}/duty",
    response_model=DutyIn,
    summary="在岗: on duty or not (the squad's leader for the squad's people; an admin for anyone)",
)
async def duty(person_id: Id, body: DutyIn, principal: SquadLeader, service: ServiceDep):
    async with service.uow() as uow:
        p = await set_on_duty(uow, person_id, body.on_duty, squad_scope=principal.squad_scope)
    await service.load_directory()
    return DutyIn(on_duty=p.on_duty)
