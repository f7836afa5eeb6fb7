"""The same transport in memory: one log per topic, one committed offset per consumer group.
For the single-process `make run` and for fast unit tests; never the only proof of a flow."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import replace
from typing import Sequence

from common.messaging.transport import Record, Subscription, Transport


class _Broker:
    def __init__(self) -> None:
        self.logs: dict[str, list[Record]] = defaultdict(list)
        self.committed: dict[tuple[str, str], int] = defaultdict(int)
        self.changed = asyncio.Condition()


class InMemorySubscription(Subscription):
    def __init__(self, broker: _Broker, group: str, topics: Sequence[str]) -> None:
        self._broker = broker
        self._group = group
        self._topics = list(topics)
        self._position: dict[str, int] = {}

    async def start(self) -> None:
        self._position = {t: self._broker.committed[(self._group, t)] for t in self._topics}

    async def stop(self) -> None:
        pass

    def _pending(self, max_records: int) -> list[Record]:
        out: list[Record] = []
        for t in self._topics:
            log = self._broker.logs[t]
            start = self._position[t]
            chunk = log[start:start + max_records - len(out)]
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
            except asyncio.TimeoutError:
                return []
        return self._pending(max_records)

    async def commit(self, records: Sequence[Record]) -> None:
        for r in records:
            key = (self._group, r.topic)
            self._broker.committed[key] = max(self._broker.committed[key], r.offset + 1)


class InMemoryTransport(Transport):
    def __init__(self) -> None:
        self._broker = _Broker()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, records: Sequence[Record]) -> None:
        for r in records:
            log = self._broker.logs[r.topic]
            log.append(replace(r, partition=0, offset=len(log)))
        async with self._broker.changed:
            self._broker.changed.notify_all()

    def subscribe(self, group: str, topics: Sequence[str], client_id: str) -> Subscription:
        return InMemorySubscription(self._broker, group, topics)

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        for t in topics:
            self._broker.logs.setdefault(t, [])

    async def ready(self) -> bool:
        return True

    def records(self, topic: str) -> list[Record]:
        """What was published on a topic (for tests)."""
        return list(self._broker.logs[topic])
