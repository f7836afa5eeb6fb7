"""Cases' HTTP API: `/v1/cases`."""
from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from contextlib import contextmanager

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, Response, UploadFile, status
from pydantic import BaseModel, Field
from sqlmodel import select

from cases import enforcement as enf
from cases.domain import Action, Actor, NotYourStep, TransitionNotAllowed
from cases.handlers import (HandleCase, SplitPart, TakeStep, add_note, enforcement_step, handle_case, load_track,
                            merge_case, release, review_rating, seize, split_case, store_photos, take_step)
from cases.tables import Case, CaseDocument, CasePhoto, CaseTrailEntry, KnownPerson, Seizure
from cases.trail import verify
from common.access import sees_evidence
from common.auth import Principal, Role, require_roles
from common.messaging.contracts import CaseOutcome, Location
from common.photos import MAX_BYTES, PhotoRejected, inspect

router = APIRouter(tags=["cases 案卷"])


async def get_service(request: Request):
    return request.app.state.services["cases"]


Reader = Annotated[Principal, Depends(require_roles(Role.dispatcher, Role.supervisor, Role.squad_officer,
                                                    Role.squad_leader, Role.field_monitor, Role.external_system))]
Staff = Annotated[Principal, Depends(require_roles(Role.dispatcher, Role.supervisor, Role.squad_officer,
                                                   Role.squad_leader, Role.field_monitor))]
"""Who may call a step's endpoint at all; which role may take which step is cases.domain.WHO."""


class SquadRef(BaseModel):
    id: str
    name: str


class CasePublic(BaseModel):
    id: str
    case_number: str = Field(description="案卷号: district code, year, sequence")
    incident_id: str
    status: str
    channel: str
    category: str
    urgency: str
    location: Location
    flags: list[str]
    squad: SquadRef | None
    grid_id: str | None
    outcome: str | None
    merchant_id: str | None
    dog_licence_id: str | None = Field(None, description="the dog licence a 犬只扰民 case names")
    opened_at: datetime
    dispatched_at: datetime | None
    deadline_at: datetime | None
    closed_at: datetime | None
    handled_by: str | None
    rework_rounds: int = Field(description="返工 rounds so far")
    parent_case_id: str | None = Field(description="the case this one was split from")
    merged_into: str | None = Field(description="the case this duplicate was merged into")
    rating: str | None = Field(description="the citizen's rating: satisfied, basically_satisfied, dissatisfied")
    time_limit_hours: float | None = Field(None, description="处置时限 of the 服务目录 version it was filed under")
    review_pending: bool = Field(False, description="a citizen was dissatisfied again after the one reopening a "
                                 "rating may cause: a supervisor reviews it (POST /v1/cases/{id}/review)")

    @classmethod
    def of(cls, c: Case) -> "CasePublic":
        return cls(id=c.id, case_number=c.case_number, incident_id=c.incident_id, status=c.status,
                   channel=c.channel, category=c.category_code, urgency=c.urgency,
                   location=Location(lon=c.lon, lat=c.lat), flags=list(c.flags),
                   squad=SquadRef(id=c.squad_id, name=c.squad_name or "") if c.squad_id else None,
                   grid_id=c.grid_id, outcome=c.outcome, merchant_id=c.merchant_id,
                   dog_licence_id=c.dog_licence_id, opened_at=c.opened_at,
                   dispatched_at=c.dispatched_at, deadline_at=c.deadline_at, closed_at=c.closed_at,
                   handled_by=c.handled_by, rework_rounds=c.rework_rounds, parent_case_id=c.parent_case_id,
                   merged_into=c.merged_into, rating=c.rating, time_limit_hours=c.time_limit_hours,
                   review_pending=c.review_requested_at is not None)


async def _load_visible(service, case_id: str, principal: Principal) -> Case:
    async with service.session_factory() as session:
        case = await session.get(Case, case_id)
    if case is None or not principal.sees_squad(case.squad_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} not found")
    return case


@router.get("/v1/cases", response_model=list[CasePublic], summary="案卷, newest first; a squad sees its own")
async def list_cases(principal: Reader, service=Depends(get_service),
                     status_: Annotated[str | None, Query(alias="status", max_length=32)] = None,
                     review: Annotated[Literal["pending"] | None, Query(
                         description="pending: the cases waiting for a supervisor's review of a rating")] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0)] = 0):
    query = select(Case).order_by(Case.opened_at.desc()).limit(limit).offset(offset)
    if status_:
        query = query.where(Case.status == status_)
    if review == "pending":
        query = query.where(Case.review_requested_at.is_not(None))
    if principal.squad_scope is not None:
        query = query.where(Case.squad_id == principal.squad_scope)
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
    return [CasePublic.of(c) for c in rows]


@router.get("/v1/cases/{case_id}", response_model=CasePublic)
async def get_case(case_id: str, principal: Reader, service=Depends(get_service)):
    return CasePublic.of(await _load_visible(service, case_id, principal))


def _actor(principal: Principal) -> Actor:
    return Actor(subject=principal.subject, role=principal.role, squad_id=principal.squad_id)


@contextmanager
def _domain_errors():
    """The domain's refusals as HTTP: 404 unknown, 403 not yours, 409 not now, 422 bad input."""
    try:
        yield
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc).strip("'")) from exc
    except NotYourStep as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    except (TransitionNotAllowed, enf.StepRefused) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except PhotoRejected as exc:
        code = status.HTTP_413_CONTENT_TOO_LARGE if exc.too_large else status.HTTP_422_UNPROCESSABLE_CONTENT
        raise HTTPException(code, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


async def _step(service, principal: Principal, case_id: str, action: Action, reason: str | None = None,
                details: dict | None = None) -> CasePublic:
    await _load_visible(service, case_id, principal)
    with _domain_errors():
        async with service.uow() as uow:
            case = await take_step(uow, TakeStep(case_id=case_id, action=action, actor=_actor(principal),
                                                 reason=reason, details=details or {}))
    return CasePublic.of(case)


class VerifyRequest(BaseModel):
    confirmed: bool = Field(description="the problem was found on site (核实属实)")
    note: str | None = Field(None, max_length=1000)


class StepRequest(BaseModel):
    reason: str | None = Field(None, max_length=500, description="why; required to reject, suspend, cancel, reopen")


class CheckRequest(BaseModel):
    passed: bool = Field(description="核查通过 closes the case; not passed sends it back for rework (返工)")
    reason: str | None = Field(None, max_length=500, description="required when not passed")


Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class EvaluateRequest(BaseModel):
    rating: Rating = Field(description="满意, 基本满意, 不满意")
    comment: str | None = Field(None, max_length=500)


class MergeRequest(BaseModel):
    into_case_id: str = Field(description="the open case this one repeats")
    reason: str = Field(min_length=1, max_length=500)


class SplitPartRequest(BaseModel):
    category: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=2000)
    location: Location


class SplitRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    parts: list[SplitPartRequest] = Field(min_length=2, max_length=20)


class NoteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    public: bool = Field(False, description="shown to the citizen who reported it (公开备注)")


@router.post("/v1/cases/{case_id}/verify", response_model=CasePublic, summary="核实: a field monitor on site")
async def verify_case(case_id: str, body: VerifyRequest, principal: Staff, service=Depends(get_service)):
    return await _step(service, principal, case_id, Action.verify,
                       details={"confirmed": body.confirmed, "note": body.note})


@router.post("/v1/cases/{case_id}/check", response_model=CasePublic,
             summary="核查: close the case, or send it back for rework (返工); not by its handler (监管分离)")
async def check_case(case_id: str, body: CheckRequest, principal: Staff, service=Depends(get_service)):
    return await _step(service, principal, case_id, Action.check if body.passed else Action.rework,
                       reason=body.reason)


@router.post("/v1/cases/{case_id}/evaluate", response_model=CasePublic, summary="评价: the citizen's rating")
async def evaluate_case(case_id: str, body: EvaluateRequest, principal: Staff, service=Depends(get_service)):
    return await _step(service, principal, case_id, Action.evaluate,
                       details={"rating": body.rating, "comment": body.comment})


MAX_STEP_PHOTOS = 9
"""Before photos, and after photos, of one handling step."""


def _refuse_too_many(files: list[UploadFile] | None, kind: str) -> None:
    if len(files or []) > MAX_STEP_PHOTOS:
        raise PhotoRejected(f"at most {MAX_STEP_PHOTOS} {kind} photos; {len(files)} were sent")


async def _photos(files: list[UploadFile] | None, kind: str) -> list:
    """Read and check the photos of one kind (their count already checked); Pillow runs in a
    worker thread, off the event loop."""
    photos = []
    for i, upload in enumerate(files or []):
        data = await upload.read(MAX_BYTES + 1)
        photos.append(await asyncio.to_thread(inspect, data, f"{kind} photo {i + 1} ({upload.filename})"))
    return photos


@router.post("/v1/cases/{case_id}/handle", response_model=CasePublic,
             summary="处置反馈: the squad's result with before and after photos (multipart)")
async def handle(case_id: str, principal: Staff,
                 outcome: Annotated[CaseOutcome, Form(description="resolved, violation, no_violation")],
                 service=Depends(get_service),
                 note: Annotated[str | None, Form(max_length=2000)] = None,
                 merchant_id: Annotated[str | None, Form(max_length=36)] = None,
                 dog_licence_id: Annotated[str | None, Form(max_length=36, description="the dog licence a 犬只扰民 "
                                                            "case is about")] = None,
                 before: Annotated[list[UploadFile] | None, File(description="处置前照片")] = None,
                 after: Annotated[list[UploadFile] | None, File(description="处置后照片")] = None):
    await _load_visible(service, case_id, principal)
    with _domain_errors():
        _refuse_too_many(before, "before")  # both counts, before any file is read
        _refuse_too_many(after, "after")
        before_photos, after_photos = await _photos(before, "before"), await _photos(after, "after")
        await store_photos(service.store, case_id, before_photos + after_photos)
        async with service.uow() as uow:
            case = await handle_case(uow, HandleCase(case_id=case_id, actor=_actor(principal), outcome=outcome,
                                                     note=note, merchant_id=merchant_id, before=before_photos,
                                                     after=after_photos, dog_licence_id=dog_licence_id,
                                                     dog_categories=service.settings.dog_categories))
    return CasePublic.of(case)


@router.post("/v1/cases/{case_id}/merge", response_model=CasePublic, summary="合并: a duplicate joins an open case")
async def merge(case_id: str, body: MergeRequest, principal: Staff, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    with _domain_errors():
        async with service.uow() as uow:
            case = await merge_case(uow, case_id, body.into_case_id, _actor(principal), body.reason)
    return CasePublic.of(case)


@router.post("/v1/cases/{case_id}/split", response_model=list[CasePublic], status_code=201,
             summary="拆分: one report that is several problems becomes several filed cases")
async def split(case_id: str, body: SplitRequest, principal: Staff, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    parts = [SplitPart(category_code=p.category, description=p.description, location=p.location) for p in body.parts]
    with _domain_errors():
        async with service.uow() as uow:
            children = await split_case(uow, case_id, parts, _actor(principal), body.reason,
                                        district_code=service.settings.district_code)
    return [CasePublic.of(c) for c in children]


@router.post("/v1/cases/{case_id}/notes", status_code=204, summary="备注: a note in the trail, public or not")
async def note(case_id: str, body: NoteRequest, principal: Staff, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    with _domain_errors():
        async with service.uow() as uow:
            await add_note(uow, case_id, _actor(principal), body.text, body.public)


@router.get("/v1/cases/{case_id}/photos/{sha256}", summary="an evidence photo, as it was taken",
            response_class=Response, responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/heic": {}}}})
async def photo(case_id: str, sha256: str, principal: Reader, service=Depends(get_service)):
    case = await _load_visible(service, case_id, principal)
    if not sees_evidence(principal, squad_id=case.squad_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no photo {sha256} in case {case_id}")
    async with service.session_factory() as session:
        row = (await session.exec(select(CasePhoto).where(CasePhoto.case_id == case_id,
                                                          CasePhoto.sha256 == sha256))).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no photo {sha256} in case {case_id}")
    return Response(await service.store.get(row.object_key), media_type=row.content_type,
                    headers={"Cache-Control": "private, max-age=86400"})


# -- the enforcement track ----------------------------------------------------------------------

class TrackPublic(BaseModel):
    stage: str = Field(description="警告 warned, 已告知 noticed, 已决定 decided, 复议/诉讼中 under_review, "
                                   "已申请强制执行 court_applied, 已裁定 court_ruled, 已缴纳 paid, 已执行 enforced, ...")
    party: str | None
    merchant_id: str | None
    legal_basis: str | None
    amount_fen: int | None
    decision_number: str | None
    served_at: datetime | None
    hearing_request_until: datetime | None
    payment_due: datetime | None
    reconsideration_until: datetime | None
    lawsuit_until: datetime | None
    court_application_until: datetime | None
    court_eligible: bool = Field(description="非诉强制执行 may be applied for now")
    review_kind: str | None
    review_outcome: str | None
    collected_fen: int
    documents: list[dict]
    seizures: list[dict]


class EnforcementRequest(BaseModel):
    party: str | None = Field(None, max_length=200, description="当事人 (warn, notify)")
    merchant_id: str | None = Field(None, max_length=36, description="the party in the merchant ledger")
    legal_basis: str | None = Field(None, max_length=500, description="处罚依据 (notify, decide)")
    amount_fen: int | None = Field(None, ge=0, le=10_000_000_000, description="罚款, in fen (notify, decide, pay)")
    decision_number: str | None = Field(None, max_length=64, description="决定书文号 (decide)")
    served_at: datetime | None = Field(None, description="送达 time (decide); now when left out")
    party_waived: bool = Field(False, description="the party waived the statement and hearing (decide)")
    reason: str | None = Field(None, max_length=500)


REQUIRED = {enf.Step.warn: ("party",), enf.Step.notify: ("party", "legal_basis", "amount_fen"),
            enf.Step.decide: ("decision_number",), enf.Step.pay: ("amount_fen",)}


async def _track_public(service, case_id: str) -> TrackPublic:
    async with service.session_factory() as session:
        track = await load_track(session, case_id)
        docs = (await session.exec(select(CaseDocument.id, CaseDocument.kind, CaseDocument.sha256,
                                          CaseDocument.created_at).where(CaseDocument.case_id == case_id))).all()
        seizures = (await session.exec(select(Seizure).where(Seizure.case_id == case_id)
                                       .order_by(Seizure.seized_at))).all()
    return TrackPublic(
        **{k: getattr(track, k) for k in TrackPublic.model_fields if hasattr(track, k)},
        court_eligible=enf.court_eligible(track, service.clock.now()),
        documents=[{"id": d.id, "kind": d.kind, "sha256": d.sha256, "created_at": d.created_at,
                    "url": f"/v1/cases/{case_id}/documents/{d.id}"} for d in docs],
        seizures=[s.model_dump(mode="json") for s in seizures])


@router.get("/v1/cases/{case_id}/enforcement", response_model=TrackPublic, summary="行政处罚: the track and its deadlines")
async def get_enforcement(case_id: str, principal: Reader, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    return await _track_public(service, case_id)


@router.post("/v1/cases/{case_id}/enforcement/{step}", response_model=TrackPublic,
             summary="a step of the track: warn, notify, decide (renders the PDF), pay, reconsider, sue, "
                     "review_upheld, review_revoked, apply_to_court, court_grants, court_refuses, enforce")
async def enforcement(case_id: str, step: enf.Step, body: EnforcementRequest, principal: Staff,
                      service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    missing = [f for f in REQUIRED.get(step, ()) if getattr(body, f) is None]
    if missing:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{step.value} needs {', '.join(missing)}")
    with _domain_errors():
        async with service.uow() as uow:
            await enforcement_step(uow, case_id, step, _actor(principal), bureau=service.settings.bureau_name,
                                   **body.model_dump(exclude_none=True))
    return await _track_public(service, case_id)


@router.get("/v1/cases/{case_id}/documents/{document_id}", response_class=Response,
            summary="a document of the case (行政处罚决定书 PDF); its SHA-256 is in the trail",
            responses={200: {"content": {"application/pdf": {}}}})
async def document(case_id: str, document_id: str, principal: Reader, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    async with service.session_factory() as session:
        doc = await session.get(CaseDocument, document_id)
    if doc is None or doc.case_id != case_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no document {document_id} in case {case_id}")
    return Response(doc.data, media_type=doc.content_type, headers={
        "Content-Disposition": f'attachment; filename="{doc.kind}-{document_id}.pdf"', "X-Content-SHA256": doc.sha256})


class InventoryItem(BaseModel):
    item: str = Field(min_length=1, max_length=200, description="物品")
    quantity: int = Field(ge=1, le=10_000)
    note: str | None = Field(None, max_length=200)


class SeizeRequest(BaseModel):
    items: list[InventoryItem] = Field(min_length=1, max_length=100, description="暂扣清单")
    place: str = Field(min_length=1, max_length=200, description="where the items are kept")


class ReleaseRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@router.post("/v1/cases/{case_id}/seizures", status_code=201, summary="暂扣 tools or vehicles, with an inventory")
async def seize_items(case_id: str, body: SeizeRequest, principal: Staff, service=Depends(get_service)) -> dict:
    await _load_visible(service, case_id, principal)
    with _domain_errors():
        async with service.uow() as uow:
            seizure = await seize(uow, case_id, _actor(principal), [i.model_dump() for i in body.items], body.place)
    return seizure.model_dump(mode="json")


@router.post("/v1/cases/{case_id}/seizures/{seizure_id}/release", summary="解除暂扣 (返还)")
async def release_items(case_id: str, seizure_id: str, body: ReleaseRequest, principal: Staff,
                        service=Depends(get_service)) -> dict:
    await _load_visible(service, case_id, principal)
    with _domain_errors():
        async with service.uow() as uow:
            seizure = await release(uow, case_id, seizure_id, _actor(principal), body.reason)
    return seizure.model_dump(mode="json")


class TrailEntryPublic(BaseModel):
    seq: int
    at: datetime
    actor: str
    actor_name: str | None = Field(None, description="from the directory, when the actor is a person in it")
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict
    prev_hash: str
    hash: str


class TrailVerdict(BaseModel):
    intact: bool = Field(description="the chain is whole: no entry changed, removed or reordered")
    entries: int
    first_broken_seq: int | None = Field(description="the first entry that no longer fits the chain")
    reason: str | None


async def _trail(service, case_id: str) -> list[CaseTrailEntry]:
    async with service.session_factory() as session:
        return list((await session.exec(select(CaseTrailEntry).where(CaseTrailEntry.case_id == case_id)
                                        .order_by(CaseTrailEntry.seq))).all())


@router.get("/v1/cases/{case_id}/trail", response_model=list[TrailEntryPublic], summary="痕迹: the case's history")
async def trail(case_id: str, principal: Reader, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    entries = await _trail(service, case_id)
    async with service.session_factory() as session:
        names = dict((await session.exec(select(KnownPerson.id, KnownPerson.name)
                                         .where(KnownPerson.id.in_({e.actor for e in entries})))).all())
    return [TrailEntryPublic.model_validate(e, from_attributes=True).model_copy(update={"actor_name": names.get(e.actor)})
            for e in entries]


@router.get("/v1/cases/{case_id}/trail/verify", response_model=TrailVerdict,
            summary="check the case's hash chain; name the first entry that breaks it")
async def verify_trail(case_id: str, principal: Reader, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    rows = await _trail(service, case_id)
    return TrailVerdict(**asdict(verify([r.to_entry() for r in rows])))


class ReviewRequest(BaseModel):
    reopen: bool = Field(description="true: 重新办理, back to the squad; false: the result stands")
    reason: str = Field(min_length=1, max_length=500)


@router.post("/v1/cases/{case_id}/review", response_model=CasePublic,
             summary="督查复核: a supervisor decides on a case rated 不满意 again after its one reopening")
async def review(case_id: str, body: ReviewRequest, principal: Staff, service=Depends(get_service)):
    await _load_visible(service, case_id, principal)
    with _domain_errors():
        async with service.uow() as uow:
            case = await review_rating(uow, case_id, _actor(principal), body.reopen, body.reason)
    return CasePublic.of(case)


# Declared last: its `{action}` segment would otherwise shadow the named steps above.
SimpleAction = Literal["file", "reject", "suspend", "resume", "cancel", "reopen"]


@router.post("/v1/cases/{case_id}/{action}", response_model=CasePublic,
             summary="立案 file, 不予立案 reject, 挂起 suspend, 恢复 resume, 撤销 cancel, 重新办理 reopen")
async def simple_step(case_id: str, action: SimpleAction, body: StepRequest, principal: Staff,
                      service=Depends(get_service)):
    return await _step(service, principal, case_id, Action(action), reason=body.reason)
