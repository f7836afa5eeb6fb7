"""The live board: every replica LISTENs on PostgreSQL's `dispatch_board` channel and fans each
change out to its SSE subscribers. A change is announced after its transaction has committed,
never inside it (a NOTIFY in a data transaction holds PostgreSQL's notify lock through that
commit and serialises every service's commits): the unit of work hands it to the BoardNotifier
once committed, which sends the changes of the moment together, in as few NOTIFYs as fit."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Subscriber:
    squad_id: str | None  # None: every squad (dispatchers, supervisors)
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    overflowed: bool = False


class BoardHub:
    def __init__(self, engine: AsyncEngine, channel: str) -> None:
        self.engine, self.channel = engine, channel
        self.subscribers: set[Subscriber] = set()
        self.listening = asyncio.Event()

    def subscribe(self, squad_id: str | None) -> Subscriber:
        sub = Subscriber(squad_id)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def _deliver(self, payload: str) -> None:
        for change in json.loads(payload):
            squads = {change.get("squad_id"), change.get("previous_squad_id")}
            for sub in list(self.subscribers):
                if sub.squad_id is not None and sub.squad_id not in squads and change["kind"] != "queue":
                    continue
                try:
                    sub.queue.put_nowait(change)
                except asyncio.QueueFull:  # a client that does not read: tell it to reload, once
                    sub.overflowed = True

    async def run(self) -> None:
        while True:
            try:
                async with self.engine.connect() as conn:
                    raw = await _driver(conn)
                    await raw.add_listener(self.channel, lambda *args: self._deliver(args[3]))
                    self.listening.set()
                    for sub in list(self.subscribers):  # changes may have been missed: reload
                        sub.overflowed = True
                    while True:
                        await asyncio.sleep(15)
                        await raw.execute("SELECT 1")  # notice a dropped connection
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening.clear()
                log.warning("board listener restarting: %s", exc)
                await asyncio.sleep(1)


async def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under `conn` (LISTEN and NOTIFY are the driver's)."""
    raw = (await conn.get_raw_connection()).driver_connection
    if raw is None:
        raise RuntimeError("the board's connection has no driver connection")
    return raw


MAX_PAYLOAD = 7000
"""PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more."""


class BoardNotifier:
    """Changes to the board, announced to every replica after their transaction committed."""

    def __init__(self, engine: AsyncEngine, channel: str) -> None:
        self.engine, self.channel = engine, channel
        self._pending: list[dict] = []
        self._wake = asyncio.Event()

    def changed(self, uow, kind: str, **data) -> None:
        """Announce the change once `uow` has committed."""
        change = {"kind": kind, **data}
        uow.after_commit(lambda: self._add(change))

    def _add(self, change: dict) -> None:
        self._pending.append(change)
        self._wake.set()

    @staticmethod
    def payloads(changes: list[dict]) -> list[str]:
        out: list[str] = []
        current: list[dict] = []
        for change in changes:
            if current and len(json.dumps(current + [change], ensure_ascii=False, default=str)) > MAX_PAYLOAD:
                out.append(json.dumps(current, ensure_ascii=False, default=str))
                current = []
            current.append(change)
        if current:
            out.append(json.dumps(current, ensure_ascii=False, default=str))
        return out

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            changes, self._pending = self._pending, []
            try:
                async with self.engine.connect() as conn:
                    raw = await _driver(conn)
                    await raw.execute(
                        "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", self.channel, self.payloads(changes)
                    )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: a live view misses these; consoles reload
                log.warning("board notification failed: %s", exc)
                await asyncio.sleep(1)
