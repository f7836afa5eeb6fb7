"""Reporting's rebuild in bulk, on the real Apache Kafka and PostgreSQL: the topics replayed from the
first event give, table for table, what the live consumer built event by event; an event the
relay published twice counts once; events published while the replay runs are applied once,
by the replay or by the next generation's consumer that goes on from where it ended; and a
replay stopped half way is made again from the first event when the service starts again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from common.clock import BEIJING
from common.service import create_app
from devstack.case_year import YearTotals, district, records, year
from reporting.service import READ_MODEL, ReportingService
from reporting.settings import ReportingSettings
from tests.conftest import auth, running
from tests.helpers import eventually

pytestmark = pytest.mark.integration
ADMIN = auth("admin", "admin-1")
COMPARED = tuple(t for t in READ_MODEL if t not in ("reporting.inbox", "reporting.dirty_months"))
"""Every table of the read model but the bookkeeping (which events a consumer claimed, the months
waiting to be summed): the rows, the sums, the announcements, the counters."""
ROW = "LATERAL (SELECT (to_jsonb(r) - 'id')::text AS x) AS row_text"
"""A row as text, without the number a table's sequence gave it (which follows the order of inserts)."""


async def _produce(bootstrap: str, namespace: str, batch) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        sent = [await producer.send(namespace + r.topic, r.value, key=r.key, headers=list(r.headers)) for r in batch]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return len(batch)


def _service(database_url, kafka, namespace, **extra) -> ReportingService:
    return ReportingService(
        ReportingSettings(
            database_url=database_url,
            bus="kafka",
            kafka_bootstrap=kafka.bootstrap,
            kafka_namespace=namespace,
            consumer_batch_size=2000,
            refresh_interval_s=3600,  # summed when the test asks
            **extra,
        )
    )


async def _tables(service: ReportingService) -> dict[str, str]:
    await service.refresh(settle_s=30)
    async with service.engine.connect() as conn:
        return {
            t: await conn.scalar(text(f"SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM {t} r, {ROW}"))
            for t in COMPARED
        }


async def _status(client) -> dict:
    r = await client.get("/v1/reports/rebuild", headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_rebuild_in_bulk_gives_what_the_live_consumer_built(
    database_url, postgres, migrated_template, kafka, namespace
):
    first = [*records(district(datetime(2025, 1, 1, tzinfo=BEIJING))), *records(year(2025, YearTotals(600, 597)))]
    # the relay publishing one event twice (a crash between sending and marking it sent): a
    # rework, which adds to the case's and the month's counters
    twice = next(r for r in first if b'"action":"rework"' in r.value)
    total = await _produce(kafka.bootstrap, namespace, [*first, twice]) - 1
    later = list(records(year(2026, YearTotals(150, 150), seed=7)))

    service = _service(database_url, kafka, namespace, rebuild_chunk_events=700)
    app_title = "reporting"
    async with running([service], create_app([service], title=app_title)) as client:
        await eventually(lambda: _status(client), lambda s: s["events_applied"] >= total, timeout_s=120)
        live = await _tables(service)
        assert (await client.post("/v1/reports/rebuild", headers=auth("supervisor"))).status_code == 403
        r = await client.post("/v1/reports/rebuild", headers=ADMIN)
        assert r.status_code == 202 and r.json() == {
            "generation": 1,
            "events_applied": 0,
            "replaying": True,
            "months_pending": 0,
        }
        rebuilt_status = await eventually(
            lambda: _status(client), lambda s: not s["replaying"], timeout_s=120, what="the replay's end"
        )
        assert rebuilt_status["events_applied"] == total  # the duplicate taken once
        assert service.replay_progress is not None and service.replay_progress.duplicates == 1
        assert await _tables(service) == live

        # the next generation again, with events published while it replays: whether the replay
        # or the consumer after it applies them, each is applied once
        await client.post("/v1/reports/rebuild", headers=ADMIN)
        await _produce(kafka.bootstrap, namespace, later)
        await eventually(
            lambda: _status(client),
            lambda s: not s["replaying"] and s["events_applied"] >= total + len(later),
            timeout_s=120,
            what="the later events applied",
        )
        await asyncio.sleep(1)  # nothing more comes: no event applied twice
        assert (await _status(client))["events_applied"] == total + len(later)
        both = await _tables(service)

        # stopped half way through a third replay (the process killed), it replays from the start again
        await client.post("/v1/reports/rebuild", headers=ADMIN)
        await eventually(
            lambda: asyncio.sleep(0, service.replay_progress.applied if service.replay_progress else 0),
            lambda n: n > 0,
            timeout_s=60,
            what="a replay under way",
        )
    async with service.engine.connect() as conn:
        state = (await conn.execute(text("SELECT generation, replaying FROM reporting.projection_state"))).one()
    assert tuple(state) == (3, True)
    again = _service(database_url, kafka, namespace, rebuild_chunk_events=5000)
    async with running([again], create_app([again], title=app_title)) as client:
        assert again.replaying
        await eventually(lambda: _status(client), lambda s: not s["replaying"], timeout_s=120, what="the replay again")
        assert (await _status(client))["generation"] == 3
        assert await _tables(again) == both

    # the reference: a read model of its own built live from every event, by a group that never rebuilt
    name = f"ref{uuid.uuid4().hex[:8]}"
    postgres.create_database(name, template=migrated_template)
    postgres.psql("INSERT INTO reporting.projection_state (name, generation) VALUES ('main', 90)", name)
    reference = _service(postgres.url(name), kafka, namespace)
    async with running([reference], create_app([reference], title=app_title)) as client:
        await eventually(lambda: _status(client), lambda s: s["events_applied"] >= total + len(later), timeout_s=120)
        assert not reference.replaying
        assert await _tables(reference) == both
