"""The enforcement track's steps (警告, 处罚事先告知, 听证, 处罚决定, 缴款, 复议, 诉讼, 申请法院强制执行)
and seizures (暂扣 with its 清单, released with a reason), each in one transaction with its trail
entry, its event and, for a decision, its document. Who may take them, and when, is the domain's
(cases.domain.enforcement)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from cases.domain import approvals as ap
from cases.domain import documents as docs
from cases.domain import enforcement as enf
from cases.domain import powers
from cases.domain.captures import MACHINE_CHANNELS, refuse_without_evidence
from cases.domain.lifecycle import Actor
from cases.domain.officers import check_certified
from cases.handlers.approvals import given as approvals_given
from cases.handlers.approvals import refuse_without_approvals
from cases.handlers.buildings import follow_case
from cases.handlers.captures import machine_evidence
from cases.handlers.documents import Paperwork, facts_of, issue, trail_of
from cases.handlers.powers import load_power
from cases.handlers.publication import publish, withdraw
from cases.handlers.reference import check_merchant, officers
from cases.handlers.steps import add_photos, case_for_update
from cases.handlers.track import TRACK, load_track
from cases.handlers.trail import append_trail
from cases.tables import Case, CaseDocument, EnforcementTrack, KnownPerson, Seizure
from common.messaging.contracts import EnforcementStepRecorded
from common.photos import Photo
from common.refusals import NotFound, Unprocessable
from common.uow import UnitOfWork
from common.vocabulary import CHANNEL_NAMES

PENALTY_NAMED = frozenset({enf.Step.open, enf.Step.notify, enf.Step.on_the_spot})
"""The steps that name the penalty: its power and band, or a recorded departure."""
AMOUNTED = frozenset({enf.Step.notify, enf.Step.on_the_spot})
ALLEGING = frozenset({enf.Step.notify, enf.Step.on_the_spot})
"""The steps that put a violation to the party on the case's evidence (告知, 当场处罚)."""


async def _penalty_named(uow: UnitOfWork, step: enf.Step, given: dict) -> None:
    """The power of the 权责清单 the step names, its provision cited as the legal basis, and the
    amount placed in the chosen band (refused outside it unless the departure is recorded); free
    text as the legal basis only with a recorded departure."""
    if given.get("power_code"):
        power = await load_power(uow.session, given["power_code"])
        given["legal_basis"], given["power_name"] = power.cite(), power.name
        if step in AMOUNTED:
            if not given.get("band"):
                raise Unprocessable.field("band", f"choose the band of power {power.code} the facts put the case in")
            placed = powers.place(
                power,
                given["band"],
                given.get("party_kind") or "person",
                given.get("amount_fen") or 0,
                given.get("base_fen"),
                given.get("departure_reason"),
            )
            given["band"] = placed.band.level.value
    else:
        given.pop("band", None)  # a band is a power's
    if (
        not given.get("power_code")
        and step in AMOUNTED
        and not (given.get("legal_basis") and given.get("departure_reason"))
    ):
        raise Unprocessable.field(
            "power_code",
            "name the power of the 权责清单 (power_code and band); a free-text legal_basis is taken only "
            "with the reason for departing from the list recorded (departure_reason)",
        )


async def enforcement_step(
    uow: UnitOfWork,
    case_id: str,
    step: enf.Step,
    actor: Actor,
    *,
    papers: Paperwork,
    thresholds: ap.Thresholds,
    **given,
) -> tuple[enf.Track, list[CaseDocument]]:
    case = await case_for_update(uow, case_id)
    enf.check_enforcer(case.status, case.squad_id, actor)
    if given.get("merchant_id") is not None:
        await check_merchant(uow, case, given["merchant_id"])
    now = uow.clock.now()
    row = await uow.session.get(EnforcementTrack, case_id)
    before = TRACK.validate_python(row.state) if row else enf.Track()
    if step in PENALTY_NAMED:
        await _penalty_named(uow, step, given)
    if step == enf.Step.on_the_spot:
        named = given.get("officers") or []
        check_certified(await officers(uow, named), named, now.date())
    if step in ALLEGING and case.channel in MACHINE_CHANNELS:
        reviews, investigated = await machine_evidence(uow.session, case_id)
        refuse_without_evidence(case.channel, reviews, investigated)
    if step == enf.Step.decide:
        refuse_without_approvals(before, await approvals_given(uow.session, case_id), thresholds)
    track = enf.take(before, step, now, **given)
    state = TRACK.dump_python(track, mode="json")
    if row is None:
        row = EnforcementTrack(case_id=case_id, stage=track.stage, state=state)
    row.stage, row.state = track.stage.value, state
    uow.session.add(row)
    data: dict[str, object] = {
        "stage": track.stage.value,
        "amount_fen": track.amount_fen,
        "merchant_id": track.merchant_id,
        "power_code": track.power_code,
        "band": track.band,
        "departure_reason": track.departure_reason,
    }
    if given.get("officers"):
        data["officers"] = given["officers"]
    issued = await _documents(uow, case, step, before, track, actor, papers, given)
    if step in (enf.Step.decide, enf.Step.on_the_spot):
        kept = await publish(
            uow,
            case,
            track,
            given.get("withhold"),
            working_days=papers.publication_working_days,
            days=papers.publication_days,
        )
        data["published"] = kept.withheld is None
        data["withheld"] = kept.withheld
    elif step == enf.Step.review_revoked and await withdraw(uow, case_id, "处罚决定经复议或诉讼被撤销"):
        data["withdrawn"] = True
    if issued:
        data["documents"] = [trail_of(d) for d in issued]
    if step in (enf.Step.decide, enf.Step.on_the_spot):
        data |= {"decision_number": track.decision_number, "document_id": issued[0].id}
        data["document_sha256"] = issued[0].sha256
    if track.collected_fen != before.collected_fen:
        data["collected_fen"] = track.collected_fen - before.collected_fen
    await append_trail(
        uow,
        case_id,
        action=f"enforcement.{step.value}",
        actor=actor.subject,
        from_status=before.stage.value,
        to_status=track.stage.value,
        reason=given.get("reason"),
        data=data,
    )
    deadlines = {
        k: v
        for k, v in {
            "hearing_request": track.hearing_request_until,
            "payment": track.payment_due,
            "reconsideration": track.reconsideration_until,
            "lawsuit": track.lawsuit_until,
            "court_application": track.court_application_until,
            "decision": track.decision_due if track.stage in (enf.Stage.opened, enf.Stage.noticed) else None,
            "summary_filing": track.summary_filing_due if track.summary_filed_at is None else None,
        }.items()
        if v
    }
    uow.publish(
        EnforcementStepRecorded(
            case_id=case_id,
            case_number=case.case_number,
            step=step.value,
            stage=track.stage.value,
            category_code=case.category_code,
            squad_id=case.squad_id,
            merchant_id=track.merchant_id,
            amount_fen=track.amount_fen,
            collected_fen=track.collected_fen - before.collected_fen,
            decision_number=track.decision_number,
            power_code=track.power_code,
            power_name=track.power_name,
            band=track.band,
            departed=bool(track.departure_reason),
            summary_procedure=track.summary,
            deadlines=deadlines,
            at=now,
            actor=actor.subject,
        )
    )
    await follow_case(uow, case, step.value, actor.subject)  # 责令停止, 限期拆除, 强制拆除 of an illegal building
    await uow.commit()
    return track, issued


async def _documents(
    uow: UnitOfWork,
    case: Case,
    step: enf.Step,
    before: enf.Track,
    track: enf.Track,
    actor: Actor,
    papers: Paperwork,
    given: dict,
) -> list[CaseDocument]:
    """The documents the step produces (cases.domain.documents), in the order they go out."""
    facts = facts_of(case, track)
    out: list[tuple[str, docs.Text, str | None]] = []
    now = uow.clock.now()
    match step:
        case enf.Step.open:
            officer = await uow.session.get(KnownPerson, actor.subject)
            source = CHANNEL_NAMES.get(case.channel, case.channel)
            text = docs.filing_approval(facts, source, officer.name if officer else actor.subject, now)
            out.append(("filing_approval", text, None))
        case enf.Step.order_correction:
            text = docs.correction_order(facts, given["requirement"], enf.required(track.correction_until, "by"))
            out.append(("correction_order", text, None))
        case enf.Step.notify:
            hearing = papers.hearing(track)
            out.append(("penalty_notice", docs.penalty_notice(facts, hearing), None))
            if hearing:
                out.append(("hearing_notice", docs.hearing_notice(facts), None))
        case enf.Step.schedule_hearing:
            hearing_at = enf.required(track.hearing_at, "hearing_at")
            text = docs.hearing_notification(facts, hearing_at, given["hearing_place"], given["presiding"])
            out.append(("hearing_notification", text, None))
        case enf.Step.hold_hearing:
            text = docs.hearing_record(facts, given["presiding"], given["attendees"], given["record"], now)
            out.append(("hearing_record", text, None))
        case enf.Step.decide | enf.Step.on_the_spot:
            kind = "summary_decision" if track.summary else "penalty_decision"
            out.append((kind, docs.penalty_decision(facts), track.decision_number))
    if track.closed_at is not None and before.closed_at is None:
        out.append(("closing_report", docs.closing_report(facts, now), None))
    return [await issue(uow, case, kind, text, papers, number) for kind, text, number in out]


async def seize(
    uow: UnitOfWork,
    case_id: str,
    actor: Actor,
    items: list[dict],
    place: str,
    present: list[str],
    papers: Paperwork,
    photos: Sequence[Photo] = (),
) -> Seizure:
    """暂扣 with an inventory (清单) of what was taken, before two certified officers; its 暂扣决定书
    with the 清单 is handed over on the spot (行政强制法 art. 24)."""
    case = await case_for_update(uow, case_id)
    enf.check_enforcer(case.status, case.squad_id, actor)
    if not items:
        raise Unprocessable("a seizure needs an inventory of at least one item")
    now = uow.clock.now()
    named = check_certified(await officers(uow, present), present, now.date())
    seizure = Seizure(
        id=str(uuid.uuid4()),
        case_id=case_id,
        items=items,
        place=place,
        officers=present,
        seized_by=actor.subject,
        seized_at=now,
    )
    uow.session.add(seizure)
    refs = await add_photos(uow, case_id, "seizure", list(photos), actor)
    track = await load_track(uow.session, case_id)
    text = docs.seizure_decision(facts_of(case, track), items, place, named)
    decision = await issue(uow, case, "seizure_decision", text, papers)
    await append_trail(
        uow,
        case_id,
        action="enforcement.seize",
        actor=actor.subject,
        from_status=case.status,
        to_status=case.status,
        data={
            "seizure_id": seizure.id,
            "items": items,
            "place": place,
            "officers": present,
            "photos": refs,
            "documents": [trail_of(decision)],
        },
    )
    merchant_id = track.merchant_id or case.merchant_id
    uow.publish(
        EnforcementStepRecorded(
            case_id=case_id,
            case_number=case.case_number,
            step="seize",
            stage="seized",
            category_code=case.category_code,
            squad_id=case.squad_id,
            merchant_id=merchant_id,
            at=now,
            actor=actor.subject,
        )
    )
    await uow.commit()
    return seizure


async def release(uow: UnitOfWork, case_id: str, seizure_id: str, actor: Actor, reason: str) -> Seizure:
    case = await case_for_update(uow, case_id)
    enf.check_enforcer(case.status, case.squad_id, actor)
    seizure = await uow.session.get(Seizure, seizure_id, with_for_update=True)
    if seizure is None or seizure.case_id != case_id:
        raise NotFound(f"unknown seizure {seizure_id}")
    if seizure.released_at is not None:
        raise enf.StepRefused(f"seizure {seizure_id} was released at {seizure.released_at.isoformat()}")
    if not reason.strip():
        raise Unprocessable("a release needs a reason")
    now = uow.clock.now()
    seizure.released_at, seizure.released_by, seizure.release_reason = now, actor.subject, reason
    uow.session.add(seizure)
    await append_trail(
        uow,
        case_id,
        action="enforcement.release",
        actor=actor.subject,
        from_status=case.status,
        to_status=case.status,
        reason=reason,
        data={"seizure_id": seizure_id},
    )
    uow.publish(
        EnforcementStepRecorded(
            case_id=case_id,
            case_number=case.case_number,
            step="release",
            stage="released",
            category_code=case.category_code,
            squad_id=case.squad_id,
            at=now,
            actor=actor.subject,
        )
    )
    await uow.commit()
    return seizure
