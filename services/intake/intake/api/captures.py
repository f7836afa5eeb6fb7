"""A capture camera's records and 行政处罚法 art. 41 (intake.domain.captures): the records waiting
for a person's review and the review itself (staff); and, for the party, looking a reviewed record
up with its plate and the 告知码 it was told, and answering it (陈述申辩) online, without an account."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from common.audiences import CaptureReviewer
from common.refusals import NotFound, Unprocessable
from intake import queries
from intake.api.deps import ServiceDep, limit, photo_link
from intake.domain.captures import STATEMENT_MAX, holder, notice
from intake.handlers.captures import answer_capture, review_capture

router = APIRouter(tags=["captures 非现场执法记录"])

BASIS = "《中华人民共和国行政处罚法》第四十一条: 电子技术监控设备的记录经审核后方可作为证据; 当事人可以查询、陈述和申辩"
PLATE = r"^[\u4e00-\u9fa5A-Z][A-Z0-9\u4e00-\u9fa5]{5,8}$"


class CaptureOut(BaseModel):
    incident_id: str
    case_id: str | None
    device_id: str | None
    device_kind: str | None
    evidence_grade: bool = Field(description="its device met 行政处罚法 art. 41 on the day it saw it")
    plate: str | None
    observed_at: datetime | None
    place: str
    photos: list[str] = Field(description="links to the record's pictures (signed, short-lived)")
    review: Literal["pending", "accepted", "rejected", "lead"]
    reviewer: str | None
    reviewed_at: datetime | None
    reason: str | None
    answered_at: datetime | None
    statement: str | None = Field(description="the party's 陈述申辩, as the party wrote it")


def _place(incident) -> str:
    return incident.address_string or f"{incident.lon:.5f}, {incident.lat:.5f}"


async def _shown(service, session, incident, review) -> CaptureOut:
    grade = incident.attributes.get("evidence_grade") is True
    state = review.status if review is not None else ("pending" if grade else "lead")
    return CaptureOut(
        incident_id=incident.id,
        case_id=review.case_id if review is not None else incident.case_id,
        device_id=incident.device_id,
        device_kind=incident.attributes.get("device_kind"),
        evidence_grade=grade,
        plate=incident.attributes.get("plate"),
        observed_at=incident.observed_at,
        place=_place(incident),
        photos=[photo_link(service, p) for p in await queries.capture_photos(session, incident.id)],
        review=state,
        reviewer=review.reviewer if review is not None else None,
        reviewed_at=review.reviewed_at if review is not None else None,
        reason=review.reason if review is not None else None,
        answered_at=review.answered_at if review is not None else None,
        statement=review.statement if review is not None else None,
    )


@router.get(
    "/v1/captures",
    response_model=list[CaptureOut],
    summary="非现场执法记录 by their review: pending (waiting for a person, art. 41), accepted, rejected, or leads "
    "(from a device that did not meet art. 41: never evidence)",
)
async def list_captures(
    principal: CaptureReviewer,
    service: ServiceDep,
    status: Literal["pending", "accepted", "rejected", "leads"] = "pending",
    limit_: int = Query(100, alias="limit", ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    async with service.session_factory() as session:
        rows = await queries.captures(session, status, limit_, offset)
        return [await _shown(service, session, i, r) for i, r in rows]


class ReviewIn(BaseModel):
    decision: Literal["accept", "reject"]
    reason: str | None = Field(
        None, max_length=500, description="why it is rejected (required then): 号牌不清, 画面不完整, 非违法行为 ..."
    )


class ReviewOut(BaseModel):
    capture: CaptureOut
    code: str | None = Field(description="告知码: the party finds the record with it and the plate")
    notice: str | None = Field(
        description="the words the party is told (by the bureau's text message or post), with the code and where "
        "to look the record up and answer"
    )


@router.post(
    "/v1/captures/{incident_id}/review",
    response_model=ReviewOut,
    summary="审核: accept a capture camera's record as evidence (true, clear, complete, accurate) or reject it with "
    "the reason; an accepted record gets its 告知码 and the notice for the party (行政处罚法 art. 41)",
)
async def review(incident_id: str, body: ReviewIn, request: Request, principal: CaptureReviewer, service: ServiceDep):
    accept = body.decision == "accept"
    if not accept and not (body.reason or "").strip():
        raise Unprocessable.field("reason", "a rejected record says why (号牌不清, 画面不完整, ...)")
    async with service.uow() as uow:
        done = await review_capture(uow, incident_id, accept, body.reason, principal.subject)
    async with service.session_factory() as session:
        shown = await _shown(service, session, done.incident, done.review)
    text = None
    if done.review.code is not None:
        base = service.settings.public_base_url or str(request.base_url).rstrip("/")
        seen = done.incident.observed_at or done.incident.reported_at
        rules = await service.catalogue.rules(done.incident.category_code)
        what = rules.name if rules else done.incident.category_code
        text = notice(
            service.settings.bureau_name, what, shown.plate, seen, shown.place, done.review.code, f"{base}/captures"
        )
    return ReviewOut(capture=shown, code=done.review.code, notice=text)


class PartyView(BaseModel):
    plate: str | None
    observed_at: datetime | None
    place: str
    category: str
    device_kind: str | None
    photos: list[str]
    reviewed_at: datetime
    basis: str
    answered_at: datetime | None
    may_answer: bool


NOT_HELD = "未找到已审核的记录: 请核对告知码 (车辆记录还需核对号牌) (no reviewed record with this code and plate)"


async def _held(service, session, code: str, plate: str | None):
    found = await queries.capture_by_code(session, code)
    if found is None or not holder(found[0].attributes.get("plate"), plate):
        raise NotFound(NOT_HELD)
    return found


@router.get(
    "/public/v1/captures",
    response_model=PartyView,
    summary="查询: the party looks up a reviewed capture record with the 告知码 it was told (and a vehicle's plate), "
    "without an account",
)
async def party_lookup(
    request: Request,
    service: ServiceDep,
    code: str = Query(min_length=8, max_length=8, pattern=r"^[A-Z0-9]{8}$", description="告知码, as told"),
    plate: str | None = Query(None, min_length=6, max_length=10, pattern=PLATE, description="号牌, for a vehicle"),
):
    await limit(request, service, "captures")
    async with service.session_factory() as session:
        incident, review_ = await _held(service, session, code, plate)
        photos = [photo_link(service, p) for p in await queries.capture_photos(session, incident.id)]
    return PartyView(
        plate=incident.attributes.get("plate"),
        observed_at=incident.observed_at,
        place=_place(incident),
        category=rules.name if (rules := await service.catalogue.rules(incident.category_code)) else "",
        device_kind=incident.attributes.get("device_kind"),
        photos=photos,
        reviewed_at=review_.reviewed_at,
        basis=BASIS,
        answered_at=review_.answered_at,
        may_answer=review_.answered_at is None,
    )


class AnswerIn(BaseModel):
    plate: str | None = Field(None, min_length=6, max_length=10, pattern=PLATE, description="号牌, for a vehicle")
    code: str = Field(min_length=8, max_length=8, pattern=r"^[A-Z0-9]{8}$")
    statement: str = Field(min_length=2, max_length=STATEMENT_MAX, description="陈述、申辩: what the party says")


class AnswerOut(BaseModel):
    answered_at: datetime
    message: str


@router.post(
    "/public/v1/captures/answer",
    response_model=AnswerOut,
    status_code=201,
    summary="陈述申辩: the party answers a reviewed capture record online, once; the case weighs it before a decision",
)
async def party_answer(body: AnswerIn, request: Request, service: ServiceDep):
    await limit(request, service, "captures")
    async with service.session_factory() as session:
        found = await _held(service, session, body.code, body.plate)
    async with service.uow() as uow:
        held = await answer_capture(uow, found[1], body.statement.strip())
    assert held.answered_at is not None
    return AnswerOut(answered_at=held.answered_at, message="已收到您的陈述申辩, 执法部门将在作出决定前予以复核。")
