"""Campaigns over HTTP (专项整治, 联合行动, 示范创建): launched, changed and closed by a supervisor for the
bureau's leaders; a day's operations recorded by the command centre or the squad leaders taking part;
a 示范创建's sections and their acceptance (验收) with photos. The cases that fall in a campaign carry its
id (GET /v1/cases/{id}, GET /v1/cases?campaign=); its figures are reporting's
(GET /v1/reports/campaigns/{id})."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from cases import queries
from cases.api.deps import ServiceDep, body_and_photos, store_photos_under, with_photos
from cases.handlers.campaigns import accept_section, add_section, change, close, launch, record_operation
from common.audiences import CampaignPlanner, CampaignReader, CampaignRecorder
from common.clock import bureau_date
from common.geo import polygon_problem
from common.principal import Role
from common.refusals import NotFound, Refused, Unprocessable
from common.vocabulary import CAMPAIGN_COUNTS, CAMPAIGN_KIND_NAMES, CampaignKind

router = APIRouter(tags=["campaigns 专项整治"])
Name = Annotated[str, Field(min_length=1, max_length=100)]


class CampaignFields(BaseModel):
    """What a campaign is; on a change, the fields given replace theirs."""

    name: str | None = Field(None, min_length=1, max_length=100, description="名称, e.g. 占道经营专项整治")
    starts_on: date | None = Field(None, description="the first day (Beijing)")
    ends_on: date | None = Field(None, description="the last day (Beijing)")
    categories: list[Name] | None = Field(None, max_length=100, description="the categories it targets; [] = all")
    grids: list[Name] | None = Field(None, max_length=500, description="its area: grid ids ...")
    area: dict | None = Field(None, description="... or a polygon drawn on the map (GeoJSON Polygon, WGS84) ...")
    streets: list[Name] | None = Field(None, max_length=200, description="... or named streets (a case on one)")
    squads: list[Name] | None = Field(None, max_length=100, description="the squads taking part")
    offices: list[Name] | None = Field(None, max_length=100, description="the 办事处 taking part")
    partners: list[Name] | None = Field(
        None, max_length=50, description="partner departments (公安, 交警, 市场监管, 生态环境, ...)"
    )
    targets: dict[str, float] | None = Field(
        None,
        description="counts to reach (persuaded, banned, seized, destroyed, demolished_m2, filed, cases, operations, "
        "officer_trips, vehicle_trips, sections_accepted) and rates to hold (on_time_closing_rate, satisfaction_rate, "
        "... between 0 and 1), by name",
    )

    @model_validator(mode="after")
    def _area(self):
        if self.area is not None and (problem := polygon_problem(self.area)):
            raise ValueError(f"area {problem}")
        return self


class CampaignBody(CampaignFields):
    name: str = Field(min_length=1, max_length=100, description="名称, e.g. 占道经营专项整治")
    kind: CampaignKind = Field(description="special 专项整治, joint 联合行动, model 示范创建")
    starts_on: date
    ends_on: date


class CampaignChange(CampaignFields):
    version: int = Field(description="the version read with GET; a stale one is refused (409)")


class CampaignOut(BaseModel):
    id: str
    name: str
    kind: CampaignKind
    kind_name: str
    starts_on: date
    ends_on: date
    categories: list[str]
    grids: list[str]
    area: dict | None
    streets: list[str]
    squads: list[str]
    offices: list[str]
    partners: list[str]
    targets: dict[str, float]
    sections: list[dict]
    status: Literal["running", "closed"]
    version: int
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    summary: str | None

    @classmethod
    def of(cls, row) -> CampaignOut:
        sections = [{k: v for k, v in s.items() if k != "photos"} for s in row.sections]
        return cls(
            **{k: getattr(row, k) for k in cls.model_fields if k not in ("kind_name", "sections")},
            kind_name=CAMPAIGN_KIND_NAMES[row.kind],
            sections=sections,
        )


LISTS = ("categories", "grids", "streets", "squads", "offices", "partners")


def _fields(body: CampaignFields) -> dict:
    """The fields given (a list given as null is emptied; targets null: none)."""
    fields = {k: getattr(body, k) for k in body.model_fields_set if k != "version"}
    for k in ("name", "starts_on", "ends_on"):
        if k in fields and fields[k] is None:
            raise Unprocessable.field(k, f"a campaign always has its {k}: give one, or leave it out")
    for k in LISTS:
        if k in fields and fields[k] is None:
            fields[k] = []
    if "targets" in fields and fields["targets"] is None:
        fields["targets"] = {}
    if "kind" in fields:
        fields["kind"] = CampaignKind(fields["kind"]).value
    return fields


@router.post(
    "/v1/campaigns",
    status_code=201,
    response_model=CampaignOut,
    summary="发起专项整治: launch a campaign (a supervisor, for the bureau's leaders); the cases already reported "
    "in its period, categories and area are tagged at once",
)
async def launch_campaign(body: CampaignBody, principal: CampaignPlanner, service: ServiceDep):
    async with service.uow() as uow:
        row = await launch(uow, _fields(body), principal.subject)
    return CampaignOut.of(row)


@router.get(
    "/v1/campaigns", response_model=list[CampaignOut], summary="专项整治, newest first; a squad or an office its own"
)
async def list_campaigns(
    principal: CampaignReader,
    service: ServiceDep,
    status: Literal["running", "closed"] | None = None,
    on: Annotated[date | None, Query(description="those whose period holds this day")] = None,
):
    async with service.session_factory() as session:
        rows = await queries.campaigns(session, status=status, on=on)
    office = await _office(service, principal)
    return [CampaignOut.of(r) for r in rows if _sees(principal, r, office)]


async def _office(service, principal) -> tuple[list[str], str | None] | None:
    if principal.office_id is None:
        return None
    async with service.session_factory() as session:
        return await queries.office_area(session, principal.office_id)


def _sees(principal, row, office: tuple[list[str], str | None] | None) -> bool:
    """A squad sees the campaigns it takes part in (or with no squads named); an office those that
    name it, reach one of its grids, or cover the whole district."""
    if principal.squad_scope is not None:
        return not row.squads or principal.squad_scope in row.squads
    if office is not None:
        grids, name = office
        district = not (row.grids or row.area or row.streets or row.offices)
        return district or (name is not None and name in row.offices) or bool(set(grids) & set(row.grids))
    return True


async def _visible(service, campaign_id: str, principal):
    async with service.session_factory() as session:
        row = await queries.campaign(session, campaign_id)
    if row is None or not _sees(principal, row, await _office(service, principal)):
        raise NotFound(f"unknown campaign {campaign_id}")
    return row


@router.get("/v1/campaigns/{campaign_id}", response_model=CampaignOut, summary="a campaign")
async def get_campaign(campaign_id: str, principal: CampaignReader, service: ServiceDep):
    return CampaignOut.of(await _visible(service, campaign_id, principal))


@router.patch(
    "/v1/campaigns/{campaign_id}",
    response_model=CampaignOut,
    summary="change a campaign (its period, area, targets, ...); its cases are tagged again",
)
async def change_campaign(campaign_id: str, body: CampaignChange, principal: CampaignPlanner, service: ServiceDep):
    async with service.uow() as uow:
        row = await change(uow, campaign_id, _fields(body), body.version, principal.subject)
    return CampaignOut.of(row)


class CloseBody(BaseModel):
    summary: str = Field("", max_length=2000, description="收官小结")


@router.post("/v1/campaigns/{campaign_id}/close", response_model=CampaignOut, summary="收官: close a campaign")
async def close_campaign(campaign_id: str, body: CloseBody, principal: CampaignPlanner, service: ServiceDep):
    async with service.uow() as uow:
        row = await close(uow, campaign_id, body.summary, principal.subject)
    return CampaignOut.of(row)


class OperationBody(BaseModel):
    on: date = Field(description="the day of the action (Beijing)")
    place: str = Field(min_length=1, max_length=200, description="where: a road, a market, a site")
    squad_id: str | None = Field(None, max_length=64, description="the squad that led it (a squad leader: their own)")
    office: str | None = Field(None, max_length=100, description="the 办事处 that took part")
    officer_trips: int = Field(ge=0, le=100_000, description="出动人次")
    vehicle_trips: int = Field(0, ge=0, le=10_000, description="出动车次")
    partners: list[Name] = Field(default_factory=list, max_length=50, description="departments with it (公安, 交警)")
    counts: dict[str, float] = Field(
        default_factory=dict,
        description="what it achieved: " + ", ".join(f"{k} {v}" for k, v in CAMPAIGN_COUNTS.items()),
    )
    note: str | None = Field(None, max_length=2000)


class OperationOut(OperationBody):
    id: str
    campaign_id: str
    photos: list[str] = Field(description="the photos' sha256 (GET /v1/campaigns/{id}/photos/{sha256})")
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, op) -> OperationOut:
        fields = {k: getattr(op, k) for k in cls.model_fields if k != "photos"}
        return cls(**fields, photos=[p["sha256"] for p in op.photos])


@router.post(
    "/v1/campaigns/{campaign_id}/operations",
    status_code=201,
    response_model=OperationOut,
    openapi_extra=with_photos(OperationBody, "operation", "行动照片"),
    summary="记录一次行动: a day's action of the campaign with what it achieved (JSON, or multipart: `operation`, "
    "the same JSON, and `photos`)",
)
async def post_operation(campaign_id: str, request: Request, principal: CampaignRecorder, service: ServiceDep):
    body, photos = await body_and_photos(request, OperationBody, "operation photo", "operation")
    row = await _visible(service, campaign_id, principal)
    if principal.role == Role.squad_leader:
        if row.squads and principal.squad_id not in row.squads:
            raise Refused("your squad does not take part in this campaign")
        if body.squad_id not in (None, principal.squad_id):
            raise Refused("a squad leader records the actions of their own squad")
        body.squad_id = principal.squad_id
    if body.on > bureau_date(service.clock.now()):
        raise Unprocessable.field("on", f"{body.on} has not come yet")
    kept = await store_photos_under(service, f"campaigns/{row.id}", photos)
    async with service.uow() as uow:
        op = await record_operation(uow, row.id, body.model_dump(), kept, principal.subject)
    return OperationOut.of(op)


@router.get(
    "/v1/campaigns/{campaign_id}/operations",
    response_model=list[OperationOut],
    summary="the campaign's actions, by day",
)
async def list_operations(campaign_id: str, principal: CampaignReader, service: ServiceDep):
    row = await _visible(service, campaign_id, principal)
    async with service.session_factory() as session:
        return [OperationOut.of(op) for op in await queries.operations(session, row.id)]


class SectionBody(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="the road or section (路段)")
    phase: int = Field(1, ge=1, le=20, description="its phase (第一期 = 1)")
    standard: str = Field("", max_length=2000, description="the standard it must reach (达标标准)")
    starts_on: date
    ends_on: date


@router.post(
    "/v1/campaigns/{campaign_id}/sections",
    status_code=201,
    summary="a road or section of a 示范创建 (or of a phased clean-up), with its phase, standard and dates",
)
async def post_section(campaign_id: str, body: SectionBody, principal: CampaignPlanner, service: ServiceDep) -> dict:
    async with service.uow() as uow:
        return await add_section(uow, campaign_id, body.model_dump(), principal.subject)


class AcceptanceBody(BaseModel):
    passed: bool = Field(description="验收: passed (达标) or not")


@router.post(
    "/v1/campaigns/{campaign_id}/sections/{section_id}/acceptance",
    openapi_extra=with_photos(AcceptanceBody, "acceptance", "验收照片"),
    summary="验收: a section passed or not, by whom, with photos (JSON, or multipart: `acceptance` and `photos`)",
)
async def accept(campaign_id: str, section_id: str, request: Request, principal: CampaignPlanner, service: ServiceDep):
    body, photos = await body_and_photos(request, AcceptanceBody, "acceptance photo", "acceptance")
    row = await _visible(service, campaign_id, principal)
    kept = await store_photos_under(service, f"campaigns/{row.id}", photos)
    async with service.uow() as uow:
        section = await accept_section(uow, row.id, section_id, body.passed, kept, principal.subject)
    return {k: v for k, v in section.items() if k != "photos"}


@router.get(
    "/v1/campaigns/{campaign_id}/photos/{sha256}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
    summary="a photo of a campaign's action or acceptance",
)
async def campaign_photo(campaign_id: str, sha256: str, principal: CampaignReader, service: ServiceDep):
    row = await _visible(service, campaign_id, principal)
    async with service.session_factory() as session:
        ops = await queries.operations(session, row.id)
    kept = [p for op in ops for p in op.photos] + [p for s in row.sections for p in s.get("photos", [])]
    photo = next((p for p in kept if p["sha256"] == sha256), None)
    if photo is None:
        raise NotFound(f"no photo {sha256} in campaign {campaign_id}")
    return Response(
        await service.store.get(photo["object_key"]),
        media_type=photo["content_type"],
        headers={"Cache-Control": "private, max-age=86400"},
    )
