"""考评 published: each scheme's period, once it has closed (after the delay, so late events are in),
assessed and published once (AssessmentPublished, and the rows of its 考评通报); and the 责改通知书
that the assessment deducts for, kept from dispatch's events."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import select

from common.clock import bureau_date, bureau_midnight
from common.messaging.contracts import (
    AssessedUnit,
    AssessmentPublished,
    RectificationNoticeAnswered,
    RectificationNoticeIssued,
)
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from reporting.domain.assessment import Deductions, Scheme
from reporting.domain.indicators import OnTime
from reporting.queries.assessment import assess
from reporting.tables import AssessmentRow, NoticeRow

log = logging.getLogger(__name__)
NOTICES = (RectificationNoticeIssued, RectificationNoticeAnswered)


async def keep_notices(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """Each notice's issue and answer, whichever arrives first."""
    for env in sorted(envelopes, key=lambda e: e.data.notice_id):
        e = env.data
        base = {"notice_id": e.notice_id, "unit_kind": e.unit_kind, "unit_id": e.unit_id}
        if isinstance(e, RectificationNoticeIssued):
            values = {"issued_at": e.issued_at, "due_at": e.due_at}
        else:
            values = {"answered_at": e.answered_at}
        await uow.session.execute(
            pg_insert(NoticeRow)
            .values(**base, **values)
            .on_conflict_do_update(index_elements=["notice_id"], set_=values)
        )


async def publish_closed(
    uow: UnitOfWork,
    schemes: list[Scheme],
    rule: OnTime,
    weights: dict[str, float],
    deductions: Deductions,
    delay_h: float,
) -> list[tuple[str, str]]:
    """The tick: each scheme's period just closed is assessed and published, once."""
    now = uow.clock.now()
    done = []
    for scheme in schemes:
        period = scheme.last_closed(bureau_date(now - timedelta(hours=delay_h)))
        if now < bureau_midnight(period.end) + timedelta(hours=delay_h):
            continue
        held = (
            await uow.session.exec(
                select(AssessmentRow.unit_id).where(
                    AssessmentRow.scheme == scheme.id, AssessmentRow.start == period.start
                )
            )
        ).first()
        if held is not None:
            continue
        units = await assess(uow.session, scheme, period, rule, weights, deductions)
        if not any(u.cases or u.notices for u in units):  # a period with nothing to assess is not published
            continue
        for u in units:
            uow.session.add(
                AssessmentRow(
                    scheme=scheme.id,
                    start=period.start,
                    end=period.end,
                    unit_kind=u.unit_kind,
                    unit_id=u.unit_id,
                    unit_name=u.unit_name,
                    score=u.score,
                    cases=u.cases,
                    rank=u.rank,
                    notices=u.notices,
                    notices_late=u.notices_late,
                    values=u.values,
                    published_at=now,
                )
            )
        uow.publish(
            AssessmentPublished(
                scheme_id=scheme.id,
                scheme_name=scheme.name,
                start=period.start,
                end=period.end,
                weights=[{"indicator": k, "points": v} for k, v in weights.items()],
                units=[
                    AssessedUnit(
                        unit_kind=u.unit_kind,
                        unit_id=u.unit_id,
                        unit_name=u.unit_name,
                        rank=u.rank,
                        score=u.score,
                        cases=u.cases,
                        notices=u.notices,
                        notices_late=u.notices_late,
                    )
                    for u in units
                ],
                at=now,
            )
        )
        await uow.session.flush()
        done.append((scheme.id, period.start.isoformat()))
        log.info("assessment %s of %s published", scheme.id, period.label)
    await uow.commit()
    return done
