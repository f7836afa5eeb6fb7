"""The steps on an assignment over HTTP: the queue and 派遣 by hand, 签收, 分派到人, 退回, 改派,
reroute, 延期 and 申请延期 (and its 驳回), 督办 and its answer. Which step is allowed from which
state is dispatch.domain.assignments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from common.audiences import CommandCentre, OrderAnswerer, OrderReader, SquadLeader, SquadMember
from common.messaging.contracts import DESCRIPTION_MAX, Location
from dispatch import queries
from dispatch.api.assignments import AssignmentPublic, QueuePublic
from dispatch.api.deps import ServiceDep, step, visible_assignment
from dispatch.handlers.assignments import (
    accept,
    answer_order,
    ask_extension,
    decline_extension,
    dispatch_from_queue,
    extend,
    give,
    reassign,
    reroute,
    return_assignment,
    supervise,
)

if TYPE_CHECKING:
    from dispatch.tables import SupervisionOrder

router = APIRouter(tags=["dispatch 派遣"])


class DispatchRequest(BaseModel):
    squad_id: str = Field(description="the squad to send the case to")


class ReturnRequest(BaseModel):
    reason: Literal["wrong_jurisdiction", "not_ours", "wrong_category", "other"] = Field(
        description="非本辖区 wrong_jurisdiction, 非本部门职责 not_ours, 分类错误 wrong_category, other"
    )
    note: str | None = Field(None, max_length=500)


class GiveRequest(BaseModel):
    officer_id: str = Field(min_length=1, max_length=64, description="an officer of the assignment's squad")


class RerouteRequest(BaseModel):
    category: str | None = Field(None, max_length=64, description="the corrected category")
    location: Location | None = Field(None, description="the corrected location")


class ExtendRequest(BaseModel):
    hours: float = Field(gt=0, le=720, description="working hours (clock hours for an urgent case)")
    reason: str = Field(min_length=1, max_length=500)


class SuperviseRequest(BaseModel):
    instruction: str = Field(min_length=1, max_length=1000, description="督办意见")
    hours: float = Field(8, gt=0, le=720, description="answer within this many working hours")
    to: Literal["squad", "office"] = Field(
        "squad", description="the squad that has the case, or the 办事处 of its grid (which answers it then)"
    )


class AnswerRequest(BaseModel):
    answer: str = Field(min_length=1, max_length=DESCRIPTION_MAX)


class OrderPublic(BaseModel):
    id: str
    case_id: str
    squad_id: str
    office_id: str | None = Field(None, description="sent to this 办事处, which answers it")
    instruction: str
    issued_by: str
    issued_at: datetime
    due_at: datetime
    answer: str | None
    answered_at: datetime | None
    overdue: bool


def _order(o: SupervisionOrder, now: datetime) -> OrderPublic:
    return OrderPublic(
        id=o.id,
        case_id=o.case_id,
        squad_id=o.squad_id,
        office_id=o.office_id,
        instruction=o.instruction,
        issued_by=o.issued_by,
        issued_at=o.issued_at,
        due_at=o.due_at,
        answer=o.answer,
        answered_at=o.answered_at,
        overdue=(o.answered_at or now) > o.due_at,
    )


@router.get("/v1/queue", response_model=list[QueuePublic], summary="待派遣: cases waiting for a dispatcher")
async def queue(principal: CommandCentre, service: ServiceDep):
    async with service.session_factory() as session:
        rows = await queries.queue(session)
    return [QueuePublic.of(q, service.category_names) for q in rows]


@router.post("/v1/queue/{case_id}/dispatch", response_model=AssignmentPublic, summary="派遣 a waiting case by hand")
async def dispatch_waiting(case_id: str, body: DispatchRequest, principal: CommandCentre, service: ServiceDep):
    return AssignmentPublic.of(
        await step(service, dispatch_from_queue, case_id, body.squad_id, principal.subject), service.category_names
    )


@router.post(
    "/v1/queue/{case_id}/reroute",
    response_model=AssignmentPublic | None,
    summary="correct a waiting case's category or location and run the rules again",
)
async def reroute_waiting(case_id: str, body: RerouteRequest, principal: CommandCentre, service: ServiceDep):
    a = await step(service, reroute, case_id, principal.subject, category_code=body.category, location=body.location)
    return AssignmentPublic.of(a, service.category_names) if a else None


@router.post("/v1/assignments/{assignment_id}/accept", response_model=AssignmentPublic, summary="签收 by the squad")
async def accept_assignment(assignment_id: str, principal: SquadMember, service: ServiceDep):
    await visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(await step(service, accept, assignment_id, principal.subject), service.category_names)


@router.post(
    "/v1/assignments/{assignment_id}/officer",
    response_model=AssignmentPublic,
    summary="分派到人: the squad leader gives the squad's assignment to one of its officers",
)
async def give_to_officer(assignment_id: str, body: GiveRequest, principal: SquadLeader, service: ServiceDep):
    await visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, give, assignment_id, body.officer_id, principal.subject), service.category_names
    )


@router.post(
    "/v1/assignments/{assignment_id}/return",
    response_model=AssignmentPublic,
    summary="退回 to the command centre, within the return window, with a reason",
)
async def return_(assignment_id: str, body: ReturnRequest, principal: SquadMember, service: ServiceDep):
    await visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, return_assignment, assignment_id, body.reason, body.note, principal.subject),
        service.category_names,
    )


@router.post(
    "/v1/assignments/{assignment_id}/reassign", response_model=AssignmentPublic, summary="改派 to another squad"
)
async def reassign_(assignment_id: str, body: DispatchRequest, principal: CommandCentre, service: ServiceDep):
    a = await visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, reassign, a.case_id, body.squad_id, principal.subject), service.category_names
    )


@router.post(
    "/v1/assignments/{assignment_id}/reroute",
    response_model=AssignmentPublic | None,
    summary="correct the category or location; the routing rules run again",
)
async def reroute_(assignment_id: str, body: RerouteRequest, principal: CommandCentre, service: ServiceDep):
    a = await visible_assignment(service, assignment_id, principal)
    new = await step(
        service, reroute, a.case_id, principal.subject, category_code=body.category, location=body.location
    )
    return AssignmentPublic.of(new, service.category_names) if new else None


@router.post("/v1/assignments/{assignment_id}/extend", response_model=AssignmentPublic, summary="延期, with a reason")
async def extend_(assignment_id: str, body: ExtendRequest, principal: CommandCentre, service: ServiceDep):
    a = await visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, extend, a.case_id, body.hours, body.reason, principal.subject), service.category_names
    )


@router.post(
    "/v1/assignments/{assignment_id}/extension-request",
    response_model=AssignmentPublic,
    summary="申请延期: the squad asks the command centre for more time, with its reason",
)
async def ask_extension_(assignment_id: str, body: ExtendRequest, principal: SquadMember, service: ServiceDep):
    await visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, ask_extension, assignment_id, body.hours, body.reason, principal.subject),
        service.category_names,
    )


class DeclineRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why the deadline stands")


@router.post(
    "/v1/assignments/{assignment_id}/extension-request/decline",
    response_model=AssignmentPublic,
    summary="驳回延期: the command centre declines the squad's request; the deadline stands",
)
async def decline_extension_(assignment_id: str, body: DeclineRequest, principal: CommandCentre, service: ServiceDep):
    a = await visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, decline_extension, a.case_id, body.reason, principal.subject), service.category_names
    )


@router.post(
    "/v1/assignments/{assignment_id}/supervise",
    response_model=OrderPublic,
    status_code=201,
    summary="督办: a supervision order with its own deadline",
)
async def supervise_(assignment_id: str, body: SuperviseRequest, principal: CommandCentre, service: ServiceDep):
    a = await visible_assignment(service, assignment_id, principal)
    order = await step(
        service, supervise, a.case_id, body.instruction, body.hours, principal.subject, body.to == "office"
    )
    return _order(order, service.clock.now())


@router.get(
    "/v1/supervision-orders", response_model=list[OrderPublic], summary="督办单; a squad or an office sees its own"
)
async def orders(principal: OrderReader, service: ServiceDep, open_only: Annotated[bool, Query(alias="open")] = False):
    async with service.session_factory() as session:
        rows = await queries.orders(
            session, squad_id=principal.squad_scope, office_id=principal.office_id, open_only=open_only
        )
    return [_order(o, service.clock.now()) for o in rows]


@router.post(
    "/v1/supervision-orders/{order_id}/answer",
    response_model=OrderPublic,
    summary="督办回复 by the squad, or by the office it was sent to",
)
async def answer(order_id: str, body: AnswerRequest, principal: OrderAnswerer, service: ServiceDep):
    order = await step(
        service, answer_order, order_id, body.answer, principal.subject, principal.squad_scope, principal.office_id
    )
    return _order(order, service.clock.now())
