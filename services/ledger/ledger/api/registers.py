"""小广告号码追呼 (the flyer numbers) and the registers' figures."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel, Field

from common.access import sees_merchant_phone
from common.audiences import Clerk, Keeper, RegisterReader
from common.auth import Principal
from common.clock import bureau_date
from common.redaction import mask_phone
from common.refusals import Unprocessable
from ledger.api.deps import ServiceDep, not_found, store_photo
from ledger.domain.flyers import FlyerStatus
from ledger.handlers.registers import flyer_status, track_number
from ledger.queries import registers as rq

if TYPE_CHECKING:
    from ledger.tables import FlyerNumber

router = APIRouter(tags=["ledger 台账"])


class FlyerOut(BaseModel):
    id: str
    number: str = Field(description="whole for the register's keepers, else masked")
    status: str = Field(description="tracked 追呼中, stopped 已停止, fined 已处罚")
    fine_fen: int
    grid_id: str | None
    note: str | None
    photos: list[str]
    first_seen_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: FlyerNumber, principal: Principal) -> FlyerOut:
        return cls(
            id=r.id,
            number=r.number if sees_merchant_phone(principal) else mask_phone(r.number),
            status=r.status,
            fine_fen=r.fine_fen,
            grid_id=r.grid_id,
            note=r.note,
            photos=[f"/v1/flyer-numbers/{r.id}/photos/{i}" for i in range(len(r.photos))],
            first_seen_at=r.first_seen_at,
            updated_at=r.updated_at,
        )


@router.post(
    "/v1/flyer-numbers",
    status_code=201,
    response_model=FlyerOut,
    summary="小广告号码: a number seen on flyers, with photos of them (multipart); seen again, photos added",
)
async def add_number(
    principal: Clerk,
    service: ServiceDep,
    number: Annotated[str, Form(max_length=20)],
    grid_id: Annotated[str | None, Form(max_length=64)] = None,
    note: Annotated[str | None, Form(max_length=500)] = None,
    photos: Annotated[list[UploadFile] | None, File(description="up to 5")] = None,
):
    if len(photos or []) > 5:
        raise Unprocessable(f"at most 5 photos; {len(photos)} were sent")
    stored = [await store_photo(service, p, "flyers", f"flyer photo {i + 1}") for i, p in enumerate(photos or [])]
    async with service.uow() as uow:
        r = await track_number(uow, number, grid_id=grid_id, note=note, photos=stored, by=principal.subject)
    return FlyerOut.of(r, principal)


@router.get("/v1/flyer-numbers", response_model=list[FlyerOut])
async def numbers(principal: Keeper, service: ServiceDep, status: Literal[tuple(FlyerStatus)] | None = None):
    async with service.session_factory() as session:
        rows = await rq.flyer_numbers(session, status)
    return [FlyerOut.of(r, principal) for r in rows]


class FlyerStep(BaseModel):
    status: Literal["stopped", "fined"]
    fine_fen: int | None = Field(None, gt=0, description="the fine, in fen, when fined")
    note: str | None = Field(None, max_length=500)


@router.post(
    "/v1/flyer-numbers/{flyer_id}/status", response_model=FlyerOut, summary="tracked → stopped → fined (never back)"
)
async def step(flyer_id: str, body: FlyerStep, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        r = await flyer_status(uow, flyer_id, FlyerStatus(body.status), fine_fen=body.fine_fen, note=body.note)
    return FlyerOut.of(r, principal)


@router.get(
    "/v1/flyer-numbers/{flyer_id}/photos/{index}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
async def flyer_photo(flyer_id: str, index: int, principal: Keeper, service: ServiceDep):
    async with service.session_factory() as session:
        r = await rq.flyer_number(session, flyer_id)
    if r is None or not (0 <= index < len(r.photos)):
        raise not_found(f"photo {index} of flyer number {flyer_id}")
    photo = r.photos[index]
    return Response(
        await service.store.get(photo["key"]),
        media_type=photo["content_type"],
        headers={"Cache-Control": "private, max-age=86400"},
    )


@router.get(
    "/v1/ledger/figures",
    summary="the registers' figures today: the district's and each grid's (as told to "
    "reporting by LedgerFiguresReported)",
)
async def ledger_figures(principal: RegisterReader, service: ServiceDep) -> dict:
    async with service.session_factory() as session:
        found = await rq.figures(
            session,
            bureau_date(service.clock.now()),
            service.settings.letters,
            service.settings.cleaning,
            service.settings.dogs,
            service.settings.shelter_capacity,
        )
    return {area: f.model_dump() for area, f in sorted(found.items(), key=lambda kv: (kv[0] != "district", kv[0]))}


@router.get("/v1/ledger/grids", summary="the district's grids as ledger knows them (GridDefined), as GeoJSON")
async def ledger_grids(principal: RegisterReader, service: ServiceDep) -> dict:
    async with service.session_factory() as session:
        rows = await rq.grids(session)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": g.id,
                "geometry": g.geometry,
                "properties": {"grid_id": g.id, "name": g.name, "squad_id": g.squad_id, "squad_name": g.squad_name},
            }
            for g in rows
        ],
    }
