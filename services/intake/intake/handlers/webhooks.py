"""Webhooks: the platform's events to the city systems that subscribed, over HTTPS.

The fan-out is a consumer group of its own (`intake.webhooks`) over every topic: a record whose
CloudEvent type no live subscription asks for is passed over on its header alone, without being
read; one that is asked for becomes a `Delivery` per matching subscription, in the database, before
its offset is committed (so none is lost on a crash, and one seen again makes no second delivery:
its id is the subscription's and the event's). The sender (`deliver_due`) signs and posts the
deliveries due, tries a failed one again with backoff for a day, then parks it with the reason.
The events carry no personal data (their contracts mask it), and neither do the deliveries."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import orjson
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select, update

from common.clock import Clock
from common.messaging.contracts import EVENT_CLASSES, Topics
from common.messaging.transport import Record, Transport
from common.refusals import NotFound, Unprocessable
from common.uow import UnitOfWork
from intake.adapters import webhooks as adapter
from intake.domain.subscriptions import Backoff, check_filter, check_url, matches
from intake.tables import Delivery, Subscription

log = logging.getLogger(__name__)
IDS = uuid.UUID("2b9c6a41-5e0d-4f7a-8c3b-1d2e3f405162")
TOPICS = sorted({c.topic for c in EVENT_CLASSES} - {Topics.sign_ins})
"""Every topic of the platform's events, staff sign-ins left out (they are no city system's business)."""
EVENT_TYPES = sorted(c.event_type for c in EVENT_CLASSES if c.topic in TOPICS)


@dataclass(frozen=True)
class WebhookPolicy:
    development: bool
    allow_private: bool
    backoff: Backoff
    timeout_s: float = 10.0

    @property
    def private_allowed(self) -> bool:
        return self.allow_private or self.development


async def subscribe(
    uow: UnitOfWork, policy: WebhookPolicy, *, url: str, types: list[str], filter_: dict, description: str, actor: str
) -> Subscription:
    host, port = check_url(url, development=policy.development)
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown or not types:
        raise Unprocessable.field("types", f"unknown event type {unknown[0]!r}" if unknown else "name the event types")
    why = await adapter.refused(host, port, allow_private=policy.private_allowed)
    if why is not None:
        raise Unprocessable.field("url", why)
    sub = Subscription(
        id=str(uuid.uuid4()),
        url=url,
        types=sorted(set(types)),
        filter=check_filter(filter_),
        secret=adapter.new_secret(),
        description=description,
        created_by=actor,
        created_at=uow.clock.now(),
    )
    uow.session.add(sub)
    await uow.commit()
    return sub


async def live_subscription(uow: UnitOfWork, subscription_id: str) -> Subscription:
    sub = await uow.session.get(Subscription, subscription_id)
    if sub is None or sub.ended_at is not None:
        raise NotFound(f"no subscription {subscription_id}")
    return sub


async def unsubscribe(uow: UnitOfWork, subscription_id: str) -> None:
    sub = await live_subscription(uow, subscription_id)
    sub.ended_at = uow.clock.now()
    uow.session.add(sub)
    await uow.session.execute(
        update(Delivery)
        .where(col(Delivery.subscription_id) == sub.id, col(Delivery.status) == "pending")
        .values(status="parked", last_error="the subscription ended")
    )
    await uow.commit()


async def replay(uow: UnitOfWork, subscription_id: str, since: datetime) -> int:
    """Every delivery of the subscription's events since `since`, sent again (same webhook-id)."""
    sub = await live_subscription(uow, subscription_id)
    now = uow.clock.now()
    result = await uow.session.execute(
        update(Delivery)
        .where(col(Delivery.subscription_id) == sub.id, col(Delivery.event_time) >= since)
        .values(status="pending", attempts=0, next_attempt_at=now, created_at=now, last_error=None)
    )
    await uow.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- the fan-out ------------------------------------------------------------------------------------------


@dataclass
class Fanout:
    """The consumer that turns the platform's events into deliveries."""

    session_factory: Callable
    transport: Transport
    clock: Clock
    client_id: str
    group: str = "intake.webhooks"
    refresh_s: float = 2.0
    subscriptions: list[Subscription] = field(default_factory=list)
    _read_at: float = 0.0

    async def _refresh(self) -> None:
        if time.monotonic() - self._read_at < self.refresh_s:
            return
        async with self.session_factory() as session:
            rows = await session.exec(select(Subscription).where(col(Subscription.ended_at).is_(None)))
            self.subscriptions = list(rows.all())
        self._read_at = time.monotonic()

    def changed(self) -> None:
        """A subscription was made or ended here: read them again before the next batch."""
        self._read_at = 0.0

    async def run(self) -> None:
        await self.transport.ensure_topics(TOPICS)
        sub = self.transport.subscribe(self.group, TOPICS, self.client_id)
        await sub.start()
        try:
            while True:
                records = await sub.fetch(0.5, 500)
                if not records:
                    continue
                while True:
                    try:
                        await self._refresh()
                        await self.apply(records)
                        break
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:  # the database away: the batch is kept, tried again
                        log.warning("webhook fan-out: %s; trying again", exc)
                        await asyncio.sleep(1)
                await sub.commit(records)
        finally:
            await sub.stop()

    async def apply(self, records: list[Record]) -> int:
        wanted = {t for s in self.subscriptions for t in s.types}
        rows = []
        now = self.clock.now()
        for r in records:
            headers = dict(r.headers)
            kind = headers.get("ce_type", b"").decode()
            if kind not in wanted:
                continue  # passed over on its header: no subscription asks for it
            data = orjson.loads(r.value)
            event_time = datetime.fromisoformat(headers["ce_time"].decode())
            event_id = headers["ce_id"].decode()
            body = {
                "specversion": "1.0",
                "id": event_id,
                "source": headers["ce_source"].decode(),
                "type": kind,
                "time": headers["ce_time"].decode(),
                "subject": headers.get("ce_subject", b"").decode() or None,
                "datacontenttype": "application/json",
                "dataschema": headers.get("ce_dataschema", b"").decode() or None,
                "data": data,
            }
            for s in self.subscriptions:
                if kind in s.types and event_time >= s.created_at and matches(s.filter, data):
                    rows.append(
                        {
                            "id": str(uuid.uuid5(IDS, f"{s.id}:{event_id}")),
                            "subscription_id": s.id,
                            "event_id": event_id,
                            "event_type": kind,
                            "event_time": event_time,
                            "body": {k: v for k, v in body.items() if v is not None},
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                    )
        if rows:
            async with self.session_factory() as session:
                await session.execute(pg_insert(Delivery).values(rows).on_conflict_do_nothing())
                await session.commit()
        return len(rows)


# -- the sender ------------------------------------------------------------------------------------------


async def deliver_due(session_factory, client: httpx.AsyncClient, policy: WebhookPolicy, now: datetime) -> int:
    """Sign and send the deliveries due; returns how many were taken."""
    taken = 0
    async with session_factory() as session:
        due = (
            await session.exec(
                select(Delivery, Subscription)
                .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
                .where(col(Delivery.status) == "pending", col(Delivery.next_attempt_at) <= now)
                .order_by(col(Delivery.next_attempt_at))
                .limit(100)
                .with_for_update(skip_locked=True, of=Delivery)
            )
        ).all()

        async def one(d: Delivery, s: Subscription) -> str | None:
            host, port = check_url(s.url, development=policy.development)
            why = await adapter.refused(host, port, allow_private=policy.private_allowed)
            if why is not None:
                return why
            try:
                await adapter.deliver(client, s.url, s.secret, d.id, d.body, policy.timeout_s)
            except adapter.Failed as exc:
                return str(exc)
            return None

        results = await asyncio.gather(*(one(d, s) for d, s in due))
        for (d, _), error in zip(due, results, strict=True):
            d.attempts += 1
            if error is None:
                d.status, d.delivered_at, d.last_error = "delivered", now, None
                taken += 1
            else:
                d.last_error = error[:500]
                retry = policy.backoff.next_try(d.attempts, d.created_at, now)
                if retry is None:
                    d.status = "parked"
                    log.warning("delivery %s parked after %d tries: %s", d.id, d.attempts, error)
                else:
                    d.next_attempt_at = retry
            session.add(d)
        await session.commit()
    return taken
