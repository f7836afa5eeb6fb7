"""Handing cases to squads: every assignment, whether a rule chose the squad or a dispatcher did,
is written here, and every case routed by the rules passes here on the hot path, a batch at a
time. The decisions are dispatch.domain.routing's (route, suggest_officer) and dispatch.domain.deadlines's
(the deadline in working time); this module reads what they need and writes what they decide,
with set-based statements prepared once."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, Float, Integer, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.db import Prepared, table_of, unnest
from common.messaging.contracts import AssignmentCreated, CaseFiled, CaseOpened, CaseUnroutable, Location
from common.messaging.envelope import Envelope
from common.refusals import NotFound
from common.uow import UnitOfWork
from common.vocabulary import Urgency
from dispatch.domain.assignments import AssignmentStatus
from dispatch.domain.deadlines import BEIJING, binding
from dispatch.domain.directory import SUGGESTED
from dispatch.domain.routing import CaseToRoute, OfficerLoad, route, suggest_officer
from dispatch.handlers.alerts import alert
from dispatch.tables import Assignment, Officer, QueueItem

log = logging.getLogger(__name__)
ASSIGNMENTS, OFFICERS, QUEUE = table_of(Assignment), table_of(Officer), table_of(QueueItem)
SYSTEM = "system:dispatch"


@dataclass(frozen=True)
class CaseInfo:
    """What routing needs to know of a case."""

    case_id: str
    case_number: str
    category_code: str
    channel: str
    urgency: str
    description: str
    lon: float
    lat: float
    time_limit_hours: float | None
    address: str | None = None
    source_deadline: datetime | None = None  # the upstream order's deadline, or the 化解时限
    owner_id: str | None = None  # 包案领导
    owner_name: str | None = None


@dataclass(frozen=True)
class ToAssign:
    case: CaseInfo
    squad_id: str
    how: str  # rule, manual, reassign, reroute
    actor: str = SYSTEM
    rule: str | None = None
    previous_id: str | None = None
    previous_squad_id: str | None = None
    correlation: str | None = None
    officer_id: str | None = None  # the officer named (a patrol find's finder); else suggested by workload


_ids = bindparam("ids", type_=ARRAY(Text))
_ALREADY_PLACED = Prepared(
    select(ASSIGNMENTS.c.case_id)
    .where(ASSIGNMENTS.c.case_id == func.any(_ids), ASSIGNMENTS.c.current)
    .union_all(select(QUEUE.c.case_id).where(QUEUE.c.case_id == func.any(_ids)))
)
_LOADS = Prepared(
    select(OFFICERS.c.id, OFFICERS.c.squad_id, OFFICERS.c.on_duty, OFFICERS.c.open_assignments).where(
        OFFICERS.c.squad_id == func.any(bindparam("squads", type_=ARRAY(Text))),
        OFFICERS.c.position == func.any(bindparam("positions", sorted(SUGGESTED), type_=ARRAY(Text))),
    )
)
_TEXT = (
    "id",
    "case_id",
    "case_number",
    "squad_id",
    "officer_id",
    "grid_id",
    "category_code",
    "channel",
    "description",
    "address",
    "urgency",
    "status",
    "how",
    "rule",
    "deadline_basis",
    "owner_id",
    "owner_name",
)
_TIMES = ("assigned_at", "warn_at", "deadline_at", "next_check_at", "source_deadline")
_INSERT = Prepared(
    pg_insert(ASSIGNMENTS).from_select(
        [
            *_TEXT,
            "lon",
            "lat",
            "time_limit_hours",
            *_TIMES,
            "current",
            "escalation_level",
            "extensions",
            "grid_version",
        ],
        select(
            *(unnest(c) for c in _TEXT),
            unnest("lon", Float),
            unnest("lat", Float),
            unnest("time_limit_hours", Float),
            *(unnest(c, TIMESTAMP(timezone=True)) for c in _TIMES),
            unnest("current", Boolean),
            unnest("escalation_level", Integer),
            unnest("extensions", Integer),
            unnest("grid_version", Integer),
        ),
        include_defaults=False,
    )
)
_LEAVE_QUEUE = Prepared(QUEUE.delete().where(QUEUE.c.case_id == func.any(_ids)).returning(QUEUE.c.case_id))
_QUEUED = (
    "case_id",
    "case_number",
    "category_code",
    "channel",
    "urgency",
    "description",
    "address",
    "reason",
    "owner_id",
    "owner_name",
)
_ENQUEUE_ROWS = pg_insert(QUEUE).from_select(
    [*_QUEUED, "lon", "lat", "time_limit_hours", "since", "source_deadline"],
    select(
        *(unnest(c) for c in _QUEUED),
        unnest("lon", Float),
        unnest("lat", Float),
        unnest("time_limit_hours", Float),
        unnest("since", TIMESTAMP(timezone=True)),
        unnest("source_deadline", TIMESTAMP(timezone=True)),
    ),
    include_defaults=False,
)
_ENQUEUE = Prepared(
    _ENQUEUE_ROWS.on_conflict_do_update(
        index_elements=["case_id"],
        set_={
            c: _ENQUEUE_ROWS.excluded[c]
            for c in (*_QUEUED[1:], "lon", "lat", "time_limit_hours", "since", "source_deadline")
        },
    )
)


async def officer_loads(uow: UnitOfWork, squad_ids: set[str]) -> dict[str, list[OfficerLoad]]:
    """The squads' officers and their open assignments (kept by PostgreSQL: tables.officer_load_trigger)."""
    loads: dict[str, list[OfficerLoad]] = defaultdict(list)
    for r in await _LOADS.fetch(await uow.db(), squads=sorted(squad_ids)):
        loads[r["squad_id"]].append(
            OfficerLoad(officer_id=r["id"], on_duty=r["on_duty"], open_assignments=r["open_assignments"])
        )
    return loads


async def assign(uow: UnitOfWork, ctx, items: list[ToAssign], *, from_queue: bool = True) -> list[str]:
    """Write the assignments, with deadlines in working time and the officer suggested by workload
    (spread within the batch too), take the cases out of the queue, announce them; returns their
    ids. `from_queue=False`: the caller knows none of the cases is queued."""
    unknown = [i.squad_id for i in items if i.squad_id not in ctx.squad_names]
    if unknown:
        raise NotFound(f"unknown squad {unknown[0]}")
    now = uow.clock.now()
    loads = await officer_loads(uow, {i.squad_id for i in items})
    rows = []
    for item in items:
        case = item.case
        squad_loads = loads[item.squad_id]
        officer = item.officer_id or suggest_officer(squad_loads)
        if officer is not None:  # the next suggestion in this batch sees this one
            loads[item.squad_id] = [
                OfficerLoad(o.officer_id, o.on_duty, o.open_assignments + (o.officer_id == officer))
                for o in squad_loads
            ]
        limit = case.time_limit_hours or ctx.default_time_limit_hours
        grid = ctx.grid_map.grid_for(case.lon, case.lat)
        due_at, warn_at, basis = binding(
            ctx.calendar,
            now,
            limit,
            case.urgency,
            ctx.warn_share,
            channel=case.channel,
            source_deadline=case.source_deadline,
        )
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "case_id": case.case_id,
                "case_number": case.case_number,
                "squad_id": item.squad_id,
                "officer_id": officer,
                "grid_id": grid.grid_id if grid else "",
                "grid_version": grid.version if grid else None,
                "category_code": case.category_code,
                "channel": case.channel,
                "description": case.description[:2000],
                "address": case.address,
                "urgency": case.urgency,
                "status": AssignmentStatus.dispatched,
                "how": item.how,
                "rule": item.rule,
                "lon": case.lon,
                "lat": case.lat,
                "time_limit_hours": limit,
                "assigned_at": now,
                "warn_at": warn_at,
                "deadline_at": due_at,
                "next_check_at": warn_at,
                "source_deadline": case.source_deadline,
                "deadline_basis": basis,
                "owner_id": case.owner_id,
                "owner_name": case.owner_name,
                "current": True,
                "escalation_level": -1,
                "extensions": 0,
            }
        )
    conn = await uow.db()
    if from_queue:
        for r in await _LEAVE_QUEUE.fetch(conn, ids=[i.case.case_id for i in items]):
            if ctx.board is not None:
                ctx.board.changed(uow, "queue", case_id=r["case_id"])
    await _INSERT.execute(
        conn,
        **{
            c: [r[c] for r in rows]
            for c in (
                *_TEXT,
                *("lon", "lat", "time_limit_hours", *_TIMES, "current", "escalation_level", "extensions"),
                "grid_version",
            )
        },
    )
    for item, row in zip(items, rows, strict=True):
        squad_name = ctx.squad_names[item.squad_id]
        log.info(
            "case %s assigned to %s (%s%s)",
            item.case.case_number,
            squad_name,
            item.how,
            f", rule {item.rule}" if item.rule else "",
        )
        uow.publish(
            AssignmentCreated(
                assignment_id=row["id"],
                case_id=item.case.case_id,
                squad_id=item.squad_id,
                squad_name=squad_name,
                grid_id=row["grid_id"],
                grid_version=row["grid_version"],
                category_code=item.case.category_code,
                assigned_at=now,
                deadline_at=row["deadline_at"],
                warn_at=row["warn_at"],
                officer_id=row["officer_id"],
                urgency=item.case.urgency,
                how=item.how,
                rule=item.rule,
                previous_assignment_id=item.previous_id,
                actor=item.actor,
            ),
            correlation=item.correlation,
        )
        if item.case.urgency == Urgency.urgent:  # 紧急: a message too, not only the app (OfficerAlerted)
            given, due = row["officer_id"], row["deadline_at"]
            uow.publish(
                alert(
                    "urgent",
                    case_id=item.case.case_id,
                    case_number=item.case.case_number,
                    squad_id=item.squad_id,
                    person_id=given if isinstance(given, str) else None,
                    notify_role="squad_officer" if given else "squad_leader",
                    category_code=item.case.category_code,
                    category_name=ctx.category_names.get(item.case.category_code, item.case.category_code),
                    address=item.case.address,
                    deadline_at=due if isinstance(due, datetime) else None,
                    at=now,
                ),
                correlation=item.correlation,
            )
        if ctx.board is not None:
            ctx.board.changed(
                uow,
                "assignment",
                id=row["id"],
                case_id=item.case.case_id,
                squad_id=item.squad_id,
                previous_squad_id=item.previous_squad_id,
            )
    return [str(r["id"]) for r in rows]


async def enqueue(uow: UnitOfWork, ctx, cases: list[tuple[CaseInfo, str, str | None]], *, unroutable: bool) -> None:
    """待派遣: the cases wait for a dispatcher, with why; `unroutable`: tell cases no squad could be
    chosen (CaseUnroutable), each with the correlation id of what caused it."""
    now = uow.clock.now()
    await _ENQUEUE.execute(
        await uow.db(),
        case_id=[c.case_id for c, _, _ in cases],
        case_number=[c.case_number for c, _, _ in cases],
        category_code=[c.category_code for c, _, _ in cases],
        channel=[c.channel for c, _, _ in cases],
        urgency=[c.urgency for c, _, _ in cases],
        description=[c.description[:2000] for c, _, _ in cases],
        address=[c.address for c, _, _ in cases],
        reason=[reason for _, reason, _ in cases],
        lon=[c.lon for c, _, _ in cases],
        lat=[c.lat for c, _, _ in cases],
        time_limit_hours=[c.time_limit_hours for c, _, _ in cases],
        since=[now] * len(cases),
        source_deadline=[c.source_deadline for c, _, _ in cases],
        owner_id=[c.owner_id for c, _, _ in cases],
        owner_name=[c.owner_name for c, _, _ in cases],
    )
    for case, reason, correlation in cases:
        log.info("case %s to the command centre: %s", case.case_number, reason)
        if ctx.board is not None:
            ctx.board.changed(uow, "queue", case_id=case.case_id)
        if unroutable:
            uow.publish(
                CaseUnroutable(
                    case_id=case.case_id, reason=reason, location=Location(lon=case.lon, lat=case.lat), detected_at=now
                ),
                correlation=correlation,
            )


def decide(ctx, case: CaseInfo, at: datetime):
    return route(
        CaseToRoute(
            category_code=case.category_code,
            channel=case.channel,
            description=case.description,
            lon=case.lon,
            lat=case.lat,
            local_hour=at.astimezone(BEIJING).hour,
        ),
        ctx.rules,
        ctx.grid_map,
    )


async def route_filed(batch: list[Envelope[CaseOpened | CaseFiled]], uow: UnitOfWork, *, context: Callable) -> None:
    """A filed case (立案) is routed by the rules (a reported one waits for CaseFiled); a case
    already with a squad or in the queue is left as it is (a second filing changes nothing)."""
    filed = [e for e in batch if not isinstance(e.data, CaseOpened) or e.data.status == "filed"]
    if not filed:
        return
    placed = {r[0] for r in await _ALREADY_PLACED.fetch(await uow.db(), ids=[e.data.case_id for e in filed])}
    ctx = context()
    now = uow.clock.now()
    to_assign: list[ToAssign] = []
    to_queue: list[tuple[CaseInfo, str, str | None]] = []
    for env in filed:
        event: CaseOpened | CaseFiled = env.data
        if event.case_id in placed:
            continue
        case = CaseInfo(
            case_id=event.case_id,
            case_number=event.case_number,
            category_code=event.category_code,
            channel=event.channel,
            urgency=event.urgency,
            description=event.description,
            lon=event.location.lon,
            lat=event.location.lat,
            time_limit_hours=event.time_limit_hours,
            address=event.address,
            source_deadline=event.source_deadline,
            owner_id=event.owner.leader_id if event.owner else None,
            owner_name=event.owner.leader_name if event.owner else None,
        )
        correlation = env.correlation_id or env.id
        patrol_squad = event.reporter_squad_id if isinstance(event, CaseOpened) else None
        if patrol_squad is not None and patrol_squad in ctx.squad_names:
            # 巡查发现: the finder's own squad takes it, with the finder as its officer (即查即处)
            to_assign.append(
                ToAssign(
                    case=case,
                    squad_id=patrol_squad,
                    how="patrol",
                    correlation=correlation,
                    officer_id=event.reporter_officer_id if isinstance(event, CaseOpened) else None,
                )
            )
            continue
        decision = decide(ctx, case, now)
        if decision.squad_id is None:
            to_queue.append((case, decision.reason or "rule", correlation))
        else:
            to_assign.append(
                ToAssign(case=case, squad_id=decision.squad_id, how="rule", rule=decision.rule, correlation=correlation)
            )
    if to_assign:
        await assign(uow, ctx, to_assign, from_queue=False)
    if to_queue:
        await enqueue(uow, ctx, to_queue, unroutable=True)
