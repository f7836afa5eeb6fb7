"""What the other services announce, kept for the read model: the grids, the 服务目录's names, the
squads with their brigades and leaders, the working calendar, the registers' figures; and the dog
register's events counted per month and grid."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col

from common.clock import bureau_date
from common.db import keep_newer, table_of
from common.messaging.contracts import (
    CategoryDefined,
    DogInspected,
    DogLicenceIssued,
    DogViolationRecorded,
    GridDefined,
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
from reporting.domain.indicators import DOG_COUNTERS
from reporting.handlers.counters import month_of
from reporting.tables import (
    CalendarState,
    CategoryInfo,
    DogMonth,
    GridInfo,
    HotlineOrder,
    LedgerFigure,
    PersuasionDay,
    SquadInfo,
)


async def keep_announcements(envelopes: list[Envelope], uow: UnitOfWork) -> bool:
    """Grids, categories, squads, the calendar, the registers' figures; True when the calendar
    changed (the service reloads it)."""
    calendar_changed = False
    for env in envelopes:
        e = env.data
        if isinstance(e, GridDefined):
            values = {
                "name": e.name,
                "squad_id": e.squad_id,
                "geometry": e.geometry,
                "defined_at": e.defined_at,
                "version": e.version,
                "office_name": e.office_name,
                "office_id": e.office_id,
                "keeper_name": e.keeper_name,
            }
            await uow.session.execute(keep_newer(GridInfo, {"grid_id": e.grid_id}, values))
        elif isinstance(e, CategoryDefined):
            values = {"name": e.name, "version": e.version}
            await uow.session.execute(keep_newer(CategoryInfo, {"code": e.code}, values))
        elif isinstance(e, SquadChanged):
            table = table_of(SquadInfo)
            values = {
                "name": e.name,
                "brigade_id": e.brigade_id,
                "brigade_name": e.brigade_name,
                "leader_id": e.leader_id,
                "leader_name": e.leader_name,
                "updated_at": e.at,
            }
            await uow.session.execute(
                pg_insert(table)
                .values(squad_id=e.squad_id, **values)
                .on_conflict_do_update(index_elements=["squad_id"], set_=values, where=table.c.updated_at <= e.at)
            )
        elif isinstance(e, WorkCalendarChanged):
            values = {
                "holidays": [d.isoformat() for d in e.holidays],
                "workdays": [d.isoformat() for d in e.workdays],
                "office_hours": [[b.isoformat(), f.isoformat()] for b, f in e.office_hours],
                "at": e.at,
            }
            await uow.session.execute(
                pg_insert(CalendarState)
                .values(calendar_id=e.calendar_id, **values)
                .on_conflict_do_update(index_elements=["calendar_id"], set_=values, where=col(CalendarState.at) <= e.at)
            )
            calendar_changed = True
        elif isinstance(e, LedgerFiguresReported):
            values = {"as_of": e.as_of, "figures": e.figures.model_dump()}
            await uow.session.execute(
                pg_insert(LedgerFigure)
                .values(area_id=e.area_id, **values)
                .on_conflict_do_update(
                    index_elements=["area_id"], set_=values, where=col(LedgerFigure.as_of) <= e.as_of
                )
            )
    return calendar_changed


def dog_months(envelopes: list[Envelope]) -> dict[tuple[date, str], dict]:
    months: dict[tuple[date, str], dict] = {}

    def add(at: datetime, grid_id: str | None, counter: str) -> None:
        months.setdefault((month_of(at), grid_id or ""), dict.fromkeys(DOG_COUNTERS, 0))[counter] += 1

    for env in envelopes:
        e = env.data
        if isinstance(e, DogLicenceIssued):
            add(e.at, e.grid_id, "adoptions" if e.via == "adoption" else "registrations")
        elif isinstance(e, DogInspected):
            add(e.at, None, "inspections")
        elif isinstance(e, StrayCaptured):
            add(e.at, e.grid_id, "strays_captured")
        elif isinstance(e, StrayLeft) and e.outcome == "claimed":
            add(e.at, None, "claims")
        elif isinstance(e, DogViolationRecorded) and e.kind in ("no_lead", "outside_hours", "no_dog_place", "nuisance"):
            add(e.at, e.grid_id, "walking_violations")
    return months


async def add_dog_months(months: dict, uow: UnitOfWork) -> None:
    table = table_of(DogMonth)
    for (month, grid_id), counters in sorted(months.items()):
        insert = pg_insert(table).values(month=month, grid_id=grid_id, **counters)
        await uow.session.execute(
            insert.on_conflict_do_update(
                index_elements=["month", "grid_id"], set_={c: table.c[c] + insert.excluded[c] for c in DOG_COUNTERS}
            )
        )


def persuasion_days(envelopes: list[Envelope]) -> dict[tuple[date, str, str], int]:
    """劝导 counted on the bureau's day they happened, per squad and category."""
    days: dict[tuple[date, str, str], int] = {}
    for env in envelopes:
        e = env.data
        if isinstance(e, MerchantPersuaded):
            key = (bureau_date(e.persuaded_at), e.squad_id or "", e.category_code)
            days[key] = days.get(key, 0) + 1
    return days


async def add_persuasion_days(days: dict[tuple[date, str, str], int], uow: UnitOfWork) -> None:
    table = table_of(PersuasionDay)
    for (day, squad_id, category_code), n in sorted(days.items()):  # in key order: no deadlock between replicas
        insert = pg_insert(table).values(day=day, squad_id=squad_id, category_code=category_code, persuasions=n)
        await uow.session.execute(
            insert.on_conflict_do_update(
                index_elements=["day", "squad_id", "category_code"],
                set_={"persuasions": table.c.persuasions + insert.excluded.persuasions},
            )
        )


async def keep_work_orders(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """Each upstream order as intake last told it (the newest `at` wins, whatever order the topic
    delivers in), one row per order, in key order (no deadlock between two consumers)."""
    latest: dict[str, WorkOrderChanged] = {}
    for env in envelopes:
        e = env.data
        if isinstance(e, WorkOrderChanged) and (e.incident_id not in latest or latest[e.incident_id].at <= e.at):
            latest[e.incident_id] = e
    table = table_of(HotlineOrder)
    for incident_id, e in sorted(latest.items()):
        values = {
            "system": e.system,
            "kind": e.kind,
            "origin": e.origin,
            "state": e.state,
            "squad_id": e.squad_id or "",
            "received_at": e.received_at,
            "sign_due_at": e.sign_due_at,
            "signed_at": e.signed_at,
            "finish_due_at": e.finish_due_at,
            "replied_at": e.replied_at,
            "result": e.result,
            "returned": e.returned,
            "redo_count": e.redo_count,
            "satisfaction": e.satisfaction,
            "enforcement": e.enforcement,
            "at": e.at,
        }
        insert = pg_insert(table).values(incident_id=incident_id, **values)
        await uow.session.execute(
            insert.on_conflict_do_update(index_elements=["incident_id"], set_=values, where=table.c.at <= e.at)
        )
