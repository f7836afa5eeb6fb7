"""What hangs on a shop's front: its storefront sign records (门头牌匾) and its 门前三包
responsibility letters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from common.clock import bureau_date
from common.messaging.contracts import ResponsibilityLetterSigned
from common.refusals import NotFound, Unprocessable
from common.uow import UnitOfWork
from ledger.domain.letters import DEFAULT_AREA, LetterRule, valid_until
from ledger.tables import Letter, Merchant, SignRecord


@dataclass(frozen=True)
class StoredFile:
    """A photo or scan already in the object store (content-addressed key)."""

    key: str
    content_type: str


async def _merchant(uow: UnitOfWork, merchant_id: str) -> Merchant:
    m = await uow.session.get(Merchant, merchant_id)
    if m is None:
        raise NotFound(f"merchant {merchant_id} not found")
    return m


async def record_sign(
    uow: UnitOfWork,
    merchant_id: str,
    *,
    width_m: float,
    height_m: float,
    approved: bool,
    problems: list[str],
    photo: StoredFile | None,
    by: str,
) -> SignRecord:
    await _merchant(uow, merchant_id)
    record = SignRecord(
        id=str(uuid.uuid4()),
        merchant_id=merchant_id,
        width_m=width_m,
        height_m=height_m,
        approved=approved,
        problems=problems,
        photo_key=photo.key if photo else None,
        photo_type=photo.content_type if photo else None,
        recorded_by=by,
        recorded_at=uow.clock.now(),
    )
    uow.session.add(record)
    await uow.commit()
    return record


async def sign_fixed(uow: UnitOfWork, merchant_id: str, record_id: str, by: str) -> SignRecord:
    record = (
        await uow.session.exec(
            select(SignRecord)
            .where(SignRecord.id == record_id, SignRecord.merchant_id == merchant_id)
            .with_for_update()
        )
    ).first()
    if record is None:
        raise NotFound(f"no sign record {record_id} of merchant {merchant_id}")
    if not record.problems:
        raise Unprocessable("this sign record has no problems to fix")
    if record.fixed_at is None:
        record.fixed_at, record.fixed_by = uow.clock.now(), by
        uow.session.add(record)
    await uow.commit()
    return record


async def sign_letter(
    uow: UnitOfWork,
    merchant_id: str,
    *,
    office: str,
    signed_on: date,
    area: str | None,
    scan: StoredFile | None,
    by: str,
    rule: LetterRule,
) -> Letter:
    """门前三包责任书 signed (or renewed): in force from `signed_on` for the rule's months."""
    m = await _merchant(uow, merchant_id)
    today = bureau_date(uow.clock.now())
    if signed_on > today:
        raise Unprocessable(f"signed_on {signed_on} is in the future")
    letter = Letter(
        id=str(uuid.uuid4()),
        merchant_id=merchant_id,
        office=office,
        area=area or DEFAULT_AREA,
        signed_on=signed_on,
        valid_until=valid_until(signed_on, rule),
        scan_key=scan.key if scan else None,
        scan_type=scan.content_type if scan else None,
        recorded_by=by,
        recorded_at=uow.clock.now(),
    )
    uow.session.add(letter)
    uow.publish(
        ResponsibilityLetterSigned(
            merchant_id=m.id,
            letter_id=letter.id,
            grid_id=m.grid_id,
            office=office,
            signed_on=signed_on,
            valid_until=letter.valid_until,
            at=letter.recorded_at,
        )
    )
    await uow.commit()
    return letter
