"""Reporting's projections. A whole batch of events is applied at once, in a few set-based
statements: each report's and each case's row is merged (every column by its own rule, so the
order the topics deliver in does not matter), the months whose rows changed are marked for their
cube to be computed again, the monthly event counters are added to, and what the other services
announce (grids, categories, squads, the calendar, the registers) is kept. The inbox has already
turned away any event seen before, so a counter adds each event exactly once."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, Integer, Text, bindparam, case, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.clock import bureau_month_sql
from common.db import Prepared, table_of, unnest
from common.messaging.contracts import (
    AssignmentAccepted,
    AssignmentEscalated,
    AssignmentReturned,
    CaseClosed,
    CaseDispatched,
    CaseFiled,
    CaseOpened,
    CaseTransitioned,
    CategoryDefined,
    DeadlineExtended,
    DogInspected,
    DogLicenceIssued,
    DogViolationRecorded,
    EnforcementStepRecorded,
    GridDefined,
    IllegalBuildingChanged,
    IncidentJoined,
    IncidentRated,
    IncidentReplied,
    IncidentReported,
    LedgerFiguresReported,
    MerchantPersuaded,
    SquadChanged,
    StrayCaptured,
    StrayLeft,
    WorkCalendarChanged,
    WorkOrderChanged,
)
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from common.vocabulary import CaseAction
from common.workcalendar import WorkCalendar
from reporting.handlers.announcements import (
    add_dog_months,
    add_persuasion_days,
    dog_months,
    keep_announcements,
    keep_work_orders,
    persuasion_days,
)
from reporting.handlers.assessment import NOTICES as ASSESSED_NOTICES
from reporting.handlers.assessment import keep_notices
from reporting.handlers.campaigns import CAMPAIGN_EVENTS, count_persuasions, keep_buildings, keep_campaigns
from reporting.handlers.counters import ADD_COUNTS, COUNTERS, counts_of, month_of
from reporting.handlers.decisions import add_decision_days, decision_days
from reporting.tables import CaseRow, IncidentRow

CASES, INCIDENTS = table_of(CaseRow), table_of(IncidentRow)
TRACKED = frozenset({"web", "open311"})


# -- the report and case rows --------------------------------------------------------------------

INCIDENT_TEXT = ("channel", "category_code", "urgency", "case_id")
INCIDENT_COLUMNS = ("received_at", *INCIDENT_TEXT, "has_contact", "joined", "replied_at")
CASE_TEXT = (
    "incident_id",
    "case_number",
    "category_code",
    "channel",
    "urgency",
    "squad_id",
    "squad_name",
    "grid_id",
    "outcome",
    "rating",
)
CASE_TIMES = (
    "opened_at",
    "filed_at",
    "rejected_at",
    "dispatched_at",
    "accepted_at",
    "first_handled_at",
    "handled_at",
    "closed_at",
    "deadline_at",
    "deadline_set_at",
    "suspended_at",
    "resumed_at",
    "ended_at",
    "rated_at",
)
CASE_COUNTS = ("returned", "extended", "reworked")
EARLIEST = ("opened_at", "filed_at", "rejected_at", "dispatched_at", "accepted_at", "first_handled_at", "ended_at")
LATEST = ("handled_at", "suspended_at", "resumed_at")
ENDS = frozenset({CaseAction.cancel, CaseAction.merge, CaseAction.split_})
REOPENED = datetime(1970, 1, 1, tzinfo=UTC)


def _rows(envelopes: list[Envelope]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Each report's and each case's changes in this batch, in the batch's order."""
    incidents: dict[str, dict] = defaultdict(dict)
    cases: dict[str, dict] = defaultdict(lambda: {"returned": 0, "extended": 0, "reworked": 0})

    def first(row: dict, column: str, at: datetime | None) -> None:
        if at is not None and (row.get(column) is None or at < row[column]):
            row[column] = at

    def last(row: dict, column: str, at: datetime | None) -> None:
        if at is not None and (row.get(column) is None or at > row[column]):
            row[column] = at

    for env in envelopes:
        e = env.data
        if isinstance(e, IncidentReported):
            incidents[e.incident_id].update(
                received_at=e.reported_at,
                channel=e.channel,
                category_code=e.category_code,
                urgency=e.urgency,
                has_contact=bool(e.caller_phone_masked) or e.channel in TRACKED,
            )
        elif isinstance(e, IncidentJoined):
            incidents[e.incident_id].update(
                received_at=e.reported_at, channel=e.channel, category_code=e.category_code, joined=True
            )
        elif isinstance(e, IncidentReplied):
            first(incidents[e.incident_id], "replied_at", e.at)
        elif isinstance(e, CaseOpened):
            row = cases[e.case_id]
            row.update(
                incident_id=e.incident_id,
                case_number=e.case_number,
                category_code=e.category_code,
                channel=e.channel,
                urgency=e.urgency,
            )
            first(row, "opened_at", e.opened_at)
            if e.status not in ("reported", "verified"):
                first(row, "filed_at", e.opened_at)
            if e.parent_case_id is None:
                incidents[e.incident_id]["case_id"] = e.case_id
        elif isinstance(e, CaseFiled):
            row = cases[e.case_id]
            row.update(
                incident_id=e.incident_id,
                case_number=e.case_number,
                category_code=e.category_code,
                channel=e.channel,
                urgency=e.urgency,
            )
            first(row, "filed_at", e.filed_at)
        elif isinstance(e, CaseDispatched):
            row = cases[e.case_id]
            row.update(
                incident_id=e.incident_id,
                case_number=e.case_number,
                squad_id=e.squad_id,
                squad_name=e.squad_name,
                grid_id=e.grid_id,
                category_code=e.category_code,
            )
            first(row, "dispatched_at", e.dispatched_at)
            if e.deadline_at is not None and (
                row.get("deadline_set_at") is None or e.dispatched_at >= row["deadline_set_at"]
            ):
                row.update(deadline_at=e.deadline_at, deadline_set_at=e.dispatched_at)
        elif isinstance(e, AssignmentAccepted):
            first(cases[e.case_id], "accepted_at", e.accepted_at)
        elif isinstance(e, DeadlineExtended):
            row = cases[e.case_id]
            row["extended"] += 1
            if row.get("deadline_set_at") is None or e.extended_at >= row["deadline_set_at"]:
                row.update(deadline_at=e.deadline_at, deadline_set_at=e.extended_at)
        elif isinstance(e, AssignmentReturned):
            cases[e.case_id]["returned"] += 1
        elif isinstance(e, AssignmentEscalated) and e.kind == "overdue":
            cases[e.case_id]["escalated"] = True
        elif isinstance(e, CaseTransitioned):
            row = cases[e.case_id]
            row.setdefault("incident_id", e.incident_id)
            match e.action:
                case CaseAction.handle:
                    first(row, "first_handled_at", e.at)
                    last(row, "handled_at", e.at)
                case CaseAction.rework:
                    row["reworked"] += 1
                case CaseAction.suspend:
                    last(row, "suspended_at", e.at)
                case CaseAction.resume:
                    last(row, "resumed_at", e.at)
                case CaseAction.reject:
                    first(row, "rejected_at", e.at)
                case CaseAction.evaluate:  # the case's 评价, one per case (its latest): the citizen's on the
                    # tracking page or the hotline's 回访, or the command centre's entry
                    if e.details.get("rating") and (row.get("rated_at") is None or e.at >= row["rated_at"]):
                        row.update(rating=e.details["rating"], rated_at=e.at)
                case CaseAction.reopen:  # closes again later: the case is open meanwhile
                    row.update(closed_at=None, closed_set=True)
                case action if action in ENDS:
                    first(row, "ended_at", e.at)
        elif isinstance(e, CaseClosed):
            row = cases[e.case_id]
            row.update(
                closed_at=e.closed_at,
                closed_set=True,
                outcome=e.outcome,
                incident_id=e.incident_id,
                case_number=e.case_number,
            )
    return incidents, cases


_INCIDENTS_IN = select(
    unnest("incident_id").label("incident_id"),
    unnest("received_at", TIMESTAMP(timezone=True)).label("received_at"),
    *(unnest(c).label(c) for c in INCIDENT_TEXT),
    unnest("has_contact", Boolean).label("has_contact"),
    unnest("joined", Boolean).label("joined"),
    unnest("replied_at", TIMESTAMP(timezone=True)).label("replied_at"),
)
_upsert = pg_insert(INCIDENTS).from_select(["incident_id", *INCIDENT_COLUMNS], _INCIDENTS_IN)
_UPSERT_INCIDENTS = Prepared(
    _upsert.on_conflict_do_update(
        index_elements=["incident_id"],
        set_={
            **{c: func.coalesce(_upsert.excluded[c], INCIDENTS.c[c]) for c in ("received_at", *INCIDENT_TEXT)},
            "has_contact": INCIDENTS.c.has_contact | _upsert.excluded.has_contact,
            "joined": INCIDENTS.c.joined | _upsert.excluded.joined,
            "replied_at": func.least(INCIDENTS.c.replied_at, _upsert.excluded.replied_at),
        },
    )
)

_CASES_IN = select(
    unnest("case_id").label("case_id"),
    *(unnest(c).label(c) for c in CASE_TEXT),
    *(unnest(c, TIMESTAMP(timezone=True)).label(c) for c in CASE_TIMES),
    *(unnest(c, Integer).label(c) for c in CASE_COUNTS),
    unnest("escalated", Boolean).label("escalated"),
)


def _merge_rules(x) -> dict:
    rules: dict[str, Any] = {c: func.coalesce(x[c], CASES.c[c]) for c in CASE_TEXT if c not in ("rating",)}
    rules |= {c: func.least(CASES.c[c], x[c]) for c in EARLIEST}
    rules |= {c: func.greatest(CASES.c[c], x[c]) for c in LATEST}
    rules |= {c: CASES.c[c] + x[c] for c in CASE_COUNTS}
    rules["escalated"] = CASES.c.escalated | x.escalated
    newer_deadline = x.deadline_set_at >= func.coalesce(CASES.c.deadline_set_at, x.deadline_set_at)
    rules["deadline_at"] = case(
        (x.deadline_set_at.is_not(None) & newer_deadline, x.deadline_at), else_=CASES.c.deadline_at
    )
    rules["deadline_set_at"] = func.greatest(CASES.c.deadline_set_at, x.deadline_set_at)
    newer_rating = x.rated_at >= func.coalesce(CASES.c.rated_at, x.rated_at)
    rules["rating"] = case((x.rated_at.is_not(None) & newer_rating, x.rating), else_=CASES.c.rating)
    rules["rated_at"] = func.greatest(CASES.c.rated_at, x.rated_at)
    return rules


async def upsert_rows(conn, incidents: dict[str, dict], cases: dict[str, dict]) -> None:
    """Merge the batch's rows into the tables, each column by its rule (`_merge_rules`). A case
    reopened last in the batch is written as REOPENED, which `_DERIVED` turns back into NULL."""
    if incidents:
        ids = sorted(incidents)  # rows locked in key order: two consumers of the group cannot deadlock
        await _UPSERT_INCIDENTS.execute(
            conn,
            incident_id=ids,
            **{c: [incidents[i].get(c) for i in ids] for c in ("received_at", *INCIDENT_TEXT)},
            has_contact=[bool(incidents[i].get("has_contact")) for i in ids],
            joined=[bool(incidents[i].get("joined")) for i in ids],
            replied_at=[incidents[i].get("replied_at") for i in ids],
        )
    if cases:
        ids = sorted(cases)
        await _UPSERT_CASE_ROWS.execute(
            conn,
            case_id=ids,
            **{c: [cases[i].get(c) for i in ids] for c in (*CASE_TEXT, *CASE_TIMES) if c != "closed_at"},
            closed_at=[(cases[i].get("closed_at") or REOPENED) if cases[i].get("closed_set") else None for i in ids],
            **{c: [cases[i][c] for i in ids] for c in CASE_COUNTS},
            escalated=[bool(cases[i].get("escalated")) for i in ids],
        )


async def apply_rows(conn, incidents: dict[str, dict], cases: dict[str, dict], calendar: WorkCalendar) -> set[date]:
    """Merge the batch's rows and derive what follows from them; returns the months their cubes
    must be computed again for."""
    dirty: set[date] = set()
    before = await _MONTHS.fetch(conn, ids=sorted(cases)) if cases else []
    await upsert_rows(conn, incidents, cases)
    if incidents:
        dirty |= {month_of(t) for r in incidents.values() for t in (r.get("received_at"), r.get("replied_at")) if t}
    if cases:
        ids = sorted(cases)
        after = await _DERIVE.fetch(conn, ids=ids)
        await set_hours(conn, after, calendar)
        for r in [*before, *after]:
            dirty |= {m for m in r["months"] if m is not None}
        if any(c.get("incident_id") for c in cases.values()):  # a report's month shows its case's squad
            dirty |= {m for r in await _INCIDENT_MONTHS.fetch(conn, ids=ids) for m in r["months"] if m}
    return dirty


async def set_hours(conn, rows, calendar: WorkCalendar) -> None:
    """处置用时: the working hours from the first dispatch to the first handling, counted once."""
    hours = [
        (r["case_id"], calendar.working_hours_between(r["dispatched_at"], r["first_handled_at"]))
        for r in rows
        if r["dispatched_at"] and r["first_handled_at"] and r["handling_hours"] is None
    ]
    if hours:
        await _SET_HOURS.execute(conn, ids=[h[0] for h in hours], hours=[h[1] for h in hours])


_CASE_VALUES = _CASES_IN.subquery("r")
_case_insert = pg_insert(CASES).from_select(
    ["case_id", *CASE_TEXT, *CASE_TIMES, *CASE_COUNTS, "escalated"],
    select(
        _CASE_VALUES.c.case_id,
        *(_CASE_VALUES.c[c] for c in CASE_TEXT),
        *(_CASE_VALUES.c[c] for c in CASE_TIMES),
        *(_CASE_VALUES.c[c] for c in CASE_COUNTS),
        _CASE_VALUES.c.escalated,
    ),
)
_case_rules = _merge_rules(_case_insert.excluded)
_case_rules["closed_at"] = func.coalesce(_case_insert.excluded.closed_at, CASES.c.closed_at)
"""A close and a reopen of one case travel in order on its partition: the batch's last word
stands; a reopen is written as REOPENED, which the same transaction turns back into NULL."""
_UPSERT_CASE_ROWS_PLAIN = _case_insert.on_conflict_do_update(index_elements=["case_id"], set_=_case_rules)
_UPSERT_CASE_ROWS = Prepared(_UPSERT_CASE_ROWS_PLAIN)


_MONTH_LIST = (
    "ARRAY["
    + ", ".join(
        bureau_month_sql(c)
        for c in (
            "opened_at",
            "filed_at",
            "rejected_at",
            "dispatched_at",
            "first_handled_at",
            "closed_at",
            "deadline_at",
            "rated_at",
        )
    )
    + ", anchor_month]"
)
_MONTHS = Prepared(
    text(f"SELECT {_MONTH_LIST} AS months FROM reporting.cases WHERE case_id = ANY(:ids)").bindparams(
        bindparam("ids", type_=ARRAY(Text))
    )
)
_REOPENED_IS_NULL = f"CASE WHEN closed_at = '{REOPENED.isoformat()}' THEN NULL ELSE closed_at END"
DERIVED = f"""closed_at = {_REOPENED_IS_NULL},
           anchor_month = {bureau_month_sql(f"coalesce(deadline_at, {_REOPENED_IS_NULL}, dispatched_at)")}"""
"""What a case's row derives from its merged columns (a bulk rebuild derives it once, at the end)."""
_DERIVE = Prepared(
    text(f"""
    UPDATE reporting.cases SET {DERIVED}
     WHERE case_id = ANY(:ids)
 RETURNING case_id, dispatched_at, first_handled_at, handling_hours, {_MONTH_LIST} AS months""").bindparams(
        bindparam("ids", type_=ARRAY(Text))
    )
)
_SET_HOURS = Prepared(
    text("""
    UPDATE reporting.cases c SET handling_hours = h.hours
      FROM unnest(:ids, :hours) AS h(case_id, hours) WHERE c.case_id = h.case_id""").bindparams(
        bindparam("ids", type_=ARRAY(Text)), bindparam("hours", type_=ARRAY(Float))
    )
)
_INCIDENT_MONTHS = Prepared(
    text(f"""
    SELECT ARRAY[{bureau_month_sql("i.received_at")}] AS months
      FROM reporting.incidents i WHERE i.case_id = ANY(:ids)""").bindparams(bindparam("ids", type_=ARRAY(Text)))
)
# Each mark bumps the month's version: a refresher summing the month at this moment removes its
# mark only if the version is still the one it read, so this batch's rows are summed next round.
_MARK = Prepared(
    text(
        "INSERT INTO reporting.dirty_months (month) SELECT unnest(:months) "
        "ON CONFLICT (month) DO UPDATE SET version = reporting.dirty_months.version + 1"
    ).bindparams(bindparam("months", type_=ARRAY(Date)))
)


ROWS = (
    IncidentReported,
    IncidentJoined,
    IncidentReplied,
    IncidentRated,
    CaseOpened,
    CaseFiled,
    CaseDispatched,
    CaseTransitioned,
    CaseClosed,
    AssignmentAccepted,
    AssignmentReturned,
    DeadlineExtended,
    AssignmentEscalated,
    EnforcementStepRecorded,
)
ANNOUNCED = (GridDefined, CategoryDefined, SquadChanged, WorkCalendarChanged, LedgerFiguresReported)
DOGS = (DogLicenceIssued, DogInspected, StrayCaptured, StrayLeft, DogViolationRecorded)
STREET = (MerchantPersuaded,)
HOTLINE = (WorkOrderChanged,)
CAMPAIGNS = CAMPAIGN_EVENTS
BUILDINGS = (IllegalBuildingChanged,)
NOTICES = ASSESSED_NOTICES


class Projection:
    """The batch handler, with the calendar the handling hours are counted on."""

    def __init__(self) -> None:
        self.calendar = WorkCalendar()
        self.calendar_changed = False

    async def __call__(self, envelopes: list[Envelope], uow: UnitOfWork) -> None:
        await self.apply(envelopes, uow)

    async def apply(self, envelopes: list[Envelope], uow: UnitOfWork, *, bulk: bool = False) -> None:
        """The rows first, then the few rows every batch shares (the month counters, the dog
        months, the months to sum again), each in key order: when two consumers of the group apply
        batches at once, the shared rows are held only for the end of a transaction, and always
        locked in the same order, so neither can deadlock the other.

        `bulk` (a rebuild's replay, `reporting.handlers.replay`): the rows are only merged; what
        follows from them (a case's derived columns, its handling hours, the months to sum again)
        is derived once at the end of the replay, over every row at once."""
        kinds: dict[int, list[Envelope]] = {i: [] for i in range(len(KINDS))}
        for e in envelopes:  # one pass, by the contract's class (a subclass found the long way)
            kind = _KIND_OF.get(type(e.data))
            if kind is None:
                kind = next((i for i, classes in enumerate(KINDS) if isinstance(e.data, classes)), None)
            if kind is not None:
                kinds[kind].append(e)
        rows, announced, dogs, street, hotline, campaigns, buildings, notices = kinds.values()
        if announced and await keep_announcements(announced, uow):
            self.calendar_changed = True
        conn = await uow.db()
        dirty: set[date] = set()
        if rows:
            incidents, cases = _rows(rows)
            if bulk:
                await upsert_rows(conn, incidents, cases)
            else:
                dirty = await apply_rows(conn, incidents, cases, self.calendar)
            counts = counts_of(rows)
            if counts:
                keys = sorted(counts, key=lambda k: tuple("" if v is None else str(v) for v in k))
                await ADD_COUNTS.execute(
                    conn,
                    month=[k[0] for k in keys],
                    squad_id=[k[1] for k in keys],
                    category_code=[k[2] for k in keys],
                    squad_name=[counts[k]["squad_name"] for k in keys],
                    **{c: [counts[k][c] for k in keys] for c in COUNTERS},
                )
        if dogs:
            await add_dog_months(dog_months(dogs), uow)
        if campaigns:  # before the 劝导 of the same batch, which may fall in a campaign it launched
            await keep_campaigns(campaigns, uow)
        if street:
            await add_persuasion_days(persuasion_days(street), uow)
            await count_persuasions(street, uow)
        if hotline:
            await keep_work_orders(hotline, uow)
        if buildings:
            await keep_buildings(buildings, uow)
        if notices:
            await keep_notices(notices, uow)
        decided, powers = decision_days(rows)
        if decided:
            await add_decision_days(decided, powers, uow)
        if dirty:
            await _MARK.execute(conn, months=sorted(dirty))


KINDS = (ROWS, ANNOUNCED, DOGS, STREET, HOTLINE, CAMPAIGNS, BUILDINGS, NOTICES)
HANDLED = tuple(c for kind in KINDS for c in kind)
_KIND_OF = {c: i for i, kind in enumerate(KINDS) for c in kind}
