"""What the register is asked about its merchants (the read side): by name, colour, grid or
nearness; one merchant with everything its page shows; the card a QR code names; the rows the
export writes. Rules come from `ledger.domain`, never re-typed here."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Float, func, literal, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from common.db import table_of
from common.geo import parse_point
from common.refusals import Unprocessable
from ledger.queries.frontage import letter_of
from ledger.tables import (
    Card,
    DistrictGrid,
    GradeChange,
    HardshipRecord,
    Letter,
    Merchant,
    MerchantCase,
    Persuasion,
    Purifier,
    SignRecord,
)

EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class Near:
    lon: float
    lat: float
    radius_m: float


def parse_near(value: str, radius_m: float) -> Near:
    try:
        lon, lat = parse_point(value)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from None
    return Near(lon, lat, radius_m)


def _distance_m(near: Near):
    """Great-circle distance in metres from `near` to a merchant (haversine, in SQL)."""
    rad = math.pi / 180
    lat, lon = col(Merchant.lat), col(Merchant.lon)
    dlat = (lat - near.lat) * rad / 2
    dlon = (lon - near.lon) * rad / 2
    a = func.power(func.sin(dlat), 2) + math.cos(near.lat * rad) * func.cos(lat * rad) * func.power(func.sin(dlon), 2)
    return (2 * EARTH_M * func.asin(func.sqrt(func.least(a, literal(1.0, Float))))).label("distance_m")


@dataclass(frozen=True)
class MerchantQuery:
    q: str | None = None
    operator: str | None = None
    credit_code: str | None = None
    colour: str | None = None
    grid_id: str | None = None
    business_nature: str | None = None
    stall: bool | None = None
    closed: bool = False
    near: Near | None = None
    squad_scope: str | None = None
    limit: int = 50
    offset: int = 0


async def search_merchants(session, mq: MerchantQuery) -> list[tuple[Merchant, float | None]]:
    """Merchants matching every filter given; with `near`, those within the radius, nearest first
    (a bounding box on the (lat, lon) index first, then the exact distance)."""
    query = select(Merchant).where(col(Merchant.closed).is_(mq.closed))
    if mq.q:
        like = f"%{mq.q}%"
        query = query.where(
            or_(col(Merchant.name).ilike(like), col(Merchant.sign).ilike(like), col(Merchant.address).ilike(like))
        )
    if mq.operator:
        query = query.where(col(Merchant.operator).ilike(f"%{mq.operator}%"))
    if mq.credit_code:
        query = query.where(Merchant.credit_code == mq.credit_code.strip().upper())
    for column, value in (
        (Merchant.colour, mq.colour),
        (Merchant.grid_id, mq.grid_id),
        (Merchant.business_nature, mq.business_nature),
        (Merchant.stall, mq.stall),
        (Merchant.squad_id, mq.squad_scope),
    ):
        if value is not None:
            query = query.where(column == value)
    if mq.near is None:
        rows = (
            await session.exec(query.order_by(col(Merchant.name), col(Merchant.id)).limit(mq.limit).offset(mq.offset))
        ).all()
        return [(m, None) for m in rows]
    n = mq.near
    dlat = n.radius_m / 110_540.0
    dlon = n.radius_m / (111_320.0 * max(math.cos(math.radians(n.lat)), 0.01))
    distance = _distance_m(n)
    boxed = query.add_columns(distance).where(
        col(Merchant.lat).between(n.lat - dlat, n.lat + dlat), col(Merchant.lon).between(n.lon - dlon, n.lon + dlon)
    )
    inner = boxed.subquery()
    rows = (
        await session.execute(
            sa_select(inner)
            .where(inner.c.distance_m <= n.radius_m)
            .order_by(inner.c.distance_m)
            .limit(mq.limit)
            .offset(mq.offset)
        )
    ).all()
    columns = table_of(Merchant).columns.keys()
    return [(Merchant(**{c: getattr(r, c) for c in columns}), round(r.distance_m, 1)) for r in rows]


async def merchant(session, merchant_id: str) -> Merchant | None:
    return await session.get(Merchant, merchant_id)


async def grid(session, grid_id: str | None) -> DistrictGrid | None:
    return await session.get(DistrictGrid, grid_id) if grid_id else None


async def card(session, code: str | None) -> Card | None:
    return await session.get(Card, code) if code else None


async def assisted(session, merchant_ids: list[str]) -> set[str]:
    """The 帮扶对象 among these merchants: an active hardship record (its content is the keepers')."""
    if not merchant_ids:
        return set()
    rows = await session.exec(
        select(HardshipRecord.merchant_id).where(
            col(HardshipRecord.merchant_id).in_(merchant_ids), col(HardshipRecord.active)
        )
    )
    return set(rows.all())


async def persuasions(session, merchant_id: str, limit: int = 200) -> list[Persuasion]:
    query = (
        select(Persuasion)
        .where(Persuasion.merchant_id == merchant_id)
        .order_by(col(Persuasion.persuaded_at).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def hardship(session, merchant_id: str) -> HardshipRecord | None:
    return await session.get(HardshipRecord, merchant_id)


@dataclass
class MerchantRecord:
    """What a merchant's page shows besides the merchant itself."""

    grid: DistrictGrid | None
    history: list[GradeChange]
    cases: list[MerchantCase]
    letter: Letter | None
    signs: list[SignRecord]
    purifier: Purifier | None
    hardship: HardshipRecord | None


async def merchant_record(session, m: Merchant) -> MerchantRecord:
    return MerchantRecord(
        grid=await grid(session, m.grid_id),
        history=list(
            (
                await session.exec(
                    select(GradeChange)
                    .where(GradeChange.merchant_id == m.id)
                    .order_by(col(GradeChange.changed_at).desc(), col(GradeChange.id).desc())
                )
            ).all()
        ),
        cases=list(
            (
                await session.exec(
                    select(MerchantCase)
                    .where(MerchantCase.merchant_id == m.id)
                    .order_by(col(MerchantCase.first_seen_at).desc())
                )
            ).all()
        ),
        letter=await letter_of(session, m.id),
        signs=list(
            (
                await session.exec(
                    select(SignRecord)
                    .where(SignRecord.merchant_id == m.id)
                    .order_by(col(SignRecord.recorded_at).desc())
                )
            ).all()
        ),
        purifier=await session.get(Purifier, m.id),
        hardship=await hardship(session, m.id),
    )


@dataclass
class Notice:
    """What a card's QR code tells: the card, its shop (open), the shop's grid and letter."""

    card: Card
    merchant: Merchant
    grid: DistrictGrid | None
    letter: Letter | None


async def notice(session, code: str) -> Notice | None:
    c = await card(session, code)
    m = await merchant(session, c.merchant_id) if c else None
    if c is None or m is None or m.closed:
        return None
    return Notice(card=c, merchant=m, grid=await grid(session, m.grid_id), letter=await letter_of(session, m.id))


async def open_merchants(session, grid_id: str | None = None) -> list[Merchant]:
    """The register's open shops, by grid and name (what the export writes)."""
    query = select(Merchant).where(col(Merchant.closed).is_(False)).order_by(col(Merchant.grid_id), col(Merchant.name))
    if grid_id:
        query = query.where(Merchant.grid_id == grid_id)
    return list((await session.exec(query)).all())
