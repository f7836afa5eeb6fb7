"""Consumers: at-least-once delivery made exactly-once in effect.

For each record: decode the CloudEvent; in one transaction, claim its id in the inbox table
and run the handler; commit (the consumer does, never the handler: see common.uow); only after the
whole batch is applied are the offsets committed.
A redelivered event finds its id claimed and changes nothing. A handler that keeps failing is
retried with backoff, then the record goes, with its error, to the service's dead-letter topic
and the partition moves on. Infrastructure failures (the database unreachable) are not the
event's fault: they are retried until the database is back, and nothing is dead-lettered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Container, Sequence
from dataclasses import dataclass
from typing import Any

from asgi_correlation_id import correlation_id
from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, String, Table, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.db import Prepared, database_unavailable
from common.messaging.contracts import EVENT_TYPES, IntegrationEvent, Topics
from common.messaging.envelope import Envelope, UndecodableEvent, decode, read_headers
from common.messaging.transport import Record, Transport
from common.metrics import (
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_HANDLED,
    EVENTS_IGNORED,
    HANDLE_SECONDS,
    HANDLER_RETRIES,
)
from common.uow import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]
"""Applies one event: the first argument is an instance of the event class the handler is
registered for (a relation the type cannot state, hence Any)."""
# A projection that applies many events at once (reporting): new envelopes only, one transaction.
BatchHandler = Callable[[list[Envelope], UnitOfWork], Awaitable[None]]


@dataclass(frozen=True)
class Batched:
    """An event handler that applies many events of its type at once, with set-based statements.
    It is given events of different aggregates only (see `waves`), in the consumer's transaction,
    and publishes with each event's own correlation id (`uow.publish(e, correlation_id=...)`)."""

    apply: Callable[[list[Envelope], UnitOfWork], Awaitable[None]]


def waves(envelopes: list[Envelope]) -> list[list[Envelope]]:
    """The batch cut into waves that keep each aggregate's order: a wave holds at most one event
    of an aggregate (its subject), and an event comes in a later wave than every earlier event of
    its aggregate. Within a wave the aggregates are distinct, so their events do not interact and
    may be applied together."""
    out: list[list[Envelope]] = []
    pending = envelopes
    while pending:
        wave, rest, taken, blocked = [], [], set(), set()
        for e in pending:
            key = e.subject or e.id
            if key in taken or key in blocked:
                rest.append(e)
                blocked.add(key)
            else:
                wave.append(e)
                taken.add(key)
        out.append(wave)
        pending = rest
    return out


def decode_for(record: Record, wanted: Container[str]) -> Envelope | str | None:
    """The envelope of a record whose type is `wanted`, None for another known type (not worth
    parsing), or why the record is poison."""
    try:
        headers = read_headers(record)
        event_type = headers.get("ce_type", "")
        if event_type in EVENT_TYPES and event_type not in wanted:
            return None
        envelope = decode(record, headers)
    except UndecodableEvent as exc:
        return str(exc)
    return envelope if envelope.type in wanted else None


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


def _is_infrastructure_failure(exc: BaseException) -> bool:
    return isinstance(exc, asyncio.TimeoutError) or database_unavailable(exc)


@dataclass
class ConsumerSettings:
    max_attempts: int = 4
    backoff_s: float = 0.2
    batch_size: int = 200
    fetch_timeout_s: float = 0.5
    commit_interval_s: float = 0.2
    gather_s: float = 0.0


class EventConsumer:
    def __init__(
        self,
        *,
        service: str,
        group: str,
        topics: Sequence[str],
        handlers: dict[type[IntegrationEvent], Handler | Batched],
        transport: Transport,
        uow_factory: Callable[[], UnitOfWork],
        inbox: Table,
        settings: ConsumerSettings,
        client_id: str | None = None,
        batch_handler: BatchHandler | None = None,
    ) -> None:
        self.service = service
        self.group = group
        self.topics = list(topics)
        self.handlers = {cls.event_type: h for cls, h in handlers.items()}
        self.transport = transport
        self.uow_factory = uow_factory
        self.inbox = inbox
        self.settings = settings
        self.client_id = client_id or group
        self.batch_handler = batch_handler
        # One constant statement whatever the batch size, so it is prepared once.
        ids, types = (func.unnest(bindparam(n, type_=ARRAY(Text))) for n in ("ids", "types"))
        claims = select(bindparam("consumer", type_=Text), ids, types)
        self._claim = Prepared(
            pg_insert(inbox)
            .from_select(["consumer", "event_id", "event_type"], claims)
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )
        self.dead_letter_topic = Topics.dead_letter(service)
        self.subscription = transport.subscribe(group, self.topics, self.client_id, gather_s=settings.gather_s)
        self.started = asyncio.Event()
        self.handled = 0

    async def run(self) -> None:
        await self.subscription.start()
        self.started.set()
        done: list[Record] = []  # applied, offsets not yet committed
        last_commit = time.monotonic()
        try:
            while True:
                records = await self.subscription.fetch(self.settings.fetch_timeout_s, self.settings.batch_size)
                await self.process_batch(records)
                done.extend(records)
                # Offsets trail the applied events by at most commit_interval_s: fewer round trips
                # to the broker, and what a crash makes it redeliver the inbox turns away.
                if done and (not records or time.monotonic() - last_commit >= self.settings.commit_interval_s):
                    await self.subscription.commit(done)
                    done, last_commit = [], time.monotonic()
        finally:
            if done:
                with contextlib.suppress(Exception):
                    await self.subscription.commit(done)
            await self.subscription.stop()

    def _decode(self, record: Record) -> Envelope | str | None:
        """The envelope to apply, None when this service has no use for it, or why it is poison."""
        decoded = decode_for(record, self.handlers)
        if decoded is None:
            event_type = next((v for k, v in record.headers if k.lower() == "ce_type"), b"")
            EVENTS_IGNORED.labels(self.service, event_type.decode(errors="replace")).inc()
        return decoded

    async def process_batch(self, records: Sequence[Record]) -> None:
        """Apply a fetched batch in one transaction; if anything in it fails, apply its records
        one by one, so the failing one is retried and dead-lettered alone."""
        if not records:
            return
        todo: list[tuple[Record, Envelope]] = []
        for record in records:
            decoded = self._decode(record)
            if isinstance(decoded, str):
                await self._dead_letter(record, decoded, "undecodable")
            elif decoded is not None:
                todo.append((record, decoded))
        if not todo:
            return
        if len(todo) > 1 or self.batch_handler is not None:
            try:
                await self._apply_together([e for _, e in todo])
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if _is_infrastructure_failure(exc):
                    log.warning("infrastructure failure applying a batch; retrying it event by event: %s", exc)
                else:
                    log.warning("batch of %d failed (%s); applying its events one by one", len(todo), exc)
        for record, envelope in todo:
            await self._apply_one(record, envelope)

    async def _apply_together(self, envelopes: list[Envelope]) -> None:
        started = time.perf_counter()
        async with self.uow_factory() as uow:
            claimed = {
                r[0]
                for r in await self._claim.fetch(
                    await uow.db(),
                    consumer=self.group,
                    ids=[e.id for e in envelopes],
                    types=[e.type for e in envelopes],
                )
            }
            fresh, seen = [], set()
            for e in envelopes:
                if e.id in claimed and e.id not in seen:
                    fresh.append(e)
                    seen.add(e.id)
                else:
                    EVENTS_DUPLICATE.labels(self.service, e.type).inc()
            with uow.held_by_consumer():
                if self.batch_handler is not None:
                    await self.batch_handler(fresh, uow)
                else:
                    for wave in waves(fresh):
                        await self._apply_wave(wave, uow)
            await uow.commit()
        for e in fresh:
            EVENTS_HANDLED.labels(self.service, e.type).inc()
        HANDLE_SECONDS.labels(self.service).observe(time.perf_counter() - started)
        self.handled += len(fresh)

    async def _apply_wave(self, wave: list[Envelope], uow: UnitOfWork) -> None:
        """One wave's events, a type at a time: a batched handler takes all of its type at once,
        any other handler each event in turn."""
        by_type: dict[str, list[Envelope]] = {}
        for e in wave:
            by_type.setdefault(e.type, []).append(e)
        for event_type, group in by_type.items():
            handler = self.handlers[event_type]
            if isinstance(handler, Batched):
                await handler.apply(group, uow)
                continue
            for e in group:
                token = correlation_id.set(e.correlation_id or e.id)
                try:
                    await handler(e.data, e, uow)
                finally:
                    correlation_id.reset(token)

    async def _apply_one(self, record: Record, envelope: Envelope) -> None:
        token = correlation_id.set(envelope.correlation_id or envelope.id)
        try:
            await self._apply(record, envelope)
        finally:
            correlation_id.reset(token)

    async def _run_handler(self, envelope: Envelope, uow: UnitOfWork) -> None:
        handler = self.handlers[envelope.type]
        with uow.held_by_consumer():
            if isinstance(handler, Batched):
                await handler.apply([envelope], uow)
            else:
                await handler(envelope.data, envelope, uow)

    async def _apply(self, record: Record, envelope: Envelope) -> None:
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                async with self.uow_factory() as uow:
                    claimed = await self._claim.fetch(
                        await uow.db(), consumer=self.group, ids=[envelope.id], types=[envelope.type]
                    )
                    if not claimed:
                        EVENTS_DUPLICATE.labels(self.service, envelope.type).inc()
                        return
                    await self._run_handler(envelope, uow)
                    await uow.commit()
                EVENTS_HANDLED.labels(self.service, envelope.type).inc()
                HANDLE_SECONDS.labels(self.service).observe(time.perf_counter() - started)
                self.handled += 1
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if _is_infrastructure_failure(exc):
                    log.warning("infrastructure failure applying %s, retrying: %s", envelope.type, exc)
                    await asyncio.sleep(min(5.0, self.settings.backoff_s * 2 ** min(attempt, 5)))
                    attempt = 0
                    continue
                if attempt >= self.settings.max_attempts:
                    log.error(
                        "handler for %s failed %d times, dead-lettering event %s: %s",
                        envelope.type,
                        attempt,
                        envelope.id,
                        exc,
                    )
                    await self._dead_letter(record, f"{type(exc).__name__}: {exc}", "handler_failed")
                    return
                HANDLER_RETRIES.labels(self.service, envelope.type).inc()
                log.warning("handler for %s failed (attempt %d), retrying: %s", envelope.type, attempt, exc)
                await asyncio.sleep(self.settings.backoff_s * 2 ** (attempt - 1))

    async def _dead_letter(self, record: Record, error: str, reason: str) -> None:
        headers = tuple(h for h in record.headers if not h[0].startswith("dlq_")) + (
            ("dlq_error", error[:4000].encode()),
            ("dlq_reason", reason.encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_consumer", self.group.encode()),
        )
        dead = Record(topic=self.dead_letter_topic, key=record.key, value=record.value, headers=headers)
        while True:
            try:
                await self.transport.send([dead])
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker is down: the offset must not move before this lands
                log.warning("dead-letter publish failed, retrying: %s", exc)
                await asyncio.sleep(1)
        EVENTS_DEAD_LETTERED.labels(self.service, reason).inc()
        log.error(
            "event from %s[%d]@%d dead-lettered to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self.dead_letter_topic,
            error,
        )


class ConsumerMembers:
    """Several consumers of one group in one process, as many as the backlog needs: one while the
    events come as they happen, up to `most` while a backlog streams in (a rebuild, a restart
    after downtime: more than a full batch a second), each holding some of the partitions and
    applying its own batches, so one decodes while another waits for PostgreSQL. A second member
    costs CPU on every poll and splits small batches in two, so it leaves again once the backlog
    has been calm for `calm_s`; its partitions go back to the others (what it had applied but not
    yet committed is redelivered, and the inbox turns it away). Only for handlers whose events of
    different keys do not interact (a read model's set-based upserts, whose rows are locked in
    key order so that two members cannot deadlock)."""

    def __init__(
        self,
        make_member: Callable[[int], EventConsumer],
        most: int,
        batch_size: int,
        check_s: float = 1.0,
        calm_s: float = 10.0,
    ) -> None:
        self.make_member, self.most, self.batch_size = make_member, most, batch_size
        self.check_s, self.calm_s = check_s, calm_s
        self.members: list[tuple[EventConsumer, asyncio.Task]] = []
        self.started = asyncio.Event()
        self._retired = 0  # events applied by members that have left

    @property
    def handled(self) -> int:
        return self._retired + sum(m.handled for m, _ in self.members)

    async def _join(self) -> None:
        member = self.make_member(len(self.members))
        task = asyncio.create_task(member.run())
        self.members.append((member, task))  # from now on, stopped with the others
        waiter = asyncio.ensure_future(member.started.wait())
        done, _ = await asyncio.wait([waiter, task], return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            waiter.cancel()
            self.members.pop()
            task.result()  # it could not start: say why
            raise RuntimeError(f"{member.client_id} stopped while starting")

    async def _leave(self) -> None:
        member, task = self.members.pop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        self._retired += member.handled

    async def run(self) -> None:
        try:
            await self._join()
            self.started.set()
            last, calm_since = self.handled, time.monotonic()
            while True:
                done, _ = await asyncio.wait(
                    [t for _, t in self.members], timeout=self.check_s, return_when=asyncio.FIRST_COMPLETED
                )
                for t in done:
                    t.result()  # a member failed: say why
                    raise RuntimeError("a consumer member stopped")
                now = self.handled
                if now - last > self.batch_size * self.check_s:
                    calm_since = time.monotonic()
                    try:
                        while len(self.members) < self.most:
                            await self._join()
                    except Exception:  # the broker busy or away: go on with the members there are
                        log.warning("%s: a consumer member could not join", self.members[0][0].client_id, exc_info=True)
                elif len(self.members) > 1 and time.monotonic() - calm_since >= self.calm_s:
                    while len(self.members) > 1:
                        await self._leave()
                last = self.handled
        finally:
            for _, t in self.members:
                t.cancel()
            await asyncio.gather(*(t for _, t in self.members), return_exceptions=True)
