"""The same transport in memory: one log per topic, one committed offset per consumer group.
For the single-process `make run` and for fast unit tests; never the only proof of a flow.

It is not durable: what it holds dies with the process. So the outbox, not this log, is what
keeps an event until it is handled (common.messaging.outbox): a record carries its outbox row
(`Record.ref`), and the transport calls back with that row once every consumer group subscribed
to the topic has committed past the record, that is once every transaction that applies it has
committed. Only then is the row marked published; at the next start, rows not yet published
are sent again and the consumers' inbox turns away what they had already applied. A topic
nobody subscribes to settles as it is sent (the services of a process subscribe before any
relay publishes: common.service.start_all)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

from common.messaging.transport import Record, Replay, Subscription, Transport

Settled = Callable[[list[int]], None]


class _Broker:
    def __init__(self) -> None:
        self.logs: dict[str, list[Record]] = defaultdict(list)
        self.committed: dict[tuple[str, str], int] = defaultdict(int)
        self.subscribers: dict[str, set[str]] = defaultdict(set)
        self.settled_up_to: dict[str, int] = defaultdict(int)
        self.on_settled: dict[str, Settled] = {}
        self.changed = asyncio.Condition()

    def settle(self, records: Sequence[Record]) -> None:
        by_owner: dict[str, list[int]] = defaultdict(list)
        for r in records:
            if r.ref is not None:
                by_owner[r.ref[0]].append(r.ref[1])
        for owner, ids in by_owner.items():
            callback = self.on_settled.get(owner)
            if callback is not None:
                callback(ids)

    def settle_topic(self, topic: str) -> None:
        groups = self.subscribers[topic]
        if not groups:
            return
        low = min(self.committed[(g, topic)] for g in groups)
        start = self.settled_up_to[topic]
        if low > start:
            self.settled_up_to[topic] = low
            self.settle(self.logs[topic][start:low])


class InMemorySubscription(Subscription):
    def __init__(self, broker: _Broker, group: str, topics: Sequence[str]) -> None:
        self._broker = broker
        self._group = group
        self._topics = list(topics)
        self._position: dict[str, int] = {}

    async def start(self) -> None:
        for t in self._topics:
            self._broker.subscribers[t].add(self._group)
        self._position = {t: self._broker.committed[(self._group, t)] for t in self._topics}

    async def stop(self) -> None:
        """Leaving the group settles nothing: what it did not commit stays unsettled until another
        group (a new generation) commits it, or the next start sends it again."""
        for t in self._topics:
            self._broker.subscribers[t].discard(self._group)

    def _pending(self, max_records: int, ends: dict[str, int] | None = None) -> list[Record]:
        """The next records of each topic, up to `ends` (a replay's) when given."""
        out: list[Record] = []
        for t in self._topics:
            log = self._broker.logs[t]
            start = self._position[t]
            stop = start + max_records - len(out)
            chunk = log[start : min(stop, ends[t]) if ends is not None else stop]
            out.extend(chunk)
            self._position[t] = start + len(chunk)
            if len(out) >= max_records:
                break
        return out

    def _has_pending(self) -> bool:
        return any(len(self._broker.logs[t]) > self._position[t] for t in self._topics)

    async def fetch(self, timeout_s: float, max_records: int) -> list[Record]:
        async with self._broker.changed:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                async with asyncio.timeout(timeout_s):
                    await self._broker.changed.wait_for(self._has_pending)
            except TimeoutError:
                return []
        return self._pending(max_records)

    async def commit(self, records: Sequence[Record]) -> None:
        topics = set()
        for r in records:
            key = (self._group, r.topic)
            self._broker.committed[key] = max(self._broker.committed[key], r.offset + 1)
            topics.add(r.topic)
        for t in topics:
            self._broker.settle_topic(t)


class InMemoryReplay(Replay):
    """The log from its first record to its length at `start`, as the group's subscription that
    stops there: the group is subscribed while it reads, so nothing it has not applied settles."""

    def __init__(self, broker: _Broker, group: str, topics: Sequence[str]) -> None:
        self._broker, self._group, self._topics = broker, group, list(topics)
        self._subscription = InMemorySubscription(broker, group, topics)
        self._ends: dict[str, int] = {}
        self._handed_over = False

    async def start(self) -> None:
        await self._subscription.start()
        self._ends = {t: len(self._broker.logs[t]) for t in self._topics}

    async def fetch(self, max_records: int) -> list[Record]:
        return self._subscription._pending(max_records, self._ends)

    async def hand_over(self) -> None:
        for t in self._topics:
            key = (self._group, t)
            self._broker.committed[key] = max(self._broker.committed[key], self._ends[t])
            self._broker.settle_topic(t)
        self._handed_over = True

    async def stop(self) -> None:
        """Once handed over, the group stays subscribed for its consumer, so that nothing sent
        in between settles before the consumer has applied it."""
        if not self._handed_over:
            await self._subscription.stop()


class InMemoryTransport(Transport):
    durable = False

    def __init__(self) -> None:
        self._broker = _Broker()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def on_settled(self, owner: str, callback: Settled) -> None:
        """`callback(outbox ids)` once every subscriber has applied the records `owner` sent."""
        self._broker.on_settled[owner] = callback

    async def send(self, records: Sequence[Record]) -> None:
        unsubscribed = []
        for r in records:
            log = self._broker.logs[r.topic]
            log.append(replace(r, partition=0, offset=len(log)))
            if not self._broker.subscribers[r.topic]:
                unsubscribed.append(r)  # settled again, harmlessly, if a group ever commits past it
        self._broker.settle(unsubscribed)
        async with self._broker.changed:
            self._broker.changed.notify_all()

    def subscribe(self, group: str, topics: Sequence[str], client_id: str, gather_s: float = 0.0) -> Subscription:
        return InMemorySubscription(self._broker, group, topics)

    def replay(self, group: str, topics: Sequence[str], share: tuple[int, int] = (0, 1)) -> Replay:
        if share != (0, 1):
            raise ValueError("the log in memory is one process's: it is replayed whole, by that process")
        return InMemoryReplay(self._broker, group, topics)

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        for t in topics:
            self._broker.logs.setdefault(t, [])

    async def ready(self) -> bool:
        return True

    def records(self, topic: str) -> list[Record]:
        """What was published on a topic (for tests)."""
        return list(self._broker.logs[topic])
