"""劝导: an officer stops a violation on the spot by persuasion, without a case (seed 002 counts
"劝导制止失礼行为10万余次"). Kept with its photos and place against the merchant, and told to
reporting (MerchantPersuaded), which counts them per squad and category."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from common.messaging.contracts import Location, MerchantPersuaded
from common.uow import UnitOfWork
from ledger.handlers.frontage import StoredFile
from ledger.tables import Persuasion


@dataclass(frozen=True)
class Persuade:
    merchant_id: str
    category_code: str
    officer_id: str
    squad_id: str | None
    note: str | None
    location: Location | None
    photos: tuple[StoredFile, ...] = ()


async def persuade(uow: UnitOfWork, cmd: Persuade) -> Persuasion:
    now = uow.clock.now()
    row = Persuasion(
        id=str(uuid.uuid4()),
        merchant_id=cmd.merchant_id,
        category_code=cmd.category_code,
        squad_id=cmd.squad_id,
        officer_id=cmd.officer_id,
        note=cmd.note,
        lon=cmd.location.lon if cmd.location else None,
        lat=cmd.location.lat if cmd.location else None,
        photos=[{"key": p.key, "content_type": p.content_type} for p in cmd.photos],
        persuaded_at=now,
    )
    uow.session.add(row)
    uow.publish(
        MerchantPersuaded(
            persuasion_id=row.id,
            merchant_id=cmd.merchant_id,
            category_code=cmd.category_code,
            squad_id=cmd.squad_id,
            officer_id=cmd.officer_id,
            location=cmd.location,
            photo_count=len(cmd.photos),
            persuaded_at=now,
        )
    )
    await uow.commit()
    return row
