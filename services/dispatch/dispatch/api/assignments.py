"""Assignments and their steps over HTTP: the board, the queue, 签收, 退回, 改派, reroute, 延期,
督办 and its answer, the escalations, and the live stream (Server-Sent Events)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from common.audiences import BoardReader, BoardStreamer, CommandCentre, SquadLeader, SquadMember
from common.messaging.contracts import DESCRIPTION_MAX, Location
from common.principal import Principal
from common.refusals import NotFound
from common.vocabulary import Urgency
from dispatch import queries
from dispatch.api.deps import ServiceDep, step
from dispatch.handlers.assignments import (
    accept,
    answer_order,
    dispatch_from_queue,
    extend,
    reassign,
    reroute,
    return_assignment,
    supervise,
)

if TYPE_CHECKING:
    from dispatch.tables import Assignment, QueueItem, SupervisionOrder

router = APIRouter(tags=["dispatch 派遣"])


class AssignmentPublic(BaseModel):
    id: str
    case_id: str
    case_number: str
    squad_id: str
    officer_id: str | None = Field(description="the officer suggested by workload and duty")
    grid_id: str
    category: str
    category_name: str | None = Field(None, description="the 服务目录's name (占道经营)")
    urgency: str
    description: str
    address: str | None = Field(None, description="门牌地址, when the report gave one")
    location: Location
    status: str = Field(
        description="dispatched 已派遣, accepted 已签收, returned 已退回, reassigned 已改派, "
        "handled 已处置, suspended 已挂起, closed"
    )
    current: bool
    how: str = Field(description="rule, manual, reassign, reroute")
    rule: str | None
    assigned_at: datetime
    warn_at: datetime | None
    deadline_at: datetime | None
    escalation_level: int = Field(description="-1 none, 0 officer warned, 1.. steps up the chain taken")
    extensions: int = Field(description="延期 so far")
    accepted_at: datetime | None
    returned_at: datetime | None
    return_reason: str | None

    @classmethod
    def of(cls, a: Assignment, names: dict[str, str] | None = None) -> AssignmentPublic:
        return cls(
            id=a.id,
            case_id=a.case_id,
            case_number=a.case_number,
            squad_id=a.squad_id,
            officer_id=a.officer_id,
            grid_id=a.grid_id,
            category=a.category_code,
            category_name=(names or {}).get(a.category_code),
            urgency=a.urgency,
            description=a.description,
            address=a.address,
            location=Location(lon=a.lon, lat=a.lat),
            status=a.status,
            current=a.current,
            how=a.how,
            rule=a.rule,
            assigned_at=a.assigned_at,
            warn_at=a.warn_at,
            deadline_at=a.deadline_at,
            escalation_level=a.escalation_level,
            extensions=a.extensions,
            accepted_at=a.accepted_at,
            returned_at=a.returned_at,
            return_reason=a.return_reason,
        )


class QueuePublic(BaseModel):
    case_id: str
    case_number: str
    category: str
    category_name: str | None = None
    urgency: str
    description: str
    address: str | None = None
    location: Location
    reason: str = Field(description="outside_grid, returned:<reason>, rule:<name>")
    since: datetime

    @classmethod
    def of(cls, q: QueueItem, names: dict[str, str] | None = None) -> QueuePublic:
        return cls(
            case_id=q.case_id,
            case_number=q.case_number,
            category=q.category_code,
            category_name=(names or {}).get(q.category_code),
            urgency=q.urgency,
            description=q.description,
            address=q.address,
            location=Location(lon=q.lon, lat=q.lat),
            reason=q.reason,
            since=q.since,
        )


@router.get("/v1/assignments", response_model=list[AssignmentPublic], summary="派遣单, newest first")
async def list_assignments(
    principal: BoardReader,
    service: ServiceDep,
    squad_id: Annotated[str | None, Query(max_length=64)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    if principal.squad_scope is not None:
        squad_id = principal.squad_scope  # a squad sees its own board only
    async with service.session_factory() as session:
        rows = await queries.assignments(session, squad_id=squad_id, open_only=open_only, limit=limit, offset=offset)
    return [AssignmentPublic.of(a, service.category_names) for a in rows]


@router.get(
    "/v1/assignments/stream",
    summary="实时派遣流: Server-Sent Events of every change to the board",
    description="`text/event-stream`. Events: `assignment` (the assignment as in GET "
    '/v1/assignments/{id}), `queue` (a case waiting for dispatch, or `{"case_id", '
    '"removed": true}`), `escalation`, `supervision`, `patrol` (a strict-zone post\'s roster or '
    "check-in changed, or `missed: true` when a post was not checked in), and `reload` when the client fell "
    "behind and must read GET /v1/board again. A squad's token sees its own squad; others may "
    "filter with `squad_id`. The token goes in the Authorization header, or as "
    "`access_token` for a browser's EventSource. A comment line is sent every 15 s.",
)
async def stream(request: Request, principal: BoardStreamer, service: ServiceDep, squad_id: str | None = None):
    scope = principal.squad_scope if principal.squad_scope is not None else squad_id
    sub = service.board.subscribe(scope)

    async def events():
        try:
            yield {"event": "hello", "data": json.dumps({"squad_id": scope})}
            while True:
                if sub.overflowed:
                    sub.overflowed = False
                    yield {"event": "reload", "data": "{}"}
                try:
                    async with asyncio.timeout(15):
                        change = await sub.queue.get()
                except TimeoutError:
                    yield {"comment": "keep-alive"}
                    continue
                payload = await _expand(service, change, scope)
                if payload is not None:
                    yield {"event": change["kind"], "data": payload}
        finally:
            service.board.unsubscribe(sub)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _expand(service, change: dict, scope: str | None) -> str | None:
    """A notification names what changed; the stream sends the thing itself, as the API shows it."""
    async with service.session_factory() as session:
        if change["kind"] == "assignment":
            a = await queries.assignment(session, change["id"])
            if a is None or (scope is not None and a.squad_id != scope and change.get("previous_squad_id") != scope):
                return None
            data = AssignmentPublic.of(a, service.category_names).model_dump(mode="json")
            if scope is not None and a.squad_id != scope:
                data["current"] = False  # it left this squad's board
        elif change["kind"] == "queue":
            if scope is not None:
                return None
            q = await queries.queue_item(session, change["case_id"])
            data = (
                QueuePublic.of(q, service.category_names).model_dump(mode="json")
                if q
                else {"case_id": change["case_id"], "removed": True}
            )
        else:
            data = change
    return json.dumps(data, ensure_ascii=False)


@router.get("/v1/assignments/{assignment_id}", response_model=AssignmentPublic)
async def get_assignment(assignment_id: str, principal: BoardReader, service: ServiceDep):
    return AssignmentPublic.of(await _visible_assignment(service, assignment_id, principal), service.category_names)


# -- steps ------------------------------------------------------------------------------------------


async def _visible_assignment(service, assignment_id: str, principal: Principal) -> Assignment:
    async with service.session_factory() as session:
        a = await queries.assignment(session, assignment_id)
    if a is None or not principal.sees_squad(a.squad_id):
        raise NotFound(f"assignment {assignment_id} not found")
    return a


class DispatchRequest(BaseModel):
    squad_id: str = Field(description="the squad to send the case to")


class ReturnRequest(BaseModel):
    reason: Literal["wrong_jurisdiction", "not_ours", "wrong_category", "other"] = Field(
        description="非本辖区 wrong_jurisdiction, 非本部门职责 not_ours, 分类错误 wrong_category, other"
    )
    note: str | None = Field(None, max_length=500)


class RerouteRequest(BaseModel):
    category: str | None = Field(None, max_length=64, description="the corrected category")
    location: Location | None = Field(None, description="the corrected location")


class ExtendRequest(BaseModel):
    hours: float = Field(gt=0, le=720, description="working hours (clock hours for an urgent case)")
    reason: str = Field(min_length=1, max_length=500)


class SuperviseRequest(BaseModel):
    instruction: str = Field(min_length=1, max_length=1000, description="督办意见")
    hours: float = Field(8, gt=0, le=720, description="answer within this many working hours")


class AnswerRequest(BaseModel):
    answer: str = Field(min_length=1, max_length=DESCRIPTION_MAX)


class OrderPublic(BaseModel):
    id: str
    case_id: str
    squad_id: str
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
    await _visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(await step(service, accept, assignment_id, principal.subject), service.category_names)


@router.post(
    "/v1/assignments/{assignment_id}/return",
    response_model=AssignmentPublic,
    summary="退回 to the command centre, within the return window, with a reason",
)
async def return_(assignment_id: str, body: ReturnRequest, principal: SquadLeader, service: ServiceDep):
    await _visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, return_assignment, assignment_id, body.reason, body.note, principal.subject),
        service.category_names,
    )


@router.post(
    "/v1/assignments/{assignment_id}/reassign", response_model=AssignmentPublic, summary="改派 to another squad"
)
async def reassign_(assignment_id: str, body: DispatchRequest, principal: CommandCentre, service: ServiceDep):
    a = await _visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, reassign, a.case_id, body.squad_id, principal.subject), service.category_names
    )


@router.post(
    "/v1/assignments/{assignment_id}/reroute",
    response_model=AssignmentPublic | None,
    summary="correct the category or location; the routing rules run again",
)
async def reroute_(assignment_id: str, body: RerouteRequest, principal: CommandCentre, service: ServiceDep):
    a = await _visible_assignment(service, assignment_id, principal)
    new = await step(
        service, reroute, a.case_id, principal.subject, category_code=body.category, location=body.location
    )
    return AssignmentPublic.of(new, service.category_names) if new else None


@router.post("/v1/assignments/{assignment_id}/extend", response_model=AssignmentPublic, summary="延期, with a reason")
async def extend_(assignment_id: str, body: ExtendRequest, principal: CommandCentre, service: ServiceDep):
    a = await _visible_assignment(service, assignment_id, principal)
    return AssignmentPublic.of(
        await step(service, extend, a.case_id, body.hours, body.reason, principal.subject), service.category_names
    )


@router.post(
    "/v1/assignments/{assignment_id}/supervise",
    response_model=OrderPublic,
    status_code=201,
    summary="督办: a supervision order with its own deadline",
)
async def supervise_(assignment_id: str, body: SuperviseRequest, principal: CommandCentre, service: ServiceDep):
    a = await _visible_assignment(service, assignment_id, principal)
    order = await step(service, supervise, a.case_id, body.instruction, body.hours, principal.subject)
    return _order(order, service.clock.now())


@router.get("/v1/supervision-orders", response_model=list[OrderPublic], summary="督办单; a squad sees its own")
async def orders(principal: BoardReader, service: ServiceDep, open_only: Annotated[bool, Query(alias="open")] = False):
    async with service.session_factory() as session:
        rows = await queries.orders(session, squad_id=principal.squad_scope, open_only=open_only)
    return [_order(o, service.clock.now()) for o in rows]


@router.post("/v1/supervision-orders/{order_id}/answer", response_model=OrderPublic, summary="督办回复 by the squad")
async def answer(order_id: str, body: AnswerRequest, principal: SquadMember, service: ServiceDep):
    order = await step(service, answer_order, order_id, body.answer, principal.subject, principal.squad_scope)
    return _order(order, service.clock.now())


@router.get("/v1/escalations", summary="逐级负责制: warnings and escalations, newest first")
async def escalations(
    principal: BoardReader,
    service: ServiceDep,
    squad_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict]:
    if principal.squad_scope is not None:
        squad_id = principal.squad_scope
    async with service.session_factory() as session:
        rows = await queries.escalations(session, squad_id=squad_id, limit=limit)
    return [r.model_dump(mode="json") for r in rows]


@router.get("/v1/board", summary="the console's picture: the queue, open assignments, squads, officers")
async def board(
    principal: BoardReader, service: ServiceDep, squad_id: Annotated[str | None, Query(max_length=64)] = None
) -> dict:
    scope = principal.squad_scope if principal.squad_scope is not None else squad_id
    async with service.session_factory() as session:
        rows = await queries.open_assignments(session, scope)
        squads = await queries.squads(session)
        people = await queries.squad_people(session, scope)
        queue_rows = [] if scope is not None else await queries.queue(session)
    now = service.clock.now()
    ordinary = [a.deadline_at for a in rows if a.deadline_at and a.urgency != Urgency.urgent]
    # the working periods up to the latest deadline on the board and a month at least (an assignment
    # arriving on the stream later falls within them), for the working time left on each card
    until = min(max(ordinary + [now + timedelta(days=31)]), now + timedelta(days=90))
    return {
        "now": now.isoformat(),
        "squad_id": scope,
        "working_periods": [[b.isoformat(), e.isoformat()] for b, e in service.calendar.periods_between(now, until)],
        "grid_names": {g.grid_id: g.name for g in service.grid_map.grids},
        "squads": [{"id": s.id, "name": s.name} for s in squads if scope is None or s.id == scope],
        "people": {
            p.id: {"name": p.name, "position": p.position, "squad_id": p.squad_id, "on_duty": p.on_duty} for p in people
        },
        "queue": [QueuePublic.of(q, service.category_names).model_dump(mode="json") for q in queue_rows],
        "assignments": [AssignmentPublic.of(a, service.category_names).model_dump(mode="json") for a in rows],
    }
