"""A month of 1,000,000 cases for reporting, loaded by producing generated events straight onto
Kafka (under a namespace of their own, for a reporting process of their own, so the stack's
real topics and tables are untouched), then the monthly report timed, then a rebuild that
replays all of it from the first event."""
from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner

from common.auth import Role, issue_token
from common.messaging.contracts import CaseClosed, CaseDispatched, IncidentReported, Topics
from common.settings import AuthSettings
from devstack.stack import REPO, Stack

SQUADS = [("sq-linshanzhai", "林山寨中队", "zy-linshanzhai"), ("sq-jianshelu", "建设路中队", "zy-jianshelu"),
          ("sq-mianfanglu", "棉纺路中队", "zy-mianfanglu"), ("sq-ruhe", "汝河中队", "zy-ruhelu"),
          ("sq-tongbailu", "桐柏路中队", "zy-tongbailu"), ("sq-xushui", "须水中队", "zy-xushui")]
CATEGORIES = ["street_vending", "storefront_overflow", "open_air_barbecue", "cooking_fumes", "noise", "dust",
              "construction_waste", "illegal_parking", "illegal_flyers", "roadside_waste", "dog_nuisance"]
MONTH_START = datetime(2026, 10, 1, tzinfo=timezone(timedelta(hours=8)))  # Beijing time
MONTH = "2026-10"


def _headers(event_type: str, source: str, subject: str, at: str) -> list[tuple[str, bytes]]:
    return [("ce_specversion", b"1.0"), ("ce_id", uuid.uuid4().hex.encode()), ("ce_source", source.encode()),
            ("ce_type", event_type.encode()), ("ce_time", at.encode()), ("ce_subject", subject.encode()),
            ("ce_partitionkey", subject.encode()), ("content-type", b"application/json")]


def generate(n: int, seed: int = 7):
    """(topic, key, value, headers) for n cases: received, dispatched, and 30 % closed."""
    rng = random.Random(seed)
    seconds = 30 * 86400
    for i in range(n):
        iid = f"bench-{i:010d}"
        cid = f"case-{i:010d}"
        cat = rng.choice(CATEGORIES)
        squad_id, squad_name, grid_id = rng.choice(SQUADS)
        t0 = MONTH_START + timedelta(seconds=rng.randrange(seconds - 7200))
        t1 = t0 + timedelta(minutes=rng.randrange(1, 30))
        at0, at1 = t0.astimezone(timezone.utc).isoformat(), t1.astimezone(timezone.utc).isoformat()
        yield (Topics.incidents, iid, json.dumps({
            "incident_id": iid, "reported_at": at0, "channel": "hotline_12319", "category_code": cat,
            "category_known": True, "urgency": "ordinary", "location": {"lon": 113.62, "lat": 34.75},
            "description": "门口有人占道摆摊", "caller_phone_masked": "138****5678", "source_reference": None,
            "flags": []}, ensure_ascii=False).encode(), _headers(IncidentReported.event_type, "/cgzf/intake", iid, at0))
        yield (Topics.cases, cid, json.dumps({
            "case_id": cid, "case_number": f"410102-2026-{i:06d}", "incident_id": iid, "assignment_id": cid,
            "squad_id": squad_id, "squad_name": squad_name, "grid_id": grid_id, "category_code": cat,
            "dispatched_at": at1, "deadline_at": None}, ensure_ascii=False).encode(),
            _headers(CaseDispatched.event_type, "/cgzf/cases", cid, at1))
        if rng.random() < 0.3:
            at2 = (t1 + timedelta(hours=2)).astimezone(timezone.utc).isoformat()
            yield (Topics.cases, cid, json.dumps({
                "case_id": cid, "case_number": f"410102-2026-{i:06d}", "incident_id": iid, "category_code": cat,
                "squad_id": squad_id, "outcome": rng.choice(["resolved", "violation"]), "merchant_id": None,
                "closed_at": at2, "closed_by": "bench"}).encode(), _headers(CaseClosed.event_type, "/cgzf/cases", cid, at2))


async def produce_all(bootstrap: str, namespace: str, n: int, progress) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    partitioner = DefaultPartitioner()
    batches: dict[tuple[str, int], object] = {}
    pending = []
    count = 0
    try:
        for topic, key, value, headers in generate(n):
            full = namespace + topic
            parts = sorted(producer.client.cluster.partitions_for_topic(full) or [])
            if not parts:
                await producer.client.force_metadata_update()
                parts = sorted(producer.client.cluster.partitions_for_topic(full))
            p = partitioner(key.encode(), parts, parts)
            batch = batches.get((full, p))
            if batch is None:
                batch = batches[(full, p)] = producer.create_batch()
            if batch.append(key=key.encode(), value=value, timestamp=None, headers=headers) is None:
                pending.append(await producer.send_batch(batch, full, partition=p))
                batch = batches[(full, p)] = producer.create_batch()
                batch.append(key=key.encode(), value=value, timestamp=None, headers=headers)
            count += 1
            if count % 200_000 == 0:
                progress(f"  produced {count:,} events")
                await asyncio.gather(*pending)
                pending = []
        for (full, p), batch in batches.items():
            if batch.record_count():
                pending.append(await producer.send_batch(batch, full, partition=p))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return count


async def measure(stack: Stack, n: int, progress) -> dict:
    namespace = f"bench{int(time.time())}."
    database = "cgzf_bench_report"
    stack.postgres.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    stack.postgres.create_database(database)
    port = stack.config.port_base + 20
    env = stack.service_env("reporting")
    env.update({"REPORTING_DATABASE_URL": stack.postgres.url(database), "REPORTING_KAFKA_NAMESPACE": namespace,
                "REPORTING_CONSUMER_BATCH_SIZE": "5000"})
    log = open(stack.log_dir / "bench-reporting.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "reporting.service:app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    admin = {"Authorization": f"Bearer {issue_token(AuthSettings(), Role.admin, 'bench')}"}
    out: dict = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(300):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            progress(f"producing a month of {n:,} cases onto Kafka ({namespace}*)")
            t = time.perf_counter()
            total = await produce_all(stack.kafka.bootstrap, namespace, n, progress)
            out["report_load_events"] = total
            out["report_produce_events_per_s"] = round(total / (time.perf_counter() - t))

            async def applied() -> int:
                return (await client.get("/v1/reports/rebuild", headers=admin)).json()["events_applied"]

            progress("waiting for reporting to apply them")
            await _wait_applied(applied, total, progress, timeout_s=600)
            out["report_ingest_s"] = round(time.perf_counter() - t, 1)

            timings = []
            for _ in range(30):
                t = time.perf_counter()
                r = await client.get(f"/v1/reports/monthly?month={MONTH}", headers=admin)
                timings.append((time.perf_counter() - t) * 1000)
            report = r.json()
            out["report_month_1m_ms"] = round(sorted(timings)[len(timings) // 2], 2)
            out["report_month_1m_ms_p95"] = round(sorted(timings)[int(len(timings) * 0.95)], 2)
            out["report_month_received"] = report["received"]
            progress(f"monthly report over {report['received']:,} cases: {out['report_month_1m_ms']} ms (median of 30)")

            progress("rebuilding reporting's read model from the first event")
            cpu_before = cpu_split(proc.pid, stack)
            t = time.perf_counter()
            await client.post("/v1/reports/rebuild", headers=admin)
            await _wait_applied(applied, total, progress, timeout_s=600)
            elapsed = time.perf_counter() - t
            cpu_after = cpu_split(proc.pid, stack)
            out["rebuild_cpu_share"] = {k: round((cpu_after[k] - cpu_before[k]) / elapsed, 2) for k in cpu_after}
            out["rebuild_events_per_s"] = round(total / elapsed)
            again = (await client.get(f"/v1/reports/monthly?month={MONTH}", headers=admin)).json()
            out["rebuild_report_identical"] = again == report
            progress(f"rebuild: {total:,} events in {elapsed:.1f} s = {out['rebuild_events_per_s']:,} events/s; "
                     f"cores busy: {out['rebuild_cpu_share']}")
    finally:
        proc.terminate()
        proc.wait(30)
        admin_client = AIOKafkaAdminClient(bootstrap_servers=stack.kafka.bootstrap)
        await admin_client.start()
        try:
            topics = [t for t in await admin_client.list_topics() if t.startswith(namespace)]
            if topics:
                await admin_client.delete_topics(topics)
        finally:
            await admin_client.close()
        stack.postgres.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return out


def cpu_split(reporting_pid: int, stack: Stack) -> dict[str, float]:
    """CPU seconds so far of the reporting process, all PostgreSQL processes, and Kafka."""
    from bench.procs import cpu_seconds, postgres_pids
    return {"reporting": cpu_seconds(reporting_pid),
            "postgres": sum(cpu_seconds(p) for p in postgres_pids(stack.postgres.data_dir)),
            "kafka": cpu_seconds(stack.kafka.pid())}


async def _wait_applied(applied, total: int, progress, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = -1
    while True:
        n = await applied()
        if n >= total:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"reporting applied {n:,} of {total:,} events in {timeout_s:.0f} s")
        if n // 250_000 != last // 250_000:
            progress(f"  applied {n:,} of {total:,}")
        last = n
        await asyncio.sleep(0.5)
