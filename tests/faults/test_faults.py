"""The fault suite (`make test-faults`, also part of `make test`): the distributed stack under a
steady flow of incidents while processes are killed, Kafka is stopped and PostgreSQL restarts.
After each fault, once the stack settles: every incident accepted with HTTP 201 is dispatched
exactly once, no event is applied twice, no case is stuck, outboxes drain and consumer lag is
zero. Clients retry with their Idempotency-Key, as a hotline client should.

Beside the hotline's flow, each fault also meets camera captures that join an open incident
(重复件: cases records each in the trail) and citizens rating closed cases (cases evaluates
each): every one of them is applied exactly once too."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from devstack.stack import SERVICES, Stack, StackConfig
from tests.conftest import token
from tests.helpers import INCIDENT, photo_bytes
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


@dataclass
class Citizens:
    """Camera captures at one spot, which join the first capture's incident, and citizens who rate
    the cases prepared for them, closed, before the fault; every call retried until answered."""

    intake_url: str
    cases_url: str
    spot: tuple[float, float]
    to_rate: list[tuple[str, str]] = field(default_factory=list)  # (token, incident id)
    joined: dict[str, str] = field(default_factory=dict)  # joined report -> the incident it joined
    rated: set[str] = field(default_factory=set)
    errors: Counter = field(default_factory=Counter)

    async def prepare(self, http: httpx.AsyncClient, n: int, lat: float) -> None:
        """n web reports (at points far enough apart not to join), filed, dispatched, handled and
        checked: closed and waiting for their citizen's rating."""
        monitor, dispatcher = _bearer("field_monitor", "monitor-f"), _bearer("dispatcher", "disp-f")
        leader, checker = _bearer("squad_leader", "leader-ruhe", "sq-ruhe"), _bearer("field_monitor", "monitor-g")
        for i in range(n):
            form = {
                "category": "street_vending",
                "lon": str(113.600 + i * 0.002),
                "lat": str(lat),
                "description": "路口占道摆摊",
            }
            r = await http.post(f"{self.intake_url}/public/v1/reports", data=form)
            assert r.status_code == 201, r.text
            token_, incident_id = r.json()["token"], r.json()["reference"]
            case_id = await _until(
                lambda: http.get(f"{self.intake_url}/v1/incidents/{incident_id}", headers=dispatcher),
                lambda r: r.json().get("case_id"),
            )
            case_id = case_id.json()["case_id"]
            for step, who in (("verify", monitor), ("file", dispatcher)):
                body = {"confirmed": True} if step == "verify" else {}
                r = await http.post(f"{self.cases_url}/v1/cases/{case_id}/{step}", json=body, headers=who)
                assert r.status_code == 200, r.text
            await _until(
                lambda: http.get(f"{self.cases_url}/v1/cases/{case_id}", headers=dispatcher),
                lambda r: r.json()["status"] == "dispatched",
            )
            photos = [
                ("before", ("b.jpg", photo_bytes(), "image/jpeg")),
                ("after", ("a.jpg", photo_bytes((10, 200, 10)), "image/jpeg")),
            ]
            r = await http.post(
                f"{self.cases_url}/v1/cases/{case_id}/handle",
                data={"outcome": "resolved"},
                files=photos,
                headers=leader,
            )
            assert r.status_code == 200, r.text
            r = await http.post(f"{self.cases_url}/v1/cases/{case_id}/check", json={"passed": True}, headers=checker)
            assert r.status_code == 200, r.text
            await _until(
                lambda: http.get(f"{self.intake_url}/public/v1/reports/{token_}"), lambda r: r.json()["can_rate"]
            )
            self.to_rate.append((token_, incident_id))

    async def register_camera(self, http: httpx.AsyncClient, ledger_url: str, stack: Stack) -> None:
        """The camera in the register of devices, and intake told of it: a machine event names one."""
        camera = {
            "kind": "fixed_camera",
            "serial_number": "HK-F-01",
            "location": {"lon": self.spot[0], "lat": self.spot[1]},
        }
        r = await http.put(f"{ledger_url}/v1/devices/cam-f", json=camera, headers=_bearer("ledger_clerk", "clerk-f"))
        assert r.status_code == 200, r.text
        conn = await asyncpg.connect(stack.postgres.url("cgzf").replace("postgresql+asyncpg", "postgresql"))
        try:
            deadline = time.monotonic() + 60
            while not await conn.fetchval("SELECT count(*) FROM intake.known_devices WHERE device_id = 'cam-f'"):
                assert time.monotonic() < deadline, "intake never learnt of the camera"
                await asyncio.sleep(0.2)
        finally:
            await conn.close()

    async def capture(self, http: httpx.AsyncClient, n: int, prefix: str) -> None:
        body = {
            "source_event_id": f"{prefix}-cam-{n}",
            "kind": "parking_capture",
            "device_id": "cam-f",
            "occurred_at": "2026-11-30T09:00:00+08:00",
            "plate": f"豫A{n:05d}",
            "location": {"lon": self.spot[0], "lat": self.spot[1]},
        }
        give_up = time.monotonic() + 90
        while time.monotonic() < give_up:
            try:
                r = await http.post(
                    f"{self.intake_url}/v1/machine-events",
                    json=body,
                    headers=_bearer("external_system", "cam-platform"),
                )
                if r.status_code in (200, 201):
                    if r.json()["duplicate_of"]:
                        self.joined[r.json()["id"]] = r.json()["duplicate_of"]
                    return
                self.errors[f"capture {r.status_code}"] += 1
            except httpx.HTTPError as exc:
                self.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.5)

    async def rate(self, http: httpx.AsyncClient, token_: str, incident_id: str) -> None:
        give_up = time.monotonic() + 90
        while time.monotonic() < give_up:
            try:
                r = await http.post(
                    f"{self.intake_url}/public/v1/reports/{token_}/rating",
                    json={"rating": "basically_satisfied", "comment": "基本满意"},
                )
                if r.status_code == 200 or r.status_code == 409 and "already rated" in r.text:
                    self.rated.add(incident_id)
                    return
                self.errors[f"rating {r.status_code}"] += 1
            except httpx.HTTPError as exc:
                self.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.5)

    async def flow(self, stop: asyncio.Event, prefix: str) -> None:
        """Two captures and one rating a second, while the hotline's flow runs."""
        tasks, n = [], 0
        async with httpx.AsyncClient(timeout=5) as http:
            while not stop.is_set():
                tasks += [asyncio.create_task(self.capture(http, 2 * n + k, prefix)) for k in (0, 1)]
                if n < len(self.to_rate):
                    tasks.append(asyncio.create_task(self.rate(http, *self.to_rate[n])))
                n += 1
                await asyncio.sleep(1)
            for token_, incident_id in self.to_rate[n:]:  # the fault was short: rate the rest now
                tasks.append(asyncio.create_task(self.rate(http, token_, incident_id)))
            await asyncio.gather(*tasks)

    async def count(self, stack: Stack) -> dict:
        """Each joined capture once in its case's trail, each rating once as its case's 评价."""
        conn = await asyncpg.connect(stack.postgres.url("cgzf").replace("postgresql+asyncpg", "postgresql"))
        try:
            joined = Counter(
                dict(
                    await conn.fetch(
                        "SELECT data->>'incident_id', count(*) FROM cases.case_trail WHERE action = 'report_joined' "
                        "AND data->>'incident_id' = ANY($1::text[]) GROUP BY 1",
                        list(self.joined),
                    )
                )
            )
            evaluations = Counter(
                dict(
                    await conn.fetch(
                        "SELECT c.incident_id, count(t.*) FROM cases.cases c "
                        "JOIN cases.case_trail t ON t.case_id = c.id "
                        "AND t.action = 'evaluate' WHERE c.incident_id = ANY($1::text[]) GROUP BY 1",
                        list(self.rated),
                    )
                )
            )
        finally:
            await conn.close()
        return {
            "joined": len(self.joined),
            "joined_lost": sum(1 for i in self.joined if not joined[i]),
            "joined_twice": sum(1 for n in joined.values() if n > 1),
            "rated": len(self.rated),
            "rated_lost": sum(1 for i in self.rated if not evaluations[i]),
            "rated_twice": sum(1 for n in evaluations.values() if n > 1),
            "not_rated": len(self.to_rate) - len(self.rated),
        }


def _bearer(role: str, subject: str, squad: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, subject, squad)}"}


async def _until(probe, ok, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while True:
        r = await probe()
        if r.status_code == 200 and ok(r):
            return r
        assert time.monotonic() < deadline, f"not reached: {r.status_code} {r.text[:300]}"
        await asyncio.sleep(0.2)


STACK_SETTINGS = {
    "INTAKE_PUBLIC_REPORTS_PER_MINUTE": "100000",
    "INTAKE_PUBLIC_READS_PER_MINUTE": "100000",
    "INTAKE_FLOOD_MAX_REPORTS": "0",
}
"""The suite's citizens all come from 127.0.0.1: the per-address limits would stop them."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(StackConfig.on_spare_ports(tmp_path_factory.mktemp("faults")), settings=STACK_SETTINGS)
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
                "AND squad_id IS NOT NULL",
                list(incident_ids),
            )
            backlog = {
                s: await conn.fetchval(f"SELECT count(*) FROM {s}.outbox WHERE published_at IS NULL") for s in SERVICES
            }
            stuck = await conn.fetchval(
                "SELECT count(*) FROM cases.cases WHERE incident_id = ANY($1::text[]) AND status <> 'dispatched'",
                list(incident_ids),
            )
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
        cases_per_incident = Counter(
            dict(
                await conn.fetch(
                    "SELECT incident_id, count(*) FROM cases.cases WHERE incident_id = ANY($1::text[]) "
                    "GROUP BY incident_id",
                    list(incident_ids),
                )
            )
        )
        case_ids = [
            r[0]
            for r in await conn.fetch(
                "SELECT id FROM cases.cases WHERE incident_id = ANY($1::text[])", list(incident_ids)
            )
        ]
        assignments = await conn.fetchval(
            "SELECT count(*) FROM dispatch.assignments WHERE case_id = ANY($1::text[])", case_ids
        )
    finally:
        await conn.close()
    dispatched_events: dict[str, set[str]] = {}
    for record in await read_topic(stack.kafka.bootstrap, "cases.cases"):
        event = as_cloudevent(record)
        if event.get_type().endswith("case.dispatched.v1") and event.get_data()["incident_id"] in incident_ids:
            dispatched_events.setdefault(event.get_data()["incident_id"], set()).add(event.get_id())
    duplicated_keys = sum(1 for k in keys if len(client.accepted.get(k, ())) > 1)
    twice = sum(1 for ids in dispatched_events.values() if len(ids) > 1) + sum(
        1 for n in cases_per_incident.values() if n > 1
    )
    accepted = sum(1 for k in keys if client.accepted.get(k))
    return {
        "sent": len(keys),
        "accepted": accepted,
        "dispatched": dispatched,
        "duplicated": duplicated_keys + twice + max(0, assignments - len(case_ids)),
        "lost": len(incident_ids) - dispatched + (len(keys) - accepted),
        "stuck": stuck,
        "outbox_backlog": sum(backlog.values()),
        "lag": sum(lag.values()),
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
    n = [f[0] for f in FAULTS].index(name)
    citizens = Citizens(
        client.base_url, f"http://127.0.0.1:{stack.config.service_port('cases')}", spot=(113.600 + n * 0.004, 34.745)
    )
    async with httpx.AsyncClient(timeout=10) as http:
        await citizens.register_camera(http, f"http://127.0.0.1:{stack.config.service_port('ledger')}", stack)
        await citizens.prepare(http, 8, lat=34.725 + n * 0.003)
    stop = asyncio.Event()
    prefix = f"{name.replace(' ', '_')}-{os.getpid()}"
    flows = [asyncio.create_task(client.flow(stop, prefix)), asyncio.create_task(citizens.flow(stop, prefix))]
    await asyncio.sleep(3)
    await asyncio.to_thread(fault, stack)
    await asyncio.sleep(4)
    stop.set()
    await asyncio.gather(*flows)
    keys = [f"{prefix}-{i}" for i in range(client.sent)]
    counts = await settle_and_count(stack, client, keys)
    extra = await citizens.count(stack)
    REPORT.append((name, {**counts, **extra}))
    print(
        f"\n{name:20} sent {counts['sent']:4}  accepted {counts['accepted']:4}  dispatched {counts['dispatched']:4}  "
        f"duplicated {counts['duplicated']}  lost {counts['lost']};  joined {extra['joined']} (lost "
        f"{extra['joined_lost']}, twice {extra['joined_twice']}), rated {extra['rated']} (lost {extra['rated_lost']}, "
        f"twice {extra['rated_twice']})  (client saw {dict(client.errors)} {dict(citizens.errors)})"
    )
    assert extra["joined"] >= 5 and extra["rated"] == 8 and extra["not_rated"] == 0, extra
    assert extra["joined_lost"] == extra["joined_twice"] == extra["rated_lost"] == extra["rated_twice"] == 0, extra
    assert counts["sent"] >= RATE * 5
    assert counts["lost"] == 0 and counts["duplicated"] == 0, counts
    assert counts["stuck"] == 0 and counts["outbox_backlog"] == 0 and counts["lag"] == 0, counts
    assert counts["dispatched"] == counts["accepted"] == counts["sent"]
    for service in SERVICES:
        stack.wait_ready(service, timeout_s=60)


def make_up(stack: Stack, log: Path) -> tuple[int, str]:
    """`make up` in a process of its own, started with posix_spawn: subprocess.Popen would first
    reap this process's dead children, and the dead service must stay a zombie, as it does when
    the process that started the stack is still there and busy."""
    env = {**os.environ, **stack.settings, **stack.config.as_env()}
    with open(log, "wb") as out:
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", "devstack", "up"],
            env,
            file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, out.fileno(), 2)],
        )
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), log.read_text(errors="replace")


def test_make_up_right_after_a_crash_restarts_exactly_what_died(stack, tmp_path):
    """kill -9 of one service, then `make up` at once: the dead process (a zombie not yet reaped
    by its parent, this test) does not count as running; only it is started again."""
    for service in SERVICES:
        before = {s: stack.service_pid(s) for s in SERVICES}
        assert all(before.values()), before
        os.killpg(before[service], signal.SIGKILL)  # a crash: nobody reaps it yet
        time.sleep(0.2)
        assert Path(f"/proc/{before[service]}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        code, output = make_up(stack, tmp_path / f"up-{service}.log")
        assert code == 0, output
        after = {s: stack.service_pid(s) for s in SERVICES}
        assert after[service] not in (None, before[service]), (service, before, after)
        assert {s: p for s, p in after.items() if s != service} == {s: p for s, p in before.items() if s != service}
