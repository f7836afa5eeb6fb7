"""便民疏导点: an application, the joint survey's opinions, the decision, and the stalls of an
approved point, assigned to registered vendors one each and never transferred."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert
from sqlmodel import col, select

from common.db import table_of
from common.messaging.contracts import DesignatedPointDecided, Location
from common.refusals import NotFound
from common.uow import UnitOfWork
from ledger.domain.points import KINDS, PointRefused, PointStatus, SurveyRule, area, can_approve, refuse_near_school
from ledger.domain.points import SchoolGate as Gate
from ledger.handlers.merchants import grid_map
from ledger.tables import DesignatedPoint, Merchant, SchoolGate, Stall, StallChange, SurveyOpinion


@dataclass(frozen=True)
class PointApplication:
    number: str
    kind: str
    name: str
    geometry: dict
    stalls: int
    hours: str
    season: str
    goods: str
    office: str
    applicant: str


async def school_gates(session) -> list[Gate]:
    return [Gate(g.id, g.name, g.lon, g.lat) for g in (await session.exec(select(SchoolGate))).all()]


async def put_school_gate(uow: UnitOfWork, gate_id: str, *, name: str, lon: float, lat: float) -> SchoolGate:
    gate = await uow.session.get(SchoolGate, gate_id, with_for_update=True) or SchoolGate(
        id=gate_id, name=name, lon=lon, lat=lat
    )
    gate.name, gate.lon, gate.lat = name, lon, lat
    uow.session.add(gate)
    await uow.commit()
    return gate


async def apply_for_point(uow: UnitOfWork, a: PointApplication, *, by: str, rule: SurveyRule) -> DesignatedPoint:
    """申请: refused at once, with the distance, when the place is too near a school gate."""
    if a.kind not in KINDS:
        raise PointRefused(f"kind {a.kind!r}: one of {', '.join(f'{k} ({v})' for k, v in KINDS.items())}")
    polygon = area(a.geometry)
    refuse_near_school(polygon, await school_gates(uow.session), rule)
    if (await uow.session.exec(select(DesignatedPoint.id).where(DesignatedPoint.number == a.number))).first():
        raise PointRefused(f"number {a.number} is another point's")
    centre = polygon.centroid
    placed = (await grid_map(uow.session)).grid_for(centre.x, centre.y)
    point = DesignatedPoint(
        id=str(uuid.uuid4()),
        number=a.number,
        kind=a.kind,
        name=a.name,
        geometry=a.geometry,
        lon=centre.x,
        lat=centre.y,
        grid_id=placed.grid_id if placed else None,
        stalls=a.stalls,
        hours=a.hours,
        season=a.season,
        goods=a.goods,
        office=a.office,
        applicant=a.applicant,
        status=PointStatus.applied,
        applied_at=uow.clock.now(),
        applied_by=by,
    )
    uow.session.add(point)
    await uow.commit()
    return point


async def _point(uow: UnitOfWork, point_id: str) -> DesignatedPoint:
    p = (
        await uow.session.exec(select(DesignatedPoint).where(DesignatedPoint.id == point_id).with_for_update())
    ).first()
    if p is None:
        raise NotFound(f"designated point {point_id} not found")
    return p


async def record_opinion(
    uow: UnitOfWork, point_id: str, *, department: str, agree: bool, note: str | None, by: str
) -> DesignatedPoint:
    """联合踏勘: one department's opinion (a second from the same department replaces its first)."""
    p = await _point(uow, point_id)
    if p.status not in (PointStatus.applied, PointStatus.surveying):
        raise PointRefused(f"point {p.number} is {p.status}: the survey is over")
    opinion = await uow.session.get(SurveyOpinion, (point_id, department)) or SurveyOpinion(
        point_id=point_id, department=department, agree=agree, recorded_by=by, recorded_at=uow.clock.now()
    )
    opinion.agree, opinion.note, opinion.recorded_by, opinion.recorded_at = agree, note, by, uow.clock.now()
    uow.session.add(opinion)
    p.status = PointStatus.surveying
    uow.session.add(p)
    await uow.commit()
    return p


async def decide_point(
    uow: UnitOfWork, point_id: str, *, approve: bool, reason: str | None, by: str, rule: SurveyRule
) -> DesignatedPoint:
    """批准 (after the survey, with its stalls made) or 不予批准 (with the reason)."""
    p = await _point(uow, point_id)
    if p.status not in (PointStatus.applied, PointStatus.surveying):
        raise PointRefused(f"point {p.number} is {p.status} already")
    if approve:
        opinions = (await uow.session.exec(select(SurveyOpinion).where(SurveyOpinion.point_id == point_id))).all()
        can_approve({o.department: o.agree for o in opinions}, rule)
        refuse_near_school(area(p.geometry), await school_gates(uow.session), rule)  # gates added since
        await uow.session.execute(
            insert(table_of(Stall)),
            [{"point_id": p.id, "number": n, "merchant_id": None, "assigned_at": None} for n in range(1, p.stalls + 1)],
        )
    elif not reason:
        raise PointRefused("a refusal needs its reason")
    p.status = PointStatus.approved if approve else PointStatus.refused
    p.reason, p.decided_at, p.decided_by = reason, uow.clock.now(), by
    uow.session.add(p)
    _told(uow, p)
    await uow.commit()
    return p


async def withdraw_point(uow: UnitOfWork, point_id: str, *, reason: str, by: str) -> DesignatedPoint:
    p = await _point(uow, point_id)
    if p.status != PointStatus.approved:
        raise PointRefused(f"point {p.number} is {p.status}: only an approved point is withdrawn")
    held = (
        await uow.session.exec(select(Stall).where(Stall.point_id == point_id, col(Stall.merchant_id).is_not(None)))
    ).all()
    for stall in held:
        await _release(uow, stall, reason=f"点位撤销: {reason}", by=by)
    p.status, p.reason, p.decided_at, p.decided_by = PointStatus.withdrawn, reason, uow.clock.now(), by
    uow.session.add(p)
    _told(uow, p)
    await uow.commit()
    return p


def _told(uow: UnitOfWork, p: DesignatedPoint) -> None:
    uow.publish(
        DesignatedPointDecided(
            point_id=p.id,
            number=p.number,
            kind=p.kind,
            name=p.name,
            grid_id=p.grid_id,
            location=Location(lon=p.lon, lat=p.lat),
            stalls=p.stalls,
            hours=p.hours,
            status=p.status,
            reason=p.reason,
            at=p.decided_at,
        )
    )


async def _stall(uow: UnitOfWork, point_id: str, number: int) -> Stall:
    stall = (
        await uow.session.exec(
            select(Stall).where(Stall.point_id == point_id, Stall.number == number).with_for_update()
        )
    ).first()
    if stall is None:
        raise NotFound(f"point {point_id} has no stall {number} (or is not approved)")
    return stall


async def assign_stall(uow: UnitOfWork, point_id: str, number: int, merchant_id: str, *, by: str) -> Stall:
    """A stall to a registered vendor (a stall merchant, trading), one stall each. A stall held by
    another vendor is not transferred: the office releases it first."""
    stall = await _stall(uow, point_id, number)
    vendor = await uow.session.get(Merchant, merchant_id)
    if vendor is None or vendor.closed:
        raise NotFound(f"merchant {merchant_id} is not a vendor of the register")
    if not vendor.stall:
        raise PointRefused(f"merchant {merchant_id} is a shop, not a registered vendor (stall)")
    if stall.merchant_id == merchant_id:
        return stall
    if stall.merchant_id is not None:
        raise PointRefused(
            f"stall {number} is held by merchant {stall.merchant_id}; stalls are not transferred: "
            "release it first, with the reason"
        )
    other = (await uow.session.exec(select(Stall).where(Stall.merchant_id == merchant_id))).first()
    if other is not None:
        raise PointRefused(
            f"merchant {merchant_id} holds stall {other.number} of point {other.point_id} already (one stall each)"
        )
    stall.merchant_id, stall.assigned_at = merchant_id, uow.clock.now()
    uow.session.add(stall)
    uow.session.add(
        StallChange(
            point_id=point_id, number=number, merchant_id=merchant_id, action="assigned", by=by, at=uow.clock.now()
        )
    )
    await uow.commit()
    return stall


async def release_stall(uow: UnitOfWork, point_id: str, number: int, *, reason: str, by: str) -> Stall:
    stall = await _stall(uow, point_id, number)
    if stall.merchant_id is None:
        raise PointRefused(f"stall {number} is free")
    await _release(uow, stall, reason=reason, by=by)
    await uow.commit()
    return stall


async def _release(uow: UnitOfWork, stall: Stall, *, reason: str, by: str) -> None:
    if stall.merchant_id is None:
        raise PointRefused(f"stall {stall.number} is free")
    uow.session.add(
        StallChange(
            point_id=stall.point_id,
            number=stall.number,
            merchant_id=stall.merchant_id,
            action="released",
            reason=reason,
            by=by,
            at=uow.clock.now(),
        )
    )
    stall.merchant_id, stall.assigned_at = None, None
    uow.session.add(stall)
