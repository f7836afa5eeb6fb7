"""`/v1/merchants/{id}/persuasions`: 劝导 recorded in the street (the field app, 城管通), each with
its photo and place, and the merchant's own list of them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

from common.audiences import FieldWorker, RegisterReader
from common.messaging.contracts import Location
from common.refusals import Unprocessable
from ledger.api.deps import ServiceDep, store_photo, visible_merchant
from ledger.handlers.persuasions import Persuade, persuade
from ledger.queries import merchants as mq

if TYPE_CHECKING:
    from ledger.tables import Persuasion

router = APIRouter(tags=["ledger 台账"])
MAX_PHOTOS = 3


class PersuasionOut(BaseModel):
    id: str
    merchant_id: str
    category: str
    squad_id: str | None
    officer_id: str
    note: str | None
    location: Location | None
    photos: int
    persuaded_at: datetime

    @classmethod
    def of(cls, r: Persuasion) -> PersuasionOut:
        return cls(
            id=r.id,
            merchant_id=r.merchant_id,
            category=r.category_code,
            squad_id=r.squad_id,
            officer_id=r.officer_id,
            note=r.note,
            location=Location(lon=r.lon, lat=r.lat) if r.lon is not None and r.lat is not None else None,
            photos=len(r.photos),
            persuaded_at=r.persuaded_at,
        )


@router.post(
    "/v1/merchants/{merchant_id}/persuasions",
    status_code=201,
    response_model=PersuasionOut,
    summary="劝导: a violation stopped on the spot by persuasion, no case opened (multipart, with photos)",
)
async def record_persuasion(
    merchant_id: str,
    principal: FieldWorker,
    service: ServiceDep,
    category: Annotated[str, Form(min_length=1, max_length=64, description="服务目录 code of what was stopped")],
    note: Annotated[str | None, Form(max_length=500)] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    photos: Annotated[list[UploadFile] | None, File(description=f"at most {MAX_PHOTOS}")] = None,
):
    await visible_merchant(service, merchant_id, principal)
    if (lon is None) != (lat is None):
        raise Unprocessable.field("lon", "lon and lat come together (the device's GPS point), or neither")
    if len(photos or []) > MAX_PHOTOS:
        raise Unprocessable.field("photos", f"at most {MAX_PHOTOS} photos; {len(photos or [])} were sent")
    stored = [await store_photo(service, p, "persuasions", f"photo {i + 1}") for i, p in enumerate(photos or [])]
    async with service.uow() as uow:
        row = await persuade(
            uow,
            Persuade(
                merchant_id=merchant_id,
                category_code=category,
                officer_id=principal.subject,
                squad_id=principal.squad_id,
                note=note,
                location=Location(lon=lon, lat=lat) if lon is not None and lat is not None else None,
                photos=tuple(p for p in stored if p is not None),
            ),
        )
    return PersuasionOut.of(row)


@router.get(
    "/v1/merchants/{merchant_id}/persuasions",
    response_model=list[PersuasionOut],
    summary="the 劝导 recorded at a merchant, newest first",
)
async def list_persuasions(merchant_id: str, principal: RegisterReader, service: ServiceDep):
    await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        rows = await mq.persuasions(session, merchant_id)
    return [PersuasionOut.of(r) for r in rows]
