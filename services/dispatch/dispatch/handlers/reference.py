"""Dispatch's reference data: the routing rules an admin replaces whole (a stale version is
refused), the working calendar (the State Council's with the bureau's own days on top) and its
announcement, and the 服务目录's names for the console (the grids are dispatch.handlers.grids')."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import delete, func, text
from sqlmodel import col, select

from common.db import keep_newer
from common.messaging.contracts import CategoryDefined, WorkCalendarChanged
from common.messaging.envelope import Envelope
from common.refusals import Conflict, Unprocessable
from common.uow import UnitOfWork
from common.workcalendar import OFFICE_HOURS, SpecialDay, national_days, with_corrections
from dispatch.tables import Announcement, CalendarDay, CategoryName, RoutingRuleRow, Squad


async def record_category(event: CategoryDefined, env: Envelope, uow: UnitOfWork, *, names: dict[str, str]) -> None:
    """The 服务目录's names, for the console (a version older than the one kept changes nothing);
    this replica's `names` learn it at once, the others at their next refresh."""
    values = {"name": event.name, "version": event.version, "active": event.active}
    kept = (
        await uow.session.execute(
            keep_newer(CategoryName, {"code": event.code}, values).returning(col(CategoryName.name))
        )
    ).scalar()
    if kept is not None:
        uow.after_commit(lambda: names.__setitem__(event.code, kept))


class StaleRules(Conflict):
    """The rule table changed since it was read."""


async def replace_rules(uow: UnitOfWork, read_version: int, rules: list[dict]) -> int:
    """The admin's new rule table, whole, if nobody changed it since it was read (a version check
    under a table lock); returns the new version."""
    squads = set((await uow.session.exec(select(Squad.id))).all())
    unknown = sorted({r["squad_id"] for r in rules if r.get("squad_id") and r["squad_id"] not in squads})
    if unknown:
        raise Unprocessable(f"unknown squads in rules: {unknown}")
    await uow.session.execute(text("LOCK TABLE dispatch.routing_rules IN EXCLUSIVE MODE"))
    current = (await uow.session.execute(select(func.coalesce(func.max(RoutingRuleRow.version), 0)))).scalar_one()
    if read_version != current:
        raise StaleRules(f"the rules are at version {current}, not {read_version}: read them again")
    await uow.session.execute(delete(RoutingRuleRow))
    for i, r in enumerate(rules):
        uow.session.add(RoutingRuleRow(position=i + 1, version=current + 1, **r))
    await uow.commit()
    return current + 1


async def calendar_days(session) -> dict[date, SpecialDay]:
    """The calendar in force: the State Council's notices (chinesecalendar) with the bureau's own
    days on top (the `calendar_days` table: a holiday, a workday, or an ordinary day)."""
    rows = (await session.exec(select(CalendarDay).order_by(col(CalendarDay.day)))).all()
    return with_corrections(national_days(), [(r.day, r.kind, r.name) for r in rows])


async def announce_calendar(uow: UnitOfWork) -> bool:
    """WorkCalendarChanged with the whole calendar, when it differs from what was last told."""
    days = sorted((await calendar_days(uow.session)).values(), key=lambda d: d.day)
    event = WorkCalendarChanged(
        holidays=[d.day for d in days if d.kind == "holiday"],
        workdays=[d.day for d in days if d.kind == "workday"],
        office_hours=list(OFFICE_HOURS),
        at=uow.clock.now(),
    )
    digest = hashlib.sha256(event.model_dump_json(exclude={"at"}).encode()).hexdigest()
    told = await uow.session.get(Announcement, "calendar", with_for_update=True)
    if told is not None and told.digest == digest:
        return False
    told = told or Announcement(name="calendar", digest=digest, at=event.at)
    told.digest, told.at = digest, event.at
    uow.session.add(told)
    uow.publish(event)
    return True


async def set_calendar_day(uow: UnitOfWork, day, kind: str | None, name: str | None) -> None:
    """The bureau's own day on top of the national calendar: a holiday, a workday (调休), an
    ordinary day (a national holiday the bureau works), or (kind None) the national calendar's
    again; told."""
    row = await uow.session.get(CalendarDay, day, with_for_update=True)
    if kind is None:
        if row is not None:
            await uow.session.delete(row)
    else:
        row = row or CalendarDay(day=day, kind=kind, name=name or "")
        row.kind, row.name = kind, name or ""
        uow.session.add(row)
    await uow.session.flush()
    await announce_calendar(uow)
    await uow.commit()
