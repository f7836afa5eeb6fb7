"""Reporting's projections. A whole batch of events is applied at once: facts are merged per
incident and written with one upsert, counters are summed per month, squad and category and
added with another. The inbox has already turned away any event seen before, so every event
adds to the counters exactly once."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Text, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.messaging.contracts import (AssignmentEscalated, AssignmentReturned, CaseClosed, CaseDispatched, CaseOpened,
                                        CaseTransitioned, DeadlineExtended,
                                        EnforcementStepRecorded, IncidentJoined, IncidentRated, IncidentReported,
                                        SquadChanged)
from common.clock import BEIJING
from common.db import Prepared
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from reporting.tables import CaseFact, MonthlyCount, SquadInfo

FACT_COLUMNS = ("case_id", "category_code", "channel", "squad_id", "squad_name", "outcome",
                "received_at", "dispatched_at", "closed_at")
TIMESTAMPS = {"received_at", "dispatched_at", "closed_at"}
FACTS, COUNTS = CaseFact.__table__, MonthlyCount.__table__


def month_of(moment: datetime) -> date:
    """The bureau's month: Beijing time."""
    return moment.astimezone(BEIJING).date().replace(day=1)


COUNTERS = ("received", "dispatched", "closed", "violations", "reworked", "fines_collected_fen", "returned",
            "extended", "escalated", "joined", "rated", "satisfied", "basically_satisfied", "dissatisfied",
            "joined_rated")
"""The monthly counters, per month, squad and category; a new counter is one name here, one
column in tables.MonthlyCount and the line in `_facts_and_counts` that adds to it."""


def _facts_and_counts(envelopes: list[Envelope]):
    facts: dict[str, dict] = defaultdict(dict)
    counts: dict[tuple[date, str, str], dict] = {}

    def count(moment: datetime, squad_id: str | None, category: str, counter: str, squad_name: str = "",
              by: int = 1):
        row = counts.setdefault((month_of(moment), squad_id or "", category), dict.fromkeys(COUNTERS, 0))
        row[counter] += by
        row["squad_name"] = squad_name or row.get("squad_name", "")

    for env in envelopes:
        e = env.data
        if isinstance(e, IncidentReported):
            facts[e.incident_id].update(category_code=e.category_code, channel=e.channel, received_at=e.reported_at)
            count(e.reported_at, None, e.category_code, "received")
        elif isinstance(e, CaseOpened):
            facts[e.incident_id].update(case_id=e.case_id, category_code=e.category_code)
        elif isinstance(e, CaseDispatched):
            facts[e.incident_id].update(case_id=e.case_id, squad_id=e.squad_id, squad_name=e.squad_name,
                                        dispatched_at=e.dispatched_at)
            count(e.dispatched_at, e.squad_id, e.category_code, "dispatched", e.squad_name)
        elif isinstance(e, CaseClosed):
            facts[e.incident_id].update(case_id=e.case_id, outcome=e.outcome, closed_at=e.closed_at)
            count(e.closed_at, e.squad_id, e.category_code, "closed")
            if e.outcome == "violation":
                count(e.closed_at, e.squad_id, e.category_code, "violations")
        elif isinstance(e, CaseTransitioned) and e.action == "rework":
            count(e.at, e.squad_id, e.category_code, "reworked")
        elif isinstance(e, AssignmentReturned):
            count(e.returned_at, e.squad_id, e.category_code, "returned")
        elif isinstance(e, DeadlineExtended):
            count(e.extended_at, e.squad_id, e.category_code, "extended")
        elif isinstance(e, AssignmentEscalated) and e.kind == "overdue" and e.level == 1:
            count(e.at, e.squad_id, e.category_code, "escalated")
        elif isinstance(e, EnforcementStepRecorded) and e.collected_fen:
            count(e.at, e.squad_id, e.category_code, "fines_collected_fen", by=e.collected_fen)
        elif isinstance(e, IncidentJoined):
            count(e.reported_at, None, e.category_code, "joined")
        elif isinstance(e, IncidentRated) and e.opening_report:  # the case's 评价: one per case
            count(e.rated_at, e.squad_id, e.category_code, "rated")
            count(e.rated_at, e.squad_id, e.category_code, e.rating)
        elif isinstance(e, IncidentRated):
            count(e.rated_at, e.squad_id, e.category_code, "joined_rated")
    return facts, counts


def _array(name: str, type_=Text):
    return func.unnest(bindparam(name, type_=ARRAY(type_)))


_FACTS_IN = select(_array("incident_id").label("incident_id"),
                   *(_array(c, TIMESTAMP(timezone=True) if c in TIMESTAMPS else Text).label(c) for c in FACT_COLUMNS))
_upsert = pg_insert(FACTS).from_select(["incident_id", *FACT_COLUMNS], _FACTS_IN)
_UPSERT_FACTS = Prepared(_upsert.on_conflict_do_update(
    index_elements=["incident_id"],
    set_={c: func.coalesce(_upsert.excluded[c], FACTS.c[c]) for c in FACT_COLUMNS}))
_COUNTS_IN = select(_array("month", Date).label("month"), _array("squad_id").label("squad_id"),
                    _array("category_code").label("category_code"), _array("squad_name").label("squad_name"),
                    *(_array(c, BigInteger).label(c) for c in COUNTERS))
_upsert = pg_insert(COUNTS).from_select(["month", "squad_id", "category_code", "squad_name", *COUNTERS], _COUNTS_IN)
_ADD_COUNTS = Prepared(_upsert.on_conflict_do_update(
    index_elements=["month", "squad_id", "category_code"],
    set_={"squad_name": case((_upsert.excluded.squad_name != "", _upsert.excluded.squad_name),
                             else_=COUNTS.c.squad_name),
          **{c: COUNTS.c[c] + _upsert.excluded[c] for c in COUNTERS}}))


async def project(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    squads = [env.data for env in envelopes if isinstance(env.data, SquadChanged)]
    if squads:
        await _record_squads(squads, uow)
        envelopes = [env for env in envelopes if not isinstance(env.data, SquadChanged)]
    facts, counts = _facts_and_counts(envelopes)
    conn = await uow.db()
    if facts:
        ids = list(facts)
        await _UPSERT_FACTS.execute(conn, incident_id=ids, **{c: [facts[i].get(c) for i in ids] for c in FACT_COLUMNS})
    if counts:
        keys = list(counts)
        await _ADD_COUNTS.execute(conn, month=[k[0] for k in keys], squad_id=[k[1] for k in keys],
                                  category_code=[k[2] for k in keys], squad_name=[counts[k]["squad_name"] for k in keys],
                                  **{c: [counts[k][c] for k in keys] for c in COUNTERS})


async def _record_squads(changes: list[SquadChanged], uow: UnitOfWork) -> None:
    """The squads' names, brigades and leaders (an older announcement changes nothing)."""
    table = SquadInfo.__table__
    for e in changes:
        values = {"name": e.name, "brigade_id": e.brigade_id, "brigade_name": e.brigade_name,
                  "leader_id": e.leader_id, "leader_name": e.leader_name, "updated_at": e.at}
        await uow.session.execute(pg_insert(table).values(squad_id=e.squad_id, **values).on_conflict_do_update(
            index_elements=["squad_id"], set_=values, where=table.c.updated_at <= e.at))


async def project_one(event, env: Envelope, uow: UnitOfWork) -> None:
    await project([env], uow)


HANDLERS = {cls: project_one for cls in (IncidentReported, CaseOpened, CaseDispatched, CaseClosed,
                                         CaseTransitioned, EnforcementStepRecorded, AssignmentReturned,
                                         DeadlineExtended, AssignmentEscalated, IncidentJoined, IncidentRated,
                                         SquadChanged)}
