"""The link's sender: each order's messages told to its upstream system in their order, retried
with backoff and dead-lettered after a limit (a dead message holds its order's later ones until
the command centre sends it again); and the bureau's calendar the orders' limits are counted on."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import httpx
from sqlalchemy import and_, exists
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from common.messaging.contracts import WorkCalendarChanged
from common.messaging.envelope import Envelope
from common.refusals import NotFound
from common.uow import UnitOfWork
from common.workcalendar import OFFICE_HOURS, WorkCalendar, calendar_of, national_days
from intake.adapters import upstream as adapter
from intake.domain.work_orders import OrderRefused
from intake.handlers.work_orders import Link
from intake.tables import CalendarState, UpstreamMessage

log = logging.getLogger(__name__)


async def on_calendar(event: WorkCalendarChanged, env: Envelope, uow: UnitOfWork) -> None:
    values = {
        "holidays": [d.isoformat() for d in event.holidays],
        "workdays": [d.isoformat() for d in event.workdays],
        "office_hours": [[b.isoformat(), f.isoformat()] for b, f in event.office_hours],
        "at": event.at,
    }
    await uow.session.execute(
        pg_insert(CalendarState)
        .values(calendar_id=event.calendar_id, **values)
        .on_conflict_do_update(index_elements=["calendar_id"], set_=values, where=col(CalendarState.at) <= event.at)
    )


# -- the sender -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retry:
    base_s: float = 1.0
    max_s: float = 300.0
    max_attempts: int = 30

    def after(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.base_s * 2 ** max(attempts - 1, 0), self.max_s))


_earlier = aliased(UpstreamMessage)


async def send_due(
    session_factory, link: Link, client: httpx.AsyncClient, now: datetime, retry: Retry, limit: int = 50
) -> int:
    """Send what is due, each order's messages in their order (a message waits while an earlier
    one of its order is unsent); returns how many were sent."""
    m_ = UpstreamMessage
    blocked = exists().where(
        and_(
            col(_earlier.incident_id) == col(m_.incident_id),
            col(_earlier.seq) < col(m_.seq),
            col(_earlier.status) != "sent",
        )
    )
    sent = 0
    async with session_factory() as session:
        rows = (
            await session.exec(
                select(m_)
                .where(m_.status == "pending", col(m_.next_attempt_at) <= now, ~blocked)
                .order_by(col(m_.next_attempt_at))
                .limit(limit)
                .with_for_update(skip_locked=True, of=m_)
            )
        ).all()
        results = await asyncio.gather(*(_send_one(client, link, m) for m in rows))
        for m, error in zip(rows, results, strict=True):
            m.attempts += 1
            if error is None:
                m.status, m.sent_at, m.last_error = "sent", now, None
                sent += 1
            else:
                kind, text = error
                m.last_error = text[:500]
                if kind == "refused" or m.attempts >= retry.max_attempts:
                    m.status = "dead"
                    log.warning("message %s to %s dead-lettered: %s", m.id, m.system, text)
                else:
                    m.next_attempt_at = now + retry.after(m.attempts)
            session.add(m)
        await session.commit()
    return sent


async def _send_one(client: httpx.AsyncClient, link: Link, m: UpstreamMessage) -> tuple[str, str] | None:
    up = link.named(m.system)
    if up is None:
        return "refused", f"no upstream system named {m.system} in the settings"
    message = {"id": m.id, "source_reference": m.source_reference, "seq": m.seq, "step": m.step, "payload": m.payload}
    try:
        await adapter.send(client, up, message)
    except adapter.Refused as exc:
        return "refused", str(exc)
    except adapter.Unavailable as exc:
        return "unavailable", str(exc)
    return None


async def resend(uow: UnitOfWork, message_id: str) -> UpstreamMessage:
    """The command centre sends a dead message again (after the city fixed its side)."""
    m = (
        await uow.session.exec(select(UpstreamMessage).where(UpstreamMessage.id == message_id).with_for_update())
    ).first()
    if m is None:
        raise NotFound(f"no message {message_id}")
    if m.status != "dead":
        raise OrderRefused(f"message {message_id} is {m.status}: only a dead message is sent again")
    m.status, m.attempts, m.next_attempt_at, m.last_error = "pending", 0, uow.clock.now(), None
    uow.session.add(m)
    await uow.commit()
    return m


async def load_calendar(session_factory, link: Link) -> None:
    """The bureau's calendar as dispatch last announced it, or the national one."""
    async with session_factory() as session:
        row = (await session.exec(select(CalendarState).where(CalendarState.calendar_id == "bureau"))).first()
    if row is None:
        link.calendar = calendar_of(national_days(), OFFICE_HOURS)
        return
    link.calendar = WorkCalendar(
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        workdays=frozenset(date.fromisoformat(d) for d in row.workdays),
        periods=tuple((time.fromisoformat(b), time.fromisoformat(e)) for b, e in row.office_hours) or OFFICE_HOURS,
    )
