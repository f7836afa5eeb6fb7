"""`/v1/merchants`: the register itself: register, change, search (near a point too), the survey
import and export, the merchant's page, its card and its letter as PDFs."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from common.access import keeps_register, sees_hardship, sees_merchant_phone
from common.audiences import Clerk, Keeper, RegisterReader
from common.auth import Principal
from common.clock import bureau_date
from common.messaging.contracts import Location
from common.redaction import mask_name, mask_phone
from ledger.adapters.documents import CardFacts, LetterFacts, render_card, render_letter
from ledger.adapters.survey_files import ReadLimits, read_rows, write_rows
from ledger.api.deps import ServiceDep, not_found
from ledger.domain.colour import Colour
from ledger.domain.letters import DEFAULT_AREA
from ledger.domain.merchant import BUSINESS_NATURES, RowRefused, checked
from ledger.handlers.merchants import import_survey, register_merchant, update_merchant
from ledger.handlers.registers import record_hardship
from ledger.queries import merchants as mq
from ledger.queries.frontage import letter_of, letter_status
from ledger.queries.merchants import MerchantQuery, parse_near, search_merchants

if TYPE_CHECKING:
    from ledger.tables import Merchant

router = APIRouter(tags=["ledger 台账"])
ColourName = Literal["blue", "yellow", "orange", "red"]
Nature = Literal[tuple(BUSINESS_NATURES)]


class MerchantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="店名")
    sign: str | None = Field(None, max_length=200, description="门头 (the words on the sign)")
    operator: str = Field(min_length=1, max_length=100, description="经营者")
    phone: str | None = Field(None, max_length=20, description="联系电话: kept by the ledger, masked elsewhere")
    address: str = Field(min_length=1, max_length=300)
    business_nature: str = Field(
        min_length=1,
        max_length=100,
        description="经营性质: a code or its name: " + ", ".join(f"{c} {n}" for c, n in BUSINESS_NATURES.items()),
    )
    location: Location | None = Field(None, description="WGS84; the grid and its squad are derived from it")
    credit_code: str | None = Field(None, max_length=30, description="统一社会信用代码 (GB 32100-2015)")
    tools: list[str] = Field(default_factory=list, max_length=20, description="经营工具, for seizures")
    opened_on: date | None = None
    stall: bool = Field(False, description="摊贩: a vendor without a shop")


class MerchantPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    sign: str | None = Field(None, max_length=200)
    operator: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, min_length=1, max_length=300)
    business_nature: str | None = Field(None, max_length=100)
    location: Location | None = None
    credit_code: str | None = Field(None, max_length=30)
    tools: list[str] | None = Field(None, max_length=20)
    opened_on: date | None = None
    stall: bool | None = None
    closed: bool | None = Field(None, description="注销: no longer trading")


class MerchantOut(BaseModel):
    id: str
    name: str
    sign: str | None
    operator: str = Field(description="经营者: in a list, masked (王**) but for the register's keepers")
    phone: str | None = Field(description="whole for the register's keepers, else masked (138****5678)")
    address: str
    location: Location | None
    grid_id: str | None
    squad_id: str | None
    business_nature: str
    credit_code: str | None
    tools: list[str]
    opened_on: date | None
    stall: bool
    closed: bool
    colour: ColourName = Field(description="一卡四色: blue 蓝, yellow 黄, orange 橙, red 红")
    colour_since: datetime
    violations: dict[str, int] = Field(description="violations per category since the merchant was last blue")
    card_code: str | None = Field(description="the card in force; its QR code opens /m/{card_code}")
    cooking_heads: float | None
    distance_m: float | None = Field(None, description="with near=: metres from that point")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls, m: Merchant, principal: Principal, distance_m: float | None = None, listed: bool = False
    ) -> MerchantOut:
        """`listed`: one of a list, which is for finding the shop (common.access)."""
        phone = m.phone if m.phone is None or sees_merchant_phone(principal) else mask_phone(m.phone)
        operator = mask_name(m.operator) if listed and not keeps_register(principal) else m.operator
        return cls(
            id=m.id,
            name=m.name,
            sign=m.sign,
            operator=operator,
            phone=phone,
            address=m.address,
            location=Location(lon=m.lon, lat=m.lat) if m.lon is not None else None,
            grid_id=m.grid_id,
            squad_id=m.squad_id,
            business_nature=m.business_nature,
            credit_code=m.credit_code,
            tools=m.tools,
            opened_on=m.opened_on,
            stall=m.stall,
            closed=m.closed,
            colour=m.colour,
            colour_since=m.colour_since,
            violations=m.violations,
            card_code=m.card_code,
            cooking_heads=m.cooking_heads,
            distance_m=distance_m,
            created_at=m.created_at,
            updated_at=m.updated_at,
        )


class ColourStep(BaseModel):
    previous: str
    current: str
    reason: str = Field(description="violation, enforcement:<step>, recovery, yearly_reset")
    case_id: str | None
    category_code: str | None
    at: datetime


class CaseSeen(BaseModel):
    case_id: str
    case_number: str
    category_code: str
    squad_id: str | None
    outcome: str | None
    last_step: str | None = Field(description="the enforcement track's latest step")
    first_seen_at: datetime
    closed_at: datetime | None


class MerchantPage(MerchantOut):
    grid_name: str | None
    assisted: bool = Field(description="帮扶对象: a hardship household (details: GET .../hardship, keepers only)")
    colour_history: list[ColourStep]
    cases: list[CaseSeen] = Field(description="from case events: category, date, outcome, squad")
    letter: dict | None = Field(description="门前三包 letter in force, and its status")
    signs: list[dict]
    purifier: dict | None


def _fields(body: MerchantIn):
    return checked(
        name=body.name,
        operator=body.operator,
        address=body.address,
        business_nature_value=body.business_nature,
        lon=body.location.lon if body.location else None,
        lat=body.location.lat if body.location else None,
        sign=body.sign,
        phone=body.phone,
        credit_code=body.credit_code,
        tools=body.tools,
        opened_on=body.opened_on,
        stall=body.stall,
    )


async def visible_merchant(service, merchant_id: str, principal: Principal) -> Merchant:
    """The merchant, if this person may see it: a squad's people see their own squad's area."""
    async with service.session_factory() as session:
        m = await mq.merchant(session, merchant_id)
    if m is None or (principal.squad_scope is not None and m.squad_id != principal.squad_scope):
        raise not_found(f"merchant {merchant_id}")
    return m


@router.post(
    "/v1/merchants",
    status_code=201,
    response_model=MerchantOut,
    summary="登记商户 (409 when the register holds the shop already, with its id)",
)
async def create_merchant(body: MerchantIn, principal: Clerk, service: ServiceDep):
    fields = _fields(body)
    async with service.uow() as uow:
        m = await register_merchant(uow, fields)
    return MerchantOut.of(m, principal)


@router.get(
    "/v1/merchants",
    response_model=list[MerchantOut],
    summary="查询商户: by name, operator, credit code, colour, grid, business nature, or near a point",
)
async def list_merchants(
    principal: RegisterReader,
    service: ServiceDep,
    q: Annotated[str | None, Query(max_length=100, description="店名, 门头 or address")] = None,
    operator: Annotated[str | None, Query(max_length=100)] = None,
    credit_code: Annotated[str | None, Query(max_length=30)] = None,
    colour: ColourName | None = None,
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
    business_nature: Nature | None = None,
    stall: bool | None = None,
    closed: bool = False,
    near: Annotated[
        str | None, Query(max_length=60, description="lon,lat (WGS84): the merchants within radius_m, nearest first")
    ] = None,
    radius_m: Annotated[float, Query(gt=0, le=5000)] = 200,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    mq = MerchantQuery(
        q=q,
        operator=operator,
        credit_code=credit_code,
        colour=colour,
        grid_id=grid_id,
        business_nature=business_nature,
        stall=stall,
        closed=closed,
        near=parse_near(near, radius_m) if near else None,
        squad_scope=principal.squad_scope,
        limit=limit,
        offset=offset,
    )
    async with service.session_factory() as session:
        rows = await search_merchants(session, mq)
    return [MerchantOut.of(m, principal, d, listed=True) for m, d in rows]


@router.post(
    "/v1/merchants/import",
    summary="摸底 survey import: a CSV or XLSX file (field `file`), every row checked",
    description="The header row names the columns `name, sign, operator, phone, address, lon, lat, "
    "business_nature, credit_code` (or 店名, 门头, 经营者, 联系电话, 地址, 经度, 纬度, 经营性质, "
    "统一社会信用代码). A shop the register holds (the same credit code, or the same name at the "
    "same address) is brought up to date, so the same file twice changes nothing. Answers "
    '`{"accepted": n, "rejected": [{"row": i, "errors": [...]}]}` (rows numbered as the '
    "spreadsheet numbers them: the header is row 1), with `created`, `updated`, `unchanged`.",
)
async def import_merchants(
    principal: Clerk,
    service: ServiceDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX")],
):
    data = await file.read()
    limits = ReadLimits(max_rows=service.settings.import_max_rows, seconds=service.settings.import_max_seconds)
    # openpyxl and csv block: read in a worker thread, within the time limit (413 or 422 naming why)
    rows = [(n, _survey_row(raw)) for n, raw in await asyncio.to_thread(read_rows, file.filename, data, limits)]
    async with service.uow() as uow:
        report = await import_survey(uow, rows)
    return {
        "accepted": report.accepted,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
    }


def _text(value) -> str | None:
    """A cell as text: a number Excel stored for a phone or a code loses its `.0`."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _survey_row(raw: dict):
    try:
        return checked(
            name=_text(raw.get("name")),
            operator=_text(raw.get("operator")),
            address=_text(raw.get("address")),
            business_nature_value=_text(raw.get("business_nature")),
            lon=raw.get("lon"),
            lat=raw.get("lat"),
            sign=_text(raw.get("sign")),
            phone=_text(raw.get("phone")),
            credit_code=_text(raw.get("credit_code")),
        )
    except RowRefused as refused:
        return refused


@router.get(
    "/v1/merchants/export",
    summary="the register as CSV or XLSX, in the import's columns",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
async def export_merchants(
    principal: Keeper,
    service: ServiceDep,
    format: Literal["csv", "xlsx"] = "csv",
    headers: Literal["en", "zh"] = "en",
    grid_id: Annotated[str | None, Query(max_length=64)] = None,
):
    async with service.session_factory() as session:
        rows = await mq.open_merchants(session, grid_id)
    data, media = write_rows(
        [
            {
                "name": m.name,
                "sign": m.sign,
                "operator": m.operator,
                "phone": m.phone,
                "address": m.address,
                "lon": m.lon,
                "lat": m.lat,
                "business_nature": m.business_nature,
                "credit_code": m.credit_code,
            }
            for m in rows
        ],
        format,
        headers == "zh",
    )
    stamp = bureau_date(service.clock.now()).isoformat()
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="merchants-{stamp}.{format}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/v1/merchants/{merchant_id}",
    response_model=MerchantPage,
    summary="the merchant's page: its record, colour history, cases, letter, signs and purifier",
)
async def get_merchant(merchant_id: str, principal: RegisterReader, service: ServiceDep):
    m = await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        record = await mq.merchant_record(session, m)
    grid, history, cases, letter = record.grid, record.history, record.cases, record.letter
    signs, purifier, hardship = record.signs, record.purifier, record.hardship
    today = bureau_date(service.clock.now())
    return MerchantPage(
        **MerchantOut.of(m, principal).model_dump(),
        grid_name=grid.name if grid else None,
        assisted=bool(hardship and hardship.active),
        colour_history=[
            ColourStep(
                previous=h.previous,
                current=h.current,
                reason=h.reason,
                case_id=h.case_id,
                category_code=h.category_code,
                at=h.changed_at,
            )
            for h in history
        ],
        cases=[CaseSeen.model_validate(c, from_attributes=True) for c in cases],
        letter=None
        if letter is None
        else {
            "id": letter.id,
            "office": letter.office,
            "area": letter.area,
            "signed_on": letter.signed_on,
            "valid_until": letter.valid_until,
            "status": letter_status(letter, today, service.settings.letters),
            "scan": f"/v1/merchants/{m.id}/letters/{letter.id}/scan" if letter.scan_key else None,
        },
        signs=[
            {
                "id": s.id,
                "width_m": s.width_m,
                "height_m": s.height_m,
                "approved": s.approved,
                "problems": s.problems,
                "fixed_at": s.fixed_at,
                "recorded_at": s.recorded_at,
                "photo": f"/v1/merchants/{m.id}/signs/{s.id}/photo" if s.photo_key else None,
            }
            for s in signs
        ],
        purifier=None
        if purifier is None
        else {
            "model": purifier.model,
            "rated_efficiency": purifier.rated_efficiency,
            "installed_on": purifier.installed_on,
            "last_cleaned_on": purifier.last_cleaned_on,
        },
    )


@router.patch("/v1/merchants/{merchant_id}", response_model=MerchantOut, summary="change a merchant's record, or 注销")
async def patch_merchant(merchant_id: str, body: MerchantPatch, principal: Clerk, service: ServiceDep):
    async with service.session_factory() as session:
        m = await mq.merchant(session, merchant_id)
    if m is None:
        raise not_found(f"merchant {merchant_id}")
    given = body.model_dump(exclude_unset=True)
    where = (
        given.pop("location", None)
        if "location" in given
        else ({"lon": m.lon, "lat": m.lat} if m.lon is not None else None)
    )
    closed = given.pop("closed", None)
    merged = {
        "name": m.name,
        "sign": m.sign,
        "operator": m.operator,
        "phone": m.phone,
        "address": m.address,
        "business_nature": m.business_nature,
        "credit_code": m.credit_code,
        "tools": m.tools,
        "opened_on": m.opened_on,
        "stall": m.stall,
        **{k: v for k, v in given.items() if v is not None},
    }
    fields = checked(
        name=merged["name"],
        operator=merged["operator"],
        address=merged["address"],
        business_nature_value=merged["business_nature"],
        lon=where and where["lon"],
        lat=where and where["lat"],
        sign=merged["sign"],
        phone=merged["phone"],
        credit_code=merged["credit_code"],
        tools=merged["tools"],
        opened_on=merged["opened_on"],
        stall=merged["stall"],
    )
    async with service.uow() as uow:
        m = await update_merchant(uow, merchant_id, fields, closed=closed)
    return MerchantOut.of(m, principal)


def public_url(request: Request, service, code: str) -> str:
    base = service.settings.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/m/{code}"


PDF = {200: {"content": {"application/pdf": {}}}}


@router.get(
    "/v1/merchants/{merchant_id}/card.pdf",
    response_class=Response,
    responses=PDF,
    summary="告知卡: the card in force, A6, with the QR code of its public page",
)
async def card_pdf(merchant_id: str, request: Request, principal: RegisterReader, service: ServiceDep):
    m = await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        grid = await mq.grid(session, m.grid_id)
        card = await mq.card(session, m.card_code)
    if card is None:
        raise not_found(f"a card of merchant {merchant_id}")
    pdf = render_card(
        CardFacts(
            bureau=service.settings.bureau_name,
            name=m.name,
            sign=m.sign,
            address=m.address,
            grid_name=grid.name if grid else None,
            colour=Colour.named(card.colour),
            card_code=card.code,
            issued_at=card.issued_at,
            public_url=public_url(request, service, card.code),
        )
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="card-{card.code}.pdf"', "Cache-Control": "no-store"},
    )


@router.get(
    "/v1/merchants/{merchant_id}/letter.pdf",
    response_class=Response,
    responses=PDF,
    summary="门前三包责任书 filled in for printing: the letter in force, or a new one to sign",
)
async def letter_pdf(
    merchant_id: str,
    principal: RegisterReader,
    service: ServiceDep,
    office: Annotated[str | None, Query(max_length=100, description="the other party, for a new letter")] = None,
):
    m = await visible_merchant(service, merchant_id, principal)
    async with service.session_factory() as session:
        letter = await letter_of(session, m.id)
    bureau = service.settings.bureau_name
    pdf = render_letter(
        LetterFacts(
            bureau=bureau,
            office=office or (letter.office if letter else bureau),
            name=m.name,
            operator=m.operator,
            address=m.address,
            area=letter.area if letter else DEFAULT_AREA,
            signed_on=letter.signed_on if letter and not office else None,
            valid_until=letter.valid_until if letter and not office else None,
        )
    )
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})


class HardshipIn(BaseModel):
    circumstances: str = Field(min_length=1, max_length=1000, description="困难情况")
    household: str | None = Field(None, max_length=500, description="家庭情况")
    assistance: str | None = Field(None, max_length=1000, description="帮扶措施")
    active: bool = Field(True, description="still a 帮扶对象")


@router.put("/v1/merchants/{merchant_id}/hardship", response_model=HardshipIn, summary="困难户档案 (clerks)")
async def put_hardship(merchant_id: str, body: HardshipIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        r = await record_hardship(uow, merchant_id, **body.model_dump(), by=principal.subject)
    return HardshipIn(circumstances=r.circumstances, household=r.household, assistance=r.assistance, active=r.active)


@router.get(
    "/v1/merchants/{merchant_id}/hardship",
    response_model=HardshipIn,
    summary="困难户档案: clerks and supervisors only (officers see the 帮扶对象 flag)",
)
async def get_hardship(merchant_id: str, principal: Keeper, service: ServiceDep):
    if not sees_hardship(principal):
        raise not_found(f"a hardship record of merchant {merchant_id}")
    async with service.session_factory() as session:
        r = await mq.hardship(session, merchant_id)
    if r is None:
        raise not_found(f"a hardship record of merchant {merchant_id}")
    return HardshipIn(circumstances=r.circumstances, household=r.household, assistance=r.assistance, active=r.active)
