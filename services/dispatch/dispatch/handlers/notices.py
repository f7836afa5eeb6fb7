"""责改通知书 issued to an office or a squad and answered in writing; the rules are
dispatch.domain.notices'."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import col, select

from common.clock import bureau_date
from common.messaging.contracts import RectificationNoticeAnswered, RectificationNoticeIssued
from common.refusals import Conflict, NotFound, Unprocessable
from common.uow import UnitOfWork
from dispatch.domain.notices import due_problem, number
from dispatch.tables import RectificationNotice, Squad, Unit


async def issue_notice(
    uow: UnitOfWork,
    *,
    unit_id: str,
    subject: str,
    body: str,
    due_at: datetime,
    case_ids: list[str],
    actor: str,
    prefix: str,
) -> RectificationNotice:
    now = uow.clock.now()
    problem = due_problem(now, due_at)
    if problem:
        raise Unprocessable(problem)
    office = await uow.session.get(Unit, unit_id)
    squad = await uow.session.get(Squad, unit_id)
    if office is not None and office.kind == "office":
        kind, name = "office", office.name
    elif squad is not None:
        kind, name = "squad", squad.name
    else:
        raise Unprocessable(f"unit_id: {unit_id} is neither an office (办事处) nor a squad of the directory")
    await uow.session.execute(text("LOCK TABLE dispatch.rectification_notices IN EXCLUSIVE MODE"))  # gapless 文号
    year = bureau_date(now).year
    issued = (
        await uow.session.execute(
            select(func.count()).where(col(RectificationNotice.number).like(f"{prefix}〔{year}〕%"))
        )
    ).scalar_one()
    notice = RectificationNotice(
        id=str(uuid.uuid4()),
        number=number(prefix, year, issued + 1),
        unit_kind=kind,
        unit_id=unit_id,
        unit_name=name,
        subject=subject,
        text=body,
        case_ids=case_ids,
        issued_by=actor,
        issued_at=now,
        due_at=due_at,
    )
    uow.session.add(notice)
    uow.publish(
        RectificationNoticeIssued(
            notice_id=notice.id,
            number=notice.number,
            unit_kind=kind,
            unit_id=unit_id,
            unit_name=name,
            subject=subject,
            case_ids=case_ids,
            due_at=due_at,
            issued_by=actor,
            issued_at=now,
        )
    )
    await uow.commit()
    return notice


async def answer_notice(
    uow: UnitOfWork, notice_id: str, answer: str, actor: str, unit_id: str | None
) -> RectificationNotice:
    """The office's (or squad's) written answer; `unit_id` the caller's own unit (None: anyone's)."""
    notice = (
        await uow.session.get(RectificationNotice, notice_id, with_for_update=True) if len(notice_id) <= 36 else None
    )
    if notice is None or (unit_id is not None and notice.unit_id != unit_id):
        raise NotFound(f"unknown rectification notice {notice_id}")
    if notice.answered_at is not None:
        raise Conflict(f"notice {notice.number} was answered at {notice.answered_at.isoformat()}")
    now = uow.clock.now()
    notice.answer, notice.answered_by, notice.answered_at = answer, actor, now
    uow.session.add(notice)
    uow.publish(
        RectificationNoticeAnswered(
            notice_id=notice.id,
            number=notice.number,
            unit_kind=notice.unit_kind,
            unit_id=notice.unit_id,
            on_time=now <= notice.due_at,
            answered_at=now,
            actor=actor,
        )
    )
    await uow.commit()
    return notice
