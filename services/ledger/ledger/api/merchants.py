"""`/v1/merchants`: the register itself: register, change, search (near a point too), the
merchant's page, its hardship record. The survey files are `surveys`, the printed papers `papers`."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from common.access import keeps_register, sees_hardship, sees_merchant_phone
from common.audiences import Clerk, Keeper, RegisterReader
from common.auth import Principal
from common.clock import bureau_date
from common.messaging.contracts import Location
from common.redaction import mask_name, mask_phone
from ledger.api.deps import ServiceDep, not_found, visible_merchant
from ledger.domain.merchant import BUSINESS_NATURES, checked
from ledger.handlers.merchants import register_merchant, update_merchant
from ledger.handlers.registers import record_hardship
from ledger.queries import merchants as mq
from ledger.queries.frontage import letter_status
from ledger.queries.merchants import MerchantQuery, assisted, parse_near, search_merchants

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
    assisted: bool = Field(
        False,
        description="帮扶对象: a hardship household (details: GET .../hardship, the register's keepers only)",
    )
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
        helped = await assisted(session, [m.id for m, _ in rows])
    return [
        MerchantOut.of(m, principal, d, listed=True).model_copy(update={"assisted": m.id in helped}) for m, d in rows
    ]


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
        **MerchantOut.of(m, principal).model_dump(exclude={"assisted"}),
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
