"""Dispatch's service layer: route a filed case by the rules, hand it to a squad with a deadline
in working time, follow the assignment (accept, return, reassign, reroute, 延期), and climb the
escalation chain (逐级负责制) when it runs late. Rules live in dispatch.domain and
dispatch.workcalendar; this module loads, asks them, stores and publishes."""
from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import delete, func, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select

from common.messaging.contracts import (AssignmentAccepted, AssignmentEscalated, AssignmentReturned, CaseTransitioned,
                                        CategoryDefined, DeadlineExtended, GridDefined, Location, PatrolCheckedIn,
                                        PatrolPostMissed, SupervisionOrderAnswered, SupervisionOrderIssued,
                                        WorkCalendarChanged)
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from dispatch import routing
from dispatch.board import BoardNotifier
from dispatch.routing import CaseInfo, ToAssign
from dispatch.directory import Link
from dispatch.directory_handlers import Directory
from dispatch.domain import (OPEN, AssignmentStatus, GridMap, RoutingRule,
                             escalation_step)
from common.geo import distance_m
from dispatch.patrol import PostWindow, judge_check_in, shifts_on
from dispatch.tables import (Announcement, Assignment, CalendarDay, CategoryName, Escalation, Grid, Officer, PatrolPost,
                             PatrolShift, QueueItem, RoutingRuleRow, Squad, SupervisionOrder)
from dispatch.workcalendar import OFFICE_HOURS, WorkCalendar, deadline
from common.workcalendar import SpecialDay, national_days, with_corrections

log = logging.getLogger(__name__)
BOARD_CHANNEL = "dispatch_board"


class DispatchRefused(Exception):
    """The step is not allowed now, with why (HTTP 409)."""


@dataclass
class Context:
    """What dispatch's rules need, kept fresh by the service."""
    grid_map: GridMap
    rules: list[RoutingRule]
    calendar: WorkCalendar
    default_time_limit_hours: float
    warn_share: float
    return_window_hours: float
    directory: Directory
    namespace: str = ""
    patrol_grace: timedelta = timedelta(minutes=10)
    board: BoardNotifier | None = None
    squad_names: dict[str, str] = field(default_factory=dict)


async def notify_board(uow: UnitOfWork, ctx: Context, kind: str, **data) -> None:
    """Tell every replica's consoles, once this transaction has committed (dispatch.board)."""
    if ctx.board is not None:
        ctx.board.changed(uow, kind, **data)


async def _current(uow: UnitOfWork, case_id: str, lock: bool = True) -> Assignment | None:
    query = select(Assignment).where(Assignment.case_id == case_id, Assignment.current)
    return (await uow.session.exec(query.with_for_update() if lock else query)).first()


async def _reroute(uow: UnitOfWork, ctx: Context, case: CaseInfo, *, actor: str,
                   previous: Assignment | None) -> Assignment | None:
    """The rules run again on a corrected case: a squad, or the command centre's queue."""
    decision = routing.decide(ctx, case, uow.clock.now())
    if decision.squad_id is None:
        await routing.enqueue(uow, ctx, [(case, decision.reason or "rule", None)], unroutable=True)
        return None
    [new_id] = await routing.assign(uow, ctx, [ToAssign(
        case=case, squad_id=decision.squad_id, how="reroute", actor=actor, rule=decision.rule,
        previous_id=previous.id if previous else None, previous_squad_id=previous.squad_id if previous else None)])
    return await uow.session.get(Assignment, new_id)


# -- a dispatcher's and a squad's steps -----------------------------------------------------------

async def dispatch_from_queue(uow: UnitOfWork, ctx: Context, case_id: str, squad_id: str, actor: str) -> Assignment:
    item = (await uow.session.exec(select(QueueItem).where(QueueItem.case_id == case_id).with_for_update())).first()
    if item is None:
        raise LookupError(f"case {case_id} is not waiting for dispatch")
    [new_id] = await routing.assign(uow, ctx, [ToAssign(case=_info(item), squad_id=squad_id, how="manual",
                                                        actor=actor)])
    assignment = await uow.session.get(Assignment, new_id)
    await uow.commit()
    return assignment


async def _open_assignment(uow: UnitOfWork, assignment_id: str) -> Assignment:
    a = (await uow.session.exec(select(Assignment).where(Assignment.id == assignment_id).with_for_update())).first()
    if a is None:
        raise LookupError(f"unknown assignment {assignment_id}")
    return a


def _info(row: Assignment | QueueItem, **changes) -> CaseInfo:
    """What routing needs to know of a case, from its assignment or its place in the queue."""
    return replace(CaseInfo(case_id=row.case_id, case_number=row.case_number, category_code=row.category_code,
                            channel=row.channel, urgency=row.urgency, description=row.description, lon=row.lon,
                            lat=row.lat, time_limit_hours=row.time_limit_hours, address=row.address), **changes)


async def accept(uow: UnitOfWork, ctx: Context, assignment_id: str, actor: str) -> Assignment:
    a = await _open_assignment(uow, assignment_id)
    if not a.current or a.status != AssignmentStatus.dispatched:
        raise DispatchRefused(f"assignment {assignment_id} is {a.status}; only a dispatched one can be accepted")
    a.status, a.accepted_at = AssignmentStatus.accepted, uow.clock.now()
    uow.session.add(a)
    uow.publish(AssignmentAccepted(assignment_id=a.id, case_id=a.case_id, squad_id=a.squad_id,
                                   officer_id=a.officer_id, accepted_at=a.accepted_at, actor=actor))
    await notify_board(uow, ctx, "assignment", id=a.id, case_id=a.case_id, squad_id=a.squad_id)
    await uow.commit()
    return a


async def return_assignment(uow: UnitOfWork, ctx: Context, assignment_id: str, reason: str, note: str | None,
                            actor: str) -> Assignment:
    """退回: within the return window, before accepting, with a reason; the case waits in the queue."""
    a = await _open_assignment(uow, assignment_id)
    if not a.current or a.status != AssignmentStatus.dispatched:
        raise DispatchRefused(f"assignment {assignment_id} is {a.status}; only a dispatched, not yet accepted "
                              "assignment can be returned")
    now = uow.clock.now()
    window_end = ctx.calendar.add_working_hours(a.assigned_at, ctx.return_window_hours)
    if now > window_end:
        raise DispatchRefused(f"the return window ({ctx.return_window_hours:g} working hours) ended "
                              f"{window_end.isoformat()}; ask a dispatcher to reassign")
    a.status, a.current, a.returned_at, a.return_reason, a.closed_at = (AssignmentStatus.returned, False, now,
                                                                        reason, now)
    a.next_check_at = None
    uow.session.add(a)
    await uow.session.flush()
    await routing.enqueue(uow, ctx, [(_info(a), f"returned:{reason}", None)], unroutable=False)
    uow.publish(AssignmentReturned(assignment_id=a.id, case_id=a.case_id, squad_id=a.squad_id,
                                   category_code=a.category_code, reason=reason, note=note, returned_at=now,
                                   actor=actor))
    await notify_board(uow, ctx, "assignment", id=a.id, case_id=a.case_id, squad_id=a.squad_id)
    await uow.commit()
    return a


async def _supersede(uow: UnitOfWork, case_id: str, a: Assignment | None) -> Assignment:
    """Close the case's current assignment `a` (read with its lock) so another can take its place."""
    if a is None or a.status not in (*OPEN, AssignmentStatus.suspended):
        raise DispatchRefused(f"case {case_id} has no open assignment to change"
                              + (f" (it is {a.status})" if a else ""))
    a.status, a.current, a.closed_at, a.next_check_at = AssignmentStatus.reassigned, False, uow.clock.now(), None
    uow.session.add(a)
    await uow.session.flush()
    return a


async def reassign(uow: UnitOfWork, ctx: Context, case_id: str, squad_id: str, actor: str) -> Assignment:
    """改派: a dispatcher moves the case to another squad at any time; the time limit starts again."""
    previous = await _supersede(uow, case_id, await _current(uow, case_id))
    if previous.squad_id == squad_id:
        raise DispatchRefused(f"case {case_id} is already with {squad_id}")
    [new_id] = await routing.assign(uow, ctx, [ToAssign(case=_info(previous), squad_id=squad_id, how="reassign",
                                                        actor=actor, previous_id=previous.id,
                                                        previous_squad_id=previous.squad_id)], from_queue=False)
    assignment = await uow.session.get(Assignment, new_id)
    await uow.commit()
    return assignment


async def reroute(uow: UnitOfWork, ctx: Context, case_id: str, actor: str, *, category_code: str | None = None,
                  location: Location | None = None) -> Assignment | None:
    """The dispatcher corrected the category or the location: the rules run again."""
    previous = await _current(uow, case_id)
    if previous is not None:
        previous = await _supersede(uow, case_id, previous)
        info = _info(previous)
    else:
        item = await uow.session.get(QueueItem, case_id, with_for_update=True)
        if item is None:
            raise LookupError(f"case {case_id} is neither assigned nor waiting for dispatch")
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
    a = await _current(uow, case_id)
    if a is None or a.status not in OPEN:
        raise DispatchRefused(f"case {case_id} has no open assignment to extend")
    before = a.deadline_at
    a.deadline_at = deadline(ctx.calendar, before, hours, a.urgency)
    a.extensions += 1
    a.next_check_at = a.warn_at if a.escalation_level < 0 else a.deadline_at
    if a.escalation_level > 0:  # the overdue steps restart from the new deadline
        a.escalation_level = 0
    uow.session.add(a)
    now = uow.clock.now()
    uow.publish(DeadlineExtended(assignment_id=a.id, case_id=a.case_id, squad_id=a.squad_id,
                                 category_code=a.category_code, previous_deadline_at=before,
                                 deadline_at=a.deadline_at, hours=hours, reason=reason, extended_at=now, actor=actor))
    await notify_board(uow, ctx, "assignment", id=a.id, case_id=a.case_id, squad_id=a.squad_id)
    await uow.commit()
    return a


async def supervise(uow: UnitOfWork, ctx: Context, case_id: str, instruction: str, hours: float,
                    actor: str) -> SupervisionOrder:
    """督办: an order with its own deadline (working hours), to the squad that has the case."""
    a = await _current(uow, case_id, lock=False)
    if a is None:
        raise DispatchRefused(f"case {case_id} is not with a squad: dispatch it before supervising")
    now = uow.clock.now()
    order = SupervisionOrder(id=str(uuid.uuid4()), case_id=case_id, squad_id=a.squad_id, instruction=instruction,
                             issued_by=actor, issued_at=now, due_at=ctx.calendar.add_working_hours(now, hours))
    uow.session.add(order)
    uow.publish(SupervisionOrderIssued(order_id=order.id, case_id=case_id, squad_id=a.squad_id,
                                       instruction=instruction, due_at=order.due_at, issued_at=now, actor=actor))
    await notify_board(uow, ctx, "supervision", id=order.id, case_id=case_id, squad_id=a.squad_id)
    await uow.commit()
    return order


async def answer_order(uow: UnitOfWork, ctx: Context, order_id: str, answer: str, actor: str,
                       squad_id: str | None) -> SupervisionOrder:
    order = await uow.session.get(SupervisionOrder, order_id, with_for_update=True)
    if order is None or (squad_id is not None and order.squad_id != squad_id):
        raise LookupError(f"unknown supervision order {order_id}")
    if order.answered_at is not None:
        raise DispatchRefused(f"supervision order {order_id} was answered at {order.answered_at.isoformat()}")
    now = uow.clock.now()
    order.answer, order.answered_by, order.answered_at = answer, actor, now
    uow.session.add(order)
    uow.publish(SupervisionOrderAnswered(order_id=order.id, case_id=order.case_id, squad_id=order.squad_id,
                                         on_time=now <= order.due_at, answered_at=now, actor=actor))
    await notify_board(uow, ctx, "supervision", id=order.id, case_id=order.case_id, squad_id=order.squad_id)
    await uow.commit()
    return order


# -- following the case ---------------------------------------------------------------------------

STOPS = {"handled": AssignmentStatus.handled, "suspended": AssignmentStatus.suspended}
ENDS = frozenset({"closed", "evaluated", "cancelled", "merged", "split", "not_filed"})


async def follow_case(event: CaseTransitioned, env: Envelope, uow: UnitOfWork, *,
                      context: Callable[[], Context]) -> None:
    """The clock stops while the case is handled or suspended, and starts again on rework,
    reopen or resume; a case that ends closes its assignment."""
    if event.action == "dispatch":
        return
    a = await _current(uow, event.case_id)
    if a is None:
        return
    if event.to_status in STOPS:
        a.status, a.next_check_at = STOPS[event.to_status], None
    elif event.to_status in ENDS:
        a.status, a.current, a.closed_at, a.next_check_at = AssignmentStatus.closed, False, event.at, None
    elif event.to_status == "dispatched" and a.status in (AssignmentStatus.handled, AssignmentStatus.suspended):
        a.status = AssignmentStatus.accepted if a.accepted_at else AssignmentStatus.dispatched
        a.next_check_at = event.at  # look at its deadline again now
    else:
        return
    uow.session.add(a)
    await notify_board(uow, context(), "assignment", id=a.id, case_id=a.case_id, squad_id=a.squad_id)


async def _escalate(uow: UnitOfWork, ctx: Context, a: Assignment, level: int, role: str, kind: str, at: datetime,
                    person: Link | None = None):
    uow.session.add(Escalation(assignment_id=a.id, case_id=a.case_id, squad_id=a.squad_id, level=level, kind=kind,
                               notify_role=role, at=at))
    uow.publish(AssignmentEscalated(assignment_id=a.id, case_id=a.case_id, squad_id=a.squad_id,
                                    category_code=a.category_code, level=level, notify_role=role, kind=kind,
                                    deadline_at=a.deadline_at, at=at,
                                    notify_person_id=person.person_id if person else a.officer_id,
                                    notify_person_name=person.person_name if person else None))
    log.info("case %s escalated: level %s (%s) to %s", a.case_number, level, kind, role)
    await notify_board(uow, ctx, "escalation", id=a.id, case_id=a.case_id, squad_id=a.squad_id, level=level,
                       role=role, escalation_kind=kind, person_name=person.person_name if person else None)


async def check_deadlines(uow: UnitOfWork, ctx: Context, limit: int = 500) -> int:
    """Warn at the share of the time limit, then climb the chain step by step once overdue.
    Rows are claimed with SKIP LOCKED, so replicas share the work and no step is taken twice."""
    now = uow.clock.now()
    due = (await uow.session.exec(
        select(Assignment).where(Assignment.current, Assignment.next_check_at <= now,
                                 Assignment.status.in_(OPEN))
        .order_by(Assignment.next_check_at).limit(limit).with_for_update(skip_locked=True))).all()
    steps = 0
    for a in due:
        if a.escalation_level < 0 and now < a.deadline_at:
            await _escalate(uow, ctx, a, 0, "officer", "warning", now)
            a.escalation_level, a.next_check_at = 0, a.deadline_at
            steps += 1
        chain = ctx.directory.chain(a.squad_id)
        while now >= a.deadline_at:
            level = max(a.escalation_level, 0)
            link = escalation_step(level, chain)
            if link is None:
                a.next_check_at = None
                break
            step_due = (ctx.calendar.add_working_hours(a.deadline_at, link.after_hours) if link.after_hours
                        else a.deadline_at)
            if now < step_due:
                a.next_check_at = step_due
                break
            await _escalate(uow, ctx, a, level + 1, link.role, "overdue", now, link)
            a.escalation_level = level + 1
            steps += 1
        uow.session.add(a)
    overdue_orders = (await uow.session.exec(
        select(SupervisionOrder).where(SupervisionOrder.answered_at.is_(None), SupervisionOrder.due_at <= now,
                                       SupervisionOrder.overdue_notified.is_(False))
        .limit(limit).with_for_update(skip_locked=True))).all()
    for order in overdue_orders:
        a = await _current(uow, order.case_id, lock=False)
        if a is not None:
            brigade = next((link for link in ctx.directory.chain(a.squad_id) if link.role == "brigade_leader"), None)
            await _escalate(uow, ctx, a, max(a.escalation_level, 0) + 1, "brigade_leader", "supervision_overdue", now,
                            brigade)
        order.overdue_notified = True
        uow.session.add(order)
        steps += 1
    await uow.commit()
    return steps


# -- patrol posts in strict zones (严管区定岗) ------------------------------------------------------

def post_windows(post: PatrolPost) -> list[PostWindow]:
    return [PostWindow(start=datetime.strptime(w["start"], "%H:%M").time(),
                       end=datetime.strptime(w["end"], "%H:%M").time(),
                       days=w["days"] if isinstance(w["days"], str) else tuple(w["days"]))
            for w in post.windows]


async def roster(uow: UnitOfWork, ctx: Context, post_id: str, officer_id: str, first: date, last: date,
                 actor: str) -> list[PatrolShift]:
    """排班: the officer gets one shift per window of the post on each day from first to last.
    Rostering the same days again changes nothing."""
    post = await uow.session.get(PatrolPost, post_id)
    if post is None or not post.active:
        raise LookupError(f"patrol post {post_id} not found")
    officer = await uow.session.get(Officer, officer_id)
    if officer is None or officer.squad_id != post.squad_id:
        raise DispatchRefused(f"officer {officer_id} is not in {post.squad_id}, the squad of {post.name}")
    windows, day, rows = post_windows(post), first, []
    while day <= last:
        for starts, ends in shifts_on(windows, day, ctx.calendar):
            rows.append({"id": str(uuid.uuid4()), "post_id": post.id, "squad_id": post.squad_id,
                         "officer_id": officer_id, "day": day, "starts_at": starts, "ends_at": ends,
                         "rostered_by": actor, "late": False})
        day += timedelta(days=1)
    if not rows:
        raise DispatchRefused(f"{post.name} has no window between {first} and {last}")
    await uow.session.execute(insert(PatrolShift).values(rows).on_conflict_do_nothing())
    await notify_board(uow, ctx, "patrol", post_id=post.id, squad_id=post.squad_id)
    shifts = list((await uow.session.exec(
        select(PatrolShift).where(PatrolShift.post_id == post.id, PatrolShift.officer_id == officer_id,
                                  PatrolShift.day >= first, PatrolShift.day <= last)
        .order_by(PatrolShift.starts_at))).all())
    await uow.commit()
    return shifts


async def check_in(uow: UnitOfWork, ctx: Context, shift_id: str, officer_id: str, location: Location) -> PatrolShift:
    """到岗: the rostered officer, at the post, in the shift's time."""
    shift = (await uow.session.exec(select(PatrolShift).where(PatrolShift.id == shift_id).with_for_update())).first()
    if shift is None or shift.officer_id != officer_id:
        raise LookupError(f"patrol shift {shift_id} not found")
    if shift.checked_in_at is not None:
        raise DispatchRefused(f"already checked in at {shift.checked_in_at.isoformat()}")
    post = await uow.session.get(PatrolPost, shift.post_id)
    now = uow.clock.now()
    verdict = judge_check_in(starts_at=shift.starts_at, ends_at=shift.ends_at, now=now,
                             distance=distance_m(post.lon, post.lat, location.lon, location.lat),
                             radius_m=post.radius_m, grace=ctx.patrol_grace)
    shift.checked_in_at, shift.check_in_distance_m, shift.late = now, round(verdict.distance_m, 1), verdict.late
    uow.session.add(shift)
    uow.publish(PatrolCheckedIn(shift_id=shift.id, post_id=post.id, post_name=post.name, squad_id=shift.squad_id,
                                officer_id=officer_id, starts_at=shift.starts_at, checked_in_at=now,
                                distance_m=shift.check_in_distance_m, late=verdict.late))
    await notify_board(uow, ctx, "patrol", post_id=post.id, squad_id=shift.squad_id)
    await uow.commit()
    return shift


async def check_patrols(uow: UnitOfWork, ctx: Context, limit: int = 500) -> int:
    """空岗告警: each shift not checked in when its grace period ends alerts the squad leader once
    (a check-in after that is still accepted, and marked late)."""
    now = uow.clock.now()
    due = (await uow.session.exec(
        select(PatrolShift, PatrolPost).join(PatrolPost)
        .where(PatrolShift.checked_in_at.is_(None), PatrolShift.missed_at.is_(None),
               PatrolShift.starts_at <= now - ctx.patrol_grace)
        .order_by(PatrolShift.starts_at).limit(limit).with_for_update(of=PatrolShift, skip_locked=True))).all()
    for shift, post in due:
        shift.missed_at = now
        uow.session.add(shift)
        uow.publish(PatrolPostMissed(shift_id=shift.id, post_id=post.id, post_name=post.name,
                                     squad_id=shift.squad_id, officer_id=shift.officer_id,
                                     starts_at=shift.starts_at, at=now))
        log.info("patrol post %s not checked in by %s (shift from %s): squad leader alerted",
                 post.name, shift.officer_id, shift.starts_at.isoformat())
        await notify_board(uow, ctx, "patrol", post_id=post.id, squad_id=shift.squad_id, missed=True)
    await uow.commit()
    return len(due)


async def record_category(event: CategoryDefined, env: Envelope, uow: UnitOfWork, *,
                          names: dict[str, str]) -> None:
    """The 服务目录's names, for the console (a version older than the one kept changes nothing);
    this replica's `names` learn it at once, the others at their next refresh."""
    values = {"name": event.name, "version": event.version, "active": event.active}
    kept = (await uow.session.execute(insert(CategoryName).values(code=event.code, **values).on_conflict_do_update(
        index_elements=["code"], set_=values, where=CategoryName.version <= event.version)
        .returning(CategoryName.name))).scalar()
    if kept is not None:
        uow.after_commit(lambda: names.__setitem__(event.code, kept))


class StaleRules(Exception):
    """The rule table changed since it was read (409)."""


async def replace_rules(uow: UnitOfWork, read_version: int, rules: list[dict]) -> int:
    """The admin's new rule table, whole, if nobody changed it since it was read (a version check
    under a table lock); returns the new version."""
    squads = set((await uow.session.exec(select(Squad.id))).all())
    unknown = sorted({r["squad_id"] for r in rules if r.get("squad_id") and r["squad_id"] not in squads})
    if unknown:
        raise LookupError(f"unknown squads in rules: {unknown}")
    await uow.session.execute(text("LOCK TABLE dispatch.routing_rules IN EXCLUSIVE MODE"))
    current = (await uow.session.execute(select(func.coalesce(func.max(RoutingRuleRow.version), 0)))).scalar_one()
    if read_version != current:
        raise StaleRules(f"the rules are at version {current}, not {read_version}: read them again")
    await uow.session.execute(delete(RoutingRuleRow))
    for i, r in enumerate(rules):
        uow.session.add(RoutingRuleRow(position=i + 1, version=current + 1, **r))
    await uow.commit()
    return current + 1


async def calendar_days(session) -> dict[date, SpecialDay]:
    """The calendar in force: the State Council's notices (chinesecalendar) with the bureau's own
    days on top (the `calendar_days` table: a holiday, a workday, or an ordinary day)."""
    rows = (await session.exec(select(CalendarDay).order_by(CalendarDay.day))).all()
    return with_corrections(national_days(), [(r.day, r.kind, r.name) for r in rows])


async def announce_calendar(uow: UnitOfWork) -> bool:
    """WorkCalendarChanged with the whole calendar, when it differs from what was last told."""
    days = sorted((await calendar_days(uow.session)).values(), key=lambda d: d.day)
    event = WorkCalendarChanged(holidays=[d.day for d in days if d.kind == "holiday"],
                                workdays=[d.day for d in days if d.kind == "workday"],
                                office_hours=list(OFFICE_HOURS),
                                at=uow.clock.now())
    digest = hashlib.sha256(event.model_dump_json(exclude={"at"}).encode()).hexdigest()
    told = await uow.session.get(Announcement, "calendar", with_for_update=True)
    if told is not None and told.digest == digest:
        return False
    told = told or Announcement(name="calendar", digest=digest, at=event.at)
    told.digest, told.at = digest, event.at
    uow.session.add(told)
    uow.publish(event)
    return True


async def set_calendar_day(uow: UnitOfWork, day, kind: str | None, name: str | None) -> None:
    """The bureau's own day on top of the national calendar: a holiday, a workday (调休), an
    ordinary day (a national holiday the bureau works), or (kind None) the national calendar's
    again; told."""
    row = await uow.session.get(CalendarDay, day, with_for_update=True)
    if kind is None:
        if row is not None:
            await uow.session.delete(row)
    else:
        row = row or CalendarDay(day=day, kind=kind, name=name)
        row.kind, row.name = kind, name
        uow.session.add(row)
    await uow.session.flush()
    await announce_calendar(uow)
    await uow.commit()


async def announce_grids(uow: UnitOfWork) -> int:
    """GridDefined for each grid that is new or changed since it was last announced, so other
    services place points in grids without reading these tables."""
    rows = (await uow.session.exec(select(Grid, Squad).join(Squad).order_by(Grid.id).with_for_update(of=Grid))).all()
    now, told = uow.clock.now(), 0
    for grid, squad in rows:
        event = GridDefined(grid_id=grid.id, name=grid.name, squad_id=squad.id, squad_name=squad.name,
                            geometry=grid.geometry, defined_at=now)
        digest = hashlib.sha256(event.model_dump_json(exclude={"defined_at"}).encode()).hexdigest()
        if grid.announced != digest:
            grid.announced = digest
            uow.session.add(grid)
            uow.publish(event)
            told += 1
    await uow.commit()
    return told
