"""Cases' closed loop over HTTP: `/v1/cases` (a squad sees its own), 核实 verify, 立案 file, 处置
handle with photos, 核查 check, 评价, merge, split, notes, evidence photos, and a supervisor's review
of a rating. Which role takes which step is cases.domain.lifecycle.WHO."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from cases import queries
from cases.api.deps import (
    ServiceDep,
    actor_of,
    body_and_photos,
    load_visible,
    read_photos,
    refuse_too_many,
    with_photos,
)
from cases.domain.lifecycle import Action
from cases.handlers.lifecycle import (
    HandleCase,
    SplitPart,
    TakeStep,
    add_note,
    handle_case,
    merge_case,
    review_rating,
    split_case,
    take_step,
)
from cases.handlers.steps import store_photos
from common.access import sees_evidence
from common.audiences import AreaReader, CaseReader, CaseWorker
from common.geo import parse_point
from common.messaging.contracts import DESCRIPTION_MAX, CaseOutcome, CaseOwner, Location
from common.photos import Photo
from common.principal import Principal
from common.refusals import NotFound, Unprocessable
from common.vocabulary import CaseStatus

if TYPE_CHECKING:
    from cases.settings import CasesSettings
    from cases.tables import Case

router = APIRouter(tags=["cases 案卷"])
steps_router = APIRouter(tags=["cases 案卷"])
"""The simple steps (`/v1/cases/{id}/{action}`): included after every other router of cases, whose
named paths that segment would otherwise shadow."""


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
    monitor_due_at: datetime | None = Field(
        None,
        description="待核实 or 已处置: when the field monitor's 核实 or 核查 is due "
        "(the bureau's minutes per category)",
    )
    source_deadline: datetime | None = Field(
        None, description="the upstream order's deadline, or the 化解时限 of a 信访, 领导交办 or 舆情 case"
    )
    owner: CaseOwner | None = Field(None, description="包案: 包案领导, 责任单位, 责任人")
    answers: dict = Field(default_factory=dict, description="信访答复意见 / 舆情回应 on record: {kind: {text, by, at}}")
    campaigns: list[str] = Field(
        default_factory=list, description="the campaigns (专项整治 ...) it falls in: their categories, area and period"
    )
    review_pending: bool = Field(
        False,
        description="a citizen was dissatisfied again after the one reopening a "
        "rating may cause: a supervisor reviews it (POST /v1/cases/{id}/review)",
    )

    @classmethod
    def of(cls, c: Case, settings: CasesSettings | None = None) -> CasePublic:
        due = None
        if settings is not None and c.status == CaseStatus.reported:
            due = c.opened_at + timedelta(minutes=settings.monitor_limit(c.category_code, "verify"))
        elif settings is not None and c.status == CaseStatus.handled and c.handled_at is not None:
            due = c.handled_at + timedelta(minutes=settings.monitor_limit(c.category_code, "check"))
        return cls(
            monitor_due_at=due,
            id=c.id,
            case_number=c.case_number,
            incident_id=c.incident_id,
            status=c.status,
            channel=c.channel,
            category=c.category_code,
            urgency=c.urgency,
            location=Location(lon=c.lon, lat=c.lat),
            flags=list(c.flags),
            squad=SquadRef(id=c.squad_id, name=c.squad_name or "") if c.squad_id else None,
            grid_id=c.grid_id,
            outcome=c.outcome,
            merchant_id=c.merchant_id,
            dog_licence_id=c.dog_licence_id,
            opened_at=c.opened_at,
            dispatched_at=c.dispatched_at,
            deadline_at=c.deadline_at,
            closed_at=c.closed_at,
            handled_by=c.handled_by,
            rework_rounds=c.rework_rounds,
            parent_case_id=c.parent_case_id,
            merged_into=c.merged_into,
            rating=c.rating,
            time_limit_hours=c.time_limit_hours,
            review_pending=c.review_requested_at is not None,
            source_deadline=c.source_deadline,
            owner=CaseOwner(**c.owner) if c.owner else None,
            answers=c.answers or {},
            campaigns=list(c.campaigns or []),
        )


@router.get("/v1/cases", response_model=list[CasePublic], summary="案卷, newest first; a squad sees its own")
async def list_cases(
    principal: AreaReader,
    service: ServiceDep,
    status_: Annotated[str | None, Query(alias="status", max_length=32)] = None,
    review: Annotated[
        Literal["pending"] | None, Query(description="pending: the cases waiting for a supervisor's review of a rating")
    ] = None,
    near: Annotated[
        str | None,
        Query(
            max_length=60, description="lon,lat (WGS84): the cases within radius_m, nearest first (a monitor's list)"
        ),
    ] = None,
    radius_m: Annotated[float, Query(gt=0, le=20_000)] = 3000,
    campaign: Annotated[str | None, Query(max_length=36, description="the cases of one campaign")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    async with service.session_factory() as session:
        area = await queries.office_grids(session, principal.office_id)
        rows = await queries.cases(
            session,
            grids=area,
            status=status_ or None,
            review_pending=review == "pending",
            squad_scope=principal.squad_scope,
            limit=limit,
            offset=offset,
            near=(*_point(near), radius_m) if near else None,
            campaign=campaign,
        )
    return [CasePublic.of(c, service.settings) for c in rows]


def _point(value: str) -> tuple[float, float]:
    try:
        return parse_point(value)
    except ValueError as exc:
        raise Unprocessable.field("near", str(exc)) from None


@router.get("/v1/cases/{case_id}", response_model=CasePublic)
async def get_case(case_id: str, principal: AreaReader, service: ServiceDep):
    return CasePublic.of(await load_visible(service, case_id, principal), service.settings)


async def _step(
    service,
    principal: Principal,
    case_id: str,
    action: Action,
    reason: str | None = None,
    details: dict | None = None,
    photos: list[Photo] | None = None,
    photo_kind: str = "verify",
) -> CasePublic:
    await load_visible(service, case_id, principal)
    await store_photos(service.store, case_id, photos or [])
    async with service.uow() as uow:
        case = await take_step(
            uow,
            TakeStep(
                case_id=case_id,
                action=action,
                actor=actor_of(principal),
                reason=reason,
                details=details or {},
                photos=tuple(photos or ()),
                photo_kind=photo_kind,
            ),
        )
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
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    location: Location


class SplitRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    parts: list[SplitPartRequest] = Field(min_length=2, max_length=20)


class NoteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    public: bool = Field(False, description="shown to the citizen who reported it (公开备注)")


@router.post(
    "/v1/cases/{case_id}/verify",
    response_model=CasePublic,
    openapi_extra=with_photos(VerifyRequest, "verify", "核实照片"),
    summary="核实: a field monitor on site (JSON, or multipart: `verify`, the same JSON, and `photos`)",
)
async def verify_case(case_id: str, request: Request, principal: CaseWorker, service: ServiceDep):
    body, photos = await body_and_photos(request, VerifyRequest, "verify", "verify")
    return await _step(
        service,
        principal,
        case_id,
        Action.verify,
        details={"confirmed": body.confirmed, "note": body.note},
        photos=photos,
        photo_kind="verify",
    )


@router.post(
    "/v1/cases/{case_id}/check",
    response_model=CasePublic,
    openapi_extra=with_photos(CheckRequest, "check", "核查照片"),
    summary="核查: close the case, or send it back for rework (返工); not by its handler (监管分离). "
    "JSON, or multipart: `check`, the same JSON, and `photos`",
)
async def check_case(case_id: str, request: Request, principal: CaseWorker, service: ServiceDep):
    body, photos = await body_and_photos(request, CheckRequest, "check", "check")
    return await _step(
        service,
        principal,
        case_id,
        Action.check if body.passed else Action.rework,
        reason=body.reason,
        photos=photos,
        photo_kind="check",
    )


@router.post("/v1/cases/{case_id}/evaluate", response_model=CasePublic, summary="评价: the citizen's rating")
async def evaluate_case(case_id: str, body: EvaluateRequest, principal: CaseWorker, service: ServiceDep):
    return await _step(
        service, principal, case_id, Action.evaluate, details={"rating": body.rating, "comment": body.comment}
    )


@router.post(
    "/v1/cases/{case_id}/handle",
    response_model=CasePublic,
    summary="处置反馈: the squad's result with before and after photos (multipart)",
)
async def handle(
    case_id: str,
    principal: CaseWorker,
    outcome: Annotated[CaseOutcome, Form(description="resolved, violation, no_violation")],
    service: ServiceDep,
    note: Annotated[str | None, Form(max_length=DESCRIPTION_MAX)] = None,
    merchant_id: Annotated[str | None, Form(max_length=36)] = None,
    dog_licence_id: Annotated[
        str | None, Form(max_length=36, description="the dog licence a 犬只扰民 case is about")
    ] = None,
    before: Annotated[list[UploadFile] | None, File(description="处置前照片")] = None,
    after: Annotated[list[UploadFile] | None, File(description="处置后照片")] = None,
    taken_at: Annotated[
        datetime | None, Form(description="when the officer took the step (offline, it may arrive later)")
    ] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180, description="where the officer stood, WGS84")] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    accuracy_m: Annotated[float | None, Form(ge=0, le=100_000, description="the fix's accuracy, metres")] = None,
):
    await load_visible(service, case_id, principal)
    refuse_too_many(before, "before")  # both counts, before any file is read
    refuse_too_many(after, "after")
    before_photos, after_photos = await read_photos(before, "before"), await read_photos(after, "after")
    await store_photos(service.store, case_id, before_photos + after_photos)
    async with service.uow() as uow:
        case = await handle_case(
            uow,
            HandleCase(
                case_id=case_id,
                actor=actor_of(principal),
                outcome=outcome,
                note=note,
                merchant_id=merchant_id,
                before=before_photos,
                after=after_photos,
                dog_licence_id=dog_licence_id,
                dog_categories=service.settings.dog_categories,
                taken=_taken(taken_at, lon, lat, accuracy_m),
            ),
        )
    return CasePublic.of(case)


def _taken(at: datetime | None, lon: float | None, lat: float | None, accuracy_m: float | None) -> dict:
    """When and where a step was taken in the street, as the phone said (its photos carry the same
    in their corner), for the trail; the server's own time is the trail's `at`."""
    if at is not None and at.tzinfo is None:
        raise Unprocessable.field("taken_at", "taken_at needs a time zone offset (2026-11-22T09:30:00+08:00)")
    if (lon is None) != (lat is None):
        raise Unprocessable.field("lon", "lon and lat come together, or neither")
    taken: dict = {}
    if at is not None:
        taken["at"] = at.isoformat()
    if lon is not None and lat is not None:
        taken.update(lon=lon, lat=lat, **({"accuracy_m": accuracy_m} if accuracy_m is not None else {}))
    return taken


@router.post("/v1/cases/{case_id}/merge", response_model=CasePublic, summary="合并: a duplicate joins an open case")
async def merge(case_id: str, body: MergeRequest, principal: CaseWorker, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        case = await merge_case(uow, case_id, body.into_case_id, actor_of(principal), body.reason)
    return CasePublic.of(case)


@router.post(
    "/v1/cases/{case_id}/split",
    response_model=list[CasePublic],
    status_code=201,
    summary="拆分: one report that is several problems becomes several filed cases",
)
async def split(case_id: str, body: SplitRequest, principal: CaseWorker, service: ServiceDep):
    await load_visible(service, case_id, principal)
    parts = [SplitPart(category_code=p.category, description=p.description, location=p.location) for p in body.parts]
    async with service.uow() as uow:
        children = await split_case(
            uow, case_id, parts, actor_of(principal), body.reason, district_code=service.settings.district_code
        )
    return [CasePublic.of(c) for c in children]


@router.post("/v1/cases/{case_id}/notes", status_code=204, summary="备注: a note in the trail, public or not")
async def note(case_id: str, body: NoteRequest, principal: CaseWorker, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        await add_note(uow, case_id, actor_of(principal), body.text, body.public)


@router.get(
    "/v1/cases/{case_id}/photos/{sha256}",
    summary="an evidence photo, as it was taken",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/heic": {}}}},
)
async def photo(case_id: str, sha256: str, principal: CaseReader, service: ServiceDep):
    case = await load_visible(service, case_id, principal)
    if not sees_evidence(principal, squad_id=case.squad_id):
        raise NotFound(f"no photo {sha256} in case {case_id}")
    async with service.session_factory() as session:
        row = await queries.case_photo(session, case_id, sha256)
    if row is None:
        raise NotFound(f"no photo {sha256} in case {case_id}")
    return Response(
        await service.store.get(row.object_key),
        media_type=row.content_type,
        headers={"Cache-Control": "private, max-age=86400"},
    )


class ReviewRequest(BaseModel):
    reopen: bool = Field(description="true: 重新办理, back to the squad; false: the result stands")
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "/v1/cases/{case_id}/review",
    response_model=CasePublic,
    summary="督查复核: a supervisor decides on a case rated 不满意 again after its one reopening",
)
async def review(case_id: str, body: ReviewRequest, principal: CaseWorker, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        case = await review_rating(uow, case_id, actor_of(principal), body.reopen, body.reason)
    return CasePublic.of(case)


SimpleAction = Literal["file", "reject", "suspend", "resume", "cancel", "reopen"]


@steps_router.post(
    "/v1/cases/{case_id}/{action}",
    response_model=CasePublic,
    summary="立案 file, 不予立案 reject, 挂起 suspend, 恢复 resume, 撤销 cancel, 重新办理 reopen",
)
async def simple_step(
    case_id: str, action: SimpleAction, body: StepRequest, principal: CaseWorker, service: ServiceDep
):
    return await _step(service, principal, case_id, Action(action), reason=body.reason)
