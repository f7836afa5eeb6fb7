"""Cases' service layer: each step of the closed loop and of the enforcement track, in one
transaction with its trail entry and its events. The rules themselves are in cases.domain and
cases.enforcement; this module loads, asks them, stores and publishes."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from pydantic import TypeAdapter
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import select

from cases import enforcement as enf
from cases.documents import PenaltyDecision, render_penalty_decision, sha256
from cases.domain import (ACTIVE, SYSTEM, TERMINAL, Action, Actor, CaseFacts, CaseStatus, NotYourStep,
                          RatingFollowUp, TransitionNotAllowed, plan, rating_effect)
from cases.flow import NewCase, create_cases
from cases.tables import (Case, CaseDocument, CasePhoto, EnforcementTrack, KnownDogLicence, KnownMerchant, KnownPerson,
                          Seizure)
from cases.trail_store import append_trail
from common.auth import Role
from common.messaging.contracts import (AssignmentReturned, CaseClosed, CaseFiled, CaseFlagged, CasePublicNoteAdded,
                                        CaseTransitioned, CaseUnroutable, DogLicenceChanged, DogLicenceIssued, DogLicencePlaced,
                                        EnforcementStepRecorded, IncidentDetached,
                                        IncidentJoined, IncidentRated, Location, MerchantChanged, MerchantRegistered,
                                        PersonChanged)
from common.messaging.envelope import Envelope
from common.objectstore import ObjectStore
from common.photos import Photo
from common.uow import UnitOfWork

log = logging.getLogger(__name__)
DISPATCH = Actor("system:dispatch", SYSTEM)
INTAKE = Actor("system:intake", SYSTEM)


async def _case_for_update(uow: UnitOfWork, case_id: str) -> Case:
    case = (await uow.session.exec(select(Case).where(Case.id == case_id).with_for_update())).first()
    if case is None:
        raise LookupError(f"unknown case {case_id}")
    return case


def _facts(case: Case) -> CaseFacts:
    return CaseFacts(status=case.status, squad_id=case.squad_id, handled_by=case.handled_by,
                     suspended_from=case.suspended_from)


async def _transition(uow: UnitOfWork, case: Case, action: Action, actor: Actor, *, reason: str | None = None,
                      details: dict | None = None) -> str:
    """Move `case` by `action` if the rules allow it: the trail entry and the CaseTransitioned
    event carry who, when, the state before and after, and why. Returns the state before."""
    target = plan(_facts(case), action, actor, reason)
    before, case.status = case.status, target
    details = details or {}
    await append_trail(uow, case.id, action=action.value, actor=actor.subject, from_status=before,
                       to_status=target, reason=reason, data=details)
    uow.session.add(case)
    uow.publish(CaseTransitioned(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                                 action=action.value, from_status=before, to_status=target, actor=actor.subject,
                                 actor_role=str(actor.role), at=uow.clock.now(), reason=reason,
                                 squad_id=case.squad_id, category_code=case.category_code, details=details))
    log.info("case %s: %s %s -> %s by %s", case.case_number, action.value, before, target, actor.subject)
    return before


# -- from other services' events ---------------------------------------------------------------

async def mark_returned(event: AssignmentReturned, env: Envelope, uow: UnitOfWork) -> None:
    """退回: the squad sent the case back to the command centre, which routes it again."""
    case = await _case_for_update(uow, event.case_id)
    if case.assignment_id != event.assignment_id or case.status != CaseStatus.dispatched:
        return  # an older assignment, or the case moved on
    await _transition(uow, case, Action.return_, DISPATCH, reason=event.reason,
                      details={"assignment_id": event.assignment_id, "squad_id": event.squad_id, "note": event.note})
    case.squad_id = case.squad_name = case.assignment_id = None


async def flag_for_command_centre(event: CaseUnroutable, env: Envelope, uow: UnitOfWork) -> None:
    case = await _case_for_update(uow, event.case_id)
    if case.status != CaseStatus.filed:
        return  # already moved on (dispatched by hand, cancelled, ...)
    await _transition(uow, case, Action.flag, DISPATCH, reason=event.reason)
    if event.reason not in case.flags:
        case.flags = [*case.flags, event.reason]
    uow.publish(CaseFlagged(case_id=case.id, incident_id=case.incident_id, reason=event.reason,
                            flagged_at=uow.clock.now()))


async def record_merchant(event: MerchantRegistered | MerchantChanged, env: Envelope, uow: UnitOfWork) -> None:
    """The ledger's merchants, as far as a case needs them: who exists, and where."""
    values = {"name": event.name, "grid_id": event.grid_id, "squad_id": event.squad_id,
              "closed": getattr(event, "closed", False), "updated_at": event.at}
    await uow.session.execute(pg_insert(KnownMerchant).values(id=event.merchant_id, **values).on_conflict_do_update(
        index_elements=["id"], set_=values, where=KnownMerchant.updated_at <= event.at))


async def record_dog_licence(event: DogLicenceIssued | DogLicenceChanged | DogLicencePlaced, env: Envelope,
                             uow: UnitOfWork) -> None:
    """The ledger's dog licences, as far as a case needs them: which exist, whether in force, and
    where the household is (its grid and that grid's squad). Each event brings what it knows."""
    known = {"number": event.number, "updated_at": event.at}
    if isinstance(event, DogLicenceChanged):
        known["status"] = event.status
    if isinstance(event, (DogLicenceIssued, DogLicencePlaced)):
        known |= {"grid_id": event.grid_id, "squad_id": event.squad_id}
    first = {"status": "active", **known}
    await uow.session.execute(pg_insert(KnownDogLicence).values(id=event.licence_id, **first).on_conflict_do_update(
        index_elements=["id"], set_=known, where=KnownDogLicence.updated_at <= event.at))


async def _check_dog_licence(uow: UnitOfWork, case: Case, licence_id: str, dog_categories: frozenset[str]) -> None:
    """A 犬只扰民 or 违规遛犬 case names a licence of the dog register, one that is in force."""
    if case.category_code not in dog_categories:
        raise ValueError(f"dog_licence_id: case {case.case_number} is {case.category_code}, not a dog case "
                         f"({', '.join(sorted(dog_categories))})")
    licence = await uow.session.get(KnownDogLicence, licence_id)
    if licence is None or licence.status in ("dead", "cancelled"):
        raise ValueError(f"dog_licence_id {licence_id} is not a licence in force in the dog register (养犬登记)")
    if licence.grid_id != case.grid_id and (licence.squad_id is None or licence.squad_id != case.squad_id):
        raise ValueError(f"dog_licence_id {licence_id} ({licence.number}) is of a household in grid "
                         f"{licence.grid_id or 'unknown'}, outside case {case.case_number}'s grid {case.grid_id} and "
                         "the area of its squad")


async def record_person(event: PersonChanged, env: Envelope, uow: UnitOfWork) -> None:
    """The directory's people: who took a step, by name (an older announcement changes nothing)."""
    values = {"name": event.name, "position": event.position, "squad_id": event.squad_id, "updated_at": event.at}
    await uow.session.execute(pg_insert(KnownPerson).values(id=event.person_id, **values).on_conflict_do_update(
        index_elements=["id"], set_=values, where=KnownPerson.updated_at <= event.at))


async def _check_merchant(uow: UnitOfWork, case: Case, merchant_id: str) -> None:
    """A case names a merchant of the ledger that lies in the case's grid or in the squad's area;
    otherwise anyone could turn any shop's card red."""
    merchant = await uow.session.get(KnownMerchant, merchant_id)
    if merchant is None or merchant.closed:
        raise ValueError(f"merchant_id {merchant_id} is not in the merchant ledger (商户台账)")
    if merchant.grid_id != case.grid_id and (merchant.squad_id is None or merchant.squad_id != case.squad_id):
        raise ValueError(f"merchant_id {merchant_id} ({merchant.name}) lies in grid {merchant.grid_id or 'unknown'}, "
                         f"outside case {case.case_number}'s grid {case.grid_id} and the area of its squad")


# -- what the reporters add: repeated reports and ratings ------------------------------------------

def _handled_on_time(case: Case) -> bool:
    """For 评价: was the case handled by its deadline (按期处置)?"""
    return bool(case.deadline_at is None or (case.handled_at and case.handled_at <= case.deadline_at))


def _clear_handling(case: Case) -> None:
    """A reopened case (重新办理) is handled and closed again from scratch; a review waiting on
    it has been answered by the reopening."""
    case.closed_at = case.handled_by = case.handled_at = case.review_requested_at = None


async def _main_case_for_update(uow: UnitOfWork, incident_id: str) -> Case:
    """The case an incident opened (not the ones split from it later)."""
    case = (await uow.session.exec(select(Case).where(Case.incident_id == incident_id, Case.parent_case_id.is_(None))
                                   .with_for_update())).first()
    if case is None:  # its IncidentReported is earlier on the same partition, so this is a real fault
        raise LookupError(f"no case for incident {incident_id}")
    return case


async def record_joined_report(event: IncidentJoined, env: Envelope, uow: UnitOfWork) -> None:
    """重复件: another report of the same problem joined the case; the trail keeps it."""
    case = await _main_case_for_update(uow, event.joined_incident_id)
    await append_trail(uow, case.id, action="report_joined", actor=INTAKE.subject, from_status=case.status,
                       to_status=case.status, data={"incident_id": event.incident_id, "channel": event.channel,
                                                    "distance_m": event.distance_m, "reporters": event.reporters,
                                                    "photo_ids": event.photo_ids})


async def record_detached_report(event: IncidentDetached, env: Envelope, uow: UnitOfWork) -> None:
    case = await _main_case_for_update(uow, event.joined_incident_id)
    await append_trail(uow, case.id, action="report_detached", actor=event.detached_by, from_status=case.status,
                       to_status=case.status, reason=event.reason, data={"incident_id": event.incident_id})


async def record_rating(event: IncidentRated, env: Envelope, uow: UnitOfWork, *, reopen_on_dissatisfied: bool) -> None:
    """评价 by the rule in cases.domain.rating_effect: the opening report's rating of a closed case
    evaluates it; 不满意 reopens it once, then asks for a supervisor's review; every rating, the
    joined reports' too, is kept in the trail."""
    case = await _case_for_update(uow, event.case_id)
    opening = event.opening_report and event.incident_id == case.incident_id
    effect = rating_effect(opening_report=opening, status=case.status, rating=event.rating,
                           reopen_on_dissatisfied=reopen_on_dissatisfied, reopened_by_rating=case.rating_reopens)
    details = {"rating": event.rating, "comment": event.comment, "incident_id": event.incident_id,
               "opening_report": opening}
    if effect.evaluates:
        details["on_time"] = _handled_on_time(case)
        await _transition(uow, case, Action.evaluate, INTAKE, details=details)
        case.rating = event.rating
    else:
        await append_trail(uow, case.id, action="rating", actor=INTAKE.subject, from_status=case.status,
                           to_status=case.status, data=details)
    if effect.follow_up == RatingFollowUp.reopen:
        await _transition(uow, case, Action.reopen, INTAKE, reason=f"市民评价不满意: {event.comment or '未填写意见'}",
                          details={"incident_id": event.incident_id})
        case.rating_reopens += 1
        _clear_handling(case)
    elif effect.follow_up == RatingFollowUp.review:
        case.review_requested_at = uow.clock.now()
        await append_trail(uow, case.id, action="review_requested", actor=INTAKE.subject, from_status=case.status,
                           to_status=case.status, reason=f"再次评价不满意: {event.comment or '未填写意见'}",
                           data={"incident_id": event.incident_id})
    uow.session.add(case)


async def review_rating(uow: UnitOfWork, case_id: str, actor: Actor, reopen: bool, reason: str) -> Case:
    """督查复核: a supervisor decides on a case a citizen was dissatisfied with again."""
    case = await _case_for_update(uow, case_id)
    if case.review_requested_at is None:
        raise TransitionNotAllowed(Action.reopen, case.status, f"case {case.case_number} has no review waiting")
    if actor.role not in (Role.supervisor, Role.admin):
        raise NotYourStep(f"a review is decided by a supervisor, not {actor.role}")
    if not reason.strip():
        raise ValueError("a review's decision needs a reason")
    case.review_requested_at = None
    if reopen:
        await _transition(uow, case, Action.reopen, actor, reason=reason, details={"review": True})
        _clear_handling(case)
    else:
        await append_trail(uow, case.id, action="review_dismissed", actor=actor.subject, from_status=case.status,
                           to_status=case.status, reason=reason)
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


async def take_step(uow: UnitOfWork, cmd: TakeStep) -> Case:
    case = await _case_for_update(uow, cmd.case_id)
    now = uow.clock.now()
    details = dict(cmd.details)
    if cmd.action == Action.evaluate:
        details["on_time"] = _handled_on_time(case)
    before = await _transition(uow, case, cmd.action, cmd.actor, reason=cmd.reason, details=details)
    match cmd.action:
        case Action.file:
            uow.publish(CaseFiled(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                                  filed_at=now, filed_by=cmd.actor.subject, channel=case.channel,
                                  category_code=case.category_code, urgency=case.urgency,
                                  location=Location(lon=case.lon, lat=case.lat),
                                  time_limit_hours=case.time_limit_hours, description=case.description or "",
                                  address=case.address))
        case Action.check:
            case.closed_at = now
            uow.publish(CaseClosed(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                                   category_code=case.category_code, squad_id=case.squad_id,
                                   outcome=case.outcome or "resolved", merchant_id=case.merchant_id,
                                   dog_licence_id=case.dog_licence_id, closed_at=now, closed_by=cmd.actor.subject))
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


def photo_key(case_id: str, photo: Photo) -> str:
    return f"cases/{case_id}/{photo.sha256}.{photo.extension}"


async def store_photos(store: ObjectStore, case_id: str, photos: list[Photo]) -> None:
    """Put the photos in the store before the transaction that refers to them: keys are content
    addresses, so a retried request writes the same objects again, harmlessly."""
    for photo in photos:
        await store.put(photo_key(case_id, photo), photo.data, photo.content_type)


async def _add_photos(uow: UnitOfWork, case_id: str, kind: str, photos: list[Photo], actor: Actor) -> list[dict]:
    """Record the photos of a step; the same photo again (a rework round reusing a before photo)
    is one row, and each step's trail entry lists the hashes it used."""
    for photo in photos:
        await uow.session.execute(pg_insert(CasePhoto).values(
            case_id=case_id, kind=kind, sha256=photo.sha256, content_type=photo.content_type, size=len(photo.data),
            object_key=photo_key(case_id, photo), uploaded_by=actor.subject, uploaded_at=uow.clock.now(),
        ).on_conflict_do_nothing(index_elements=["case_id", "sha256", "kind"]))
    return [{"kind": kind, "sha256": photo.sha256} for photo in photos]


async def handle_case(uow: UnitOfWork, cmd: HandleCase) -> Case:
    if not cmd.after:
        raise ValueError("handling needs at least one after photo (处置后照片)")
    if not cmd.before:
        raise ValueError("handling needs at least one before photo (处置前照片)")
    case = await _case_for_update(uow, cmd.case_id)
    plan(_facts(case), Action.handle, cmd.actor)  # refuse before writing any photo row
    if cmd.merchant_id is not None:
        await _check_merchant(uow, case, cmd.merchant_id)
    if cmd.dog_licence_id is not None:
        await _check_dog_licence(uow, case, cmd.dog_licence_id, cmd.dog_categories)
    photos = (await _add_photos(uow, case.id, "before", cmd.before, cmd.actor)
              + await _add_photos(uow, case.id, "after", cmd.after, cmd.actor))
    await _transition(uow, case, Action.handle, cmd.actor, details={
        "outcome": cmd.outcome, "note": cmd.note, "merchant_id": cmd.merchant_id,
        **({"dog_licence_id": cmd.dog_licence_id} if cmd.dog_licence_id else {}), "photos": photos,
        "round": case.rework_rounds + 1})
    case.outcome, case.merchant_id, case.dog_licence_id = cmd.outcome, cmd.merchant_id, cmd.dog_licence_id
    case.handled_by, case.handled_at = cmd.actor.subject, uow.clock.now()
    await uow.commit()
    return case


async def merge_case(uow: UnitOfWork, case_id: str, into_id: str, actor: Actor, reason: str) -> Case:
    """合并: a duplicate joins the case it repeats; both trails record it."""
    if case_id == into_id:
        raise ValueError("a case cannot be merged into itself")
    first, second = sorted([case_id, into_id])  # one lock order, so two merges cannot deadlock
    locked = {c.id: c for c in [await _case_for_update(uow, first), await _case_for_update(uow, second)]}
    case, into = locked[case_id], locked[into_id]
    if into.status not in ACTIVE | {CaseStatus.handled, CaseStatus.suspended}:
        raise TransitionNotAllowed(Action.merge, into.status,
                                   f"case {into.case_number} is {into.status}: merge into an open case")
    await _transition(uow, case, Action.merge, actor, reason=reason, details={"into": into.case_number,
                                                                             "into_case_id": into.id})
    case.merged_into = into.id
    await append_trail(uow, into.id, action="merged_in", actor=actor.subject, from_status=into.status,
                       to_status=into.status, reason=reason, data={"case": case.case_number, "case_id": case.id})
    await uow.commit()
    return case


@dataclass(frozen=True)
class SplitPart:
    category_code: str
    description: str
    location: Location


async def split_case(uow: UnitOfWork, case_id: str, parts: list[SplitPart], actor: Actor, reason: str, *,
                     district_code: str) -> list[Case]:
    """拆分: one report that is really several problems becomes several filed cases."""
    if len(parts) < 2:
        raise ValueError("a split needs at least two parts")
    case = await _case_for_update(uow, case_id)
    plan(_facts(case), Action.split, actor, reason)
    ids = await create_cases(uow, [
        NewCase(incident_id=case.incident_id, status=CaseStatus.filed, channel=case.channel,
                category_code=p.category_code, urgency=case.urgency, location=p.location, description=p.description,
                actor=actor.subject, parent_id=case.id, parent_number=case.case_number) for p in parts],
        district_code=district_code)
    children = [await uow.session.get(Case, i) for i in ids]
    await _transition(uow, case, Action.split, actor, reason=reason,
                      details={"into": [c.case_number for c in children], "into_case_ids": [c.id for c in children]})
    await uow.commit()
    return children


async def add_note(uow: UnitOfWork, case_id: str, actor: Actor, note: str, public: bool) -> None:
    case = await _case_for_update(uow, case_id)
    await append_trail(uow, case.id, action="note", actor=actor.subject, from_status=case.status,
                       to_status=case.status, data={"text": note, "public": public})
    if public:
        uow.publish(CasePublicNoteAdded(case_id=case.id, case_number=case.case_number, incident_id=case.incident_id,
                                        text=note, at=uow.clock.now()))
    await uow.commit()


# -- the enforcement track ----------------------------------------------------------------------

TRACK = TypeAdapter(enf.Track)
NO_ENFORCEMENT = frozenset({CaseStatus.reported, CaseStatus.verified}) | TERMINAL
ENFORCERS = frozenset({Role.squad_officer, Role.squad_leader, Role.supervisor, Role.admin})


def _check_enforcer(case: Case, actor: Actor) -> None:
    if actor.role not in ENFORCERS:
        raise NotYourStep(f"enforcement steps are taken by the squad or a supervisor, not {actor.role}")
    if actor.role in (Role.squad_officer, Role.squad_leader) and actor.squad_id != case.squad_id:
        raise NotYourStep(f"the case is not with squad {actor.squad_id}")
    if case.status in NO_ENFORCEMENT:
        raise enf.StepRefused(f"no enforcement on a case that is {case.status}")


async def load_track(session, case_id: str) -> enf.Track:
    row = await session.get(EnforcementTrack, case_id)
    return TRACK.validate_python(row.state) if row else enf.Track()


async def enforcement_step(uow: UnitOfWork, case_id: str, step: enf.Step, actor: Actor, *, bureau: str,
                           **given) -> tuple[enf.Track, CaseDocument | None]:
    case = await _case_for_update(uow, case_id)
    _check_enforcer(case, actor)
    if given.get("merchant_id") is not None:
        await _check_merchant(uow, case, given["merchant_id"])
    now = uow.clock.now()
    row = await uow.session.get(EnforcementTrack, case_id)
    before = TRACK.validate_python(row.state) if row else enf.Track()
    track = enf.take(before, step, now, **given)
    state = TRACK.dump_python(track, mode="json")
    if row is None:
        row = EnforcementTrack(case_id=case_id, stage=track.stage, state=state)
    row.stage, row.state = track.stage.value, state
    uow.session.add(row)
    document = None
    data = {"stage": track.stage.value, "amount_fen": track.amount_fen, "merchant_id": track.merchant_id}
    if step == enf.Step.decide:
        pdf = render_penalty_decision(PenaltyDecision(
            bureau=bureau, decision_number=track.decision_number, case_number=case.case_number, party=track.party,
            legal_basis=track.legal_basis, amount_fen=track.amount_fen, served_at=track.served_at,
            payment_due=track.payment_due, reconsideration_until=track.reconsideration_until,
            lawsuit_until=track.lawsuit_until))
        document = CaseDocument(id=str(uuid.uuid4()), case_id=case_id, kind="penalty_decision", sha256=sha256(pdf),
                                content_type="application/pdf", data=pdf, created_at=now)
        uow.session.add(document)
        data |= {"decision_number": track.decision_number, "document_id": document.id,
                 "document_sha256": document.sha256}
    if track.collected_fen != before.collected_fen:
        data["collected_fen"] = track.collected_fen - before.collected_fen
    await append_trail(uow, case_id, action=f"enforcement.{step.value}", actor=actor.subject,
                       from_status=before.stage.value, to_status=track.stage.value, reason=given.get("reason"),
                       data=data)
    deadlines = {k: v for k, v in {"hearing_request": track.hearing_request_until, "payment": track.payment_due,
                                   "reconsideration": track.reconsideration_until, "lawsuit": track.lawsuit_until,
                                   "court_application": track.court_application_until}.items() if v}
    uow.publish(EnforcementStepRecorded(
        case_id=case_id, case_number=case.case_number, step=step.value, stage=track.stage.value,
        category_code=case.category_code, squad_id=case.squad_id, merchant_id=track.merchant_id,
        amount_fen=track.amount_fen, collected_fen=track.collected_fen - before.collected_fen,
        decision_number=track.decision_number, deadlines=deadlines, at=now, actor=actor.subject))
    await uow.commit()
    return track, document


async def seize(uow: UnitOfWork, case_id: str, actor: Actor, items: list[dict], place: str,
                photos: list[Photo] = ()) -> Seizure:
    """暂扣 with an inventory (清单) of what was taken."""
    case = await _case_for_update(uow, case_id)
    _check_enforcer(case, actor)
    if not items:
        raise ValueError("a seizure needs an inventory of at least one item")
    now = uow.clock.now()
    seizure = Seizure(id=str(uuid.uuid4()), case_id=case_id, items=items, place=place, seized_by=actor.subject,
                      seized_at=now)
    uow.session.add(seizure)
    refs = await _add_photos(uow, case_id, "seizure", list(photos), actor)
    await append_trail(uow, case_id, action="enforcement.seize", actor=actor.subject, from_status=case.status,
                       to_status=case.status, data={"seizure_id": seizure.id, "items": items, "place": place,
                                                     "photos": refs})
    merchant_id = (await load_track(uow.session, case_id)).merchant_id or case.merchant_id
    uow.publish(EnforcementStepRecorded(case_id=case_id, case_number=case.case_number, step="seize",
                                        stage="seized", category_code=case.category_code, squad_id=case.squad_id,
                                        merchant_id=merchant_id, at=now, actor=actor.subject))
    await uow.commit()
    return seizure


async def release(uow: UnitOfWork, case_id: str, seizure_id: str, actor: Actor, reason: str) -> Seizure:
    case = await _case_for_update(uow, case_id)
    _check_enforcer(case, actor)
    seizure = await uow.session.get(Seizure, seizure_id, with_for_update=True)
    if seizure is None or seizure.case_id != case_id:
        raise LookupError(f"unknown seizure {seizure_id}")
    if seizure.released_at is not None:
        raise enf.StepRefused(f"seizure {seizure_id} was released at {seizure.released_at.isoformat()}")
    if not reason.strip():
        raise ValueError("a release needs a reason")
    now = uow.clock.now()
    seizure.released_at, seizure.released_by, seizure.release_reason = now, actor.subject, reason
    uow.session.add(seizure)
    await append_trail(uow, case_id, action="enforcement.release", actor=actor.subject, from_status=case.status,
                       to_status=case.status, reason=reason, data={"seizure_id": seizure_id})
    uow.publish(EnforcementStepRecorded(case_id=case_id, case_number=case.case_number, step="release",
                                        stage="released", category_code=case.category_code, squad_id=case.squad_id,
                                        at=now, actor=actor.subject))
    await uow.commit()
    return seizure
