"""The fault suite (`make test-faults`, also part of `make test`): the distributed stack under a
steady flow of incidents while processes are killed, Kafka is stopped and PostgreSQL restarts.
After each fault, once the stack settles: every incident accepted with HTTP 201 is dispatched
exactly once, no event is applied twice, no case is stuck, outboxes drain and consumer lag is
zero. Clients retry with their Idempotency-Key, as a hotline client should."""
from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from devstack.stack import SERVICES, Stack, StackConfig
from tests.conftest import token
from tests.helpers import INCIDENT
from tests.kafka_tools import as_cloudevent, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.stack, pytest.mark.faults]

RATE = 15  # incidents a second, steady
GROUPS = ("intake", "dispatch", "cases", "ledger", "reporting")


@dataclass
class Client:
    """A hotline client: each complaint has its own Idempotency-Key and is retried until accepted."""
    base_url: str
    sent: int = 0
    accepted: dict[str, set[str]] = field(default_factory=dict)  # key -> incident ids it got back
    errors: Counter = field(default_factory=Counter)

    async def report(self, http: httpx.AsyncClient, key: str, deadline_s: float = 90) -> None:
        self.sent += 1
        headers = {"Authorization": f"Bearer {token('hotline_operator', 'fault-operator')}", "Idempotency-Key": key}
        give_up = time.monotonic() + deadline_s
        while time.monotonic() < give_up:
            try:
                r = await http.post(f"{self.base_url}/v1/incidents", json=INCIDENT, headers=headers)
                if r.status_code == 201:
                    self.accepted.setdefault(key, set()).add(r.json()["id"])
                    # retry once more on purpose: the key must bring back the same incident
                    again = await http.post(f"{self.base_url}/v1/incidents", json=INCIDENT, headers=headers)
                    if again.status_code == 201:
                        self.accepted[key].add(again.json()["id"])
                    return
                self.errors[r.status_code] += 1
            except httpx.HTTPError as exc:
                self.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.5)

    async def flow(self, stop: asyncio.Event, prefix: str) -> None:
        """Send RATE new complaints a second until told to stop; wait for every retry to end."""
        tasks, i = [], 0
        async with httpx.AsyncClient(timeout=5) as http:
            start = time.monotonic()
            while not stop.is_set():
                tasks.append(asyncio.create_task(self.report(http, f"{prefix}-{i}")))
                i += 1
                await asyncio.sleep(max(0.0, start + i / RATE - time.monotonic()))
            await asyncio.gather(*tasks)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(StackConfig.on_spare_ports(tmp_path_factory.mktemp("faults")))
    s.up()
    yield s
    s.down()


async def settle_and_count(stack: Stack, client: Client, keys: list[str], timeout_s: float = 120) -> dict:
    dsn = stack.postgres.url("cgzf").replace("postgresql+asyncpg", "postgresql")
    incident_ids = {i for k in keys for i in client.accepted.get(k, ())}
    deadline = time.monotonic() + timeout_s
    while True:
        conn = await asyncpg.connect(dsn)
        try:
            dispatched = await conn.fetchval(
                "SELECT count(*) FROM intake.incidents WHERE id = ANY($1::text[]) AND status = 'dispatched' "
                "AND squad_id IS NOT NULL", list(incident_ids))
            backlog = {s: await conn.fetchval(f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL")
                       for s in SERVICES}
            stuck = await conn.fetchval(
                "SELECT count(*) FROM cases.cases WHERE incident_id = ANY($1::text[]) AND status <> 'dispatched'",
                list(incident_ids))
        finally:
            await conn.close()
        lag = await consumer_lag(stack)
        settled = dispatched == len(incident_ids) and not any(backlog.values()) and not stuck and not any(lag.values())
        if settled or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)

    # exactly once: one case, one assignment and one CaseDispatched (by event id) per incident
    conn = await asyncpg.connect(dsn)
    try:
        cases_per_incident = Counter(dict(await conn.fetch(
            "SELECT incident_id, count(*) FROM cases.cases WHERE incident_id = ANY($1::text[]) GROUP BY incident_id",
            list(incident_ids))))
        case_ids = [r[0] for r in await conn.fetch(
            "SELECT id FROM cases.cases WHERE incident_id = ANY($1::text[])", list(incident_ids))]
        assignments = await conn.fetchval(
            "SELECT count(*) FROM dispatch.assignments WHERE case_id = ANY($1::text[])", case_ids)
    finally:
        await conn.close()
    dispatched_events: dict[str, set[str]] = {}
    for record in await read_topic(stack.kafka.bootstrap, "cases.cases"):
        event = as_cloudevent(record)
        if event.get_type().endswith("case.dispatched.v1") and event.get_data()["incident_id"] in incident_ids:
            dispatched_events.setdefault(event.get_data()["incident_id"], set()).add(event.get_id())
    duplicated_keys = sum(1 for k in keys if len(client.accepted.get(k, ())) > 1)
    twice = sum(1 for ids in dispatched_events.values() if len(ids) > 1) + \
        sum(1 for n in cases_per_incident.values() if n > 1)
    accepted = sum(1 for k in keys if client.accepted.get(k))
    return {
        "sent": len(keys), "accepted": accepted, "dispatched": dispatched,
        "duplicated": duplicated_keys + twice + max(0, assignments - len(case_ids)),
        "lost": len(incident_ids) - dispatched + (len(keys) - accepted),
        "stuck": stuck, "outbox_backlog": sum(backlog.values()), "lag": sum(lag.values()),
        "dispatch_events": sum(len(v) for v in dispatched_events.values()),
    }


async def consumer_lag(stack: Stack) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka.bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap)
    await admin.start()
    await consumer.start()
    try:
        lag = {}
        for group in GROUPS:
            committed = await admin.list_consumer_group_offsets(group)
            tps = [tp for tp in committed if not tp.topic.endswith(".dlq")]
            if not tps:
                lag[group] = 0
                continue
            end = await consumer.end_offsets(tps)
            lag[group] = sum(max(0, end[tp] - committed[tp].offset) for tp in tps)
        return lag
    finally:
        await consumer.stop()
        await admin.close()


def kill_and_restart(service: str, down_s: float = 1):
    def fault(stack: Stack) -> None:
        stack.kill_service(service)
        time.sleep(down_s)
        stack.start_service(service)
        stack.wait_ready(service)
    return fault


def stop_kafka_for_10s(stack: Stack) -> None:
    stack.kafka.stop()
    time.sleep(10)
    stack.kafka.start()


def restart_postgres(stack: Stack) -> None:
    stack.postgres.stop("fast")
    time.sleep(2)
    stack.postgres.start()


FAULTS = [
    ("kill -9 cases", kill_and_restart("cases")),
    ("kill -9 dispatch", kill_and_restart("dispatch")),
    # down long enough that the clients' retries arrive as one burst when it is back
    ("kill -9 intake", kill_and_restart("intake", down_s=15)),
    ("stop Kafka 10 s", stop_kafka_for_10s),
    ("restart PostgreSQL", restart_postgres),
]
REPORT: list[tuple[str, dict]] = []


@pytest.mark.parametrize("name, fault", FAULTS, ids=[f[0] for f in FAULTS])
async def test_nothing_is_lost_or_applied_twice(stack, name, fault):
    client = Client(f"http://127.0.0.1:{stack.config.service_port('intake')}")
    stop = asyncio.Event()
    prefix = f"{name.replace(' ', '_')}-{os.getpid()}"
    flow = asyncio.create_task(client.flow(stop, prefix))
    await asyncio.sleep(3)
    await asyncio.to_thread(fault, stack)
    await asyncio.sleep(4)
    stop.set()
    await flow
    keys = [f"{prefix}-{i}" for i in range(client.sent)]
    counts = await settle_and_count(stack, client, keys)
    REPORT.append((name, counts))
    print(f"\n{name:20} sent {counts['sent']:4}  accepted {counts['accepted']:4}  dispatched {counts['dispatched']:4}  "
          f"duplicated {counts['duplicated']}  lost {counts['lost']}  (client saw {dict(client.errors)})")
    assert counts["sent"] >= RATE * 5
    assert counts["lost"] == 0 and counts["duplicated"] == 0, counts
    assert counts["stuck"] == 0 and counts["outbox_backlog"] == 0 and counts["lag"] == 0, counts
    assert counts["dispatched"] == counts["accepted"] == counts["sent"]
    for service in SERVICES:
        stack.wait_ready(service, timeout_s=60)
