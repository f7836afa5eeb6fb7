"""A year of a district's cases as the events the platform publishes (received, opened and filed,
dispatched with a deadline, handled, closed, some returned, extended, reworked, rated), with the
totals a bureau's year shows. For reporting's tests and the bench: reproducing seed 004's year
(59,274 cases, 59,173 handled: 处置率 99.83 %), or a million cases.

Deadlines are 24 clock hours after dispatch (so that the totals do not depend on the working
calendar); every case's deadline falls within the year, and the unhandled ones are dispatched in
its last days (still open, past their deadline or not, at the year's end)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common.clock import BEIJING
from common.messaging.contracts import (
    AssignmentReturned,
    CaseClosed,
    CaseDispatched,
    CaseOpened,
    CaseTransitioned,
    CategoryDefined,
    DeadlineExtended,
    GridDefined,
    IncidentRated,
    IncidentReported,
    IntegrationEvent,
    Location,
    SquadChanged,
)
from common.messaging.envelope import Record, encode

ROOT = Path(__file__).resolve().parents[3]
SQUADS = [
    ("sq-linshanzhai", "林山寨中队", "zy-linshanzhai"),
    ("sq-jianshelu", "建设路中队", "zy-jianshelu"),
    ("sq-mianfanglu", "棉纺路中队", "zy-mianfanglu"),
    ("sq-ruhe", "汝河中队", "zy-ruhelu"),
    ("sq-tongbailu", "桐柏路中队", "zy-tongbailu"),
    ("sq-xushui", "须水中队", "zy-xushui"),
]
CATEGORIES = [
    "street_vending",
    "storefront_overflow",
    "open_air_barbecue",
    "cooking_fumes",
    "noise",
    "dust",
    "construction_waste",
    "illegal_parking",
    "illegal_flyers",
    "roadside_waste",
    "dog_nuisance",
]
SOURCES = {name: f"/cgzf/{name}" for name in ("intake", "cases", "dispatch", "ledger", "reporting")}


def district(at: datetime) -> Iterator[IntegrationEvent]:
    """What the services announce of the demo district when they start (its grids and squads from
    dispatch's seed, the 服务目录 from intake's), so that the figures carry names and the map."""
    seed = json.loads((ROOT / "services/dispatch/dispatch/seed/zhongyuan.json").read_text(encoding="utf-8"))
    for squad in seed["squads"]:
        yield SquadChanged(squad_id=squad["id"], name=squad["name"], brigade_id=squad.get("brigade_id"), at=at)
    for f in seed["grids"]["features"]:
        p = f["properties"]
        yield GridDefined(
            grid_id=p["grid_id"],
            name=p["name"],
            squad_id=p["squad_id"],
            squad_name=p["squad_name"],
            geometry=f["geometry"],
            defined_at=at,
        )
    for c in json.loads((ROOT / "services/intake/intake/seed/categories.json").read_text(encoding="utf-8")):
        yield CategoryDefined(
            code=c["code"],
            name=c["name"],
            version=1,
            kind=c["kind"],
            time_limit_hours=c["time_limit_hours"],
            urgent_time_limit_hours=c["urgent_time_limit_hours"],
            at=at,
        )


@dataclass(frozen=True)
class YearTotals:
    cases: int = 59_274  # seed 004: 受理 and due in the year
    handled: int = 59_173  # seed 004: 处置
    closed_share: float = 0.97
    late_share: float = 0.04
    returned_share: float = 0.02
    extended_share: float = 0.03
    reworked_share: float = 0.015
    rated_share: float = 0.2


def year(y: int, totals: YearTotals = YearTotals(), seed: int = 4) -> Iterator[IntegrationEvent]:
    """The year's events, one case at a time, in time order within each case."""
    rng = random.Random(seed)
    start = datetime(y, 1, 1, tzinfo=BEIJING)
    end = datetime(y + 1, 1, 1, tzinfo=BEIJING)
    span = (end - start).total_seconds() - 3 * 86400  # every deadline within the year
    unhandled = totals.cases - totals.handled
    for i in range(totals.cases):
        iid, cid = f"y{y}-i{i:07d}", f"y{y}-c{i:07d}"
        category = rng.choice(CATEGORIES)
        squad_id, squad_name, grid_id = rng.choice(SQUADS)
        handled = i >= unhandled
        # the unhandled: dispatched in the year's last days, their deadline still within it
        offset = rng.uniform(0, span) if handled else span + rng.uniform(0, 86400)
        received = start + timedelta(seconds=offset)
        dispatched = received + timedelta(minutes=rng.randrange(5, 60))
        deadline = dispatched + timedelta(hours=24)
        number = f"410102-{y}-{i:06d}"
        yield IncidentReported(
            incident_id=iid,
            reported_at=received,
            channel="hotline_12319",
            category_code=category,
            category_known=True,
            location=Location(lon=113.62, lat=34.75),
            description="年度数据",
            caller_phone_masked="138****5678",
        )
        yield CaseOpened(
            case_id=cid,
            case_number=number,
            incident_id=iid,
            opened_at=received,
            channel="hotline_12319",
            category_code=category,
            urgency="ordinary",
            location=Location(lon=113.62, lat=34.75),
            status="filed",
            description="年度数据",
        )
        yield CaseDispatched(
            case_id=cid,
            case_number=number,
            incident_id=iid,
            assignment_id=f"a-{cid}",
            squad_id=squad_id,
            squad_name=squad_name,
            grid_id=grid_id,
            category_code=category,
            dispatched_at=dispatched,
            deadline_at=deadline,
        )
        if rng.random() < totals.returned_share:
            yield AssignmentReturned(
                assignment_id=f"a-{cid}",
                case_id=cid,
                squad_id=squad_id,
                category_code=category,
                reason="wrong_jurisdiction",
                returned_at=dispatched + timedelta(minutes=30),
                actor="leader",
            )
        if rng.random() < totals.extended_share:
            yield DeadlineExtended(
                assignment_id=f"a-{cid}",
                case_id=cid,
                squad_id=squad_id,
                category_code=category,
                previous_deadline_at=deadline,
                deadline_at=deadline,
                hours=0,
                reason="等待当事人",
                extended_at=dispatched + timedelta(hours=1),
                actor="dispatcher",
            )
        if not handled:
            continue
        late = rng.random() < totals.late_share
        handled_at = (
            deadline + timedelta(hours=rng.uniform(1, 20))
            if late
            else dispatched + timedelta(hours=rng.uniform(0.5, 23))
        )
        yield CaseTransitioned(
            case_id=cid,
            case_number=number,
            incident_id=iid,
            action="handle",
            from_status="dispatched",
            to_status="handled",
            actor="officer",
            actor_role="squad_officer",
            at=handled_at,
            squad_id=squad_id,
            category_code=category,
        )
        if rng.random() < totals.reworked_share:
            yield CaseTransitioned(
                case_id=cid,
                case_number=number,
                incident_id=iid,
                action="rework",
                from_status="handled",
                to_status="dispatched",
                actor="monitor",
                actor_role="field_monitor",
                at=handled_at + timedelta(minutes=30),
                squad_id=squad_id,
                category_code=category,
            )
        if rng.random() < totals.closed_share:
            closed = handled_at + timedelta(hours=rng.uniform(0.2, 2))
            if closed >= end:
                continue
            yield CaseClosed(
                case_id=cid,
                case_number=number,
                incident_id=iid,
                category_code=category,
                squad_id=squad_id,
                outcome=rng.choice(["resolved", "violation"]),
                closed_at=closed,
                closed_by="monitor",
            )
            if rng.random() < totals.rated_share and closed + timedelta(hours=3) < end:
                rating = rng.choice(["satisfied", "satisfied", "basically_satisfied", "dissatisfied"])
                rated = closed + timedelta(hours=2)
                yield IncidentRated(
                    incident_id=iid,
                    opening_report=True,
                    case_id=cid,
                    case_number=number,
                    category_code=category,
                    squad_id=squad_id,
                    rating=rating,
                    rated_at=rated,
                )
                yield CaseTransitioned(
                    case_id=cid,
                    case_number=number,
                    incident_id=iid,
                    action="evaluate",
                    from_status="closed",
                    to_status="evaluated",
                    actor="system:intake",
                    actor_role="system",
                    at=rated,
                    squad_id=squad_id,
                    category_code=category,
                    details={"rating": rating},
                )


def records(events: Iterator[IntegrationEvent]) -> Iterator[Record]:
    for e in events:
        yield encode(
            e, source=SOURCES[e.producer], time=datetime.now(UTC), correlation_id=None, event_id=uuid.uuid4().hex
        )
