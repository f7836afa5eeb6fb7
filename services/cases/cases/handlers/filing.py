"""The hot path of the closed loop, a batch at a time: reports open cases (受理 → 立案 or 待核实),
assignments dispatch them (派遣). Every incident passes here, so each step is a handful of
set-based statements, prepared once, whatever the batch's size; the rules are the same as
everywhere else (cases.domain.lifecycle.plan, the hash-chained trail of cases.domain.trail).

The consumer hands these handlers events of distinct aggregates only (common.messaging.inbox
.waves), so the cases of one batch do not meet; a case's row lock is taken by its UPDATE or
`FOR UPDATE` here exactly as the person-driven steps take it in cases.handlers.lifecycle."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Float, Text, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlalchemy.dialects.postgresql import insert as pg_insert

from cases.domain.lifecycle import SYSTEM, TERMINAL, Action, Actor, CaseFacts, CaseStatus, initial_status, plan
from cases.domain.lifecycle import case_number as format_case_number
from cases.handlers import trail as trail_store
from cases.handlers.buildings import open_buildings
from cases.handlers.campaigns import tag_dispatched
from cases.tables import Case, CaseNumberCounter
from common.db import Prepared, table_of, unnest
from common.messaging.contracts import CaseDispatched, CaseOpened, CaseOwner, Location
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork

log = logging.getLogger(__name__)
CASES, COUNTERS = table_of(Case), table_of(CaseNumberCounter)
DISPATCH = Actor("system:dispatch", SYSTEM)
INTAKE = "system:intake"


_RESERVE_NUMBERS = Prepared(
    pg_insert(COUNTERS)
    .values(year=bindparam("year"), last=bindparam("n"))
    .on_conflict_do_update(index_elements=["year"], set_={"last": COUNTERS.c.last + bindparam("n")})
    .returning(COUNTERS.c.last)
)
_HAVE_CASES = Prepared(
    select(CASES.c.incident_id).where(
        CASES.c.incident_id == func.any(bindparam("incident_ids", type_=ARRAY(Text))), CASES.c.parent_case_id.is_(None)
    )
)
_OPEN_COLUMNS = (
    "id",
    "case_number",
    "incident_id",
    "status",
    "channel",
    "category_code",
    "urgency",
    "description",
    "parent_case_id",
    "address",
    "merchant_id",
    "dog_licence_id",
)
_INSERTED = (*_OPEN_COLUMNS, "lon", "lat", "flags", "opened_at", "time_limit_hours", "source_deadline", "owner")
_INSERT_CASES = Prepared(
    pg_insert(CASES).from_select(
        list(_INSERTED),
        select(
            *(unnest(c) for c in _OPEN_COLUMNS),
            unnest("lon", Float),
            unnest("lat", Float),
            func.cast(unnest("flags"), JSONB),
            unnest("opened_at", TIMESTAMP(timezone=True)),
            unnest("time_limit_hours", Float),
            unnest("source_deadline", TIMESTAMP(timezone=True)),
            func.cast(unnest("owner"), JSONB),
        ),
        include_defaults=False,
    )
)
_LOCK_FOR_DISPATCH = Prepared(
    select(
        CASES.c.id,
        CASES.c.case_number,
        CASES.c.incident_id,
        CASES.c.status,
        CASES.c.category_code,
        CASES.c.assignment_id,
        CASES.c.squad_id,
        CASES.c.handled_by,
        CASES.c.suspended_from,
    )
    .where(CASES.c.id == func.any(bindparam("ids", type_=ARRAY(Text))))
    .order_by(CASES.c.id)
    .with_for_update()
)
_DISPATCHED = select(
    *(unnest(c).label(c) for c in ("id", "squad_id", "squad_name", "grid_id", "assignment_id", "category_code")),
    unnest("dispatched_at", TIMESTAMP(timezone=True)).label("dispatched_at"),
    unnest("deadline_at", TIMESTAMP(timezone=True)).label("deadline_at"),
).subquery("d")
_MARK_DISPATCHED = Prepared(
    update(CASES)
    .where(CASES.c.id == _DISPATCHED.c.id)
    .values(
        status="dispatched",
        squad_id=_DISPATCHED.c.squad_id,
        squad_name=_DISPATCHED.c.squad_name,
        grid_id=_DISPATCHED.c.grid_id,
        assignment_id=_DISPATCHED.c.assignment_id,
        category_code=_DISPATCHED.c.category_code,
        dispatched_at=_DISPATCHED.c.dispatched_at,
        deadline_at=_DISPATCHED.c.deadline_at,
    )
)


def _columns(rows: list[dict], names) -> dict[str, list]:
    return {n: [r[n] for r in rows] for n in names}


def _json_text(value) -> str:
    return orjson.dumps(value).decode()


@dataclass(frozen=True)
class NewCase:
    """A case to open: from a report, or a part of a report that is several problems (拆分)."""

    incident_id: str
    status: CaseStatus
    channel: str
    category_code: str
    urgency: str
    location: Location
    description: str
    actor: str
    flags: tuple[str, ...] = ()
    time_limit_hours: float | None = None
    address: str | None = None
    parent_id: str | None = None
    parent_number: str | None = None
    correlation: str | None = None
    reporter_squad_id: str | None = None  # 巡查发现: the finder's squad and officer, whom dispatch gives it to
    reporter_officer_id: str | None = None
    source_deadline: datetime | None = None  # the upstream order's deadline, or the 化解时限
    owner: CaseOwner | None = None  # 包案: 信访, 领导交办, 舆情
    merchant_id: str | None = None  # a device's alarm names its merchant or licence (物联感知)
    dog_licence_id: str | None = None


async def create_cases(uow: UnitOfWork, new: list[NewCase], *, district_code: str) -> list[str]:
    """Open the cases, with gapless numbers (exactly as many reserved as are opened), each with the
    first link of its trail and a CaseOpened; returns their ids."""
    conn = await uow.db()
    now = uow.clock.now()
    last = await _RESERVE_NUMBERS.fetchval(conn, year=now.year, n=len(new))
    rows, trail = [], []
    for n, c in enumerate(new):
        number = format_case_number(district_code, now.year, last - len(new) + 1 + n)
        row = {
            "id": str(uuid.uuid4()),
            "case_number": number,
            "incident_id": c.incident_id,
            "status": c.status.value,
            "channel": c.channel,
            "category_code": c.category_code,
            "urgency": c.urgency,
            "description": c.description[:2000],
            "lon": c.location.lon,
            "lat": c.location.lat,
            "flags": _json_text(list(c.flags)),
            "opened_at": now,
            "time_limit_hours": c.time_limit_hours,
            "parent_case_id": c.parent_id,
            "address": c.address,
            "source_deadline": c.source_deadline,
            "owner": _json_text(c.owner.model_dump()) if c.owner else None,
            "merchant_id": c.merchant_id,
            "dog_licence_id": c.dog_licence_id,
        }
        rows.append(row)
        data = {"incident_id": c.incident_id, "channel": c.channel, "category": c.category_code, "case_number": number}
        if c.parent_number:
            data["split_from"] = c.parent_number
        trail.append(
            trail_store.link(
                str(row["id"]),
                None,
                at=now,
                actor=c.actor,
                action=Action.open.value,
                from_status=None,
                to_status=c.status.value,
                reason=None,
                data=data,
            )
        )
        uow.publish(
            CaseOpened(
                case_id=row["id"],
                case_number=number,
                incident_id=c.incident_id,
                opened_at=now,
                channel=c.channel,
                category_code=c.category_code,
                urgency=c.urgency,
                location=c.location,
                flags=list(c.flags),
                status=c.status,
                parent_case_id=c.parent_id,
                time_limit_hours=c.time_limit_hours,
                description=row["description"],
                address=c.address,
                reporter_squad_id=c.reporter_squad_id,
                reporter_officer_id=c.reporter_officer_id,
                source_deadline=c.source_deadline,
                owner=c.owner,
            ),
            correlation=c.correlation,
        )
    await _INSERT_CASES.execute(conn, **_columns(rows, _INSERTED))
    await trail_store.write(uow, trail)
    log.info("%d case(s) opened, %s to %s", len(rows), rows[0]["case_number"], rows[-1]["case_number"])
    return [str(r["id"]) for r in rows]


def named_by_device(channel: str, attributes: dict) -> dict[str, str]:
    """A device of the register names the party: a dog tag its licence, a fume monitor its merchant
    (intake put them there from the register, `device_kind` with them; no person types them)."""
    if channel != "iot" or "device_kind" not in attributes:
        return {}
    return {k: str(attributes[k]) for k in ("merchant_id", "dog_licence_id") if attributes.get(k)}


async def open_cases(
    batch: list[Envelope], uow: UnitOfWork, *, district_code: str, verify_channels: frozenset[str]
) -> None:
    """受理 → a case for each report that has none yet: filed at once (立案), or reported (待核实)
    when its channel needs verification."""
    had = {r[0] for r in await _HAVE_CASES.fetch(await uow.db(), incident_ids=[e.data.incident_id for e in batch])}
    new = [
        NewCase(
            incident_id=e.data.incident_id,
            status=initial_status(e.data.channel, verify_channels),
            channel=e.data.channel,
            category_code=e.data.category_code,
            urgency=e.data.urgency,
            location=e.data.location,
            description=e.data.description,
            actor=INTAKE,
            flags=tuple(e.data.flags),
            time_limit_hours=e.data.time_limit_hours,
            address=e.data.address,
            correlation=e.correlation_id or e.id,
            reporter_squad_id=e.data.reporter_squad_id,
            reporter_officer_id=e.data.reporter_officer_id,
            source_deadline=e.data.source_deadline,
            owner=e.data.owner,
            **named_by_device(e.data.channel, e.data.attributes),
        )
        for e in batch
        if e.data.incident_id not in had
    ]
    if new:
        await create_cases(uow, new, district_code=district_code)


async def dispatch_cases(batch: list[Envelope], uow: UnitOfWork) -> None:
    """派遣: each case takes its squad, deadline and grid from its assignment, by the lifecycle's
    rule (plan); an older assignment, or a case that ended, changes nothing."""
    conn = await uow.db()
    cases = {r["id"]: r for r in await _LOCK_FOR_DISPATCH.fetch(conn, ids=[e.data.case_id for e in batch])}
    missing = [e.data.case_id for e in batch if e.data.case_id not in cases]
    if missing:
        raise LookupError(f"unknown case {missing[0]}")
    heads = await trail_store.heads(uow, list(cases))
    now = uow.clock.now()
    updates, trail = [], []
    for env in batch:
        event, case = env.data, cases[env.data.case_id]
        if case["assignment_id"] == event.assignment_id:
            continue
        if case["status"] in TERMINAL:
            log.warning(
                "case %s is %s; assignment %s ignored", case["case_number"], case["status"], event.assignment_id
            )
            continue
        plan(
            CaseFacts(
                status=case["status"],
                squad_id=case["squad_id"],
                handled_by=case["handled_by"],
                suspended_from=case["suspended_from"],
            ),
            Action.dispatch,
            DISPATCH,
        )
        details = {
            "squad_id": event.squad_id,
            "grid_id": event.grid_id,
            "assignment_id": event.assignment_id,
            "how": event.how,
            "by": event.actor,
        }
        corrected = event.category_code != case["category_code"]  # the dispatcher corrected it and routed again
        if corrected:
            details["category"] = {"from": case["category_code"], "to": event.category_code}
        trail.append(
            trail_store.link(
                case["id"],
                heads.get(case["id"]),
                at=now,
                actor=DISPATCH.subject,
                action=Action.dispatch.value,
                from_status=case["status"],
                to_status="dispatched",
                reason=None,
                data=details,
            )
        )
        updates.append(
            {
                "id": case["id"],
                "squad_id": event.squad_id,
                "squad_name": event.squad_name,
                "grid_id": event.grid_id,
                "assignment_id": event.assignment_id,
                "category_code": event.category_code,
                "dispatched_at": event.assigned_at,
                "deadline_at": event.deadline_at,
            }
        )
        uow.publish(
            CaseDispatched(
                case_id=case["id"],
                case_number=case["case_number"],
                incident_id=case["incident_id"],
                assignment_id=event.assignment_id,
                squad_id=event.squad_id,
                squad_name=event.squad_name,
                grid_id=event.grid_id,
                category_code=event.category_code,
                dispatched_at=event.assigned_at,
                deadline_at=event.deadline_at,
                from_status=case["status"],
                actor=event.actor,
                how=event.how,
                previous_category_code=case["category_code"] if corrected else None,
            ),
            correlation=env.correlation_id or env.id,
        )
    if not updates:
        return
    await trail_store.write(uow, trail)
    await tag_dispatched(uow, {u["id"]: (u["grid_id"], u["category_code"]) for u in updates})
    await open_buildings(uow, updates)  # 违法建设: the register's entry, 发现
    await _MARK_DISPATCHED.execute(
        conn,
        **_columns(
            updates,
            (
                "id",
                "squad_id",
                "squad_name",
                "grid_id",
                "assignment_id",
                "category_code",
                "dispatched_at",
                "deadline_at",
            ),
        ),
    )
