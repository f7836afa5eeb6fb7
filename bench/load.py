"""Open-loop load on intake's HTTP API, and the end-to-end clock: each POST carries its own
X-Request-ID, which the platform carries as the CloudEvents `correlationid` into every event
the complaint causes; the assignment event on Kafka with that id stops the clock."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
from aiokafka import AIOKafkaConsumer

from common.messaging.contracts import Topics

# Points inside each of the 中原区 grids, and the categories most reported there.
POINTS = [
    (113.610, 34.740),
    (113.640, 34.765),
    (113.610, 34.765),
    (113.640, 34.740),
    (113.580, 34.750),
    (113.530, 34.760),
    (113.600, 34.725),
    (113.650, 34.775),
]
CATEGORIES = [
    "street_vending",
    "storefront_overflow",
    "open_air_barbecue",
    "cooking_fumes",
    "noise",
    "dust",
    "construction_waste",
    "illegal_parking",
    "illegal_flyers",
    "roadside_waste",
    "dog_nuisance",
]
DESCRIPTIONS = [
    "门口有人占道摆摊，影响通行",
    "夜间烧烤油烟很大",
    "工地夜间施工噪音扰民",
    "渣土车抛洒，路面全是泥",
    "人行道上乱停车",
    "墙上贴满小广告",
    "沿街堆放废弃物",
    "有人遛狗不拴绳",
]


def incident_payload(rng: random.Random) -> dict:
    lon, lat = rng.choice(POINTS)
    return {
        "category": rng.choice(CATEGORIES),
        "location": {
            "lon": round(lon + rng.uniform(-0.004, 0.004), 6),
            "lat": round(lat + rng.uniform(-0.004, 0.004), 6),
        },
        "description": rng.choice(DESCRIPTIONS),
        "caller": {"name": "市民", "phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"},
    }


@dataclass
class Sample:
    sent_at: float
    http_ms: float | None = None
    status: int | None = None
    done_at: float | None = None


@dataclass
class Tracker:
    """Matches assignment events to the POSTs that caused them."""

    bootstrap: str
    namespace: str = ""
    samples: dict[str, Sample] = field(default_factory=dict)
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task | None = None

    async def start(self) -> None:
        topic = self.namespace + Topics.assignments
        # No group: the consumer is given every partition of the topic and starts at its end.
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=50,
        )
        await self._consumer.start()
        for _ in range(100):
            if self._consumer.assignment():
                break
            await asyncio.sleep(0.1)
        tps = list(self._consumer.assignment())
        if not tps:
            raise RuntimeError(f"no partitions of {topic}: is the stack up?")
        await self._consumer.seek_to_end(*tps)
        for tp in tps:
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batches.values():
                for r in records:
                    cid = dict(r.headers).get("ce_correlationid", b"").decode()
                    sample = self.samples.get(cid)
                    if sample is not None and sample.done_at is None:
                        sample.done_at = now

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        if self._consumer:
            await self._consumer.stop()


async def offer(
    client: aiohttp.ClientSession, tracker: Tracker, token: str, rate: float, seconds: float, seed: int
) -> list[Sample]:
    """Send `rate` POSTs a second for `seconds`, on schedule whatever the answers' speed."""
    rng = random.Random(seed)
    samples: list[Sample] = []
    tasks = []

    async def one(payload: dict) -> None:
        rid = uuid.uuid4().hex
        sample = Sample(sent_at=time.perf_counter())
        tracker.samples[rid] = sample
        samples.append(sample)
        try:
            async with client.post(
                "/v1/incidents", json=payload, headers={"Authorization": f"Bearer {token}", "X-Request-ID": rid}
            ) as r:
                await r.read()
                sample.status = r.status
        except (TimeoutError, aiohttp.ClientError):
            sample.status = 0
        sample.http_ms = (time.perf_counter() - sample.sent_at) * 1000

    start = time.perf_counter()
    n = int(rate * seconds)
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(incident_payload(rng))))
    await asyncio.gather(*tasks)
    return samples


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


@dataclass
class OutboxTracker:
    """Matches the dispatch outbox's AssignmentCreated rows to the POSTs that caused them, by the
    correlation id each row keeps: the end-to-end clock where there is no Kafka (make run). The
    row's created_at is the dispatch transaction's commit time, on this machine's clock."""

    dsn: str
    samples: dict[str, Sample] = field(default_factory=dict)
    _task: asyncio.Task | None = None

    async def start(self) -> None:
        import asyncpg

        self._conn = await asyncpg.connect(self.dsn)
        self._last = await self._conn.fetchval("SELECT coalesce(max(id), 0) FROM dispatch.outbox")
        self._wall_minus_perf = time.time() - time.perf_counter()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            rows = await self._conn.fetch(
                "SELECT id, correlation_id, created_at FROM dispatch.outbox WHERE id > $1 "
                "AND event_type LIKE '%.assignment.created.v1' ORDER BY id",
                self._last,
            )
            for r in rows:
                self._last = r["id"]
                sample = self.samples.get(r["correlation_id"] or "")
                if sample is not None and sample.done_at is None:
                    sample.done_at = r["created_at"].timestamp() - self._wall_minus_perf
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self._conn.close()
