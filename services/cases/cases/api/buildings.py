"""违法建设台账 over HTTP: the register of illegal buildings, each entry opened by its case and moved by
the case's steps, or by an officer's record of a stage (制止, 责令停止, 限期拆除, 强制拆除, 补办手续) with its
photos and the areas measured."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from cases import queries
from cases.api.deps import ServiceDep, body_and_photos, store_photos_under, with_photos
from cases.domain.buildings import STAGE_NAMES, Stage
from cases.handlers.buildings import measure, record_stage
from common.audiences import BuildingKeeper, BuildingReader
from common.refusals import NotFound

router = APIRouter(tags=["illegal buildings 违法建设"])


class BuildingOut(BaseModel):
    id: str
    case_id: str
    case_number: str
    stage: Stage
    stage_name: str
    area_m2: float | None
    demolished_m2: float
    grid_id: str | None
    squad_id: str | None
    office: str | None = Field(description="the 办事处 of its grid")
    lon: float
    lat: float
    address: str | None
    stages: dict = Field(description="each stage reached: at, by, note, photos (sha256)")
    found_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, b) -> BuildingOut:
        stages = {k: {**v, "photos": [p["sha256"] for p in v.get("photos") or []]} for k, v in b.stages.items()}
        fields = {k: getattr(b, k) for k in cls.model_fields if k not in ("stage_name", "stages")}
        return cls(**fields, stage_name=STAGE_NAMES[b.stage], stages=stages)


@router.get(
    "/v1/illegal-buildings",
    response_model=list[BuildingOut],
    summary="违法建设台账; a squad its own, an office its area's",
)
async def list_buildings(
    principal: BuildingReader,
    service: ServiceDep,
    stage: Stage | None = None,
    office: Annotated[str | None, Query(max_length=100, description="办事处")] = None,
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    async with service.session_factory() as session:
        area = await queries.office_grids(session, principal.office_id)
        rows = await queries.buildings(
            session,
            grids=area,
            stage=stage.value if stage else None,
            office=office,
            grid_id=grid_id,
            squad_scope=principal.squad_scope,
            limit=limit,
            offset=offset,
        )
    return [BuildingOut.of(b) for b in rows]


async def _visible(service, building_id: str, principal):
    async with service.session_factory() as session:
        b = await queries.building(session, building_id)
        area = await queries.office_grids(session, principal.office_id)
    if (
        b is None
        or (principal.squad_scope is not None and b.squad_id != principal.squad_scope)
        or (area is not None and b.grid_id not in area)
    ):
        raise NotFound(f"unknown illegal building {building_id}")
    return b


@router.get("/v1/illegal-buildings/{building_id}", response_model=BuildingOut, summary="an illegal building")
async def get_building(building_id: str, principal: BuildingReader, service: ServiceDep):
    return BuildingOut.of(await _visible(service, building_id, principal))


class StageBody(BaseModel):
    stage: Stage = Field(
        description="the stage reached: stopped 制止, ordered_to_stop 责令停止, demolition_ordered 限期拆除, "
        "demolished 强制拆除, legalised 补办手续"
    )
    area_m2: float | None = Field(None, gt=0, le=1_000_000, description="the building's area as measured (m²)")
    demolished_m2: float | None = Field(None, gt=0, le=1_000_000, description="the area pulled down (m²)")
    note: str | None = Field(None, max_length=2000)


@router.post(
    "/v1/illegal-buildings/{building_id}/stages",
    response_model=BuildingOut,
    openapi_extra=with_photos(StageBody, "stage", "现场照片"),
    summary="a stage reached, with photos (JSON, or multipart: `stage`, the same JSON, and `photos`); forward only",
)
async def post_stage(building_id: str, request: Request, principal: BuildingKeeper, service: ServiceDep):
    body, photos = await body_and_photos(request, StageBody, "stage photo", "stage")
    b = await _visible(service, building_id, principal)
    kept = await store_photos_under(service, f"buildings/{b.id}", photos)
    async with service.uow() as uow:
        b = await record_stage(
            uow,
            b.id,
            body.stage,
            area_m2=body.area_m2,
            demolished_m2=body.demolished_m2,
            note=body.note,
            photos=kept,
            actor=principal.subject,
            squad_scope=principal.squad_scope,
        )
    return BuildingOut.of(b)


class AreaBody(BaseModel):
    area_m2: float = Field(gt=0, le=1_000_000, description="the building's area as measured (m²)")


@router.put("/v1/illegal-buildings/{building_id}/area", response_model=BuildingOut, summary="测量: its area")
async def put_area(building_id: str, body: AreaBody, principal: BuildingKeeper, service: ServiceDep):
    async with service.uow() as uow:
        b = await measure(uow, building_id, body.area_m2, principal.subject, principal.squad_scope)
    return BuildingOut.of(b)


@router.get(
    "/v1/illegal-buildings/{building_id}/photos/{sha256}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
    summary="a photo of a stage",
)
async def building_photo(building_id: str, sha256: str, principal: BuildingReader, service: ServiceDep):
    b = await _visible(service, building_id, principal)
    photo = next((p for v in b.stages.values() for p in v.get("photos") or [] if p["sha256"] == sha256), None)
    if photo is None:
        raise NotFound(f"no photo {sha256} of illegal building {building_id}")
    return Response(
        await service.store.get(photo["object_key"]),
        media_type=photo["content_type"],
        headers={"Cache-Control": "private, max-age=86400"},
    )
