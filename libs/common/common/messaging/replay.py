"""A read model rebuilt in bulk: every event of its topics read from the first (`Transport.replay`),
decoded, each id taken once, and handed in chunks of tens of thousands to the read model's bulk
apply, one transaction a chunk; then its consumer group goes on from where the replay ended.

Reading and applying overlap: while PostgreSQL applies one chunk, the next is fetched and
decoded. An event is taken once by its id (the outbox relay may have published it twice), so the
replay needs no inbox; the ids seen are kept in memory for the replay's length (about 100 bytes an
event). A replay that stops half way (a crash, the database away) is not resumed: the read model
is emptied and replayed again from the first event, which is what makes it safe."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass

from common.messaging.envelope import Envelope
from common.messaging.inbox import decode_for
from common.messaging.transport import Replay

log = logging.getLogger(__name__)

GC_THRESHOLDS = (50_000, 50, 1_000)
"""While a replay runs: the chunks held (tens of thousands of decoded events, each a few objects)
made the default thresholds scan them over and over, a third of the replay's CPU; the cycles
the replay makes are few, and collected all the same, less often."""
YIELD_EVERY = 2_000
"""Records decoded between two turns of the event loop, so that the chunk in PostgreSQL is sent
its next statement as soon as it is ready."""


@dataclass
class ReplayProgress:
    read: int = 0
    applied: int = 0
    duplicates: int = 0
    undecodable: int = 0


async def replay(
    source: Replay,
    wanted: Container[str],
    apply: Callable[[list[Envelope]], Awaitable[None]],
    *,
    chunk: int,
    progress: ReplayProgress | None = None,
) -> ReplayProgress:
    """Read `source` to its end and `apply` every wanted event once, `chunk` events at a time."""
    progress = progress or ReplayProgress()
    queue: asyncio.Queue[list[Envelope] | None] = asyncio.Queue(maxsize=1)

    async def applying() -> None:
        while (envelopes := await queue.get()) is not None:
            await apply(envelopes)
            progress.applied += len(envelopes)

    applier = asyncio.create_task(applying())

    async def hand(item: list[Envelope] | None) -> None:
        putting = asyncio.ensure_future(queue.put(item))
        await asyncio.wait([putting, applier], return_when=asyncio.FIRST_COMPLETED)
        if applier.done() and not putting.done():
            putting.cancel()
            applier.result()  # why it stopped
            raise RuntimeError("the replay's applier stopped")

    seen: set[str] = set()
    pending: list[Envelope] = []
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        while records := await source.fetch(chunk):
            for i, record in enumerate(records, 1):
                decoded = decode_for(record, wanted)
                if isinstance(decoded, Envelope):
                    if decoded.id in seen:
                        progress.duplicates += 1
                    else:
                        seen.add(decoded.id)
                        pending.append(decoded)
                elif decoded is not None:  # dead-lettered when it was first consumed
                    progress.undecodable += 1
                    log.warning("replay skips %s[%d]@%d: %s", record.topic, record.partition, record.offset, decoded)
                if i % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            progress.read += len(records)
            if len(pending) >= chunk:
                await hand(pending)
                pending = []
        if pending:
            await hand(pending)
        await hand(None)
        await applier
    finally:
        gc.set_threshold(*thresholds)
        if not applier.done():
            applier.cancel()
            await asyncio.gather(applier, return_exceptions=True)
    return progress
