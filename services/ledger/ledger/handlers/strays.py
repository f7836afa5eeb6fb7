"""抓捕流浪犬 and the shelter (收容所): a capture (where, when, by whom, a photo; the chip or tag
scanned finds the licence, whose owner is told and may claim the dog within the claim days after
paying the costs), the shelter's care, quarantine, and adoption, which makes the adopter the
owner of a new licence."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from common.clock import bureau_date
from common.messaging.contracts import Location, StrayCaptured, StrayLeft
from common.refusals import NotFound
from common.uow import UnitOfWork
from ledger.domain.dogs import IN_FORCE, DogRefused, LicenceStatus, ViolationKind, microchip
from ledger.handlers.dog_violations import record_violation
from ledger.handlers.licences import (
    Context,
    Dog,
    DogConflict,
    Owner,
    Rabies,
    history,
    issue_licence,
    licence_for_update,
    next_number,
    tell_changed,
)
from ledger.handlers.merchants import grid_map
from ledger.tables import DogLicence, Stray, StrayCare

SHELTERED = "sheltered"


@dataclass(frozen=True)
class Capture:
    lon: float
    lat: float
    captured_at: datetime
    chip: str | None = None
    tag_id: str | None = None
    breed: str | None = None
    size: str | None = None
    colour: str | None = None
    note: str | None = None


async def capture(uow: UnitOfWork, c: Capture, ctx: Context, photo: tuple[str, str] | None) -> Stray:
    if c.captured_at > uow.clock.now():
        raise DogRefused("captured_at", f"captured_at {c.captured_at.isoformat()} is in the future")
    chip = microchip(c.chip) if c.chip else None
    licence = None
    if chip or c.tag_id:
        query = (
            select(DogLicence).where(DogLicence.chip == chip)
            if chip
            else select(DogLicence).where(DogLicence.tag_id == c.tag_id)
        )
        licence = (await uow.session.exec(query.with_for_update())).first()
    day = bureau_date(c.captured_at)
    placed = (await grid_map(uow.session)).grid_for(c.lon, c.lat)
    stray = Stray(
        id=str(uuid.uuid4()),
        number=await next_number(uow, "stray", f"S{ctx.district_code}", day.year),
        status=SHELTERED,
        captured_at=c.captured_at,
        lon=c.lon,
        lat=c.lat,
        grid_id=placed.grid_id if placed else None,
        captured_by=ctx.by,
        breed=c.breed or (licence.breed if licence else None),
        size=c.size or (licence.size if licence else None),
        colour=c.colour,
        note=c.note,
        chip=chip,
        tag_id=c.tag_id,
        licence_id=licence.id if licence else None,
        photo_key=photo[0] if photo else None,
        photo_type=photo[1] if photo else None,
        quarantine_until=day + timedelta(days=ctx.rules.quarantine_days),
        claim_until=day + timedelta(days=ctx.rules.claim_days),
    )
    uow.session.add(stray)
    if licence is not None:
        history(uow, licence.id, "captured", ctx.by, stray=stray.number, claim_until=stray.claim_until)
        if licence.status in IN_FORCE:
            await record_violation(
                uow,
                licence,
                ViolationKind.stray,
                source="capture",
                by=ctx.by,
                at=c.captured_at,
                rules=ctx.rules,
                lon=c.lon,
                lat=c.lat,
                note=f"收容 {stray.number}",
            )
    uow.publish(
        StrayCaptured(
            stray_id=stray.id,
            number=stray.number,
            location=Location(lon=c.lon, lat=c.lat),
            grid_id=stray.grid_id,
            licence_id=stray.licence_id,
            claim_until=stray.claim_until,
            quarantine_until=stray.quarantine_until,
            at=c.captured_at,
        )
    )
    await uow.commit()
    return stray


async def stray_for_update(uow: UnitOfWork, stray_id: str) -> Stray:
    stray = (await uow.session.exec(select(Stray).where(Stray.id == stray_id).with_for_update())).first()
    if stray is None:
        raise NotFound(f"stray {stray_id} not found")
    return stray


def _sheltered(stray: Stray) -> None:
    if stray.status != SHELTERED:
        raise DogConflict(f"dog {stray.number} left the shelter ({stray.status})")


async def care(uow: UnitOfWork, stray_id: str, *, kind: str, note: str, cost_fen: int, by: str) -> StrayCare:
    stray = await stray_for_update(uow, stray_id)
    _sheltered(stray)
    entry = StrayCare(stray_id=stray.id, kind=kind, note=note, cost_fen=cost_fen, by=by, at=uow.clock.now())
    uow.session.add(entry)
    await uow.commit()
    return entry


async def costs_due(session, stray: Stray, daily_fee_fen: int, today) -> int:
    """What a claim pays: the shelter's days at its daily fee, and the care it gave."""
    care_fen = (
        await session.execute(
            select(func.coalesce(func.sum(StrayCare.cost_fen), 0)).where(StrayCare.stray_id == stray.id)
        )
    ).scalar_one()
    days = max(1, (today - bureau_date(stray.captured_at)).days)
    return days * daily_fee_fen + int(care_fen)


async def claim(
    uow: UnitOfWork, stray_id: str, *, licence_id: str | None, paid_fen: int, daily_fee_fen: int, by: str
) -> Stray:
    """认领: by the owner of its licence (the chip's or tag's, or one issued now for it), within
    the claim days, the costs paid."""
    stray = await stray_for_update(uow, stray_id)
    _sheltered(stray)
    today = bureau_date(uow.clock.now())
    if today > stray.claim_until:
        raise DogRefused("claim_days", f"dog {stray.number} could be claimed until {stray.claim_until}")
    licence_id = stray.licence_id or licence_id
    if licence_id is None:
        raise DogRefused(
            "licence",
            f"dog {stray.number} has no licence: its owner registers it first "
            "(POST /v1/dog-licences), then claims it with that licence_id",
        )
    if stray.licence_id and licence_id != stray.licence_id:
        raise DogRefused("licence", f"dog {stray.number} is licence {stray.licence_id}'s")
    licence = await licence_for_update(uow, licence_id)
    if licence.status not in IN_FORCE:
        raise DogConflict(f"licence {licence.number} is {licence.status}")
    due = await costs_due(uow.session, stray, daily_fee_fen, today)
    if paid_fen < due:
        raise DogRefused("costs", f"the costs are {due} fen (¥{due / 100:.2f}); {paid_fen} fen paid")
    stray.status, stray.licence_id, stray.costs_fen, stray.left_at = "claimed", licence.id, paid_fen, uow.clock.now()
    uow.session.add(stray)
    history(uow, licence.id, "claimed", by, stray=stray.number, costs_fen=paid_fen)
    if licence.status == LicenceStatus.lost:
        licence.status, licence.status_reason = LicenceStatus.active, None
        history(uow, licence.id, "found", by, stray=stray.number)
        tell_changed(uow, licence, "found", f"认领 {stray.number}")
    uow.publish(
        StrayLeft(
            stray_id=stray.id,
            number=stray.number,
            outcome="claimed",
            licence_id=licence.id,
            costs_fen=paid_fen,
            at=uow.clock.now(),
        )
    )
    await uow.commit()
    return stray


async def adopt(uow: UnitOfWork, stray_id: str, owner: Owner, dog: Dog, rabies: Rabies, ctx: Context) -> Stray:
    """领养: after quarantine and after the claim days of a dog with a licence; the adopter becomes
    the owner of a new licence (every rule of a registration applies); an unclaimed licence ends."""
    stray = await stray_for_update(uow, stray_id)
    _sheltered(stray)
    today = bureau_date(uow.clock.now())
    if today < stray.quarantine_until:
        raise DogRefused("quarantine", f"dog {stray.number} is in quarantine until {stray.quarantine_until}")
    if stray.licence_id and today <= stray.claim_until:
        raise DogRefused("claim_days", f"dog {stray.number}'s owner may claim it until {stray.claim_until}")
    licence = await issue_licence(
        uow,
        owner,
        dog,
        rabies,
        ctx,
        via="adoption",
        photo=(stray.photo_key, stray.photo_type) if stray.photo_key and stray.photo_type else None,
        commit=False,
    )
    if stray.licence_id:
        old = await licence_for_update(uow, stray.licence_id)
        if old.status in IN_FORCE:
            old.status, old.status_reason = LicenceStatus.cancelled, "unclaimed"
            history(uow, old.id, "cancelled", ctx.by, reason="unclaimed", stray=stray.number, adopted_as=licence.number)
            tell_changed(uow, old, "cancelled", f"未认领, {stray.number} 已被领养")
    stray.status, stray.adopted_licence_id, stray.left_at = "adopted", licence.id, uow.clock.now()
    uow.session.add(stray)
    history(uow, licence.id, "adopted", ctx.by, stray=stray.number)
    uow.publish(
        StrayLeft(stray_id=stray.id, number=stray.number, outcome="adopted", licence_id=licence.id, at=uow.clock.now())
    )
    await uow.commit()
    return stray


async def died(uow: UnitOfWork, stray_id: str, note: str, by: str) -> Stray:
    stray = await stray_for_update(uow, stray_id)
    _sheltered(stray)
    uow.session.add(StrayCare(stray_id=stray.id, kind="note", note=note, by=by, at=uow.clock.now()))
    stray.status, stray.left_at = "dead", uow.clock.now()
    uow.session.add(stray)
    uow.publish(
        StrayLeft(
            stray_id=stray.id, number=stray.number, outcome="dead", licence_id=stray.licence_id, at=uow.clock.now()
        )
    )
    await uow.commit()
    return stray
