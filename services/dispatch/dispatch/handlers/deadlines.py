"""逐级负责制: warn the officer at the share of the time limit, then, once overdue, climb the
escalation chain the directory gives (中队长, 大队长, 局长), each step once; and the 督办 orders
not answered in time. Claimed with SKIP LOCKED, so replicas share the tick."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import col, select

from common.messaging.contracts import AssignmentEscalated, EnforcementStepRecorded, WorkOrderExtended
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from dispatch.domain.assignments import OPEN
from dispatch.domain.deadlines import LEGAL_KINDS, legal_warning
from dispatch.domain.directory import Link
from dispatch.domain.routing import escalation_step
from dispatch.handlers.alerts import alert
from dispatch.handlers.assignments import current
from dispatch.handlers.context import Context, notify_board
from dispatch.tables import Assignment, Escalation, LegalDeadline, SupervisionOrder

log = logging.getLogger(__name__)


async def _escalate(
    uow: UnitOfWork,
    ctx: Context,
    a: Assignment,
    level: int,
    role: str,
    kind: str,
    at: datetime,
    person: Link | None = None,
    deadline_at: datetime | None = None,
):
    """One step of the chain taken: kept, told on Kafka (and to whom, by message), shown on the
    board. `deadline_at`, the deadline missed when it is not the assignment's (a deadline in law)."""
    uow.session.add(
        Escalation(
            assignment_id=a.id, case_id=a.case_id, squad_id=a.squad_id, level=level, kind=kind, notify_role=role, at=at
        )
    )
    uow.publish(
        AssignmentEscalated(
            assignment_id=a.id,
            case_id=a.case_id,
            squad_id=a.squad_id,
            category_code=a.category_code,
            level=level,
            notify_role=role,
            kind=kind,
            deadline_at=deadline_at or a.deadline_at,
            at=at,
            notify_person_id=person.person_id if person else a.officer_id,
            notify_person_name=person.person_name if person else None,
        )
    )
    if kind in ("overdue", "owner_warning"):  # 超时, 包案: a message too, to whom is named (OfficerAlerted)
        uow.publish(
            alert(
                "owner_warning" if kind == "owner_warning" else "overdue",
                case_id=a.case_id,
                case_number=a.case_number,
                squad_id=a.squad_id,
                person_id=person.person_id if person else a.officer_id,
                notify_role=role,
                category_code=a.category_code,
                category_name=ctx.category_names.get(a.category_code, a.category_code),
                address=a.address,
                deadline_at=a.deadline_at,
                at=at,
            )
        )
    log.info("case %s escalated: level %s (%s) to %s", a.case_number, level, kind, role)
    await notify_board(
        uow,
        ctx,
        "escalation",
        id=a.id,
        case_id=a.case_id,
        squad_id=a.squad_id,
        level=level,
        role=role,
        escalation_kind=kind,
        person_name=person.person_name if person else None,
    )


async def _climb(
    uow: UnitOfWork, ctx: Context, a: Assignment, level: int, deadline_at: datetime, kind: str, now: datetime
) -> tuple[int, datetime | None, int]:
    """A missed deadline climbs the squad's chain (逐级负责制) from `level`, each step once and each at
    its working hours after the deadline: the level reached, when to look again (None at the top),
    and the steps taken now. Told through the case's assignment `a`."""
    chain = ctx.directory.chain(a.squad_id)
    taken = 0
    while True:
        link = escalation_step(max(level, 0), chain)
        if link is None:
            return level, None, taken
        step_due = ctx.calendar.add_working_hours(deadline_at, link.after_hours) if link.after_hours else deadline_at
        if now < step_due:
            return level, step_due, taken
        level = max(level, 0) + 1
        await _escalate(uow, ctx, a, level, link.role, kind, now, link, deadline_at=deadline_at)
        taken += 1


OWNER = "owner_leader"
"""The 包案领导 of a 信访, 领导交办 or 舆情 case, as the escalations name them."""


def _owner(a: Assignment) -> Link:
    return Link(OWNER, 0.0, a.owner_id, a.owner_name)


async def check_deadlines(uow: UnitOfWork, ctx: Context, limit: int = 500) -> int:
    """Warn at the share of the time limit, then climb the chain step by step once overdue.
    Rows are claimed with SKIP LOCKED, so replicas share the work and no step is taken twice."""
    now = uow.clock.now()
    due = (
        await uow.session.exec(
            select(Assignment)
            .where(col(Assignment.current), col(Assignment.next_check_at) <= now, col(Assignment.status).in_(OPEN))
            .order_by(col(Assignment.next_check_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    steps = 0
    for a in due:
        deadline_at = a.deadline_at
        if deadline_at is None:  # nothing to warn of or climb: look no more
            a.next_check_at = None
            uow.session.add(a)
            continue
        if a.escalation_level < 0 and now < deadline_at:
            await _escalate(uow, ctx, a, 0, "officer", "warning", now)
            a.escalation_level, a.next_check_at = 0, deadline_at
            steps += 1
            if a.owner_id:  # 包案: the leader who owns it is told now, not after the chain
                await _escalate(uow, ctx, a, 1, OWNER, "owner_warning", now, _owner(a))
                a.escalation_level = 1
                steps += 1
        if a.owner_id:  # ... and once overdue, that leader again, and no one up the usual chain
            if now >= deadline_at:
                await _escalate(uow, ctx, a, max(a.escalation_level, 0) + 1, OWNER, "overdue", now, _owner(a))
                a.escalation_level, a.next_check_at = max(a.escalation_level, 0) + 1, None
                steps += 1
            uow.session.add(a)
            continue
        if now >= deadline_at:
            a.escalation_level, a.next_check_at, taken = await _climb(
                uow, ctx, a, a.escalation_level, deadline_at, "overdue", now
            )
            steps += taken
        uow.session.add(a)
    overdue_orders = (
        await uow.session.exec(
            select(SupervisionOrder)
            .where(
                col(SupervisionOrder.answered_at).is_(None),
                SupervisionOrder.due_at <= now,
                col(SupervisionOrder.overdue_notified).is_(False),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for order in overdue_orders:
        held = await current(uow, order.case_id, lock=False)
        if held is not None:
            brigade = next((link for link in ctx.directory.chain(held.squad_id) if link.role == "brigade_leader"), None)
            await _escalate(
                uow, ctx, held, max(held.escalation_level, 0) + 1, "brigade_leader", "supervision_overdue", now, brigade
            )
        order.overdue_notified = True
        uow.session.add(order)
        steps += 1
    await uow.commit()
    return steps


async def follow_legal_deadlines(event: EnforcementStepRecorded, env: Envelope, uow: UnitOfWork, *, context) -> None:
    """A penalty case's deadlines in law as its last step left them: one that runs is kept (moved
    when it moved, its warning and chain started again), one no longer listed has been met (the
    decision taken, the on-the-spot decision filed) and is dropped; an older step changes nothing."""
    ctx: Context = context()
    for kind in LEGAL_KINDS:
        held = await uow.session.get(LegalDeadline, (event.case_id, kind), with_for_update=True)
        if held is not None and held.as_of > event.at:
            continue
        due = event.deadlines.get(kind)
        if due is None:
            if held is not None:
                await uow.session.delete(held)
            continue
        if held is not None and held.due_at == due:
            held.as_of, held.squad_id = event.at, event.squad_id or held.squad_id
            uow.session.add(held)
            continue
        warn = legal_warning(kind, due, ctx.decision_warning_days)
        row = held or LegalDeadline(
            case_id=event.case_id,
            kind=kind,
            case_number=event.case_number,
            category_code=event.category_code,
            due_at=due,
            as_of=event.at,
        )
        row.squad_id, row.due_at, row.as_of = event.squad_id, due, event.at
        row.level, row.next_check_at = -1, warn if warn is not None else due
        uow.session.add(row)


async def check_legal_deadlines(uow: UnitOfWork, ctx: Context, limit: int = 500) -> int:
    """Warn the squad ahead of the 90 days, then climb its chain once a deadline in law is missed,
    each step once, told through the case's assignment as a handling deadline is."""
    now = uow.clock.now()
    due = (
        await uow.session.exec(
            select(LegalDeadline)
            .where(col(LegalDeadline.next_check_at) <= now)
            .order_by(col(LegalDeadline.next_check_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    steps = 0
    for d in due:
        held = await current(uow, d.case_id, lock=False)
        if held is None:  # not (or no longer) with a squad: nobody to tell; looked at again tomorrow
            d.next_check_at = now + timedelta(days=1)
            uow.session.add(d)
            continue
        warning_kind, overdue_kind = LEGAL_KINDS[d.kind]
        if d.level < 0 and now < d.due_at:
            if warning_kind is not None:
                await _escalate(uow, ctx, held, 0, "officer", warning_kind, now, deadline_at=d.due_at)
                steps += 1
            d.level, d.next_check_at = 0, d.due_at
        if now >= d.due_at:
            d.level, d.next_check_at, taken = await _climb(uow, ctx, held, d.level, d.due_at, overdue_kind, now)
            steps += taken
        uow.session.add(d)
    await uow.commit()
    return steps


async def extend_for_order(event: WorkOrderExtended, env: Envelope, uow: UnitOfWork, *, context) -> None:
    """The 12345 centre granted the bureau more time: the order's deadline moves, and the assignment's
    with it where the order's deadline is the one that runs (warned again at the share of the new
    time left; nothing climbs the chain for the old deadline)."""
    if event.case_id is None:
        return
    a = await current(uow, event.case_id, lock=True)
    if a is None:
        return
    a.source_deadline = event.until
    if a.deadline_basis == "source" and (a.deadline_at is None or event.until > a.deadline_at):
        now = uow.clock.now()
        ctx = context()
        a.deadline_at = event.until
        a.warn_at = now + max(event.until - now, timedelta(0)) * ctx.warn_share
        a.escalation_level, a.next_check_at = -1, a.warn_at
        await notify_board(uow, ctx, "assignment", id=a.id, case_id=a.case_id, squad_id=a.squad_id)
    uow.session.add(a)
