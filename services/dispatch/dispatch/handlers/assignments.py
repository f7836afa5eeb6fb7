"""Dispatch's steps on an assignment: from the command centre's queue to a squad, 签收 accept,
退回 return, 改派 reassign, reroute, 延期 extend, 督办 supervise and its answer, and following
the case (the clock stops while it is handled or suspended). Which step is allowed from which
state is dispatch.domain.assignments; routing is dispatch.handlers.routing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

from sqlmodel import select

from common.messaging.contracts import (
    AssignmentAccepted,
    AssignmentGiven,
    AssignmentReturned,
    CaseTransitioned,
    DeadlineExtended,
    ExtensionDeclined,
    ExtensionRequested,
    IntegrationEvent,
    Location,
    SupervisionOrderAnswered,
    SupervisionOrderIssued,
)
from common.messaging.envelope import Envelope
from common.refusals import NotFound, found
from common.uow import UnitOfWork
from common.vocabulary import CaseAction
from dispatch.domain.assignments import (
    StepRefused,
    after_case,
    plan,
    refuse_late_return,
    refuse_no_request,
    refuse_outside_squad,
)
from dispatch.domain.deadlines import deadline
from dispatch.handlers import routing
from dispatch.handlers.context import Context, notify_board
from dispatch.handlers.routing import CaseInfo, ToAssign
from dispatch.tables import Assignment, Grid, Officer, QueueItem, SupervisionOrder


async def _tell(uow: UnitOfWork, ctx: Context, a: Assignment, event: IntegrationEvent) -> Assignment:
    """A step done: its event, the consoles told once the transaction commits, and the commit."""
    uow.session.add(a)
    uow.publish(event)
    await notify_board(uow, ctx, "assignment", id=a.id, case_id=a.case_id, squad_id=a.squad_id)
    await uow.commit()
    return a


async def current(uow: UnitOfWork, case_id: str, lock: bool = True) -> Assignment | None:
    """The case's current assignment (locked, unless `lock` is False)."""
    query = select(Assignment).where(Assignment.case_id == case_id, Assignment.current)
    return (await uow.session.exec(query.with_for_update() if lock else query)).first()


async def _reroute(
    uow: UnitOfWork, ctx: Context, case: CaseInfo, *, actor: str, previous: Assignment | None
) -> Assignment | None:
    """The rules run again on a corrected case: a squad, or the command centre's queue."""
    decision = routing.decide(ctx, case, uow.clock.now())
    if decision.squad_id is None:
        await routing.enqueue(uow, ctx, [(case, decision.reason or "rule", None)], unroutable=True)
        return None
    [new_id] = await routing.assign(
        uow,
        ctx,
        [
            ToAssign(
                case=case,
                squad_id=decision.squad_id,
                how="reroute",
                actor=actor,
                rule=decision.rule,
                previous_id=previous.id if previous else None,
                previous_squad_id=previous.squad_id if previous else None,
            )
        ],
    )
    return await uow.session.get(Assignment, new_id)


# -- a dispatcher's and a squad's steps -----------------------------------------------------------


async def dispatch_from_queue(uow: UnitOfWork, ctx: Context, case_id: str, squad_id: str, actor: str) -> Assignment:
    item = (await uow.session.exec(select(QueueItem).where(QueueItem.case_id == case_id).with_for_update())).first()
    if item is None:
        raise NotFound(f"case {case_id} is not waiting for dispatch")
    [new_id] = await routing.assign(
        uow, ctx, [ToAssign(case=_info(item), squad_id=squad_id, how="manual", actor=actor)]
    )
    assignment = found(await uow.session.get(Assignment, new_id), f"assignment {new_id}")
    await uow.commit()
    return assignment


async def _open_assignment(uow: UnitOfWork, assignment_id: str) -> Assignment:
    a = (await uow.session.exec(select(Assignment).where(Assignment.id == assignment_id).with_for_update())).first()
    if a is None:
        raise NotFound(f"unknown assignment {assignment_id}")
    return a


def _step(step: str, a: Assignment | None, what: str) -> tuple[Assignment, str]:
    """The assignment and the state `step` takes it to, as the domain's `plan` rules; StepRefused
    when the step is not allowed now (a missing assignment included)."""
    to = plan(step, a.status if a else None, current=a is not None and a.current, what=what)
    if a is None:  # pragma: no cover - plan refuses a missing assignment
        raise StepRefused(f"{what}: no assignment")
    return a, to or a.status


def _info(row: Assignment | QueueItem, **changes) -> CaseInfo:
    """What routing needs to know of a case, from its assignment or its place in the queue."""
    return replace(
        CaseInfo(
            case_id=row.case_id,
            case_number=row.case_number,
            category_code=row.category_code,
            channel=row.channel,
            urgency=row.urgency,
            description=row.description,
            lon=row.lon,
            lat=row.lat,
            time_limit_hours=row.time_limit_hours,
            address=row.address,
            source_deadline=row.source_deadline,
            owner_id=row.owner_id,
            owner_name=row.owner_name,
        ),
        **changes,
    )


async def accept(uow: UnitOfWork, ctx: Context, assignment_id: str, actor: str) -> Assignment:
    a = await _open_assignment(uow, assignment_id)
    a, a.status = _step("accept", a, f"assignment {assignment_id}")
    a.accepted_at = uow.clock.now()
    return await _tell(
        uow,
        ctx,
        a,
        AssignmentAccepted(
            assignment_id=a.id,
            case_id=a.case_id,
            squad_id=a.squad_id,
            officer_id=a.officer_id,
            accepted_at=a.accepted_at,
            actor=actor,
        ),
    )


async def give(uow: UnitOfWork, ctx: Context, assignment_id: str, officer_id: str, actor: str) -> Assignment:
    """分派到人: the squad leader names the officer who takes the assignment; it is theirs in 我的任务."""
    a = await _open_assignment(uow, assignment_id)
    a, a.status = _step("give", a, f"assignment {assignment_id}")
    officer = await uow.session.get(Officer, officer_id)
    refuse_outside_squad(officer.squad_id if officer else None, a.squad_id, officer_id)
    previous, a.officer_id = a.officer_id, officer_id
    return await _tell(
        uow,
        ctx,
        a,
        AssignmentGiven(
            assignment_id=a.id,
            case_id=a.case_id,
            squad_id=a.squad_id,
            officer_id=officer_id,
            previous_officer_id=previous,
            given_at=uow.clock.now(),
            actor=actor,
        ),
    )


async def ask_extension(
    uow: UnitOfWork, ctx: Context, assignment_id: str, hours: float, reason: str, actor: str
) -> Assignment:
    """申请延期: the squad asks the command centre for more time, with its reason; a new request
    replaces one not yet answered. The command centre grants it (`extend`) or declines it."""
    a, _ = _step("ask_extension", await _open_assignment(uow, assignment_id), f"assignment {assignment_id}")
    now = uow.clock.now()
    a.extension_asked_hours, a.extension_asked_reason = hours, reason
    a.extension_asked_by, a.extension_asked_at = actor, now
    return await _tell(
        uow,
        ctx,
        a,
        ExtensionRequested(
            assignment_id=a.id,
            case_id=a.case_id,
            squad_id=a.squad_id,
            hours=hours,
            reason=reason,
            requested_at=now,
            actor=actor,
        ),
    )


async def decline_extension(uow: UnitOfWork, ctx: Context, case_id: str, reason: str, actor: str) -> Assignment:
    """驳回延期: the deadline stands; the squad sees why."""
    a, _ = _step("decline_extension", await current(uow, case_id), f"case {case_id}")
    refuse_no_request(a.extension_asked_at, f"case {case_id}")
    _clear_request(a)
    return await _tell(
        uow,
        ctx,
        a,
        ExtensionDeclined(
            assignment_id=a.id,
            case_id=a.case_id,
            squad_id=a.squad_id,
            reason=reason,
            declined_at=uow.clock.now(),
            actor=actor,
        ),
    )


def _clear_request(a: Assignment) -> None:
    a.extension_asked_hours = a.extension_asked_reason = a.extension_asked_by = None
    a.extension_asked_at = None


async def return_assignment(
    uow: UnitOfWork, ctx: Context, assignment_id: str, reason: str, note: str | None, actor: str
) -> Assignment:
    """退回: within the return window, before accepting, with a reason; the case waits in the queue."""
    a = await _open_assignment(uow, assignment_id)
    a, returned = _step("return", a, f"assignment {assignment_id}")
    now = uow.clock.now()
    refuse_late_return(
        now, ctx.calendar.add_working_hours(a.assigned_at, ctx.return_window_hours), ctx.return_window_hours
    )
    a.status, a.current, a.returned_at, a.return_reason, a.closed_at = returned, False, now, reason, now
    a.next_check_at = None
    uow.session.add(a)
    await uow.session.flush()
    await routing.enqueue(uow, ctx, [(_info(a), f"returned:{reason}", None)], unroutable=False)
    return await _tell(
        uow,
        ctx,
        a,
        AssignmentReturned(
            assignment_id=a.id,
            case_id=a.case_id,
            squad_id=a.squad_id,
            category_code=a.category_code,
            reason=reason,
            note=note,
            returned_at=now,
            actor=actor,
        ),
    )


async def _supersede(uow: UnitOfWork, case_id: str, a: Assignment | None) -> Assignment:
    """Close the case's current assignment `a` (read with its lock) so another can take its place."""
    a, status = _step("supersede", a, f"case {case_id}")
    a.status, a.current, a.closed_at, a.next_check_at = status, False, uow.clock.now(), None
    uow.session.add(a)
    await uow.session.flush()
    return a


async def reassign(uow: UnitOfWork, ctx: Context, case_id: str, squad_id: str, actor: str) -> Assignment:
    """改派: a dispatcher moves the case to another squad at any time; the time limit starts again."""
    previous = await _supersede(uow, case_id, await current(uow, case_id))
    if previous.squad_id == squad_id:
        raise StepRefused(f"case {case_id} is already with {squad_id}")
    [new_id] = await routing.assign(
        uow,
        ctx,
        [
            ToAssign(
                case=_info(previous),
                squad_id=squad_id,
                how="reassign",
                actor=actor,
                previous_id=previous.id,
                previous_squad_id=previous.squad_id,
            )
        ],
        from_queue=False,
    )
    assignment = found(await uow.session.get(Assignment, new_id), f"assignment {new_id}")
    await uow.commit()
    return assignment


async def reroute(
    uow: UnitOfWork,
    ctx: Context,
    case_id: str,
    actor: str,
    *,
    category_code: str | None = None,
    location: Location | None = None,
) -> Assignment | None:
    """The dispatcher corrected the category or the location: the rules run again."""
    previous = await current(uow, case_id)
    if previous is not None:
        previous = await _supersede(uow, case_id, previous)
        info = _info(previous)
    else:
        item = await uow.session.get(QueueItem, case_id, with_for_update=True)
        if item is None:
            raise NotFound(f"case {case_id} is neither assigned nor waiting for dispatch")
        info = _info(item)
    if category_code:
        info = replace(info, category_code=category_code)
    if location:
        info = replace(info, lon=location.lon, lat=location.lat)
    assignment = await _reroute(uow, ctx, info, actor=actor, previous=previous)
    await uow.commit()
    return assignment


async def extend(uow: UnitOfWork, ctx: Context, case_id: str, hours: float, reason: str, actor: str) -> Assignment:
    """延期: move the deadline by `hours` (working hours, or clock hours for an urgent case)."""
    a, _ = _step("extend", await current(uow, case_id), f"case {case_id}")
    before = a.deadline_at
    if before is None:
        raise StepRefused(f"case {case_id} has no deadline to extend")
    a.deadline_at = deadline(ctx.calendar, before, hours, a.urgency)
    a.extensions += 1
    _clear_request(a)  # a request waiting is answered by the extension
    a.next_check_at = a.warn_at if a.escalation_level < 0 else a.deadline_at
    if a.escalation_level > 0:  # the overdue steps restart from the new deadline
        a.escalation_level = 0
    now = uow.clock.now()
    return await _tell(
        uow,
        ctx,
        a,
        DeadlineExtended(
            assignment_id=a.id,
            case_id=a.case_id,
            squad_id=a.squad_id,
            category_code=a.category_code,
            previous_deadline_at=before,
            deadline_at=a.deadline_at,
            hours=hours,
            reason=reason,
            extended_at=now,
            actor=actor,
        ),
    )


async def supervise(
    uow: UnitOfWork, ctx: Context, case_id: str, instruction: str, hours: float, actor: str, to_office: bool = False
) -> SupervisionOrder:
    """督办: an order with its own deadline (working hours), to the squad that has the case, or to the
    办事处 of the case's grid (which answers it then)."""
    a = await current(uow, case_id, lock=False)
    if a is None:
        raise StepRefused(f"case {case_id} is not with a squad: dispatch it before supervising")
    office_id = None
    if to_office:
        grid = await uow.session.get(Grid, a.grid_id) if a.grid_id else None
        if grid is None or grid.office_id is None:
            raise StepRefused(f"case {case_id} lies in no office's grid: supervise its squad")
        office_id = grid.office_id
    now = uow.clock.now()
    order = SupervisionOrder(
        id=str(uuid.uuid4()),
        case_id=case_id,
        squad_id=a.squad_id,
        office_id=office_id,
        instruction=instruction,
        issued_by=actor,
        issued_at=now,
        due_at=ctx.calendar.add_working_hours(now, hours),
    )
    uow.session.add(order)
    uow.publish(
        SupervisionOrderIssued(
            order_id=order.id,
            case_id=case_id,
            squad_id=a.squad_id,
            office_id=office_id,
            instruction=instruction,
            due_at=order.due_at,
            issued_at=now,
            actor=actor,
        )
    )
    await notify_board(uow, ctx, "supervision", id=order.id, case_id=case_id, squad_id=a.squad_id)
    await uow.commit()
    return order


async def answer_order(
    uow: UnitOfWork,
    ctx: Context,
    order_id: str,
    answer: str,
    actor: str,
    squad_id: str | None,
    office_id: str | None = None,
) -> SupervisionOrder:
    order = await uow.session.get(SupervisionOrder, order_id, with_for_update=True)
    if order is None or (squad_id is not None and order.squad_id != squad_id):
        raise NotFound(f"unknown supervision order {order_id}")
    if (office_id is not None and order.office_id != office_id) or (office_id is None and order.office_id is not None):
        raise NotFound(f"unknown supervision order {order_id}: an order to an office is its office's to answer")
    if order.answered_at is not None:
        raise StepRefused(f"supervision order {order_id} was answered at {order.answered_at.isoformat()}")
    now = uow.clock.now()
    order.answer, order.answered_by, order.answered_at = answer, actor, now
    uow.session.add(order)
    uow.publish(
        SupervisionOrderAnswered(
            order_id=order.id,
            case_id=order.case_id,
            squad_id=order.squad_id,
            on_time=now <= order.due_at,
            answered_at=now,
            actor=actor,
        )
    )
    await notify_board(uow, ctx, "supervision", id=order.id, case_id=order.case_id, squad_id=order.squad_id)
    await uow.commit()
    return order


# -- following the case ---------------------------------------------------------------------------


async def follow_case(
    event: CaseTransitioned, env: Envelope, uow: UnitOfWork, *, context: Callable[[], Context]
) -> None:
    """The clock stops while the case is handled or suspended, and starts again on rework,
    reopen or resume; a case that ends closes its assignment."""
    if event.action == CaseAction.dispatch:
        return
    a = await current(uow, event.case_id)
    after = a and after_case(event.action, event.to_status, a.status, a.accepted_at is not None)
    if a is None or not after:
        return
    a.status, a.current = after.status, after.current
    a.next_check_at = event.at if after.restart_clock else None  # look at its deadline again now, or never
    if not after.current:
        a.closed_at = event.at
    uow.session.add(a)
    await notify_board(uow, context(), "assignment", id=a.id, case_id=a.case_id, squad_id=a.squad_id)
