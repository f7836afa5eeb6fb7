"""Reporting's projections. A whole batch of events is applied at once: facts are merged per
incident and written with one upsert, counters are summed per month, squad and category and
added with another. The inbox has already turned away any event seen before, so every event
adds to the counters exactly once."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

from common.messaging.contracts import CaseClosed, CaseDispatched, CaseOpened, IncidentReported
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork

BUREAU_TZ = ZoneInfo("Asia/Shanghai")
FACT_COLUMNS = ("case_id", "category_code", "channel", "squad_id", "squad_name", "outcome",
                "received_at", "dispatched_at", "closed_at")
TIMESTAMPS = {"received_at", "dispatched_at", "closed_at"}


def month_of(moment: datetime) -> date:
    """The bureau's month: Beijing time."""
    return moment.astimezone(BUREAU_TZ).date().replace(day=1)


def _facts_and_counts(envelopes: list[Envelope]):
    facts: dict[str, dict] = defaultdict(dict)
    counts: dict[tuple[date, str, str], list] = {}

    def count(moment: datetime, squad_id: str | None, category: str, column: int, squad_name: str = ""):
        row = counts.setdefault((month_of(moment), squad_id or "", category), [squad_name, 0, 0, 0, 0])
        row[column] += 1
        row[0] = squad_name or row[0]

    for env in envelopes:
        e = env.data
        if isinstance(e, IncidentReported):
            facts[e.incident_id].update(category_code=e.category_code, channel=e.channel, received_at=e.reported_at)
            count(e.reported_at, None, e.category_code, 1)
        elif isinstance(e, CaseOpened):
            facts[e.incident_id].update(case_id=e.case_id, category_code=e.category_code)
        elif isinstance(e, CaseDispatched):
            facts[e.incident_id].update(case_id=e.case_id, squad_id=e.squad_id, squad_name=e.squad_name,
                                        dispatched_at=e.dispatched_at)
            count(e.dispatched_at, e.squad_id, e.category_code, 2, e.squad_name)
        elif isinstance(e, CaseClosed):
            facts[e.incident_id].update(case_id=e.case_id, outcome=e.outcome, closed_at=e.closed_at)
            count(e.closed_at, e.squad_id, e.category_code, 3)
            if e.outcome == "violation":
                count(e.closed_at, e.squad_id, e.category_code, 4)
    return facts, counts


async def project(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    facts, counts = _facts_and_counts(envelopes)
    if facts:
        ids = list(facts)
        params = {"incident_id": ids}
        for col in FACT_COLUMNS:
            params[col] = [facts[i].get(col) for i in ids]
        casts = ", ".join(f"CAST(:{c} AS {'timestamptz' if c in TIMESTAMPS else 'text'}[])"
                          for c in ("incident_id", *FACT_COLUMNS))
        updates = ", ".join(f"{c} = COALESCE(EXCLUDED.{c}, case_facts.{c})" for c in FACT_COLUMNS)
        await uow.session.execute(text(
            f"INSERT INTO reporting.case_facts (incident_id, {', '.join(FACT_COLUMNS)}) "
            f"SELECT * FROM unnest({casts}) ON CONFLICT (incident_id) DO UPDATE SET {updates}"), params)
    if counts:
        keys = list(counts)
        await uow.session.execute(text(
            "INSERT INTO reporting.monthly_counts "
            "(month, squad_id, category_code, squad_name, received, dispatched, closed, violations) "
            "SELECT * FROM unnest(CAST(:m AS date[]), CAST(:s AS text[]), CAST(:c AS text[]), CAST(:n AS text[]), "
            "CAST(:r AS int[]), CAST(:d AS int[]), CAST(:x AS int[]), CAST(:v AS int[])) "
            "ON CONFLICT (month, squad_id, category_code) DO UPDATE SET "
            "squad_name = CASE WHEN EXCLUDED.squad_name <> '' THEN EXCLUDED.squad_name ELSE monthly_counts.squad_name END, "
            "received = monthly_counts.received + EXCLUDED.received, "
            "dispatched = monthly_counts.dispatched + EXCLUDED.dispatched, "
            "closed = monthly_counts.closed + EXCLUDED.closed, "
            "violations = monthly_counts.violations + EXCLUDED.violations"),
            {"m": [k[0] for k in keys], "s": [k[1] for k in keys], "c": [k[2] for k in keys],
             "n": [counts[k][0] for k in keys], "r": [counts[k][1] for k in keys],
             "d": [counts[k][2] for k in keys], "x": [counts[k][3] for k in keys],
             "v": [counts[k][4] for k in keys]})


async def project_one(event, env: Envelope, uow: UnitOfWork) -> None:
    await project([env], uow)


HANDLERS = {cls: project_one for cls in (IncidentReported, CaseOpened, CaseDispatched, CaseClosed)}
