"""Unit of work: one database transaction for the state change and the events it causes.
Nothing is written unless `commit()` is called; events go to the outbox in the same
transaction, so a crash can lose neither one without the other.

Who commits is not a convention. A command's handler commits its own unit of work. An event
handler never does: the consumer applies a whole batch of events, with their inbox claims, in
one transaction and commits it once, so a handler that committed in the middle would also
commit the claims of the events after it, and a failure or a crash before the batch's own
commit would leave those events marked as seen but never applied. While the consumer holds a
unit of work (`held_by_consumer`), `commit()` raises and so does a commit of its session by
any other path (a listener on the session refuses it)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from functools import cache

from asgi_correlation_id import correlation_id
from sqlalchemy import Table, bindparam, event, insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from common import idempotency
from common.clock import Clock
from common.db import Prepared, driver_connection
from common.messaging.contracts import IntegrationEvent
from common.messaging.outbox import OUTBOX_COLUMNS, outbox_row

_HELD = "cgzf.held_by_consumer"


class CommitRefused(RuntimeError):
    """An event handler tried to commit the consumer's transaction."""


@event.listens_for(Session, "before_commit")
def _refuse_commit_while_held(session: Session) -> None:
    if session.info.get(_HELD):
        raise CommitRefused(
            "an event handler may not commit: the consumer owns the transaction of the whole "
            "batch (its inbox claims included) and commits it once every handler has run"
        )


@cache
def _outbox_insert(outbox: Table) -> Prepared:
    return Prepared(insert(outbox).values({c: bindparam(c) for c in OUTBOX_COLUMNS}))


class UnitOfWork:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        outbox: Table,
        source: str,
        clock: Clock,
        events_written: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._events_written = events_written
        self._outbox = outbox
        self._source = source
        self.clock = clock
        self.session: AsyncSession
        self._events: list[tuple[IntegrationEvent, str | None]] = []

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self._events = []
        self._after_commit: list[Callable[[], None]] = []
        self._db = None
        return self

    async def db(self):
        """The asyncpg connection of this unit of work's transaction, for Prepared statements on
        the hot path; what is written on it commits or rolls back with the session."""
        if self._db is None:
            self._db = await driver_connection(self.session)
        return self._db

    async def __aexit__(self, *exc) -> None:
        self.session.sync_session.info.pop(_HELD, None)
        await self.session.rollback()
        await self.session.close()

    def publish(self, event: IntegrationEvent, *, correlation: str | None = None) -> None:
        """Queue an integration event; it is written to the outbox at commit, with the
        correlation id of the request or event being handled now (or, from a handler that applies
        a batch of events at once, the one of the event that caused it)."""
        self._events.append((event, correlation or correlation_id.get()))

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit of work has committed (never if it rolls back): for what
        must not happen inside the transaction, such as a live view's notification."""
        self._after_commit.append(callback)

    @contextlib.contextmanager
    def held_by_consumer(self) -> Iterator[UnitOfWork]:
        """While event handlers run on this unit of work, nobody but the consumer commits it."""
        info = self.session.sync_session.info
        info[_HELD] = True
        try:
            yield self
        finally:
            info.pop(_HELD, None)

    @property
    def held(self) -> bool:
        return bool(self.session.sync_session.info.get(_HELD))

    async def commit(self) -> None:
        if self.held:
            raise CommitRefused("an event handler may not commit: the consumer commits the batch")
        await idempotency.claim(self.session, self.clock.now())
        if self._events:
            now = self.clock.now()
            rows = [outbox_row(e, source=self._source, now=now, correlation_id=cid) for e, cid in self._events]
            await _outbox_insert(self._outbox).executemany(await self.db(), rows)
            self._events = []
            await self.session.commit()
            if self._events_written is not None:
                await self._events_written()
        else:
            await self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


UnitOfWorkFactory = Callable[[], UnitOfWork]
