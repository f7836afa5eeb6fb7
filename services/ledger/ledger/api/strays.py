"""Strays and the shelter (收容): a capture with the chip or tag scanned (the licence found, its owner
told), the shelter's care, a claim within the claim days with the costs paid, quarantine, adoption
(the adopter's new licence), and the shelter's capacity in use."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from common.audiences import Clerk, FieldWorker, RegisterReader
from common.clock import bureau_date
from common.messaging.contracts import Location
from ledger.api.deps import ServiceDep, not_found, store_photo
from ledger.api.licences import DogIn, OwnerIn, RabiesIn, context
from ledger.handlers import strays
from ledger.queries import dogs as dq

if TYPE_CHECKING:
    from ledger.tables import Stray

router = APIRouter(tags=["ledger 养犬登记"])


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
            care = [
                {"kind": c.kind, "note": c.note, "cost_fen": c.cost_fen, "by": c.by, "at": c.at}
                for c in await dq.care(session, s.id)
            ]
            if s.status == strays.SHELTERED:
                costs = await strays.costs_due(session, s, service.settings.shelter_daily_fee_fen, today)
    return StrayOut(
        id=s.id,
        number=s.number,
        status=s.status,
        phase=None if s.status != strays.SHELTERED else ("quarantine" if today < s.quarantine_until else "kept"),
        captured_at=s.captured_at,
        location=Location(lon=s.lon, lat=s.lat),
        grid_id=s.grid_id,
        captured_by=s.captured_by,
        breed=s.breed,
        size=s.size,
        colour=s.colour,
        chip=s.chip,
        tag_id=s.tag_id,
        licence_id=s.licence_id,
        quarantine_until=s.quarantine_until,
        claim_until=s.claim_until,
        costs_due_fen=costs,
        adopted_licence_id=s.adopted_licence_id,
        photo=f"/v1/strays/{s.id}/photo" if s.photo_key else None,
        care=care,
    )


@router.post(
    "/v1/strays",
    status_code=201,
    response_model=StrayOut,
    summary="抓捕流浪犬: a capture (multipart: where, when, photo, the chip or tag scanned)",
)
async def capture(
    principal: FieldWorker,
    service: ServiceDep,
    lon: Annotated[float, Form(ge=73, le=136)],
    lat: Annotated[float, Form(ge=3, le=54)],
    captured_at: Annotated[datetime | None, Form()] = None,
    chip: Annotated[str | None, Form(max_length=20)] = None,
    tag_id: Annotated[str | None, Form(max_length=32)] = None,
    breed: Annotated[str | None, Form(max_length=50)] = None,
    size: Annotated[Literal["small", "medium", "large"] | None, Form()] = None,
    colour: Annotated[str | None, Form(max_length=30)] = None,
    note: Annotated[str | None, Form(max_length=500)] = None,
    photo: Annotated[UploadFile | None, File()] = None,
):
    stored = await store_photo(service, photo, "strays", "capture photo")
    async with service.uow() as uow:
        seen = strays.Capture(
            lon=lon,
            lat=lat,
            captured_at=captured_at or service.clock.now(),
            chip=chip or None,
            tag_id=tag_id or None,
            breed=breed,
            size=size,
            colour=colour,
            note=note,
        )
        s = await strays.capture(
            uow, seen, context(service, principal), (stored.key, stored.content_type) if stored else None
        )
    return await _stray_out(service, s, detail=True)


@router.get("/v1/strays", response_model=list[StrayOut])
async def stray_list(
    principal: RegisterReader,
    service: ServiceDep,
    status_: Annotated[Literal["sheltered", "claimed", "adopted", "dead"] | None, Query(alias="status")] = "sheltered",
):
    async with service.session_factory() as session:
        rows = await dq.strays(session, status_)
    return [await _stray_out(service, s) for s in rows]


@router.get("/v1/shelter", summary="收容所: capacity in use")
async def shelter(principal: RegisterReader, service: ServiceDep) -> dict:
    today = bureau_date(service.clock.now())
    async with service.session_factory() as session:
        rows = await dq.strays(session, strays.SHELTERED)
    capacity = service.settings.shelter_capacity
    quarantine = sum(1 for s in rows if today < s.quarantine_until)
    adoptable = sum(1 for s in rows if today >= s.quarantine_until and (not s.licence_id or today > s.claim_until))
    return {
        "capacity": capacity,
        "in_use": len(rows),
        "in_quarantine": quarantine,
        "adoptable": adoptable,
        "use": round(len(rows) / capacity, 3),
    }


async def _stray(service, stray_id: str) -> Stray:
    async with service.session_factory() as session:
        s = await dq.stray(session, stray_id)
    if s is None:
        raise not_found(f"stray {stray_id}")
    return s


@router.get("/v1/strays/{stray_id}", response_model=StrayOut)
async def stray(stray_id: str, principal: RegisterReader, service: ServiceDep):
    return await _stray_out(service, await _stray(service, stray_id), detail=True)


@router.get("/v1/strays/{stray_id}/photo", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
async def stray_photo(stray_id: str, principal: RegisterReader, service: ServiceDep):
    s = await _stray(service, stray_id)
    if not s.photo_key:
        raise not_found(f"a photo of stray {stray_id}")
    return Response(
        await service.store.get(s.photo_key),
        media_type=s.photo_type,
        headers={"Cache-Control": "private, max-age=86400"},
    )


class CareIn(BaseModel):
    kind: Literal["treatment", "check", "note"]
    note: str = Field(min_length=1, max_length=500)
    cost_fen: int = Field(0, ge=0)


@router.post(
    "/v1/strays/{stray_id}/care",
    response_model=StrayOut,
    status_code=201,
    summary="the shelter's care: a treatment, a check, a note (with its cost)",
)
async def add_care(stray_id: str, body: CareIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        await strays.care(uow, stray_id, kind=body.kind, note=body.note, cost_fen=body.cost_fen, by=principal.subject)
    return await _stray_out(service, await _stray(service, stray_id), detail=True)


class ClaimIn(BaseModel):
    paid_fen: int = Field(ge=0, description="the costs paid (at least what GET shows as costs_due_fen)")
    licence_id: str | None = Field(
        None, max_length=36, description="for a dog found without a licence: the one its owner registered it under now"
    )


@router.post("/v1/strays/{stray_id}/claim", response_model=StrayOut, summary="认领 by the owner, within the claim days")
async def claim(stray_id: str, body: ClaimIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        await strays.claim(
            uow,
            stray_id,
            licence_id=body.licence_id,
            paid_fen=body.paid_fen,
            daily_fee_fen=service.settings.shelter_daily_fee_fen,
            by=principal.subject,
        )
    return await _stray_out(service, await _stray(service, stray_id), detail=True)


class AdoptIn(BaseModel):
    owner: OwnerIn
    dog: DogIn = Field(description="the dog as the adopter registers it (name, breed, sex, an estimated birth date)")
    rabies: RabiesIn


@router.post(
    "/v1/strays/{stray_id}/adopt",
    response_model=StrayOut,
    summary="领养: after quarantine (and the owner's claim days); the adopter's new licence is issued",
)
async def adopt(stray_id: str, body: AdoptIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        await strays.adopt(
            uow, stray_id, body.owner.owner(), body.dog.dog(), body.rabies.rabies(), context(service, principal)
        )
    return await _stray_out(service, await _stray(service, stray_id), detail=True)


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=500)


@router.post("/v1/strays/{stray_id}/died", response_model=StrayOut)
async def stray_died(stray_id: str, body: NoteIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        await strays.died(uow, stray_id, body.note, principal.subject)
    return await _stray_out(service, await _stray(service, stray_id))
