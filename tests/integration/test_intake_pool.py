"""A burst of reports must not starve intake's connection pool.

When intake came back after a crash (the fault suite's `kill -9 intake`), a hundred hotline
retries arrived at once while the catalogue was not yet in memory. Each report took a
connection for its unit of work and then asked the pool for a second one to read the
catalogue, so every connection was held by a request waiting for another: all of them timed
out after 30 s, and the clients' retries kept the pool in that state. Here the pool has a
single connection, so a report that needs a second one cannot finish at all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from common.clock import FixedClock
from common.db import make_engine, make_session_factory
from common.messaging.contracts import Location
from common.messaging.memory import InMemoryTransport
from common.uow import UnitOfWork
from intake.handlers.catalogue import AddressBook, Catalogue
from intake.handlers.incidents import ReportIncident, report_incident
from intake.tables import Incident
from monolith.app import build_app, build_services
from tests.conftest import running

pytestmark = pytest.mark.integration
BURST = 8


@pytest.fixture
async def intake(database_url, tmp_path):
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=FixedClock(datetime(2026, 11, 23, 1, tzinfo=UTC)),
        object_store_url=f"file:{tmp_path}/objects",
    )
    intake = services[0]
    async with running([intake], build_app([intake])):  # migrated and seeded
        yield intake


@pytest.mark.parametrize("catalogue_state", ["never read", "due for reading"])
async def test_a_burst_of_reports_on_a_pool_of_one(intake, catalogue_state):
    engine = make_engine(intake.settings.database_url, pool_size=1, max_overflow=0, pool_timeout_s=3)
    factory = make_session_factory(engine)
    try:
        catalogue = Catalogue(factory, ttl_s=0)
        if catalogue_state == "due for reading":
            await catalogue.load()  # and at once out of date (ttl 0)

        async def report(n: int) -> Incident:
            async with UnitOfWork(
                factory, outbox=intake.tables.outbox, source="/cgzf/intake", clock=intake.clock
            ) as uow:
                reported = await report_incident(
                    uow,
                    ReportIncident(
                        category_code="street_vending",
                        location=Location(lon=113.62, lat=34.75),
                        description="建设路口占道经营",
                        channel="hotline_12319",
                        urgency="ordinary",
                        reported_by="operator-1",
                        idempotency_key=f"burst-{n}",
                    ),
                    catalogue,
                )
                return reported.incident

        incidents = await asyncio.wait_for(asyncio.gather(*(report(n) for n in range(BURST))), timeout=60)
        assert all(i.category_known and i.category_version == 1 for i in incidents), [
            (i.category_known, i.category_version) for i in incidents
        ]
        async with factory() as session:
            stored = (
                await session.execute(
                    select(func.count()).select_from(Incident).where(Incident.id.in_([i.id for i in incidents]))
                )
            ).scalar_one()
        assert stored == BURST
    finally:
        await engine.dispose()


async def test_reference_data_read_again_in_the_background(intake):
    """Out of date, the copy in memory still answers at once; the next reading happens beside
    the request, and a failed reading keeps the old copy."""
    factory = intake.session_factory
    book = AddressBook(factory, ttl_s=0)
    await book.load()
    first = book._loaded_at
    assert (await book.locate("建设路")) is not None
    assert book._refreshing is not None  # the call above started a reading in the background ...
    await book._refreshing  # ... which ends with a newer copy
    assert book._loaded_at > first

    broken = AddressBook(factory, ttl_s=0)
    await broken.load()
    place = await broken.locate("建设路")

    def no_database():
        raise ConnectionError("database down")

    broken._session_factory = no_database
    assert await broken.locate("建设路") == place  # answered from memory
    assert broken._refreshing is not None
    await broken._refreshing  # the reading failed, and said so
    assert await broken.locate("建设路") == place
