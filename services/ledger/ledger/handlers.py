"""Ledger's service layer: register merchants; grade them when a case against them closes."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import select

from common.geo import GridArea, GridMap
from common.messaging.contracts import (CaseClosed, EnforcementStepRecorded, GridDefined, Location,
                                        MerchantChanged, MerchantGradeChanged, MerchantRegistered)
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from ledger.domain import Colour, colour_after_enforcement, colour_after_violation
from ledger.tables import DistrictGrid, GradeChange, Merchant

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisterMerchant:
    name: str
    operator: str
    address: str
    business_nature: str
    location: Location | None = None
    grid_id: str | None = None


async def grid_map(session) -> GridMap:
    rows = (await session.exec(select(DistrictGrid).order_by(DistrictGrid.id))).all()
    return GridMap([GridArea(grid_id=g.id, name=g.name, squad_id=g.squad_id, squad_name=g.squad_name,
                             geometry=g.geometry) for g in rows])


def merchant_state(m: Merchant, cls=MerchantRegistered, at=None):
    return cls(merchant_id=m.id, name=m.name, address=m.address,
               location=Location(lon=m.lon, lat=m.lat) if m.lon is not None else None, grid_id=m.grid_id,
               squad_id=m.squad_id, business_nature=m.business_nature, colour=m.colour, at=at or m.updated_at)


async def register_merchant(uow: UnitOfWork, cmd: RegisterMerchant) -> Merchant:
    """登记: the grid (and the squad responsible for it) comes from the merchant's position when
    it is given, else from the clerk."""
    now = uow.clock.now()
    grid_id, squad_id = cmd.grid_id, None
    if cmd.location is not None:
        area = (await grid_map(uow.session)).grid_for(cmd.location.lon, cmd.location.lat)
        grid_id, squad_id = (area.grid_id, area.squad_id) if area else (None, None)
    elif grid_id is not None:
        grid = await uow.session.get(DistrictGrid, grid_id)
        squad_id = grid.squad_id if grid else None
    merchant = Merchant(id=str(uuid.uuid4()), name=cmd.name, operator=cmd.operator, address=cmd.address,
                        business_nature=cmd.business_nature, lon=cmd.location.lon if cmd.location else None,
                        lat=cmd.location.lat if cmd.location else None, grid_id=grid_id, squad_id=squad_id,
                        colour=Colour.blue.name, violations={}, created_at=now, updated_at=now, announced=True)
    uow.session.add(merchant)
    uow.publish(merchant_state(merchant))
    await uow.commit()
    return merchant


async def announce_merchants(uow: UnitOfWork, limit: int = 1000) -> int:
    """MerchantRegistered for merchants registered before the event existed, a batch at a time."""
    rows = (await uow.session.exec(select(Merchant).where(Merchant.announced.is_(False)).limit(limit)
                                   .with_for_update(skip_locked=True))).all()
    for m in rows:
        m.announced = True
        uow.session.add(m)
        uow.publish(merchant_state(m))
    await uow.commit()
    return len(rows)


async def record_grid(event: GridDefined, env: Envelope, uow: UnitOfWork) -> None:
    """The district's grids, as dispatch announces them. A grid that is new or changed places
    again the merchants it may concern: those with a position and no grid yet (registered
    before the grids were known), and those it held before."""
    await uow.session.execute(pg_insert(DistrictGrid).values(
        id=event.grid_id, name=event.name, squad_id=event.squad_id, squad_name=event.squad_name,
        geometry=event.geometry, defined_at=event.defined_at,
    ).on_conflict_do_update(index_elements=["id"], set_={
        "name": event.name, "squad_id": event.squad_id, "squad_name": event.squad_name,
        "geometry": event.geometry, "defined_at": event.defined_at}))
    concerned = (await uow.session.exec(select(Merchant).where(
        Merchant.lon.is_not(None), (Merchant.grid_id.is_(None)) | (Merchant.grid_id == event.grid_id))
        .with_for_update())).all()
    if not concerned:
        return
    grids = await grid_map(uow.session)
    for m in concerned:
        area = grids.grid_for(m.lon, m.lat)
        placed = (area.grid_id, area.squad_id) if area else (None, None)
        if placed != (m.grid_id, m.squad_id):
            m.grid_id, m.squad_id, m.updated_at = placed[0], placed[1], uow.clock.now()
            uow.session.add(m)
            uow.publish(merchant_state(m, MerchantChanged))


async def _merchant_for_update(uow: UnitOfWork, merchant_id: str, case_id: str) -> Merchant | None:
    merchant = (await uow.session.exec(select(Merchant).where(Merchant.id == merchant_id).with_for_update())).first()
    if merchant is None:
        # A case may name a merchant the ledger does not hold yet; the case stands regardless.
        log.warning("case %s names merchant %s, not in the ledger", case_id, merchant_id)
    return merchant


def _regrade(uow: UnitOfWork, merchant: Merchant, after: Colour, *, case_id: str, category_code: str,
             at) -> None:
    before = Colour.named(merchant.colour)
    merchant.colour, merchant.updated_at = after.name, at
    uow.session.add(merchant)
    if after != before:
        uow.session.add(GradeChange(merchant_id=merchant.id, case_id=case_id, category_code=category_code,
                                    previous=before.name, current=after.name, changed_at=at))
        uow.publish(MerchantGradeChanged(merchant_id=merchant.id, previous=before.name, current=after.name,
                                         case_id=case_id, category_code=category_code, changed_at=at))


async def grade_after_case(event: CaseClosed, env: Envelope, uow: UnitOfWork) -> None:
    if event.outcome != "violation" or event.merchant_id is None:
        return
    if (merchant := await _merchant_for_update(uow, event.merchant_id, event.case_id)) is None:
        return
    prior = merchant.violations.get(event.category_code, 0)
    merchant.violations = {**merchant.violations, event.category_code: prior + 1}
    _regrade(uow, merchant, colour_after_violation(Colour.named(merchant.colour), prior),
             case_id=event.case_id, category_code=event.category_code, at=event.closed_at)


async def grade_after_enforcement(event: EnforcementStepRecorded, env: Envelope, uow: UnitOfWork) -> None:
    if event.merchant_id is None:
        return
    if (merchant := await _merchant_for_update(uow, event.merchant_id, event.case_id)) is None:
        return
    _regrade(uow, merchant, colour_after_enforcement(Colour.named(merchant.colour), event.step),
             case_id=event.case_id, category_code=event.category_code, at=event.at)
