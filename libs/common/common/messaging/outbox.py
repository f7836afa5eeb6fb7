"""Transactional outbox: events are rows written in the same transaction as the state change
that caused them; a relay publishes them afterwards and marks them published.

One relay per service is active at a time (a PostgreSQL advisory lock held on the relay's own
connection elects it; if its process dies the lock goes with the connection and a replica takes
over). It publishes in id order, and two events of one aggregate can only be written in the order
their transactions took the aggregate's row lock, so each aggregate's events reach Kafka in the
order they happened, whatever the number of replicas.

Waking the relay: a commit in the leader's own process sets an event (no database round trip);
a commit elsewhere sends NOTIFY afterwards, in a transaction of its own, because a NOTIFY inside
the data transaction holds PostgreSQL's global notify lock through that commit's WAL flush and
serialises the commits of every service. Polling is the fallback.

Published means handled, whatever the transport. With Kafka a row is marked published once the
broker has it (acks=all): from there the broker keeps it. In memory (`make run`) the log dies
with the process, so a row sent there stays in flight, and is marked published only when the
transport settles it: every consumer group of its topic has committed the transaction that
applies it. A row still unpublished when the process stops is sent again at the next start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    all_,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from common.clock import Clock
from common.db import Prepared, advisory_key
from common.messaging.contracts import IntegrationEvent
from common.messaging.envelope import encode
from common.messaging.transport import Record, Transport
from common.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_PUBLISH_FAILURES

log = logging.getLogger(__name__)
MAX_IN_FLIGHT_BATCHES = 20
"""With a transport that is not durable, how many batches may wait to be settled."""


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("correlation_id", String(64)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )


OUTBOX_COLUMNS = ("event_id", "event_type", "topic", "key", "headers", "value", "correlation_id", "created_at")
"""What a unit of work writes; the rest is the relay's."""


def notify_channel(schema: str) -> str:
    return f"outbox_{schema}"


def outbox_row(event: IntegrationEvent, *, source: str, now: datetime, correlation_id: str | None) -> dict:
    record = encode(event, source=source, time=now, correlation_id=correlation_id)
    headers = {k: v.decode() for k, v in record.headers}
    return {
        "event_id": headers["ce_id"],
        "event_type": event.event_type,
        "topic": record.topic,
        "key": record.key.decode() if record.key is not None else "",
        "headers": headers,
        "value": record.value,
        "correlation_id": correlation_id,
        "created_at": now,
    }


@dataclass(frozen=True)
class _Statements:
    pending: Prepared
    mark: Prepared
    failed: Prepared


@cache
def _statements(t: Table) -> _Statements:
    ids = t.c.id == func.any(bindparam("ids", type_=ARRAY(BigInteger)))
    return _Statements(
        pending=Prepared(
            select(t.c.id, t.c.topic, t.c.key, t.c.headers, t.c.value)
            .where(t.c.published_at.is_(None), t.c.id != all_(bindparam("in_flight", type_=ARRAY(BigInteger))))
            .order_by(t.c.id)
            .limit(bindparam("n", type_=Integer))
        ),
        mark=Prepared(update(t).where(ids, t.c.published_at.is_(None)).values(published_at=bindparam("at"))),
        failed=Prepared(update(t).where(ids).values(attempts=t.c.attempts + 1, last_error=bindparam("error"))),
    )


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        engine: AsyncEngine,
        table: Table,
        transport: Transport,
        clock: Clock,
        batch_size: int = 500,
        poll_interval_s: float = 0.5,
        linger_s: float = 0.0,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self.service = service
        self.engine = engine
        self.table = table
        self.transport = transport
        self.clock = clock
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.retention = retention
        self.linger_s = linger_s
        self._wake = asyncio.Event()
        self.is_leader = False
        if table.schema is None:
            raise ValueError("an outbox lives in its service's schema")
        self.name: str = table.schema
        self._sql = _statements(table)
        self._conn = None  # the leader's connection, while it leads
        self._in_flight: set[int] = set()  # sent to a transport that is not durable, not yet settled
        self._settled: list[int] = []
        if not transport.durable:
            transport.on_settled(self.name, self._on_settled)

    def _on_settled(self, ids: list[int]) -> None:
        self._settled.extend(ids)
        self._wake.set()

    async def run(self) -> None:
        """Run until cancelled: wait to be leader, then publish whatever is pending."""
        lock_key = advisory_key(f"outbox-relay:{self.table.schema}")
        while True:
            try:
                async with self.engine.connect() as lock_conn:
                    if not await lock_conn.scalar(select(func.pg_try_advisory_lock(lock_key))):
                        await lock_conn.rollback()
                        await asyncio.sleep(self.poll_interval_s * 4)
                        continue
                    await lock_conn.commit()
                    self.is_leader = True
                    listener = await self._listen(lock_conn)
                    try:
                        await self._lead(listener)
                    finally:
                        self.is_leader = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database gone, connection dropped: start over
                log.warning("outbox relay of %s restarting: %s", self.service, exc)
                await asyncio.sleep(1)

    async def _listen(self, conn: AsyncConnection):
        """LISTEN on the lock's own connection, outside any transaction: PostgreSQL holds
        notifications back from a session that sits inside one. The leader publishes on the
        same connection too, with its statements prepared once and each one committed on its own."""
        listener = (await conn.get_raw_connection()).driver_connection
        if listener is None:
            raise RuntimeError("the relay's connection has no driver connection to listen on")
        await listener.add_listener(notify_channel(self.name), lambda *_: self._wake.set())
        return listener

    async def _lead(self, listener) -> None:
        last_cleanup = self.clock.now()
        self._in_flight.clear()  # a new leader sends again whatever is not settled
        self._conn = listener
        try:
            await self._publish_while_leading(listener, last_cleanup)
        finally:
            self._conn = None

    async def _publish_while_leading(self, listener, last_cleanup) -> None:
        while True:
            await self.mark_settled()
            published = await self.publish_pending()
            if published >= self.batch_size:
                continue
            if self.clock.now() - last_cleanup > timedelta(minutes=10):
                await self._delete_old()
                last_cleanup = self.clock.now()
            try:
                async with asyncio.timeout(self.poll_interval_s):  # not wait_for: see service.stop
                    await self._wake.wait()
                if self.linger_s:  # a moment, so that one round trip carries the events of several commits
                    await asyncio.sleep(self.linger_s)
            except TimeoutError:
                # if the lock's connection died, so did our leadership: raise and start over
                await listener.fetchval("SELECT 1")
            self._wake.clear()

    def wake(self) -> None:
        self._wake.set()

    async def events_written(self) -> None:
        """Called after a transaction that wrote events has committed."""
        if self.is_leader:
            self._wake.set()
            return
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT pg_notify(:c, '')"), {"c": notify_channel(self.name)})
                await conn.commit()
        except Exception as exc:  # the events are safe in the outbox; the poll will find them
            log.debug("outbox wake-up NOTIFY failed: %s", exc)

    @contextlib.asynccontextmanager
    async def _connection(self):
        """The leader's own connection; outside the leader's loop (a test, a replica's check) one
        from the pool."""
        if self._conn is not None:
            yield self._conn
            return
        async with self.engine.connect() as conn:
            yield (await conn.get_raw_connection()).driver_connection

    async def mark_settled(self) -> None:
        """Rows the transport settled (in memory: every subscriber applied them) are published."""
        if not self._settled:
            return
        ids, self._settled = self._settled, []
        async with self._connection() as conn:
            await self._sql.mark.execute(conn, ids=ids, at=self.clock.now())
        self._in_flight.difference_update(ids)

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished events in id order; return how many."""
        if len(self._in_flight) >= MAX_IN_FLIGHT_BATCHES * self.batch_size:
            return 0  # the consumers are behind: wait for them to settle some
        async with self._connection() as conn:
            rows = await self._sql.pending.fetch(conn, in_flight=list(self._in_flight), n=self.batch_size)
            if not rows:
                OUTBOX_BACKLOG.labels(self.service).set(len(self._in_flight))
                return 0
            records = [
                Record(
                    topic=r["topic"],
                    key=r["key"].encode(),
                    value=r["value"],
                    headers=tuple((k, v.encode()) for k, v in r["headers"].items()),
                    ref=(self.name, r["id"]),
                )
                for r in rows
            ]
            ids = [r["id"] for r in rows]
            try:
                await self.transport.send(records)
            except Exception as exc:
                OUTBOX_PUBLISH_FAILURES.labels(self.service).inc()
                await self._sql.failed.execute(conn, ids=ids, error=str(exc)[:2000])
                log.warning("outbox publish of %d events failed, will retry: %s", len(ids), exc)
                await asyncio.sleep(min(5.0, self.poll_interval_s * 2))
                return 0
            if self.transport.durable:
                await self._sql.mark.execute(conn, ids=ids, at=self.clock.now())
            else:
                self._in_flight.update(ids)  # published once settled: mark_settled
        for r in records:
            EVENTS_PUBLISHED.labels(self.service, r.topic).inc()
        return len(rows)

    async def backlog(self) -> int:
        t = self.table
        async with self.engine.connect() as conn:
            n = await conn.scalar(select(func.count()).select_from(t).where(t.c.published_at.is_(None)))
        OUTBOX_BACKLOG.labels(self.service).set(n or 0)
        return int(n or 0)

    async def _delete_old(self) -> None:
        t = self.table
        cutoff = self.clock.now() - self.retention
        async with self.engine.begin() as conn:
            await conn.execute(delete(t).where(t.c.published_at < cutoff))
