"""What ledger tells reporting: the registers' figures for the district and each grid
(LedgerFiguresReported), on each tick, and only those that changed since they were last told."""

from __future__ import annotations

import hashlib

from sqlmodel import select

from common.clock import bureau_date
from common.messaging.contracts import LedgerFiguresReported
from common.uow import UnitOfWork
from ledger.domain.catering import CleaningRule
from ledger.domain.dogs import DogRules
from ledger.domain.letters import LetterRule
from ledger.queries.registers import figures
from ledger.tables import Announcement


async def tell_figures(
    uow: UnitOfWork, letter_rule: LetterRule, cleaning_rule: CleaningRule, dog_rules: DogRules, shelter_capacity: int
) -> int:
    now = uow.clock.now()
    told = 0
    found = await figures(uow.session, bureau_date(now), letter_rule, cleaning_rule, dog_rules, shelter_capacity)
    for area, f in found.items():
        digest = hashlib.sha256(f.model_dump_json().encode()).hexdigest()
        name = f"figures:{area}"
        last = (await uow.session.exec(select(Announcement).where(Announcement.name == name).with_for_update())).first()
        if last is not None and last.digest == digest:
            continue
        last = last or Announcement(name=name, digest=digest, at=now)
        last.digest, last.at = digest, now
        uow.session.add(last)
        uow.publish(LedgerFiguresReported(area_id=area, as_of=now, figures=f))
        told += 1
    await uow.commit()
    return told
