"""The consumer owns the transaction of a batch, on the real Kafka and PostgreSQL. A handler that
committed in the middle of a batch used to commit the inbox claims of the events after it too;
a failure later in the batch, or a crash before the batch's commit, then left those events
marked as seen and never applied. Now an event handler cannot commit, and every event of a
batch is applied exactly once or dead-lettered."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from cases.service import CasesService
from cases.settings import CasesSettings
from cases.tables import Case, CaseTrailEntry
from common.messaging.contracts import IncidentJoined, IncidentRated, IncidentReported, Location
from common.messaging.envelope import encode
from common.uow import CommitRefused
from devstack.stack import REPO
from tests.helpers import eventually
from tests.kafka_tools import caught_up, produce, read_topic

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def settings(database_url, kafka, namespace) -> CasesSettings:
    return CasesSettings(
        database_url=database_url,
        bus="kafka",
        kafka_bootstrap=kafka.bootstrap,
        kafka_namespace=namespace,
        consumer_backoff_s=0.01,
        consumer_max_attempts=2,
    )


def reported(incident_id: str, description: str = "占道经营") -> IncidentReported:
    return IncidentReported(
        incident_id=incident_id,
        reported_at=NOW,
        channel="hotline_12319",
        category_code="street_vending",
        category_known=True,
        location=Location(lon=113.62, lat=34.75),
        description=description,
    )


def joined(incident_id: str, into: str) -> IncidentJoined:
    return IncidentJoined(
        incident_id=incident_id,
        joined_incident_id=into,
        reported_at=NOW,
        channel="web",
        category_code="street_vending",
        distance_m=3.0,
        reporters=2,
    )


async def produce_on_one_partition(kafka, namespace: str, key: str, events) -> None:
    """Every event under one key, so they sit in order on one partition and arrive as one batch."""
    records = [encode(e, source="/test", time=NOW, correlation_id=None) for e in events]
    await produce(
        kafka.bootstrap, namespace + "intake.incidents", [(key.encode(), r.value, list(r.headers)) for r in records]
    )


async def cases_of(service, incident_ids) -> dict[str, int]:
    async with service.session_factory() as session:
        rows = (
            await session.execute(
                select(Case.incident_id, func.count())
                .where(Case.incident_id.in_(incident_ids))
                .group_by(Case.incident_id)
            )
        ).all()
    return dict(rows)


async def trail_actions(service, incident_id: str) -> list[str]:
    async with service.session_factory() as session:
        case_id = (await session.execute(select(Case.id).where(Case.incident_id == incident_id))).scalar_one()
        return list(
            (
                await session.execute(
                    select(CaseTrailEntry.action).where(CaseTrailEntry.case_id == case_id).order_by(CaseTrailEntry.seq)
                )
            ).scalars()
        )


async def test_a_failing_event_after_a_joined_report_is_dead_lettered_and_the_rest_applied(
    database_url, kafka, namespace
):
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    unknown_case = IncidentRated(
        incident_id=str(uuid.uuid4()),
        case_id="no-such-case",
        category_code="street_vending",
        rating="satisfied",
        rated_at=NOW,
    )
    await produce_on_one_partition(kafka, namespace, a, [reported(a), joined(b, a), unknown_case, reported(c)])
    cases = CasesService(settings(database_url, kafka, namespace))
    await cases.start()
    try:
        await eventually(lambda: cases_of(cases, [a, c]), lambda n: n == {a: 1, c: 1}, what="both cases opened")
        dead = await eventually(
            lambda: read_topic(kafka.bootstrap, namespace + "cases.dlq"),
            lambda rs: len(rs) == 1,
            what="the failing rating dead-lettered",
        )
        assert dict(dead[0].headers)["dlq_reason"] == b"handler_failed"
        assert b"no-such-case" in dict(dead[0].headers)["dlq_error"]
        assert (await trail_actions(cases, a)).count("report_joined") == 1
        async with cases.session_factory() as session:
            claimed = set((await session.execute(select(cases.tables.inbox.c.event_id))).scalars())
        assert len(claimed) == 3  # a, the joined report and c; the dead letter claimed nothing
    finally:
        await cases.stop()


async def test_a_crash_before_the_batch_commits_loses_nothing(database_url, kafka, namespace, tmp_path):
    a, b, c, d = (str(uuid.uuid4()) for _ in range(4))
    marker = tmp_path / "killed"
    # Migrate first, so the crashing process does no more than consume.
    cases = CasesService(settings(database_url, kafka, namespace))
    await cases.start(run_consumer=False, run_relay=False)
    await cases.stop()
    await produce_on_one_partition(
        kafka, namespace, a, [reported(a), joined(b, a), reported(c, "kill-me"), reported(d)]
    )
    proc = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "tests.integration.crashing_cases",
            database_url,
            kafka.bootstrap,
            namespace,
            str(marker),
        ],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr.decode()[-3000:]
    assert marker.exists()

    cases = CasesService(settings(database_url, kafka, namespace))
    await cases.start()
    try:
        counts = await eventually(
            lambda: cases_of(cases, [a, c, d]),
            lambda n: n == {a: 1, c: 1, d: 1},
            what="every case of the batch opened after the crash",
        )
        await eventually(lambda: asyncio.sleep(0, cases.consumer.handled), lambda n: n == 4)
        await eventually(lambda: caught_up(kafka.bootstrap, namespace + "cases", namespace + "intake.incidents"), bool)
        assert await cases_of(cases, [a, c, d]) == counts
        assert (await trail_actions(cases, a)).count("report_joined") == 1
    finally:
        await cases.stop()


async def test_an_event_handler_cannot_commit(database_url, kafka, namespace):
    """By either door: the unit of work's commit() or its session's."""
    cases = CasesService(settings(database_url, kafka, namespace))
    await cases.start(run_consumer=False)
    try:
        for door in ("uow", "session"):
            async with cases.uow() as uow:
                with uow.held_by_consumer():
                    await uow.session.execute(
                        text("INSERT INTO cases.inbox (consumer, event_id, event_type) VALUES ('t', :i, 't')"),
                        {"i": door},
                    )
                    with pytest.raises(CommitRefused):
                        await (uow.commit() if door == "uow" else uow.session.commit())
            async with cases.session_factory() as session:
                n = (await session.execute(text("SELECT count(*) FROM cases.inbox WHERE consumer = 't'"))).scalar()
            assert n == 0, door
    finally:
        await cases.stop()
