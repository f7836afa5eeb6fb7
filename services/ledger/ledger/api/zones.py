"""禁犬区 over HTTP: the no-dog zones, drawn by the admin, read by those who read the registers (and
the partner systems that judge the dog tags)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from common.audiences import Admin, LicenceFinder
from common.refusals import NotFound
from ledger.api.deps import ServiceDep
from ledger.domain.zones import NAMES, ZoneKind
from ledger.handlers.zones import put_zone, zone, zones

router = APIRouter(tags=["dogs 养犬登记"])
Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", description="the zone's id")]


class ZoneIn(BaseModel):
    name: str = Field(min_length=2, max_length=100, description="e.g. 汝河路小学")
    kind: ZoneKind = Field(description="school 学校, park 公园, hospital 医院, square 广场, market 集市, other")
    polygon: dict = Field(description="a GeoJSON Polygon in WGS84 (closed rings of [lon, lat])")
    status: Literal["active", "retired"] = "active"


class ZoneOut(ZoneIn):
    id: str
    kind_name: str
    version: int
    updated_by: str
    updated_at: datetime


def _out(z) -> ZoneOut:
    return ZoneOut(
        id=z.id,
        name=z.name,
        kind=z.kind,
        kind_name=NAMES[z.kind],
        polygon=z.polygon,
        status=z.status,
        version=z.version,
        updated_by=z.updated_by,
        updated_at=z.updated_at,
    )


@router.put("/v1/dog-zones/{zone_id}", response_model=ZoneOut, summary="禁犬区: a no-dog zone, whole (admin)")
async def define_zone(zone_id: Id, body: ZoneIn, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        row = await put_zone(uow, zone_id, body.model_dump(mode="json"), principal.subject)
    service.watched.forget()  # the readings are judged by the register as it is now
    return _out(row)


@router.get("/v1/dog-zones", response_model=list[ZoneOut], summary="禁犬区: the no-dog zones")
async def list_zones(principal: LicenceFinder, service: ServiceDep, kind: ZoneKind | None = None):
    async with service.session_factory() as session:
        return [_out(z) for z in await zones(session, kind)]


@router.get("/v1/dog-zones/{zone_id}", response_model=ZoneOut, summary="a no-dog zone")
async def one_zone(zone_id: Id, principal: LicenceFinder, service: ServiceDep):
    async with service.session_factory() as session:
        found = await zone(session, zone_id)
    if found is None:
        raise NotFound(f"no dog zone {zone_id}")
    return _out(found)
