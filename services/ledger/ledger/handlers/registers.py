"""Two registers from the seeds: 困难户档案 (hardship households among the vendors and merchants:
the details for clerks and supervisors, the 帮扶对象 flag for officers, so that enforcement can
come with help) and 小广告号码追呼 (the numbers printed on illegal flyers, tracked until they
stop or are fined)."""

from __future__ import annotations

import uuid

from sqlmodel import select

from common.messaging.contracts import MerchantChanged
from common.refusals import NotFound
from common.uow import UnitOfWork
from ledger.domain.flyers import FlyerStatus, next_status
from ledger.domain.merchant import phone_number
from ledger.handlers.frontage import StoredFile
from ledger.handlers.merchants import merchant_state
from ledger.tables import FlyerNumber, HardshipRecord, Merchant


async def record_hardship(
    uow: UnitOfWork,
    merchant_id: str,
    *,
    circumstances: str,
    household: str | None,
    assistance: str | None,
    active: bool,
    by: str,
) -> HardshipRecord:
    """困难户: the record, and the 帮扶对象 flag told with the merchant when it turns on or off."""
    m = await uow.session.get(Merchant, merchant_id)
    if m is None:
        raise NotFound(f"merchant {merchant_id} not found")
    record = await uow.session.get(HardshipRecord, merchant_id, with_for_update=True)
    was_active = bool(record and record.active)
    record = record or HardshipRecord(
        merchant_id=merchant_id, circumstances=circumstances, recorded_by=by, updated_at=uow.clock.now()
    )
    record.circumstances, record.household, record.assistance = circumstances, household, assistance
    record.active, record.recorded_by, record.updated_at = active, by, uow.clock.now()
    uow.session.add(record)
    if active != was_active:
        uow.publish(merchant_state(m, MerchantChanged, uow.clock.now(), assisted=active))
    await uow.commit()
    return record


async def track_number(
    uow: UnitOfWork, number: str, *, grid_id: str | None, note: str | None, photos: list[StoredFile], by: str
) -> FlyerNumber:
    """A number seen on flyers: tracked from now; seen again, its new photos are added."""
    value = phone_number(number)
    row = (await uow.session.exec(select(FlyerNumber).where(FlyerNumber.number == value).with_for_update())).first()
    now = uow.clock.now()
    added = [{"key": p.key, "content_type": p.content_type, "at": now.isoformat(), "by": by} for p in photos]
    if row is None:
        row = FlyerNumber(
            id=str(uuid.uuid4()),
            number=value,
            status=FlyerStatus.tracked,
            grid_id=grid_id,
            note=note,
            photos=added,
            first_seen_at=now,
            updated_at=now,
        )
    else:
        known = {p["key"] for p in row.photos}
        row.photos = row.photos + [p for p in added if p["key"] not in known]
        row.note, row.updated_at = note or row.note, now
    uow.session.add(row)
    await uow.commit()
    return row


async def flyer_status(
    uow: UnitOfWork, flyer_id: str, to: FlyerStatus, *, fine_fen: int | None, note: str | None
) -> FlyerNumber:
    row = (await uow.session.exec(select(FlyerNumber).where(FlyerNumber.id == flyer_id).with_for_update())).first()
    if row is None:
        raise NotFound(f"flyer number {flyer_id} not found")
    row.status = next_status(FlyerStatus(row.status), to, fine_fen)
    if to == FlyerStatus.fined and fine_fen:  # next_status refuses a fine without its amount
        row.fine_fen = fine_fen
    row.note, row.updated_at = note or row.note, uow.clock.now()
    uow.session.add(row)
    await uow.commit()
    return row
