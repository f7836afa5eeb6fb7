"""商户台账: registering a merchant (one at a time, or hundreds from a 摸底 survey file),
changing its record, and placing it in the district's grids as dispatch announces them."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field, replace

from shapely.geometry import shape
from sqlalchemy import insert, or_, text, update
from sqlmodel import col, select

from common.db import keep_newer, table_of
from common.geo import GridArea, GridMap
from common.messaging.contracts import (
    DogLicencePlaced,
    GridDefined,
    Location,
    MerchantCardIssued,
    MerchantChanged,
    MerchantRegistered,
)
from common.messaging.envelope import Envelope
from common.refusals import Conflict, NotFound
from common.uow import UnitOfWork
from ledger.domain.colour import Colour
from ledger.domain.merchant import MerchantFields, RowRefused, identity_key
from ledger.tables import Card, DistrictGrid, DogLicence, HardshipRecord, Merchant

log = logging.getLogger(__name__)
CARD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class MerchantExists(Conflict):
    """Registering a shop the register holds already: its id, and what matched (the field error
    carries `merchant_id`)."""

    def __init__(self, merchant_id: str, matched: str) -> None:
        message = f"merchant {merchant_id} is this shop already (the same {matched})"
        field = "credit_code" if matched == "credit code" else "name"
        super().__init__(
            message,
            detail=[{"loc": ["body", field], "msg": message, "type": "merchant_exists", "merchant_id": merchant_id}],
        )
        self.merchant_id = merchant_id


def new_card_code() -> str:
    """Ten characters a person can read off a card (no 0/O, 1/I): 32^10 codes."""
    return "".join(secrets.choice(CARD_ALPHABET) for _ in range(10))


GRIDS_LOCK = 0x47524944
"""The advisory lock between placing things in the grids and a grid announced: whoever reads the
grids to place a merchant, a licence or a point holds it shared until its transaction ends, and
`record_grid` holds it alone. Without it, a licence issued while its grid was being announced read
no grid yet, and the announcement, not seeing the licence's uncommitted row, never placed it."""


async def grid_map(session) -> GridMap:
    await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": GRIDS_LOCK})
    rows = (await session.exec(select(DistrictGrid).order_by(col(DistrictGrid.id)))).all()
    return GridMap(
        [
            GridArea(grid_id=g.id, name=g.name, squad_id=g.squad_id, squad_name=g.squad_name, geometry=g.geometry)
            for g in rows
        ]
    )


def _placed(grids: GridMap, lon: float | None, lat: float | None) -> tuple[str | None, str | None]:
    if lon is None or lat is None:
        return None, None
    area = grids.grid_for(lon, lat)
    return (area.grid_id, area.squad_id) if area else (None, None)


def merchant_state(m: Merchant, cls=MerchantRegistered, at=None, *, assisted: bool = False):
    extra = {"closed": m.closed} if cls is MerchantChanged else {}
    return cls(
        merchant_id=m.id,
        name=m.name,
        sign=m.sign,
        address=m.address,
        location=Location(lon=m.lon, lat=m.lat) if m.lon is not None else None,
        grid_id=m.grid_id,
        squad_id=m.squad_id,
        business_nature=m.business_nature,
        stall=m.stall,
        assisted=assisted,
        colour=m.colour,
        at=at or m.updated_at,
        **extra,
    )


async def is_assisted(session, merchant_id: str) -> bool:
    row = await session.get(HardshipRecord, merchant_id)
    return bool(row and row.active)


def _row(f: MerchantFields, *, merchant_id: str, grid: tuple[str | None, str | None], now, card: str) -> dict:
    return {
        "id": merchant_id,
        "name": f.name,
        "sign": f.sign,
        "operator": f.operator,
        "phone": f.phone,
        "address": f.address,
        "identity_key": identity_key(f.name, f.address),
        "business_nature": f.business_nature,
        "credit_code": f.credit_code,
        "tools": list(f.tools),
        "opened_on": f.opened_on,
        "stall": f.stall,
        "closed": False,
        "lon": f.lon,
        "lat": f.lat,
        "grid_id": grid[0],
        "squad_id": grid[1],
        "cooking_heads": None,
        "announced": True,
        "colour": Colour.blue.name,
        "colour_since": now,
        "last_violation_at": None,
        "violations": {},
        "card_code": card,
        "created_at": now,
        "updated_at": now,
    }


def _issue_first_card(uow: UnitOfWork, merchant_id: str, code: str, now) -> dict:
    uow.publish(MerchantCardIssued(merchant_id=merchant_id, card_code=code, colour="blue", issued_at=now))
    return {"code": code, "merchant_id": merchant_id, "colour": "blue", "issued_at": now, "superseded_at": None}


async def _existing(uow: UnitOfWork, fields: list[MerchantFields]) -> tuple[dict, dict]:
    """The merchants the register holds already that these rows name, by credit code and by
    name and address, locked until the unit of work ends."""
    codes = [f.credit_code for f in fields if f.credit_code]
    keys = [identity_key(f.name, f.address) for f in fields]
    rows = (
        await uow.session.exec(
            select(Merchant)
            .where(or_(col(Merchant.credit_code).in_(codes) if codes else False, col(Merchant.identity_key).in_(keys)))
            .with_for_update()
        )
    ).all()
    return {m.credit_code: m for m in rows if m.credit_code}, {m.identity_key: m for m in rows}


async def register_merchant(uow: UnitOfWork, f: MerchantFields) -> Merchant:
    """登记: a new shop or stall, placed in its grid, blue, with its first card. A shop the
    register holds already (the same credit code, or the same name at the same address) is
    refused with its id."""
    by_code, by_key = await _existing(uow, [f])
    if f.credit_code and f.credit_code in by_code:
        raise MerchantExists(by_code[f.credit_code].id, "统一社会信用代码")
    if identity_key(f.name, f.address) in by_key:
        raise MerchantExists(by_key[identity_key(f.name, f.address)].id, "name at the same address")
    now, merchant_id, code = uow.clock.now(), str(uuid.uuid4()), new_card_code()
    row = _row(f, merchant_id=merchant_id, grid=_placed(await grid_map(uow.session), f.lon, f.lat), now=now, card=code)
    await uow.session.execute(insert(table_of(Merchant)).values(**row))
    await uow.session.execute(insert(table_of(Card)).values(**_issue_first_card(uow, merchant_id, code, now)))
    merchant = Merchant(**row)
    uow.publish(merchant_state(merchant))
    await uow.commit()
    return merchant


CHANGEABLE = (
    "name",
    "sign",
    "operator",
    "phone",
    "address",
    "business_nature",
    "credit_code",
    "tools",
    "opened_on",
    "stall",
    "lon",
    "lat",
)


def _changes(m: Merchant, f: MerchantFields) -> dict:
    wanted = {k: (list(v) if isinstance(v, tuple) else v) for k, v in ((k, getattr(f, k)) for k in CHANGEABLE)}
    if f.opened_on is None:
        wanted.pop("opened_on")  # a survey without the date leaves the one on record
    if not f.tools:
        wanted.pop("tools")
    return {k: v for k, v in wanted.items() if getattr(m, k) != v}


async def update_merchant(
    uow: UnitOfWork,
    merchant_id: str,
    f: MerchantFields,
    *,
    closed: bool | None = None,
    cooking_heads: float | None = None,
) -> Merchant:
    m = (await uow.session.exec(select(Merchant).where(Merchant.id == merchant_id).with_for_update())).first()
    if m is None:
        raise NotFound(f"merchant {merchant_id} not found")
    by_code, by_key = await _existing(uow, [f])
    other = by_code.get(f.credit_code) if f.credit_code else None
    if other is not None and other.id != m.id:
        raise MerchantExists(other.id, "统一社会信用代码")
    other = by_key.get(identity_key(f.name, f.address))
    if other is not None and other.id != m.id:
        raise MerchantExists(other.id, "name at the same address")
    changes = _changes(m, f)
    if closed is not None and closed != m.closed:
        changes["closed"] = closed
    if cooking_heads is not None and cooking_heads != m.cooking_heads:
        changes["cooking_heads"] = cooking_heads
    if changes:
        await _apply(uow, m, changes, await grid_map(uow.session))
    await uow.commit()
    return m


async def _apply(uow: UnitOfWork, m: Merchant, changes: dict, grids: GridMap) -> None:
    for k, v in changes.items():
        setattr(m, k, v)
    m.identity_key = identity_key(m.name, m.address)
    m.grid_id, m.squad_id = _placed(grids, m.lon, m.lat)
    m.updated_at = uow.clock.now()
    uow.session.add(m)
    uow.publish(merchant_state(m, MerchantChanged, assisted=await is_assisted(uow.session, m.id)))


@dataclass
class SurveyReport:
    accepted: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict] = field(default_factory=list)


async def import_survey(uow: UnitOfWork, rows: list[tuple[int, MerchantFields | RowRefused]]) -> SurveyReport:
    """摸底: every row of a survey file, checked; a shop the register holds (the same credit code,
    or the same name at the same address) is brought up to date, a new one registered, one
    unchanged left alone, so the same file twice changes nothing. A bad row is named with all
    that is wrong with it and stops no other. One transaction: the file is taken whole or, if
    the database fails, not at all (and can be sent again)."""
    report = SurveyReport()
    good: list[tuple[int, MerchantFields]] = []
    first_code: dict[str, int] = {}
    first_key: dict[str, int] = {}
    for row_number, f in rows:
        if isinstance(f, RowRefused):
            report.rejected.append({"row": row_number, "errors": f.errors})
            continue
        key = identity_key(f.name, f.address)
        same = first_code.get(f.credit_code) if f.credit_code else None
        same = same or first_key.get(key)
        if same is not None:
            report.rejected.append({"row": row_number, "errors": [f"the same shop as row {same}"]})
            continue
        if f.credit_code:
            first_code[f.credit_code] = row_number
        first_key[key] = row_number
        good.append((row_number, f))

    by_code, by_key = await _existing(uow, [f for _, f in good])
    grids = await grid_map(uow.session)
    now = uow.clock.now()
    new_merchants, new_cards = [], []
    for row_number, f in good:
        key = identity_key(f.name, f.address)
        m_code = by_code.get(f.credit_code) if f.credit_code else None
        m_key = by_key.get(key)
        if m_code is not None and m_key is not None and m_code.id != m_key.id:
            report.rejected.append(
                {
                    "row": row_number,
                    "errors": [
                        f"credit_code: the register has it for merchant {m_code.id}, but the name and address are "
                        f"merchant {m_key.id}'s"
                    ],
                }
            )
            continue
        existing = m_code or m_key
        if existing is None:
            merchant_id, code = str(uuid.uuid4()), new_card_code()
            row = _row(f, merchant_id=merchant_id, grid=_placed(grids, f.lon, f.lat), now=now, card=code)
            new_merchants.append(row)
            new_cards.append(_issue_first_card(uow, merchant_id, code, now))
            uow.publish(merchant_state(Merchant(**row)))
            report.created += 1
        elif changes := _changes(existing, replace(f, phone=f.phone or existing.phone)):
            await _apply(uow, existing, changes, grids)
            report.updated += 1
        else:
            report.unchanged += 1
        report.accepted += 1
    for start in range(0, len(new_merchants), 1000):
        await uow.session.execute(insert(table_of(Merchant)), new_merchants[start : start + 1000])
        await uow.session.execute(insert(table_of(Card)), new_cards[start : start + 1000])
    await uow.commit()
    report.rejected.sort(key=lambda r: r["row"])
    return report


async def announce_merchants(uow: UnitOfWork, limit: int = 1000) -> int:
    """MerchantRegistered for merchants registered before the event existed, a batch at a time."""
    rows = (
        await uow.session.exec(
            select(Merchant).where(col(Merchant.announced).is_(False)).limit(limit).with_for_update(skip_locked=True)
        )
    ).all()
    for m in rows:
        m.announced = True
        uow.session.add(m)
        uow.publish(merchant_state(m))
    await uow.commit()
    return len(rows)


async def record_grid(event: GridDefined, env: Envelope, uow: UnitOfWork) -> None:
    """The district's grids, as dispatch announces them (a version older than the one held changes
    nothing). A grid that is new or redrawn places again the merchants and the dog licences it may
    concern: those with a position and no grid yet (registered before the grids were known), those
    it held before, and those within its new bounds."""
    values = {
        "name": event.name,
        "squad_id": event.squad_id,
        "squad_name": event.squad_name,
        "geometry": event.geometry,
        "defined_at": event.defined_at,
        "version": event.version,
    }
    await uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": GRIDS_LOCK})
    kept = (
        await uow.session.execute(
            keep_newer(DistrictGrid, {"id": event.grid_id}, values).returning(col(DistrictGrid.id))
        )
    ).scalar()
    if kept is None:  # an older version than the one held
        return
    grids = await grid_map(uow.session)
    x0, y0, x1, y1 = shape(event.geometry).bounds  # what the grid now covers may have lain in another
    licences = (
        await uow.session.exec(
            select(DogLicence)
            .where(
                col(DogLicence.owner_lon).is_not(None),
                (col(DogLicence.grid_id).is_(None))
                | (DogLicence.grid_id == event.grid_id)
                | (col(DogLicence.owner_lon).between(x0, x1) & col(DogLicence.owner_lat).between(y0, y1)),
            )
            .with_for_update()
        )
    ).all()
    for x in licences:
        grid_id, squad_id = _placed(grids, x.owner_lon, x.owner_lat)
        if grid_id != x.grid_id:
            await uow.session.execute(update(DogLicence).where(col(DogLicence.id) == x.id).values(grid_id=grid_id))
            uow.publish(
                DogLicencePlaced(
                    licence_id=x.id, number=x.number, grid_id=grid_id, squad_id=squad_id, at=uow.clock.now()
                )
            )
    concerned = (
        await uow.session.exec(
            select(Merchant)
            .where(
                col(Merchant.lon).is_not(None),
                (col(Merchant.grid_id).is_(None))
                | (Merchant.grid_id == event.grid_id)
                | (col(Merchant.lon).between(x0, x1) & col(Merchant.lat).between(y0, y1)),
            )
            .with_for_update()
        )
    ).all()
    if not concerned:
        return
    for m in concerned:
        placed = _placed(grids, m.lon, m.lat)
        if placed != (m.grid_id, m.squad_id):
            await uow.session.execute(
                update(Merchant)
                .where(col(Merchant.id) == m.id)
                .values(grid_id=placed[0], squad_id=placed[1], updated_at=uow.clock.now())
            )
            m.grid_id, m.squad_id = placed
            uow.publish(
                merchant_state(m, MerchantChanged, uow.clock.now(), assisted=await is_assisted(uow.session, m.id))
            )
