"""The enforcement track over HTTP (行政处罚: 警告, 告知, 决定 with its PDF, 缴款, 复议, 诉讼, 非诉执行), the
case's documents, and seizures (暂扣) with their inventory and photos."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from cases import queries
from cases.api.deps import ServiceDep, actor_of, body_and_photos, document_entry, load_visible, with_photos
from cases.domain import enforcement as enf
from cases.domain.powers import Level
from cases.domain.publication import Withheld
from cases.handlers.approvals import given as approvals_given
from cases.handlers.approvals import still_missing
from cases.handlers.enforcement import enforcement_step, release, seize
from cases.handlers.steps import store_photos
from cases.handlers.track import load_track
from common.audiences import CaseReader, CaseWorker
from common.refusals import Unprocessable

router = APIRouter(tags=["cases 案卷"])


class TrackPublic(BaseModel):
    stage: str = Field(
        description="警告 warned, 已告知 noticed, 已决定 decided, 复议/诉讼中 under_review, "
        "已申请强制执行 court_applied, 已裁定 court_ruled, 已缴纳 paid, 已执行 enforced, ..."
    )
    party: str | None
    party_kind: str = Field(description="person 自然人, organisation 法人或者其他组织")
    merchant_id: str | None
    legal_basis: str | None
    power_code: str | None = Field(description="the power of the 权责清单")
    band: str | None = Field(description="its discretion band")
    departure_reason: str | None = Field(description="why the penalty departs from the list or its band")
    amount_fen: int | None
    opened_at: datetime | None = Field(description="立案")
    decision_due: datetime | None = Field(description="the decision is due 90 days after 立案 (art. 60)")
    decision_overdue: bool
    proposal: dict | None = Field(description="承办人意见: the penalty proposed for the decision, and its version")
    approvals_missing: list[str] = Field(description="the approvals a decision still needs, in order")
    summary: bool = Field(description="decided on the spot (简易程序)")
    summary_filing_due: datetime | None = Field(description="an on-the-spot decision is filed within 3 days")
    summary_filed_at: datetime | None
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
    party: str | None = Field(None, max_length=200, description="当事人 (open, on_the_spot, warn, notify)")
    party_kind: Literal["person", "organisation"] | None = Field(
        None, description="自然人 person, or 法人或者其他组织 organisation (the thresholds and bands differ)"
    )
    merchant_id: str | None = Field(None, max_length=36, description="the party in the merchant ledger")
    power_code: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        description="the power of the 权责清单 (GET /v1/powers) (open, notify, on_the_spot)",
    )
    band: Level | None = Field(None, description="its band: minor 轻微, ordinary 一般, serious 较重, grave 严重")
    base_fen: int | None = Field(None, ge=0, description="the base a share-of fine is counted on (建设工程造价)")
    departure_reason: str | None = Field(
        None, min_length=2, max_length=1000, description="why the penalty departs from the list or its band"
    )
    legal_basis: str | None = Field(
        None, max_length=500, description="处罚依据 as free text: only with a recorded departure_reason"
    )
    officers: list[str] | None = Field(
        None, max_length=10, description="the certified officers present (on_the_spot): two at least"
    )
    amount_fen: int | None = Field(None, ge=0, le=10_000_000_000, description="罚款, in fen (notify, decide, pay)")
    requirement: str | None = Field(
        None, min_length=2, max_length=500, description="what the party must correct (order_correction)"
    )
    correct_by: datetime | None = Field(None, description="by when (order_correction)")
    hearing_at: datetime | None = Field(None, description="schedule_hearing: when (7 days ahead at least)")
    hearing_place: str | None = Field(None, min_length=2, max_length=200, description="schedule_hearing: where")
    presiding: str | None = Field(None, min_length=1, max_length=100, description="听证主持人 (schedule, hold)")
    attendees: str | None = Field(None, min_length=1, max_length=500, description="hold_hearing: who took part")
    record: str | None = Field(None, min_length=2, max_length=20000, description="hold_hearing: 听证笔录")
    withhold: Withheld | None = Field(
        None, description="decide: not published, because the party is a minor, or of secrets or privacy"
    )
    decision_number: str | None = Field(None, max_length=64, description="决定书文号 (decide)")
    served_at: datetime | None = Field(None, description="送达 time (decide); now when left out")
    party_waived: bool = Field(False, description="the party waived the statement and hearing (decide)")
    reason: str | None = Field(None, max_length=500)


REQUIRED = {
    enf.Step.open: ("party",),
    enf.Step.on_the_spot: ("party", "decision_number", "officers"),
    enf.Step.order_correction: ("requirement", "correct_by"),
    enf.Step.schedule_hearing: ("hearing_at", "hearing_place", "presiding"),
    enf.Step.hold_hearing: ("presiding", "attendees", "record"),
    enf.Step.warn: ("party",),
    enf.Step.notify: ("party", "amount_fen"),
    enf.Step.decide: ("decision_number",),
    enf.Step.pay: ("amount_fen",),
}


async def _track_public(service, case_id: str) -> TrackPublic:
    async with service.session_factory() as session:
        track = await load_track(session, case_id)
        docs = await queries.documents(session, case_id)
        seizures = await queries.seizures(session, case_id)
        approvals = await approvals_given(session, case_id)
    now = service.clock.now()
    undecided = track.stage in (enf.Stage.opened, enf.Stage.noticed)
    return TrackPublic(
        **{k: getattr(track, k) for k in TrackPublic.model_fields if hasattr(track, k) and k != "proposal"},
        proposal=asdict(track.proposal) if track.proposal else None,
        approvals_missing=[s.value for s in still_missing(track, approvals, service.settings.thresholds())]
        if undecided
        else [],
        decision_overdue=bool(undecided and track.decision_due and now > track.decision_due),
        court_eligible=enf.court_eligible(track, now),
        documents=[document_entry(case_id, d) for d in docs],
        seizures=[s.model_dump(mode="json") for s in seizures],
    )


@router.get(
    "/v1/cases/{case_id}/enforcement", response_model=TrackPublic, summary="行政处罚: the track and its deadlines"
)
async def get_enforcement(case_id: str, principal: CaseReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    return await _track_public(service, case_id)


@router.post(
    "/v1/cases/{case_id}/enforcement/{step}",
    response_model=TrackPublic,
    summary="a step of the track, with the documents it produces: open (立案), order_correction (责令改正), "
    "request_hearing, schedule_hearing (听证通知书), hold_hearing (听证笔录), "
    "on_the_spot (当场处罚, renders its PDF), file_summary (备案), "
    "warn, notify (the power and band of the 权责清单), decide (after its approvals; renders the PDF), pay, "
    "reconsider, sue, review_upheld, review_revoked, apply_to_court, court_grants, court_refuses, enforce",
)
async def enforcement(
    case_id: str, step: enf.Step, body: EnforcementRequest, principal: CaseWorker, service: ServiceDep
):
    await load_visible(service, case_id, principal)
    missing = [f for f in REQUIRED.get(step, ()) if getattr(body, f) is None]
    if missing:
        raise Unprocessable(f"{step.value} needs {', '.join(missing)}")
    async with service.uow() as uow:
        await enforcement_step(
            uow,
            case_id,
            step,
            actor_of(principal),
            papers=service.paperwork,
            thresholds=service.settings.thresholds(),
            **body.model_dump(exclude_none=True),
        )
    return await _track_public(service, case_id)


class InventoryItem(BaseModel):
    item: str = Field(min_length=1, max_length=200, description="物品")
    quantity: int = Field(ge=1, le=10_000)
    note: str | None = Field(None, max_length=200)


class SeizeRequest(BaseModel):
    items: list[InventoryItem] = Field(min_length=1, max_length=100, description="暂扣清单")
    place: str = Field(min_length=1, max_length=200, description="where the items are kept")
    officers: list[str] = Field(
        min_length=2, max_length=10, description="the certified officers present (执法人员, two at least): their ids"
    )


class ReleaseRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


SEIZE_BODY = with_photos(SeizeRequest, "inventory", "暂扣物品照片")


@router.post(
    "/v1/cases/{case_id}/seizures",
    status_code=201,
    openapi_extra=SEIZE_BODY,
    summary="暂扣 tools or vehicles, with an inventory (JSON), or with it and photos of what was taken "
    "(multipart: `inventory`, the same JSON, and `photos`)",
)
async def seize_items(case_id: str, request: Request, principal: CaseWorker, service: ServiceDep) -> dict:
    await load_visible(service, case_id, principal)
    body, taken = await body_and_photos(request, SeizeRequest, "seizure", "inventory")
    await store_photos(service.store, case_id, taken)
    async with service.uow() as uow:
        seizure = await seize(
            uow,
            case_id,
            actor_of(principal),
            [i.model_dump() for i in body.items],
            body.place,
            body.officers,
            service.paperwork,
            taken,
        )
    return seizure.model_dump(mode="json")


@router.post("/v1/cases/{case_id}/seizures/{seizure_id}/release", summary="解除暂扣 (返还)")
async def release_items(
    case_id: str, seizure_id: str, body: ReleaseRequest, principal: CaseWorker, service: ServiceDep
) -> dict:
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        seizure = await release(uow, case_id, seizure_id, actor_of(principal), body.reason)
    return seizure.model_dump(mode="json")
