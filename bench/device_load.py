"""The devices' streams on the bench's stack (issue 27): readings posted by a vendor's platform to
ledger (`POST /v1/telemetry`, batches of 1,000), carried on Kafka and judged by `ledger.judge`
(Quix Streams, exactly-once), the samples kept by ledger's consumer.

- Readings a second, sustained from ingestion through judgement: 200,000 readings of 20,000 devices
  (10,000 dog tags among 50 no-dog zones, 10,000 fume monitors) sent as fast as four posters can,
  timed until the judge's consumer group has committed the last of them.
- The latency from a reading to its alarm on `ledger.alarms` (as a read_committed consumer is
  given it), while 1,000 readings a second are sent for 20 s, each second 10 of them a tag's first
  position inside a school's zone: p50 and p99.
- CPU per 1,000 readings (ledger, the judge, Kafka and PostgreSQL, during the sustained run), and
  the judge's resident memory per 10,000 devices (its RSS before and after it holds their state).

The devices are put in the register with SQL (the bench's setup, not what it measures): 20,000
registrations through the API would take longer than the measurement."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.load import percentile
from bench.procs import cpu_seconds, postgres_pids, rss_mb
from common.auth import Role, issue_token
from common.clock import BEIJING
from common.settings import AuthSettings
from devstack.stack import DATABASE, Stack

TAGS, MONITORS, PER_DEVICE = 10_000, 10_000, 10
ZONES = 50
LATENCY_S, LATENCY_RATE, ALARMS_PER_S = 20, 1_000, 10


def _bearer(role: Role, subject: str, scopes: tuple[str, ...] = ()) -> dict:
    return {"Authorization": f"Bearer {issue_token(AuthSettings(), role, subject, scopes=scopes)}"}


LICENCE = {
    "owner": {
        "name": "压测犬主",
        "id_number": "410102199001011234",
        "phone": "13903711234",
        "address": "汝河路 12 号院 3 号楼",
        "location": {"lon": 113.6150, "lat": 34.7420},
    },
    "dog": {"name": "压测犬", "breed": "柯基犬", "size": "small", "sex": "female", "birth_date": "2024-01-10"},
    "rabies": {"certificate": "ZY-2026-88123", "vaccinated_on": "2026-11-01"},
}
"""One licence stands for all the tags: the judge reads its dog's size class."""


def ten_in_the_morning() -> datetime:
    """The last 10:00 in Beijing at least an hour ago: the readings' time, within a dog's walking hours
    (a run at night would otherwise make every tag's walk an alarm)."""
    now = datetime.now(BEIJING)
    at = now.replace(hour=10, minute=0, second=0, microsecond=0)
    return (at if at <= now - timedelta(hours=1) else at - timedelta(days=1)).astimezone(UTC)


def _zone(n: int) -> tuple[float, float]:
    """The n-th zone's south-west corner: a row of small squares along 34.70 (south of the homes)."""
    return 113.50 + n * 0.003, 34.700


async def _register(stack: Stack, base: str) -> None:
    admin, clerk = _bearer(Role.admin, "bench-admin"), _bearer(Role.ledger_clerk, "bench-clerk")
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for n in range(ZONES):
            lon, lat = _zone(n)
            ring = [[lon, lat], [lon + 0.002, lat], [lon + 0.002, lat + 0.002], [lon, lat + 0.002], [lon, lat]]
            body = {"name": f"学校{n}", "kind": "school", "polygon": {"type": "Polygon", "coordinates": [ring]}}
            (await client.put(f"/v1/dog-zones/bench-zone-{n}", json=body, headers=admin)).raise_for_status()
        shop = await client.post(
            "/v1/merchants",
            headers=clerk,
            json={
                "name": "压测餐馆",
                "operator": "压测",
                "address": "压测路1号",
                "business_nature": "餐饮",
                "location": {"lon": 113.621, "lat": 34.751},
            },
        )
        shop.raise_for_status()
        licence = None
        for _ in range(100):  # ledger learns the grids from dispatch's events: a moment after start
            r = await client.post("/v1/dog-licences", headers=clerk, json=LICENCE)
            if r.status_code == 201:
                licence = r.json()["id"]
                break
            await asyncio.sleep(0.3)
        if licence is None:
            raise RuntimeError(f"no licence: {r.text}")
    dsn = stack.postgres.url(DATABASE).replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        rows = [
            (f"bt-{n:05d}", "dog_tag", licence, None)
            for n in range(TAGS + 200)  # 200 more for the latency run
        ] + [(f"bm-{n:05d}", "fume_monitor", None, shop.json()["id"]) for n in range(MONITORS)]
        await conn.copy_records_to_table(
            "devices",
            schema_name="ledger",
            columns=["id", "kind", "status", "licence_id", "merchant_id", "version", "updated_by", "updated_at"],
            records=[(d, k, "active", lic, m, 1, "bench", now) for d, k, lic, m in rows],
        )
    finally:
        await conn.close()


def _readings(start: datetime) -> list[list[dict]]:
    """The sustained run's readings in batches of 1,000, each device's in time order."""
    out: list[dict] = []
    for k in range(PER_DEVICE):
        at = (start + timedelta(seconds=30 * k)).isoformat()
        for n in range(TAGS):
            lon, lat = 113.57 + (n % 100) * 0.0008 + k * 0.0001, 34.73 + (n // 100) * 0.0004
            out.append({"device_id": f"bt-{n:05d}", "time": at, "lon": round(lon, 6), "lat": round(lat, 6)})
        for n in range(MONITORS):
            fume = 2.5 if n % 50 == 0 else 0.8  # one in fifty exceeds: an alarm from its third reading
            out.append(
                {
                    "device_id": f"bm-{n:05d}",
                    "time": at,
                    "fume_mg_m3": fume,
                    "pm_mg_m3": 1.0,
                    "nmhc_mg_m3": 4.0,
                    "fan_on": True,
                    "purifier_on": True,
                }
            )
    return [out[i : i + 1000] for i in range(0, len(out), 1000)]


async def _judged(bootstrap: str, namespace: str, sent: int, timeout_s: float = 600) -> float:
    """Wait until the judge's group has committed every reading sent; returns when it had."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await probe.start()
    topic = namespace + "ledger.readings"
    try:
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            committed = await admin.list_consumer_group_offsets(namespace + "ledger.judge")
            done = sum(o.offset for tp, o in committed.items() if tp.topic == topic and o.offset > 0)
            await probe._client.force_metadata_update()  # the probe subscribes to nothing: ask for the topic's
            partitions = probe.partitions_for_topic(topic) or set()
            end = await probe.end_offsets([TopicPartition(topic, p) for p in partitions])
            if partitions and done >= sum(end.values()) and sum(end.values()) >= sent:
                return time.perf_counter()
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the judge had not judged {sent:,} readings after {timeout_s:.0f} s")
    finally:
        await probe.stop()
        await admin.close()


def _cpu(stack: Stack) -> float:
    pids = [stack.service_pid("ledger"), stack.judge.pid(), stack.kafka.pid(), *postgres_pids(stack.postgres.data_dir)]
    return sum(cpu_seconds(p) for p in pids)


async def measure(stack: Stack, progress) -> dict:
    base = f"http://127.0.0.1:{stack.config.service_port('ledger')}"
    vendor = _bearer(Role.external_system, "bench-vendor", ("device-vendor",))
    out: dict = {}
    await _register(stack, base)
    await asyncio.sleep(12)  # the judge reads the register again (LEDGER_JUDGE_REFERENCE_REFRESH_S)
    judge = stack.judge.pid()
    if judge is None:
        raise RuntimeError("the judge is not running:\n" + stack.judge.log_tail())
    rss_before = rss_mb(judge)
    batches = _readings(ten_in_the_morning())
    sent = sum(len(b) for b in batches)
    queue: asyncio.Queue = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)
    progress(f"  devices: {sent:,} readings of {TAGS + MONITORS:,} devices, batches of 1,000, four posters")
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:

        async def poster() -> None:
            while not queue.empty():
                batch = queue.get_nowait()
                r = await client.post("/v1/telemetry", json={"readings": batch}, headers=vendor)
                r.raise_for_status()
                if r.json()["accepted"] != len(batch):
                    raise RuntimeError(f"refused: {r.json()['refused'][:3]}")

        cpu_before, started = _cpu(stack), time.perf_counter()
        await asyncio.gather(*(poster() for _ in range(4)))
        posted = time.perf_counter()
        done = await _judged(stack.kafka.bootstrap, stack.config.namespace, sent)
        cpu = _cpu(stack) - cpu_before
        out["device_readings_per_s"] = round(sent / (done - started))
        out["device_ingest_readings_per_s"] = round(sent / (posted - started))
        out["device_cpu_ms_per_1000_readings"] = round(cpu / sent * 1000 * 1000, 1)
        out["judge_rss_mb_per_10k_devices"] = round((rss_mb(judge) - rss_before) / ((TAGS + MONITORS) / 10_000), 1)
        progress(
            f"  sustained: {out['device_readings_per_s']:,} readings/s judged (taken at "
            f"{out['device_ingest_readings_per_s']:,}/s); {out['device_cpu_ms_per_1000_readings']} CPU ms per 1,000; "
            f"judge RSS {rss_before:.0f} → {rss_mb(judge):.0f} MB"
        )
        out.update(await _latency(stack, client, vendor))
        progress(
            f"  reading → alarm at {LATENCY_RATE:,}/s: p50 {out['device_alarm_p50_ms']} ms, "
            f"p99 {out['device_alarm_p99_ms']} ms ({out['device_alarms_seen']} alarms)"
        )
    return out


async def _latency(stack: Stack, client: httpx.AsyncClient, vendor: dict) -> dict:
    """1,000 readings a second for LATENCY_S seconds; each second ALARMS_PER_S of them a fresh tag's
    first position inside a zone. The time from posting it to its alarm on Kafka."""
    topic = stack.config.namespace + "ledger.alarms"
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.kafka.bootstrap, isolation_level="read_committed", auto_offset_reset="latest"
    )
    await consumer.start()
    await consumer.seek_to_end()
    sent_at: dict[str, float] = {}
    seen: dict[str, float] = {}

    async def listen() -> None:
        async for record in consumer:
            device = record.key.decode()
            if device.startswith("bt-1") and device in sent_at and device not in seen:
                seen[device] = time.perf_counter()

    listener = asyncio.create_task(listen())
    try:
        fresh = iter(f"bt-{n:05d}" for n in range(TAGS, TAGS + 200))
        zone_lon, zone_lat = _zone(7)
        base = ten_in_the_morning() + timedelta(minutes=30)
        for second in range(LATENCY_S):
            tick = time.perf_counter()
            for part in range(10):  # 100 readings every 100 ms
                at = (base + timedelta(seconds=second, milliseconds=part * 100)).isoformat()
                batch = [
                    {"device_id": f"bm-{(second * 1000 + part * 100 + i) % MONITORS:05d}", "time": at}
                    | {"fume_mg_m3": 0.7, "fan_on": True, "purifier_on": True}
                    for i in range(100 - ALARMS_PER_S // 10)
                ]
                alarming = [next(fresh) for _ in range(ALARMS_PER_S // 10)]
                batch += [
                    {"device_id": d, "time": at, "lon": zone_lon + 0.001, "lat": zone_lat + 0.001} for d in alarming
                ]
                now = time.perf_counter()
                for d in alarming:
                    sent_at[d] = now
                (await client.post("/v1/telemetry", json={"readings": batch}, headers=vendor)).raise_for_status()
                await asyncio.sleep(max(0.0, tick + (part + 1) * 0.1 - time.perf_counter()))
        deadline = time.perf_counter() + 30
        while len(seen) < len(sent_at) and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
    finally:
        listener.cancel()
        await consumer.stop()
    waits = [(seen[d] - sent_at[d]) * 1000 for d in seen]
    return {
        "device_alarm_p50_ms": round(percentile(waits, 50) or 0, 1),
        "device_alarm_p99_ms": round(percentile(waits, 99) or 0, 1),
        "device_alarms_seen": f"{len(seen)}/{len(sent_at)}",
    }
