"""The monthly event counters (GET /v1/reports/monthly, the earlier per-month figures): events
counted per month, squad and category, added to in one prepared statement a batch."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.clock import BEIJING
from common.db import Prepared, table_of, unnest
from common.messaging.contracts import (
    AssignmentEscalated,
    AssignmentReturned,
    CaseClosed,
    CaseDispatched,
    CaseTransitioned,
    DeadlineExtended,
    EnforcementStepRecorded,
    IncidentJoined,
    IncidentRated,
    IncidentReported,
)
from common.messaging.envelope import Envelope
from common.vocabulary import CaseAction
from reporting.tables import MonthlyCount

COUNTS = table_of(MonthlyCount)


def month_of(moment: datetime) -> date:
    """The bureau's month: Beijing time."""
    return moment.astimezone(BEIJING).date().replace(day=1)


COUNTERS = (
    "received",
    "dispatched",
    "closed",
    "violations",
    "reworked",
    "fines_collected_fen",
    "returned",
    "extended",
    "escalated",
    "joined",
    "rated",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "joined_rated",
)
"""Events counted per month, squad and category; a new counter is one name here, one column in
tables.MonthlyCount and the line in `_counts` that adds to it."""


def counts_of(envelopes: list[Envelope]) -> dict[tuple[date, str, str], dict]:
    counts: dict[tuple[date, str, str], dict] = {}

    def count(moment: datetime, squad_id: str | None, category: str, counter: str, squad_name: str = "", by: int = 1):
        row = counts.setdefault((month_of(moment), squad_id or "", category), dict.fromkeys(COUNTERS, 0))
        row[counter] += by
        row["squad_name"] = squad_name or row.get("squad_name", "")

    for env in envelopes:
        e = env.data
        if isinstance(e, IncidentReported):
            count(e.reported_at, None, e.category_code, "received")
        elif isinstance(e, CaseDispatched):
            count(e.dispatched_at, e.squad_id, e.category_code, "dispatched", e.squad_name)
        elif isinstance(e, CaseClosed):
            count(e.closed_at, e.squad_id, e.category_code, "closed")
            if e.outcome == "violation":
                count(e.closed_at, e.squad_id, e.category_code, "violations")
        elif isinstance(e, CaseTransitioned) and e.action == CaseAction.rework:
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
    return counts


_COUNTS_IN = select(
    unnest("month", Date).label("month"),
    unnest("squad_id").label("squad_id"),
    unnest("category_code").label("category_code"),
    unnest("squad_name").label("squad_name"),
    *(unnest(c, BigInteger).label(c) for c in COUNTERS),
)
_upsert = pg_insert(COUNTS).from_select(["month", "squad_id", "category_code", "squad_name", *COUNTERS], _COUNTS_IN)
ADD_COUNTS = Prepared(
    _upsert.on_conflict_do_update(
        index_elements=["month", "squad_id", "category_code"],
        set_={
            "squad_name": case(
                (_upsert.excluded.squad_name != "", _upsert.excluded.squad_name), else_=COUNTS.c.squad_name
            ),
            **{c: COUNTS.c[c] + _upsert.excluded[c] for c in COUNTERS},
        },
    )
)
