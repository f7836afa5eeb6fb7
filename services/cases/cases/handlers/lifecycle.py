"""Cases' steps of the closed loop, each in one transaction with its trail entry and its events:
what other services' events do to a case (filed, dispatched, returned, unroutable), what the
reporters add (repeated reports, ratings), and the steps people take (核实, 立案, 处置, 核查, 结案,
返工, merge, split, notes). The rules are cases.domain.lifecycle; this module loads, asks them,
stores and publishes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import col, select

from cases.domain.lifecycle import (
    ACTIVE,
    SYSTEM,
    Action,
    Actor,
    CaseStatus,
    NotYourStep,
    RatingFollowUp,
    TransitionNotAllowed,
    plan,
    rating_effect,
)
from cases.handlers.filing import NewCase, create_cases
from cases.handlers.reference import check_dog_licence, check_merchant
from cases.handlers.steps import add_photos, case_for_update, facts, transition
from cases.handlers.trail import append_trail
from cases.tables import Case
from common.messaging.contracts import (
    AssignmentReturned,
    CaseClosed,
    CaseFiled,
    CaseFlagged,
    CaseOwner,
    CasePublicNoteAdded,
    CaseUnroutable,
    IncidentDetached,
    IncidentJoined,
    IncidentRated,
    Location,
)
from common.messaging.envelope import Envelope
from common.photos import Photo
from common.principal import Role
from common.refusals import NotFound, Unprocessable, found
from common.uow import UnitOfWork

log = logging.getLogger(__name__)
DISPATCH = Actor("system:dispatch", SYSTEM)
INTAKE = Actor("system:intake", SYSTEM)


# -- from other services' events ---------------------------------------------------------------


async def mark_returned(event: AssignmentReturned, env: Envelope, uow: UnitOfWork) -> None:
    """退回: the squad sent the case back to the command centre, which routes it again."""
    case = await case_for_update(uow, event.case_id)
    if case.assignment_id != event.assignment_id or case.status != CaseStatus.dispatched:
        return  # an older assignment, or the case moved on
    await transition(
        uow,
        case,
        Action.return_,
        DISPATCH,
        reason=event.reason,
        details={"assignment_id": event.assignment_id, "squad_id": event.squad_id, "note": event.note},
    )
    case.squad_id = case.squad_name = case.assignment_id = None


async def flag_for_command_centre(event: CaseUnroutable, env: Envelope, uow: UnitOfWork) -> None:
    case = await case_for_update(uow, event.case_id)
    if case.status != CaseStatus.filed:
        return  # already moved on (dispatched by hand, cancelled, ...)
    await transition(uow, case, Action.flag, DISPATCH, reason=event.reason)
    if event.reason not in case.flags:
        case.flags = [*case.flags, event.reason]
    uow.publish(
        CaseFlagged(case_id=case.id, incident_id=case.incident_id, reason=event.reason, flagged_at=uow.clock.now())
    )


# -- what the reporters add: repeated reports and ratings ------------------------------------------


def _handled_on_time(case: Case) -> bool:
    """For 评价: was the case handled by its deadline (按期处置)?"""
    return bool(case.deadline_at is None or (case.handled_at and case.handled_at <= case.deadline_at))


def _clear_handling(case: Case) -> None:
    """A reopened case (重新办理) is handled and closed again from scratch; a review waiting on
    it has been answered by the reopening."""
    case.closed_at = case.handled_by = case.handled_at = case.review_requested_at = None


async def _maincase_for_update(uow: UnitOfWork, incident_id: str) -> Case:
    """The case an incident opened (not the ones split from it later)."""
    case = (
        await uow.session.exec(
            select(Case).where(Case.incident_id == incident_id, col(Case.parent_case_id).is_(None)).with_for_update()
        )
    ).first()
    if case is None:  # its IncidentReported is earlier on the same partition, so this is a real fault
        raise NotFound(f"no case for incident {incident_id}")
    return case


async def record_joined_report(event: IncidentJoined, env: Envelope, uow: UnitOfWork) -> None:
    """重复件: another report of the same problem joined the case; the trail keeps it."""
    case = await _maincase_for_update(uow, event.joined_incident_id)
    await append_trail(
        uow,
        case.id,
        action="report_joined",
        actor=INTAKE.subject,
        from_status=case.status,
        to_status=case.status,
        data={
            "incident_id": event.incident_id,
            "channel": event.channel,
            "distance_m": event.distance_m,
            "reporters": event.reporters,
            "photo_ids": event.photo_ids,
        },
    )


async def record_detached_report(event: IncidentDetached, env: Envelope, uow: UnitOfWork) -> None:
    case = await _maincase_for_update(uow, event.joined_incident_id)
    await append_trail(
        uow,
        case.id,
        action="report_detached",
        actor=event.detached_by,
        from_status=case.status,
        to_status=case.status,
        reason=event.reason,
        data={"incident_id": event.incident_id},
    )


async def record_rating(event: IncidentRated, env: Envelope, uow: UnitOfWork, *, reopen_on_dissatisfied: bool) -> None:
    """评价 by the rule in cases.domain.lifecycle.rating_effect: the opening report's rating of a closed case
    evaluates it; 不满意 reopens it once, then asks for a supervisor's review; every rating, the
    joined reports' too, is kept in the trail."""
    case = await case_for_update(uow, event.case_id)
    opening = event.opening_report and event.incident_id == case.incident_id
    effect = rating_effect(
        opening_report=opening,
        status=case.status,
        rating=event.rating,
        reopen_on_dissatisfied=reopen_on_dissatisfied,
        reopened_by_rating=case.rating_reopens,
    )
    details = {
        "rating": event.rating,
        "comment": event.comment,
        "incident_id": event.incident_id,
        "opening_report": opening,
    }
    if effect.evaluates:
        details["on_time"] = _handled_on_time(case)
        await transition(uow, case, Action.evaluate, INTAKE, details=details)
        case.rating = event.rating
    else:
        await append_trail(
            uow,
            case.id,
            action="rating",
            actor=INTAKE.subject,
            from_status=case.status,
            to_status=case.status,
            data=details,
        )
    if effect.follow_up == RatingFollowUp.reopen:
        await transition(
            uow,
            case,
            Action.reopen,
            INTAKE,
            reason=f"市民评价不满意: {event.comment or '未填写意见'}",
            details={"incident_id": event.incident_id},
        )
        case.rating_reopens += 1
        _clear_handling(case)
    elif effect.follow_up == RatingFollowUp.review:
        case.review_requested_at = uow.clock.now()
        await append_trail(
            uow,
            case.id,
            action="review_requested",
            actor=INTAKE.subject,
            from_status=case.status,
            to_status=case.status,
            reason=f"再次评价不满意: {event.comment or '未填写意见'}",
            data={"incident_id": event.incident_id},
        )
    uow.session.add(case)


async def review_rating(uow: UnitOfWork, case_id: str, actor: Actor, reopen: bool, reason: str) -> Case:
    """督查复核: a supervisor decides on a case a citizen was dissatisfied with again."""
    case = await case_for_update(uow, case_id)
    if case.review_requested_at is None:
        raise TransitionNotAllowed(Action.reopen, case.status, f"case {case.case_number} has no review waiting")
    if actor.role not in (Role.supervisor, Role.admin):
        raise NotYourStep(f"a review is decided by a supervisor, not {actor.role}")
    if not reason.strip():
        raise Unprocessable("a review's decision needs a reason")
    case.review_requested_at = None
    if reopen:
        await transition(uow, case, Action.reopen, actor, reason=reason, details={"review": True})
        _clear_handling(case)
    else:
        await append_trail(
            uow,
            case.id,
            action="review_dismissed",
            actor=actor.subject,
            from_status=case.status,
            to_status=case.status,
            reason=reason,
        )
    uow.session.add(case)
    await uow.commit()
    return case


# -- steps taken by people ----------------------------------------------------------------------


@dataclass(frozen=True)
class TakeStep:
    """A lifecycle step with no payload beyond a reason and details: verify, file, reject,
    evaluate, reopen, suspend, resume, cancel, check (passed or not)."""

    case_id: str
    action: Action
    actor: Actor
    reason: str | None = None
    details: dict = field(default_factory=dict)
    photos: tuple[Photo, ...] = ()  # a monitor's photos of a 核实 or 核查 (already in the store)
    photo_kind: str = "verify"


async def take_step(uow: UnitOfWork, cmd: TakeStep) -> Case:
    case = await case_for_update(uow, cmd.case_id)
    now = uow.clock.now()
    details = dict(cmd.details)
    if cmd.photos:
        plan(facts(case), cmd.action, cmd.actor, cmd.reason)  # refuse before writing any photo row
        details["photos"] = await add_photos(uow, case.id, cmd.photo_kind, list(cmd.photos), cmd.actor)
    if cmd.action == Action.evaluate:
        details["on_time"] = _handled_on_time(case)
    before = await transition(uow, case, cmd.action, cmd.actor, reason=cmd.reason, details=details)
    match cmd.action:
        case Action.file:
            uow.publish(
                CaseFiled(
                    case_id=case.id,
                    case_number=case.case_number,
                    incident_id=case.incident_id,
                    filed_at=now,
                    filed_by=cmd.actor.subject,
                    channel=case.channel,
                    category_code=case.category_code,
                    urgency=case.urgency,
                    location=Location(lon=case.lon, lat=case.lat),
                    time_limit_hours=case.time_limit_hours,
                    description=case.description or "",
                    address=case.address,
                    source_deadline=case.source_deadline,
                    owner=CaseOwner(**case.owner) if case.owner else None,
                )
            )
        case Action.check:
            case.closed_at = now
            uow.publish(
                CaseClosed(
                    case_id=case.id,
                    case_number=case.case_number,
                    incident_id=case.incident_id,
                    category_code=case.category_code,
                    squad_id=case.squad_id,
                    outcome=case.outcome or "resolved",
                    merchant_id=case.merchant_id,
                    dog_licence_id=case.dog_licence_id,
                    closed_at=now,
                    closed_by=cmd.actor.subject,
                )
            )
        case Action.rework:
            case.rework_rounds += 1
            case.handled_by = case.handled_at = None
        case Action.reopen:
            _clear_handling(case)
        case Action.suspend:
            case.suspended_from = before
        case Action.resume:
            case.suspended_from = None
        case Action.evaluate:
            case.rating = details.get("rating")
    await uow.commit()
    return case


@dataclass(frozen=True)
class HandleCase:
    """处置反馈: the squad's result, with the before and after photos (already in the store)."""

    case_id: str
    actor: Actor
    outcome: str
    note: str | None
    merchant_id: str | None
    before: list[Photo]
    after: list[Photo]
    dog_licence_id: str | None = None
    dog_categories: frozenset[str] = frozenset({"dog_nuisance", "stray_dog"})
    taken: dict = field(default_factory=dict)  # when and where in the street, as the phone said


async def handle_case(uow: UnitOfWork, cmd: HandleCase) -> Case:
    if not cmd.after:
        raise Unprocessable("handling needs at least one after photo (处置后照片)")
    if not cmd.before:
        raise Unprocessable("handling needs at least one before photo (处置前照片)")
    case = await case_for_update(uow, cmd.case_id)
    plan(facts(case), Action.handle, cmd.actor)  # refuse before writing any photo row
    if cmd.merchant_id is not None:
        await check_merchant(uow, case, cmd.merchant_id)
    if cmd.dog_licence_id is not None:
        await check_dog_licence(uow, case, cmd.dog_licence_id, cmd.dog_categories)
    photos = await add_photos(uow, case.id, "before", cmd.before, cmd.actor) + await add_photos(
        uow, case.id, "after", cmd.after, cmd.actor
    )
    await transition(
        uow,
        case,
        Action.handle,
        cmd.actor,
        details={
            "outcome": cmd.outcome,
            "note": cmd.note,
            "merchant_id": cmd.merchant_id or case.merchant_id,
            **({"dog_licence_id": d} if (d := cmd.dog_licence_id or case.dog_licence_id) else {}),
            "photos": photos,
            "round": case.rework_rounds + 1,
            **({"taken": cmd.taken} if cmd.taken else {}),
        },
    )
    case.outcome = cmd.outcome
    case.merchant_id = cmd.merchant_id or case.merchant_id  # a device's alarm named it already
    case.dog_licence_id = cmd.dog_licence_id or case.dog_licence_id
    case.handled_by, case.handled_at = cmd.actor.subject, uow.clock.now()
    await uow.commit()
    return case


async def merge_case(uow: UnitOfWork, case_id: str, into_id: str, actor: Actor, reason: str) -> Case:
    """合并: a duplicate joins the case it repeats; both trails record it."""
    if case_id == into_id:
        raise Unprocessable("a case cannot be merged into itself")
    first, second = sorted([case_id, into_id])  # one lock order, so two merges cannot deadlock
    locked = {c.id: c for c in [await case_for_update(uow, first), await case_for_update(uow, second)]}
    case, into = locked[case_id], locked[into_id]
    if into.status not in ACTIVE | {CaseStatus.handled, CaseStatus.suspended}:
        raise TransitionNotAllowed(
            Action.merge, into.status, f"case {into.case_number} is {into.status}: merge into an open case"
        )
    await transition(
        uow, case, Action.merge, actor, reason=reason, details={"into": into.case_number, "into_case_id": into.id}
    )
    case.merged_into = into.id
    await append_trail(
        uow,
        into.id,
        action="merged_in",
        actor=actor.subject,
        from_status=into.status,
        to_status=into.status,
        reason=reason,
        data={"case": case.case_number, "case_id": case.id},
    )
    await uow.commit()
    return case


@dataclass(frozen=True)
class SplitPart:
    category_code: str
    description: str
    location: Location


async def split_case(
    uow: UnitOfWork, case_id: str, parts: list[SplitPart], actor: Actor, reason: str, *, district_code: str
) -> list[Case]:
    """拆分: one report that is really several problems becomes several filed cases."""
    if len(parts) < 2:
        raise Unprocessable("a split needs at least two parts")
    case = await case_for_update(uow, case_id)
    plan(facts(case), Action.split_, actor, reason)
    ids = await create_cases(
        uow,
        [
            NewCase(
                incident_id=case.incident_id,
                status=CaseStatus.filed,
                channel=case.channel,
                category_code=p.category_code,
                urgency=case.urgency,
                location=p.location,
                description=p.description,
                actor=actor.subject,
                parent_id=case.id,
                parent_number=case.case_number,
            )
            for p in parts
        ],
        district_code=district_code,
    )
    children = [found(await uow.session.get(Case, i), f"case {i}") for i in ids]
    await transition(
        uow,
        case,
        Action.split_,
        actor,
        reason=reason,
        details={"into": [c.case_number for c in children], "into_case_ids": [c.id for c in children]},
    )
    await uow.commit()
    return children


async def add_note(uow: UnitOfWork, case_id: str, actor: Actor, note: str, public: bool) -> None:
    case = await case_for_update(uow, case_id)
    await append_trail(
        uow,
        case.id,
        action="note",
        actor=actor.subject,
        from_status=case.status,
        to_status=case.status,
        data={"text": note, "public": public},
    )
    if public:
        uow.publish(
            CasePublicNoteAdded(
                case_id=case.id,
                case_number=case.case_number,
                incident_id=case.incident_id,
                text=note,
                at=uow.clock.now(),
            )
        )
    await uow.commit()
