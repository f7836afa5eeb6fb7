"""行政处罚结果公示 as kept: a decision published when it is made (well within its working days),
or withheld with the reason; withdrawn when a review revokes it. The rules are
cases.domain.publication's."""

from __future__ import annotations

from cases.domain import publication as pub
from cases.domain.enforcement import Track
from cases.tables import Case, Publication
from common.clock import BEIJING
from common.uow import UnitOfWork
from common.workcalendar import calendar_of, national_days

NATIONAL = calendar_of(national_days())
"""The State Council's holidays and make-up working days (chinesecalendar): the working days a
publication is counted in."""


async def publish(
    uow: UnitOfWork, case: Case, track: Track, withheld: str | None, *, working_days: int, days: int
) -> Publication:
    now = uow.clock.now()
    decided_on = now.astimezone(BEIJING).date()
    notice = pub.notice_of(track, track.power_name or "违反城市管理法律法规", decided_on)
    row = Publication(
        case_id=case.id,
        decision_number=notice.decision_number,
        party=notice.party,
        violation=notice.violation,
        basis=notice.basis,
        decision=notice.decision,
        decided_on=decided_on,
        due_by=pub.due_by(decided_on, working_days, NATIONAL.is_working_day),
        withheld=withheld,
        published_at=None if withheld else now,
        shown_until=None if withheld else pub.shown_until(now, days),
    )
    await uow.session.merge(row)
    return row


async def withdraw(uow: UnitOfWork, case_id: str, reason: str) -> bool:
    """Take a published decision off the page; False when there was nothing shown to withdraw."""
    row = await uow.session.get(Publication, case_id, with_for_update=True)
    if row is None or row.published_at is None or row.withdrawn_at is not None:
        return False
    row.withdrawn_at, row.withdrawn_reason = uow.clock.now(), reason
    uow.session.add(row)
    return True
