"""餐饮油烟: purifiers, their cleaning, the catering places and their flags, inspection rounds."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from common.audiences import Clerk, FieldWorker, RegisterReader
from common.clock import bureau_date
from ledger.api.deps import ServiceDep, not_found, store_photo, visible_merchant
from ledger.handlers.catering import RESULTS, plan_round, record_cleaning, record_purifier, record_visit
from ledger.queries import catering as cq
from ledger.queries.catering import catering_places, round_progress

if TYPE_CHECKING:
    from ledger.tables import InspectionRound

router = APIRouter(tags=["ledger 台账"])


class PurifierIn(BaseModel):
    cooking_heads: float = Field(ge=1, le=100, description="基准灶头: 1-<3 small, 3-<6 medium, ≥6 large")
    model: str = Field(min_length=1, max_length=100)
    rated_efficiency: float = Field(gt=0, le=100, description="去除效率 %, as rated")
    installed_on: date


class PurifierOut(PurifierIn):
    merchant_id: str
    size_class: str
    required_efficiency: float = Field(description="what GB 18483-2001 requires of the place's size")
    below_required: bool
    last_cleaned_on: date | None
    cleaning_due: date | None
    cleaning_overdue: bool


async def _place(service, merchant_id: str):
    async with service.session_factory() as session:
        places = await catering_places(session, bureau_date(service.clock.now()), service.settings.cleaning)
    place = next((p for p in places if p.merchant.id == merchant_id), None)
    if place is None or place.purifier is None:
        raise not_found(f"a purifier of merchant {merchant_id}")
    p = place.purifier
    return PurifierOut(
        merchant_id=merchant_id,
        cooking_heads=place.merchant.cooking_heads,
        model=p.model,
        rated_efficiency=p.rated_efficiency,
        installed_on=p.installed_on,
        size_class=place.size,
        required_efficiency=place.required,
        below_required=place.below_required,
        last_cleaned_on=p.last_cleaned_on,
        cleaning_due=place.cleaning_due,
        cleaning_overdue=place.cleaning_overdue,
    )


@router.put(
    "/v1/merchants/{merchant_id}/purifier",
    response_model=PurifierOut,
    summary="油烟净化器: the place's cooking heads and its purifier (installed or replaced)",
)
async def put_purifier(merchant_id: str, body: PurifierIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        await record_purifier(uow, merchant_id, **body.model_dump())
    return await _place(service, merchant_id)


@router.get("/v1/merchants/{merchant_id}/purifier", response_model=PurifierOut)
async def get_purifier(merchant_id: str, principal: RegisterReader, service: ServiceDep):
    await visible_merchant(service, merchant_id, principal)
    return await _place(service, merchant_id)


class CleaningIn(BaseModel):
    cleaned_on: date
    note: str | None = Field(None, max_length=500)


@router.post(
    "/v1/merchants/{merchant_id}/purifier/cleanings",
    response_model=PurifierOut,
    status_code=201,
    summary="a cleaning of the purifier (清洗)",
)
async def add_cleaning(merchant_id: str, body: CleaningIn, principal: FieldWorker, service: ServiceDep):
    await visible_merchant(service, merchant_id, principal)
    async with service.uow() as uow:
        await record_cleaning(uow, merchant_id, cleaned_on=body.cleaned_on, by=principal.subject, note=body.note)
    return await _place(service, merchant_id)


class CateringRow(BaseModel):
    merchant_id: str
    name: str
    address: str
    grid_id: str | None
    cooking_heads: float | None
    size_class: str | None = Field(description="small 小型, medium 中型, large 大型")
    purifier: bool
    rated_efficiency: float | None
    required_efficiency: float | None
    below_required: bool
    cleaning_due: date | None
    cleaning_overdue: bool


@router.get(
    "/v1/catering",
    response_model=list[CateringRow],
    summary="餐饮: the catering places and their purifiers; flag= lists those below the required "
    "efficiency, overdue for cleaning, or without a purifier",
)
async def catering(
    principal: RegisterReader,
    service: ServiceDep,
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
    flag: Literal["below_required", "cleaning_overdue", "no_purifier"] | None = None,
):
    async with service.session_factory() as session:
        places = await catering_places(
            session, bureau_date(service.clock.now()), service.settings.cleaning, grid_id, principal.squad_scope
        )
    wanted = {
        "below_required": lambda p: p.below_required,
        "cleaning_overdue": lambda p: p.cleaning_overdue,
        "no_purifier": lambda p: p.purifier is None,
    }.get(flag, lambda p: True)
    return [
        CateringRow(
            merchant_id=p.merchant.id,
            name=p.merchant.name,
            address=p.merchant.address,
            grid_id=p.merchant.grid_id,
            cooking_heads=p.merchant.cooking_heads,
            size_class=p.size,
            purifier=p.purifier is not None,
            rated_efficiency=p.purifier and p.purifier.rated_efficiency,
            required_efficiency=p.required,
            below_required=p.below_required,
            cleaning_due=p.cleaning_due,
            cleaning_overdue=p.cleaning_overdue,
        )
        for p in places
        if wanted(p)
    ]


class RoundIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="第二轮油烟净化设施检查")
    starts_on: date
    ends_on: date
    grid_ids: list[str] | None = Field(None, max_length=100, description="default: every grid")


class RoundOut(BaseModel):
    id: str
    name: str
    starts_on: date
    ends_on: date
    planned: int
    visited: int
    left: int
    results: dict[str, int] = Field(description="compliant 合格, non_compliant 不合格, closed 停业")


async def _round(service, r: InspectionRound) -> RoundOut:
    async with service.session_factory() as session:
        progress = await round_progress(session, r.id)
    return RoundOut(id=r.id, name=r.name, starts_on=r.starts_on, ends_on=r.ends_on, **progress)


@router.post(
    "/v1/inspection-rounds",
    status_code=201,
    response_model=RoundOut,
    summary="an inspection round of the catering places still trading",
)
async def new_round(body: RoundIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        r = await plan_round(
            uow,
            name=body.name,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            grid_ids=body.grid_ids,
            by=principal.subject,
        )
    return await _round(service, r)


@router.get("/v1/inspection-rounds", response_model=list[RoundOut])
async def rounds(principal: RegisterReader, service: ServiceDep):
    async with service.session_factory() as session:
        rows = await cq.rounds(session)
    return [await _round(service, r) for r in rows]


@router.get("/v1/inspection-rounds/{round_id}", summary="a round's progress and the places left (a squad: its own)")
async def one_round(round_id: str, principal: RegisterReader, service: ServiceDep) -> dict:
    async with service.session_factory() as session:
        r = await cq.inspection_round(session, round_id)
        if r is None:
            raise not_found(f"inspection round {round_id}")
        visits = await cq.round_visits(session, round_id, principal.squad_scope)
    return {
        **(await _round(service, r)).model_dump(mode="json"),
        "places": [
            {
                "merchant_id": m.id,
                "name": m.name,
                "address": m.address,
                "grid_id": m.grid_id,
                "result": v.result,
                "visited_at": v.visited_at,
                "note": v.note,
            }
            for v, m in visits
        ],
    }


@router.post(
    "/v1/inspection-rounds/{round_id}/visits",
    status_code=201,
    summary="a visit of the round: result and photo (multipart); a squad records its own places",
)
async def visit(
    round_id: str,
    principal: FieldWorker,
    service: ServiceDep,
    merchant_id: Annotated[str, Form(max_length=36)],
    result: Annotated[Literal[tuple(RESULTS)], Form(description="compliant 合格, non_compliant 不合格, closed 停业")],
    note: Annotated[str | None, Form(max_length=500)] = None,
    photo: Annotated[UploadFile | None, File()] = None,
) -> dict:
    stored = await store_photo(service, photo, f"rounds/{round_id}", "visit photo")
    async with service.uow() as uow:
        await record_visit(
            uow,
            round_id,
            merchant_id,
            result=result,
            note=note,
            photo=stored,
            by=principal.subject,
            squad_scope=principal.squad_scope,
        )
    async with service.session_factory() as session:
        return await round_progress(session, round_id)
