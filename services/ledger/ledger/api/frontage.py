"""A shop's front: storefront sign records (门头牌匾) and 门前三包 letters, the letters due for
renewal per grid, and the letters' coverage per grid and for the district."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from common.audiences import Clerk, FieldWorker, Keeper, RegisterReader
from common.clock import bureau_date
from ledger.api.deps import ServiceDep, not_found, store_photo, store_scan, visible_merchant
from ledger.handlers.frontage import record_sign, sign_fixed, sign_letter
from ledger.queries import frontage as fq
from ledger.queries.frontage import letter_coverage, letters_due

if TYPE_CHECKING:
    from ledger.tables import SignRecord

router = APIRouter(tags=["ledger 台账"])


class SignOut(BaseModel):
    id: str
    merchant_id: str
    width_m: float
    height_m: float
    approved: bool
    problems: list[str]
    photo: str | None
    fixed_at: datetime | None = None


def _sign(r: SignRecord) -> SignOut:
    return SignOut(
        id=r.id,
        merchant_id=r.merchant_id,
        width_m=r.width_m,
        height_m=r.height_m,
        approved=r.approved,
        problems=r.problems,
        fixed_at=r.fixed_at,
        photo=f"/v1/merchants/{r.merchant_id}/signs/{r.id}/photo" if r.photo_key else None,
    )


@router.post(
    "/v1/merchants/{merchant_id}/signs",
    status_code=201,
    response_model=SignOut,
    summary="门头牌匾: a storefront sign as surveyed (multipart: size, approval, problems, photo)",
)
async def add_sign(
    merchant_id: str,
    principal: FieldWorker,
    service: ServiceDep,
    width_m: Annotated[float, Form(gt=0, le=100)],
    height_m: Annotated[float, Form(gt=0, le=50)],
    approved: Annotated[bool, Form(description="设置审批")],
    problems: Annotated[list[str] | None, Form(description="问题, one per field: 破损, 未审批, ...")] = None,
    photo: Annotated[UploadFile | None, File()] = None,
):
    await visible_merchant(service, merchant_id, principal)
    stored = await store_photo(service, photo, f"signs/{merchant_id}", "sign photo")
    async with service.uow() as uow:
        r = await record_sign(
            uow,
            merchant_id,
            width_m=width_m,
            height_m=height_m,
            approved=approved,
            problems=[p.strip()[:200] for p in problems or [] if p.strip()][:20],
            photo=stored,
            by=principal.subject,
        )
    return _sign(r)


@router.post(
    "/v1/merchants/{merchant_id}/signs/{record_id}/fixed",
    response_model=SignOut,
    summary="the sign's problems fixed (已整改)",
)
async def fix_sign(merchant_id: str, record_id: str, principal: FieldWorker, service: ServiceDep):
    await visible_merchant(service, merchant_id, principal)
    async with service.uow() as uow:
        r = await sign_fixed(uow, merchant_id, record_id, principal.subject)
    return _sign(r)


@router.get(
    "/v1/merchants/{merchant_id}/signs/{record_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
async def sign_photo(merchant_id: str, record_id: str, principal: RegisterReader, service: ServiceDep):
    await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        r = await fq.sign_record(session, record_id)
    if r is None or r.merchant_id != merchant_id or not r.photo_key:
        raise not_found(f"a photo of sign record {record_id}")
    return Response(
        await service.store.get(r.photo_key),
        media_type=r.photo_type,
        headers={"Cache-Control": "private, max-age=86400"},
    )


class LetterOut(BaseModel):
    id: str
    merchant_id: str
    office: str
    area: str
    signed_on: date
    valid_until: date = Field(description="the day it lapses")
    scan: str | None


def _letter(r) -> LetterOut:
    return LetterOut(
        id=r.id,
        merchant_id=r.merchant_id,
        office=r.office,
        area=r.area,
        signed_on=r.signed_on,
        valid_until=r.valid_until,
        scan=f"/v1/merchants/{r.merchant_id}/letters/{r.id}/scan" if r.scan_key else None,
    )


@router.post(
    "/v1/merchants/{merchant_id}/letters",
    status_code=201,
    response_model=LetterOut,
    summary="门前三包责任书 signed (multipart: the other party, the date, the area, the scan of the paper)",
)
async def add_letter(
    merchant_id: str,
    principal: Clerk,
    service: ServiceDep,
    office: Annotated[str, Form(min_length=1, max_length=100, description="街道办事处 or the bureau")],
    signed_on: Annotated[date, Form()],
    area: Annotated[str | None, Form(max_length=500, description="default: wall base to kerb")] = None,
    scan: Annotated[UploadFile | None, File(description="the signed paper: PDF or a photo")] = None,
):
    await visible_merchant(service, merchant_id, principal)
    stored = await store_scan(service, scan, f"letters/{merchant_id}")
    async with service.uow() as uow:
        r = await sign_letter(
            uow,
            merchant_id,
            office=office,
            signed_on=signed_on,
            area=area,
            scan=stored,
            by=principal.subject,
            rule=service.settings.letters,
        )
    return _letter(r)


@router.get("/v1/merchants/{merchant_id}/letters", response_model=list[LetterOut])
async def list_letters(merchant_id: str, principal: RegisterReader, service: ServiceDep):
    await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        rows = await fq.letters(session, merchant_id)
    return [_letter(r) for r in rows]


@router.get(
    "/v1/merchants/{merchant_id}/letters/{letter_id}/scan",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}}}},
)
async def letter_scan(merchant_id: str, letter_id: str, principal: RegisterReader, service: ServiceDep):
    await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        r = await fq.letter(session, letter_id)
    if r is None or r.merchant_id != merchant_id or not r.scan_key:
        raise not_found(f"a scan of letter {letter_id}")
    return Response(
        await service.store.get(r.scan_key), media_type=r.scan_type, headers={"Cache-Control": "private, max-age=86400"}
    )


@router.get("/v1/letters/due", summary="letters due for renewal (in their last days) and expired ones, per grid")
async def due(
    principal: Keeper, service: ServiceDep, grid_id: Annotated[str | None, Query(max_length=64)] = None
) -> list[dict]:
    async with service.session_factory() as session:
        return await letters_due(session, bureau_date(service.clock.now()), service.settings.letters, grid_id)


@router.get(
    "/v1/letters/coverage",
    summary="门前三包 coverage: shops with a letter in force ÷ shops, per grid and for the district",
)
async def coverage(principal: Keeper, service: ServiceDep) -> list[dict]:
    async with service.session_factory() as session:
        return await letter_coverage(session, bureau_date(service.clock.now()), service.settings.letters)
