"""Reference data that every report needs and an admin rarely changes, kept in memory: the
service catalogue (服务目录) and the district's address table; and an admin's changes to the
catalogue, told to the other services (CategoryDefined).

Each is read when the service starts. Once it is older than `ttl_s`, the next request starts one
reading in the background and goes on with what is there. A request therefore never waits for
the database to answer a reference question, and above all never asks the connection pool for
a second connection while its unit of work holds one: under a burst (clients retrying after a
restart) that wait starved the pool, and every request timed out holding the connections the
others needed."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from sqlmodel import col, select

from common.messaging.contracts import CategoryDefined
from common.uow import UnitOfWork
from common.vocabulary import Urgency
from intake.domain.geo import Geocoder, Place
from intake.tables import Address, Category, CategoryVersion

log = logging.getLogger(__name__)
RETRY_AFTER_FAILURE_S = 5.0


class _Refreshed:
    def __init__(self, session_factory, ttl_s: float) -> None:
        self._session_factory = session_factory
        self._ttl_s = ttl_s
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task | None = None

    async def load(self) -> None:
        """Read it now (at start, and on the replica where an admin just changed it)."""
        async with self._lock:
            await self._read()

    async def _read(self) -> None:
        async with self._session_factory() as session:
            await self._reload(session)
        self._loaded_at = time.monotonic()

    async def _current(self) -> None:
        if self._loaded_at is None:  # not read yet (the service reads it as it starts)
            async with self._lock:
                if self._loaded_at is None:
                    await self._read()
        elif time.monotonic() - self._loaded_at > self._ttl_s and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh(), name=f"refresh {type(self).__name__}")

    async def _refresh(self) -> None:
        try:
            await self.load()
        except Exception as exc:  # keep serving what we have; try again a little later
            log.warning(
                "%s not refreshed, keeping the copy read %.0f s ago: %s",
                type(self).__name__,
                time.monotonic() - (self._loaded_at or time.monotonic()),
                exc,
            )
            self._loaded_at = time.monotonic() - self._ttl_s + RETRY_AFTER_FAILURE_S

    async def _reload(self, session) -> None:
        raise NotImplementedError


class Catalogue(_Refreshed):
    """The current version of each category of the service catalogue. An edit through the API
    is seen at once by the replica that made it and within `ttl_s` by the others."""

    def __init__(self, session_factory, ttl_s: float = 30.0) -> None:
        super().__init__(session_factory, ttl_s)
        self._rules: dict[str, Category] = {}

    async def _reload(self, session) -> None:
        self._rules = {c.code: c for c in (await session.exec(select(Category))).all()}

    async def rules(self, code: str) -> Category | None:
        """The category's current rules, or None for a code not in the catalogue or retired."""
        await self._current()
        category = self._rules.get(code)
        return category if category is not None and category.active else None


def time_limit_hours(rules: Category | None, urgency: str) -> float | None:
    """处置时限 in hours for this urgency, or None for a category not in the catalogue."""
    if rules is None:
        return None
    return float(rules.urgent_time_limit_hours if urgency == Urgency.urgent else rules.time_limit_hours)


class AddressBook(_Refreshed):
    """The district's address table (intake.tables.Address), for addresses without a point."""

    def __init__(self, session_factory, ttl_s: float = 60.0) -> None:
        super().__init__(session_factory, ttl_s)
        self._geocoder = Geocoder([])

    async def _reload(self, session) -> None:
        rows = (await session.exec(select(Address.address, Address.lon, Address.lat))).all()
        self._geocoder = Geocoder([tuple(r) for r in rows])

    async def locate(self, address: str) -> Place | None:
        await self._current()
        return self._geocoder.locate(address)


# -- an admin's changes, told to the other services ------------------------------------------------


async def edit_category(uow: UnitOfWork, code: str, rules: dict, actor: str, reason: str) -> Category:
    """An admin's change to the 服务目录: a new version of the category (or its first), told to the
    other services. Cases already filed keep the version and time limit they were filed under."""
    now = uow.clock.now()
    current = (await uow.session.exec(select(Category).where(Category.code == code).with_for_update())).first()
    version = 1 if current is None else current.version + 1
    uow.session.add(
        CategoryVersion(code=code, version=version, changed_by=actor, changed_at=now, reason=reason, **rules)
    )
    if current is None:
        current = Category(code=code, version=version, **rules)
    else:
        for name, value in rules.items():
            setattr(current, name, value)
        current.version = version
    _announce(uow, current, now)
    uow.session.add(current)
    await uow.commit()
    return current


def _announce(uow: UnitOfWork, category: Category, now: datetime) -> None:
    category.announced_version = category.version
    uow.publish(
        CategoryDefined(
            code=category.code,
            name=category.name,
            version=category.version,
            kind=category.kind,
            time_limit_hours=category.time_limit_hours,
            urgent_time_limit_hours=category.urgent_time_limit_hours,
            active=category.active,
            at=now,
        )
    )


async def announce_categories(uow: UnitOfWork) -> int:
    """CategoryDefined for each category whose current version was never told (the seed, and
    categories from before the event existed)."""
    now = uow.clock.now()
    stale = (
        await uow.session.exec(
            select(Category)
            .where(col(Category.announced_version).is_(None) | (Category.announced_version != Category.version))
            .with_for_update(skip_locked=True)
        )
    ).all()
    for category in stale:
        _announce(uow, category, now)
        uow.session.add(category)
    await uow.commit()
    return len(stale)
