"""The live board: every replica LISTENs on PostgreSQL's `dispatch_board` channel, which the
handlers NOTIFY inside their transactions (so a change is announced only once it is committed,
and to every replica whichever one made it), and fans each change out to its SSE subscribers."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

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
        change = json.loads(payload)
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
                    raw = (await conn.get_raw_connection()).driver_connection
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
