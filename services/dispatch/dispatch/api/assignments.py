"""Assignments over HTTP: the list, one assignment, the board (the console's picture), the
escalations, and the live stream (Server-Sent Events). The steps are dispatch.api.steps."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from common.audiences import BoardReader, BoardStreamer
from common.messaging.contracts import Location
from common.vocabulary import Urgency
from dispatch import queries
from dispatch.api.deps import ServiceDep, visible_assignment

if TYPE_CHECKING:
    from dispatch.tables import Assignment, QueueItem

router = APIRouter(tags=["dispatch 派遣"])


class ExtensionAsked(BaseModel):
    hours: float
    reason: str
    asked_by: str
    asked_at: datetime


class AssignmentPublic(BaseModel):
    id: str
    case_id: str
    case_number: str
    squad_id: str
    officer_id: str | None = Field(description="the officer suggested by workload and duty")
    grid_id: str
    grid_version: int | None = Field(None, description="the version of its grid the case was routed by")
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
    how: str = Field(description="rule, manual, reassign, reroute, patrol (found by the squad's own officer)")
    rule: str | None
    assigned_at: datetime
    warn_at: datetime | None
    deadline_at: datetime | None
    escalation_level: int = Field(description="-1 none, 0 officer warned, 1.. steps up the chain taken")
    extensions: int = Field(description="延期 so far")
    accepted_at: datetime | None
    returned_at: datetime | None
    return_reason: str | None
    extension_request: ExtensionAsked | None = Field(
        None, description="申请延期 waiting for the command centre's answer (POST .../extend grants it)"
    )
    channel: str = Field("", description="how it came in; 信访, 领导交办 and 舆情 are marked on the console")
    deadline_basis: str = Field(
        "category",
        description="which limit runs: category (服务目录时限), source (the upstream order's: 12345 时限), "
        "resolution (化解时限 of a 信访, 领导交办 or 舆情 case)",
    )
    source_deadline: datetime | None = None
    owner_name: str | None = Field(None, description="包案领导")
    campaigns: list[str] = Field(
        default_factory=list, description="the campaigns (专项整治) its case falls in (on the board and the stream)"
    )

    @classmethod
    def of(
        cls, a: Assignment, names: dict[str, str] | None = None, campaigns: list[str] | None = None
    ) -> AssignmentPublic:
        return cls(
            campaigns=campaigns or [],
            id=a.id,
            case_id=a.case_id,
            case_number=a.case_number,
            squad_id=a.squad_id,
            officer_id=a.officer_id,
            grid_id=a.grid_id,
            grid_version=a.grid_version,
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
            extension_request=ExtensionAsked(
                hours=a.extension_asked_hours,
                reason=a.extension_asked_reason or "",
                asked_by=a.extension_asked_by or "",
                asked_at=a.extension_asked_at,
            )
            if a.extension_asked_at is not None and a.extension_asked_hours is not None
            else None,
            channel=a.channel,
            deadline_basis=a.deadline_basis,
            source_deadline=a.source_deadline,
            owner_name=a.owner_name,
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
    channel: str = ""
    source_deadline: datetime | None = None
    owner_name: str | None = Field(None, description="包案领导")

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
            channel=q.channel,
            source_deadline=q.source_deadline,
            owner_name=q.owner_name,
        )


@router.get("/v1/assignments", response_model=list[AssignmentPublic], summary="派遣单, newest first")
async def list_assignments(
    principal: BoardReader,
    service: ServiceDep,
    squad_id: Annotated[str | None, Query(max_length=64)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    mine: Annotated[
        bool, Query(description="我的任务: those given to me and those of my squad given to nobody yet")
    ] = False,
    order: Annotated[Literal["newest", "deadline"], Query(description="newest first, or the nearest deadline")] = (
        "newest"
    ),
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    if principal.squad_scope is not None:
        squad_id = principal.squad_scope  # a squad sees its own board only
    async with service.session_factory() as session:
        rows = await queries.assignments(
            session,
            squad_id=squad_id,
            open_only=open_only,
            limit=limit,
            offset=offset,
            officer_or_unassigned=principal.subject if mine else None,
            by_deadline=order == "deadline",
        )
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
            tags = (await queries.campaigns_of(session, [a.case_id])).get(a.case_id)
            data = AssignmentPublic.of(a, service.category_names, tags).model_dump(mode="json")
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
    return AssignmentPublic.of(await visible_assignment(service, assignment_id, principal), service.category_names)


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
        tags = await queries.campaigns_of(session, [a.case_id for a in rows])
        campaign_names = await queries.campaign_names(session)
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
        "campaign_names": campaign_names,
        "squads": [{"id": s.id, "name": s.name} for s in squads if scope is None or s.id == scope],
        "people": {
            p.id: {"name": p.name, "position": p.position, "squad_id": p.squad_id, "on_duty": p.on_duty} for p in people
        },
        "queue": [QueuePublic.of(q, service.category_names).model_dump(mode="json") for q in queue_rows],
        "assignments": [
            AssignmentPublic.of(a, service.category_names, tags.get(a.case_id)).model_dump(mode="json") for a in rows
        ],
    }
