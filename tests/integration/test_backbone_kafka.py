"""The event backbone on the real Apache Kafka and PostgreSQL: nothing lost when the relay dies,
redeliveries applied once, poison events dead-lettered without blocking what follows, and two
replicas of a consumer sharing the work with every incident dispatched exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from cases.service import CasesService
from cases.settings import CasesSettings
from cases.tables import Case
from common.messaging.contracts import AssignmentCreated, IncidentReported, Location
from common.messaging.envelope import encode
from common.messaging.kafka import KafkaTransport
from common.metrics import EVENTS_DUPLICATE
from intake.handlers.incidents import ReportIncident, report_incident
from intake.service import IntakeService
from intake.settings import IntakeSettings
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import INCIDENT, eventually
from tests.kafka_tools import as_cloudevent, caught_up, produce, read_topic

pytestmark = pytest.mark.integration


def kafka_settings(database_url, kafka, namespace, **extra):
    return dict(
        database_url=database_url,
        bus="kafka",
        kafka_bootstrap=kafka.bootstrap,
        kafka_namespace=namespace,
        consumer_backoff_s=0.01,
        relay_poll_interval_s=0.2,
        **extra,
    )


async def count_cases(service) -> int:
    async with service.session_factory() as session:
        return (await session.execute(select(func.count()).select_from(Case))).scalar_one()


def incident_event(incident_id: str | None = None) -> IncidentReported:
    return IncidentReported(
        incident_id=incident_id or str(uuid.uuid4()),
        reported_at=datetime.now(UTC),
        channel="hotline_12319",
        category_code="street_vending",
        category_known=True,
        location=Location(lon=113.62, lat=34.75),
        description="test",
    )


class SendsThenDies(KafkaTransport):
    """A relay's transport that publishes and then 'crashes' before the rows are marked sent."""

    async def send(self, records):
        await super().send(records)
        raise RuntimeError("relay process killed after publish")


async def test_event_survives_relay_death_and_is_applied_once(database_url, kafka, namespace):
    settings = IntakeSettings(**kafka_settings(database_url, kafka, namespace))
    intake = IntakeService(settings)
    await intake.start(run_relay=False, run_consumer=False)  # the relay is dead
    try:
        announced = await intake.relay.backlog()  # the 服务目录 told at start (CategoryDefined)
        assert announced > 0 and await intake.relay.publish_pending() == announced
        async with intake.uow() as uow:
            incident = await report_incident(
                uow,
                ReportIncident(
                    category_code="street_vending",
                    location=Location(lon=113.62, lat=34.75),
                    description="relay died",
                    channel="hotline_12319",
                    urgency="ordinary",
                    reported_by="op",
                ),
                intake.catalogue,
            )
            incident = incident.incident
        assert await intake.relay.backlog() == 1
        assert await read_topic(kafka.bootstrap, namespace + "intake.incidents") == []

        # A relay publishes, then dies before marking the row: the row stays pending.
        dying = SendsThenDies(kafka.bootstrap, "dying-relay", namespace=namespace)
        await dying.start()
        intake.relay.transport = dying
        assert await intake.relay.publish_pending() == 0
        await dying.stop()
        assert await intake.relay.backlog() == 1

        # The next relay publishes it again: at least once, never lost.
        intake.relay.transport = intake.transport
        assert await intake.relay.publish_pending() == 1
        assert await intake.relay.backlog() == 0
        records = await read_topic(kafka.bootstrap, namespace + "intake.incidents")
        events = [as_cloudevent(r) for r in records]
        assert len(events) == 2 and len({e.get_id() for e in events}) == 1
        assert events[0].get_extension("partitionkey") == incident.id

        # ... and cases applies it once.
        cases = CasesService(CasesSettings(**kafka_settings(database_url, kafka, namespace)))
        await cases.start()
        try:
            await eventually(lambda: count_cases(cases), lambda n: n == 1, what="case opened")
            await eventually(lambda: asyncio.sleep(0, cases.consumer.handled), lambda n: n == 1)
            # every record of the topic, the duplicate too, is applied or turned away by now
            await eventually(
                lambda: caught_up(kafka.bootstrap, namespace + "cases", namespace + "intake.incidents"), bool
            )
            assert await count_cases(cases) == 1 and cases.consumer.handled == 1
        finally:
            await cases.stop()
    finally:
        await intake.stop()


async def test_redelivered_event_is_applied_once(database_url, kafka, namespace):
    record = encode(incident_event(), source="/test", time=datetime.now(UTC), correlation_id="c-1")
    for _ in range(3):
        await produce(
            kafka.bootstrap, namespace + "intake.incidents", [(record.key, record.value, list(record.headers))]
        )
    cases = CasesService(CasesSettings(**kafka_settings(database_url, kafka, namespace)))
    await cases.start()
    try:
        await eventually(lambda: count_cases(cases), lambda n: n == 1, what="case opened")
        await eventually(lambda: caught_up(kafka.bootstrap, namespace + "cases", namespace + "intake.incidents"), bool)
        assert await count_cases(cases) == 1
        assert cases.consumer.handled == 1  # the handler ran once; the inbox turned away two
        assert EVENTS_DUPLICATE.labels("cases", IncidentReported.event_type)._value.get() >= 2
        async with cases.session_factory() as session:
            inbox = (await session.execute(select(func.count()).select_from(cases.tables.inbox))).scalar_one()
        assert inbox == 1
    finally:
        await cases.stop()
    # the consumer committed its offsets: a restarted replica reads nothing again
    cases = CasesService(CasesSettings(**kafka_settings(database_url, kafka, namespace)))
    await cases.start()
    try:
        # it holds the partitions, each at the committed offset, which is the topic's end
        await eventually(lambda: asyncio.sleep(0, cases.consumer.subscription.assignment()), bool)
        assert cases.consumer.handled == 0 and await count_cases(cases) == 1
    finally:
        await cases.stop()


async def test_poison_events_are_dead_lettered_and_the_rest_go_through(database_url, kafka, namespace):
    good = incident_event()
    key = good.incident_id.encode()
    now = datetime.now(UTC)
    valid = encode(good, source="/test", time=now, correlation_id=None)
    unknown_type = [
        (k, v.replace(b"incident.reported.v1", b"incident.teleported.v9") if k == "ce_type" else v)
        for k, v in valid.headers
    ]
    bad_data = encode(good, source="/test", time=now, correlation_id=None)
    await produce(
        kafka.bootstrap,
        namespace + "intake.incidents",
        [
            (key, b"\x00\x01 not json", []),  # not a CloudEvent at all
            (key, valid.value, unknown_type),  # a type nobody knows
            (key, b'{"incident_id": "x"}', list(bad_data.headers)),  # data that breaks the schema
            (key, valid.value, list(valid.headers)),  # a good event after them, same partition
        ],
    )
    orphan = AssignmentCreated(
        assignment_id="a-1",
        case_id="no-such-case",
        squad_id="sq-ruhe",
        squad_name="汝河中队",
        grid_id="zy-ruhelu",
        category_code="street_vending",
        assigned_at=now,
    )
    rec = encode(orphan, source="/test", time=now, correlation_id=None)
    await produce(kafka.bootstrap, namespace + "dispatch.assignments", [(rec.key, rec.value, list(rec.headers))])

    cases = CasesService(CasesSettings(**kafka_settings(database_url, kafka, namespace)))
    await cases.start()
    try:
        await eventually(lambda: count_cases(cases), lambda n: n == 1, what="the good event applied")

        async def dead():
            return await read_topic(kafka.bootstrap, namespace + "cases.dlq")

        dead_letters = await eventually(dead, lambda rs: len(rs) == 4, what="four dead letters")
        reasons = Counter(dict(r.headers)["dlq_reason"].decode() for r in dead_letters)
        assert reasons == {"undecodable": 3, "handler_failed": 1}
        failed = next(r for r in dead_letters if dict(r.headers)["dlq_reason"] == b"handler_failed")
        assert b"no-such-case" in dict(failed.headers)["dlq_error"]
        assert dict(failed.headers)["dlq_original_topic"] == b"dispatch.assignments"
    finally:
        await cases.stop()


async def test_two_cases_replicas_share_the_work_and_dispatch_exactly_once(database_url, kafka, namespace):
    common = kafka_settings(database_url, kafka, namespace)
    services = build_services(database_url, None, **{k: v for k, v in common.items() if k != "database_url"})
    replica = CasesService(CasesSettings(**common), replica="cases-2")
    app = build_app(services)
    n = 40
    async with running(services + [replica], app) as client:
        primary = next(s for s in services if s.name == "cases")
        await eventually(
            lambda: asyncio.sleep(
                0, (primary.consumer.subscription.assignment(), replica.consumer.subscription.assignment())
            ),
            lambda a: bool(a[0]) and bool(a[1]) and not (a[0] & a[1]),
            what="group balanced",
        )
        locations = [
            {"lon": 113.62, "lat": 34.75},
            {"lon": 113.64, "lat": 34.77},
            {"lon": 113.53, "lat": 34.76},
            {"lon": 113.58, "lat": 34.73},
            {"lon": 113.61, "lat": 34.77},
        ]
        ids = []
        for i in range(n):
            r = await client.post(
                "/v1/incidents", json={**INCIDENT, "location": locations[i % 5]}, headers=auth("hotline_operator")
            )
            assert r.status_code == 201
            ids.append(r.json()["id"])

        async def statuses():
            out = []
            for i in ids:
                out.append((await client.get(f"/v1/incidents/{i}", headers=auth("dispatcher"))).json()["status"])
            return out

        await eventually(statuses, lambda s: all(x == "dispatched" for x in s), timeout_s=60, what="all dispatched")
        assert primary.consumer.handled > 0 and replica.consumer.handled > 0

    dispatched = [as_cloudevent(r) for r in await read_topic(kafka.bootstrap, namespace + "cases.cases")]
    per_incident = Counter(
        e.get_data()["incident_id"] for e in dispatched if e.get_type().endswith("case.dispatched.v1")
    )
    assert set(per_incident) == set(ids) and set(per_incident.values()) == {1}
    assignments = [as_cloudevent(r) for r in await read_topic(kafka.bootstrap, namespace + "dispatch.assignments")]
    assert len({e.get_data()["case_id"] for e in assignments}) == n == len(assignments)


async def test_a_backlog_brings_a_second_member_that_leaves_when_it_is_calm(database_url, kafka, namespace):
    """Reporting runs one consumer while events come as they happen, and a second one while a
    backlog streams in (here: a year of 1,000 cases published before it starts). Every event is
    applied once across the join and the leave, and the member left holds every partition."""
    from devstack.case_year import YearTotals, records, year
    from reporting.handlers.projection import HANDLED
    from reporting.service import ReportingService
    from reporting.settings import ReportingSettings

    backlog = list(records(year(2024, YearTotals(cases=1000, handled=990))))
    producer = KafkaTransport(kafka.bootstrap, "backlog", namespace=namespace)
    await producer.ensure_topics(sorted({r.topic for r in backlog}))
    await producer.start()
    try:
        await producer.send(backlog)
        service = ReportingService(
            ReportingSettings(
                **kafka_settings(database_url, kafka, namespace), consumer_batch_size=50, consumer_members=2
            )
        )
        await service.start()
        try:
            members = service.consumer
            seen = []
            await eventually(
                lambda: asyncio.sleep(0, seen.append(len(members.members)) or max(seen)),
                lambda n: n == 2,
                what="a second member joined for the backlog",
            )
            await eventually(
                lambda: asyncio.sleep(0, members.handled),
                lambda n: n >= len(backlog),
                timeout_s=60,
                what="the backlog applied",
            )
            await eventually(
                lambda: asyncio.sleep(0, len(members.members)),
                lambda n: n == 1,
                timeout_s=30,
                what="the second member gone once calm",
            )
            later = list(records(year(2025, YearTotals(cases=5, handled=5))))
            await producer.send(later)
            await eventually(
                lambda: asyncio.sleep(0, members.handled),
                lambda n: n >= len(backlog) + len(later),
                what="later events applied by the member left",
            )
            async with service.engine.connect() as conn:
                applied = await conn.scalar(text("SELECT count(*) FROM reporting.inbox"))
                cases = await conn.scalar(text("SELECT count(*) FROM reporting.cases"))
            handled_types = {c.event_type for c in HANDLED}
            assert cases == 1005 and applied == sum(
                1 for r in backlog + later if dict(r.headers)["ce_type"].decode() in handled_types
            )
            held = {(tp.topic, tp.partition) for tp in members.members[0][0].subscription.assignment()}
            assert held >= {(namespace + r.topic, p) for r in backlog for p in range(producer.partitions)}
        finally:
            await service.stop()
    finally:
        await producer.stop()


async def test_a_consumer_stopped_by_an_unforeseen_error_is_started_again(database_url, kafka, namespace):
    """A consumer that stops on an error nobody foresaw (here its fetch breaks) is replaced by a
    new one, which applies what comes next: the service does not go on answering its API while
    its events pile up unapplied. A replacement that cannot start (here the first one tried) is
    tried again."""
    cases = CasesService(CasesSettings(**kafka_settings(database_url, kafka, namespace)))
    await cases.start()
    try:
        first = cases.consumer
        subscribe, refused = cases.transport.subscribe, []

        def subscribe_refusing_once(*args, **kwargs):
            subscription = subscribe(*args, **kwargs)
            if not refused:

                async def start():
                    refused.append(True)
                    raise ConnectionError("broker away")

                subscription.start = start
            return subscription

        cases.transport.subscribe = subscribe_refusing_once

        async def broken(*args, **kwargs):
            raise RuntimeError("fetch broke")

        first.subscription.fetch = broken
        await eventually(
            lambda: asyncio.sleep(0, cases.consumer),
            lambda c: c is not first and c.started.is_set(),
            what="a new consumer started",
        )
        record = encode(incident_event(), source="/test", time=datetime.now(UTC), correlation_id="c-9")
        await produce(
            kafka.bootstrap, namespace + "intake.incidents", [(record.key, record.value, list(record.headers))]
        )
        await eventually(lambda: count_cases(cases), lambda n: n == 1, what="the incident applied by the new consumer")
        assert refused
    finally:
        await cases.stop()


async def test_offsets_of_partitions_moved_away_by_a_rebalance_are_left_to_their_new_owner(kafka, namespace):
    """A member that applied records and then lost their partition to a rebalance (a replica or
    a member joining) commits only what it still holds, instead of stopping on aiokafka's
    IllegalStateError; the new owner is handed the rest again, and the inbox turns it away."""
    from common.messaging.transport import Record

    transport = KafkaTransport(kafka.bootstrap, "rebalance", namespace=namespace)
    await transport.ensure_topics(["intake.incidents"])
    one = transport.subscribe("g", ["intake.incidents"], "one")
    await one.start()
    try:
        await eventually(
            lambda: asyncio.sleep(0, one.assignment()),
            lambda a: len(a) == transport.partitions,
            what="the partitions assigned",
        )
        await one.commit([Record(topic="intake.incidents", key=None, value=b"", partition=0, offset=0)])
        two = transport.subscribe("g", ["intake.incidents"], "two")
        await two.start()
        try:

            def shared(a) -> bool:  # both hold partitions, and the first no longer holds what the second took
                mine, theirs = ({tp.partition for tp in x} for x in a)
                return bool(mine) and bool(theirs) and not mine & theirs

            await eventually(
                lambda: asyncio.sleep(0, (one.assignment(), two.assignment())), shared, what="the partitions shared"
            )
            moved = set(range(transport.partitions)) - {tp.partition for tp in one.assignment()}
            assert moved
            await one.commit(
                [
                    Record(topic="intake.incidents", key=None, value=b"", partition=p, offset=5)
                    for p in range(transport.partitions)
                ]
            )
        finally:
            await two.stop()
    finally:
        await one.stop()
