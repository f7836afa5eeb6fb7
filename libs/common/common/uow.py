"""Unit of work: one database transaction for the state change and the events it causes.
Nothing is written unless `commit()` is called; events go to the outbox in the same
transaction, so a crash can lose neither one without the other."""
from __future__ import annotations

from typing import Awaitable, Callable

from asgi_correlation_id import correlation_id
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from common.clock import Clock
from common.messaging.contracts import IntegrationEvent
from common.messaging.outbox import outbox_row


class UnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *, outbox: Table,
                 source: str, clock: Clock, events_written: Callable[[], Awaitable[None]] | None = None) -> None:
        self._session_factory = session_factory
        self._events_written = events_written
        self._outbox = outbox
        self._source = source
        self.clock = clock
        self.session: AsyncSession
        self._events: list[tuple[IntegrationEvent, str | None]] = []

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        self._events = []
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.rollback()
        await self.session.close()

    def publish(self, event: IntegrationEvent) -> None:
        """Queue an integration event; it is written to the outbox at commit, with the
        correlation id of the request or event being handled now."""
        self._events.append((event, correlation_id.get()))

    async def commit(self) -> None:
        if self._events:
            now = self.clock.now()
            rows = [outbox_row(e, source=self._source, now=now, correlation_id=cid) for e, cid in self._events]
            await self.session.execute(insert(self._outbox), rows)
            self._events = []
            await self.session.commit()
            if self._events_written is not None:
                await self._events_written()
            return
        await self.session.commit()


UnitOfWorkFactory = Callable[[], UnitOfWork]
