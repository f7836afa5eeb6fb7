"""Penalty decisions counted by power (权责清单) and band (裁量基准), per day and squad: seed 004's
breakdown of the cases decided (市容, 渣土, 养犬, 违建, 建设工程) read from the list of powers."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.clock import bureau_date
from common.db import table_of
from common.messaging.contracts import EnforcementStepRecorded
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from reporting.tables import DecisionDay

DECIDING = frozenset({"decide", "on_the_spot"})
COUNTED = ("decisions", "on_the_spot", "departures", "fines_decided_fen")
Key = tuple[date, str, str, str]


def decision_days(envelopes: list[Envelope]) -> tuple[dict[Key, dict[str, int]], dict[str, str]]:
    """Each decision counted on the bureau's day it was taken; the powers' names as told."""
    days: dict[Key, dict[str, int]] = {}
    names: dict[str, str] = {}
    for env in envelopes:
        e = env.data
        if not isinstance(e, EnforcementStepRecorded) or e.step not in DECIDING:
            continue
        key = (bureau_date(e.at), e.power_code or "", e.band or "", e.squad_id or "")
        row = days.setdefault(key, dict.fromkeys(COUNTED, 0))
        row["decisions"] += 1
        row["on_the_spot"] += e.step == "on_the_spot"
        row["departures"] += e.departed
        row["fines_decided_fen"] += e.amount_fen or 0
        if e.power_code and e.power_name:
            names[e.power_code] = e.power_name
    return days, names


async def add_decision_days(days: dict[Key, dict[str, int]], names: dict[str, str], uow: UnitOfWork) -> None:
    table = table_of(DecisionDay)
    for (day, power_code, band, squad_id), counts in sorted(days.items()):  # key order: no deadlock
        insert = pg_insert(table).values(
            day=day, power_code=power_code, band=band, squad_id=squad_id, power_name=names.get(power_code), **counts
        )
        await uow.session.execute(
            insert.on_conflict_do_update(
                index_elements=["day", "power_code", "band", "squad_id"],
                set_={
                    "power_name": insert.excluded.power_name,
                    **{c: table.c[c] + insert.excluded[c] for c in COUNTED},
                },
            )
        )
