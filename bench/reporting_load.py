"""A year of 1,000,000 cases for reporting (`devstack.case_year`: received, filed, dispatched
with a deadline, handled, closed, some returned, extended, reworked, rated; about 5.4 events a
case), loaded by producing the events straight onto Kafka (under a namespace of their own, for a
reporting process of their own, so the stack's real topics and tables are untouched); then the
indicators for a month, a quarter and the year timed, the year's ranking, the circular's PDF,
the year's case-level CSV (rows a second, the process's memory while it streams), and a rebuild
that replays all of it from the first event."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import datetime

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner

from bench.procs import cpu_seconds, postgres_pids, rss_mb
from common.auth import Role, issue_token
from common.clock import BEIJING
from common.settings import AuthSettings
from devstack.case_year import YearTotals, district, records, year
from devstack.stack import REPO, Stack

YEAR = 2025
HANDLED_SHARE = 59_173 / 59_274  # seed 004's year


def generate(n: int):
    """(topic, key, value, headers) for a year of n cases, after the district's announcements."""
    events = district(datetime(YEAR, 1, 1, tzinfo=BEIJING))
    for record in records(events):
        yield record.topic, record.key, record.value, list(record.headers)
    for record in records(year(YEAR, YearTotals(cases=n, handled=round(n * HANDLED_SHARE)))):
        yield record.topic, record.key, record.value, list(record.headers)


async def produce_all(bootstrap: str, namespace: str, n: int, progress) -> int:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20, max_batch_size=512 * 1024
    )
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
            p = partitioner(key, parts, parts)
            batch = batches.get((full, p))
            if batch is None:
                batch = batches[(full, p)] = producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                pending.append(await producer.send_batch(batch, full, partition=p))
                batch = batches[(full, p)] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None, headers=headers)
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
    env.update(
        {
            "REPORTING_DATABASE_URL": stack.postgres.url(database),
            "REPORTING_KAFKA_NAMESPACE": namespace,
            "REPORTING_CONSUMER_BATCH_SIZE": "5000",
        }
    )
    log = open(stack.log_dir / "bench-reporting.log", "ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "reporting.service:app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
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
            progress(f"producing a year of {n:,} cases onto Kafka ({namespace}*)")
            t = time.perf_counter()
            total = await produce_all(stack.kafka.bootstrap, namespace, n, progress)
            out["report_load_events"] = total
            out["report_produce_events_per_s"] = round(total / (time.perf_counter() - t))

            async def status() -> dict:
                return (await client.get("/v1/reports/rebuild", headers=admin)).json()

            progress("waiting for reporting to apply them")
            await _wait_applied(status, total, progress, timeout_s=1200)
            out["report_ingest_s"] = round(time.perf_counter() - t, 1)

            async def timed(name: str, url: str, times: int) -> httpx.Response:
                timings = []
                for _ in range(times):
                    t = time.perf_counter()
                    r = await client.get(url, headers=admin)
                    timings.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200, (url, r.status_code, r.text[:300])
                timings.sort()
                out[f"{name}_ms"] = round(timings[len(timings) // 2], 2)
                out[f"{name}_ms_p99"] = round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 2)
                progress(f"  {name}: p50 {out[name + '_ms']} ms, p99 {out[name + '_ms_p99']} ms ({times} runs)")
                return r

            r = await timed("report_month_1m", f"/v1/reports/indicators?period=month&at={YEAR}-06", 50)
            await timed("report_quarter_1m", f"/v1/reports/indicators?period=quarter&at={YEAR}-04", 50)
            r = await timed("report_year_1m", f"/v1/reports/indicators?period=year&at={YEAR}", 50)
            figures = r.json()["total"]["indicators"]
            out["report_year_received"] = figures["received"]
            out["report_year_disposal_rate"] = figures["disposal_rate"]
            await timed("report_year_by_squad_1m", f"/v1/reports/indicators?period=year&at={YEAR}&by=squad", 50)
            await timed("ranking_year_1m", f"/v1/reports/ranking?year={YEAR}", 50)
            await timed("report_week_1m", f"/v1/reports/indicators?period=week&at={YEAR}-06-11", 20)
            # issue 25's ranges: three days, a campaign's period, the three-day and the monthly assessments
            three = f"period=range&from={YEAR}-06-10&to={YEAR}-06-12"
            await timed("report_3day_1m", f"/v1/reports/indicators?{three}", 20)
            campaign = await _campaign(stack, database)
            out["campaign_cases_1m"] = campaign["cases"]
            await timed("campaign_report_1m", f"/v1/reports/campaigns/{campaign['id']}", 20)
            await timed("assessment_3day_1m", f"/v1/reports/assessments/illegal_construction_3d?{three}", 20)
            await timed("assessment_month_1m", f"/v1/reports/assessments/monthly?period=month&at={YEAR}-06", 5)
            pdf = await timed("circular_pdf_1m", f"/v1/reports/circular.pdf?month={YEAR}-06", 5)
            out["circular_pdf_bytes"] = len(pdf.content)

            progress("streaming the year's case-level facts as CSV")
            rss = [rss_mb(proc.pid)]
            sampling = asyncio.create_task(_sample_rss(proc.pid, rss))
            t = time.perf_counter()
            rows = 0
            async with client.stream(
                "GET", f"/v1/reports/facts.csv?from={YEAR}-01-01&to={YEAR}-12-31", headers=admin, timeout=600
            ) as r:
                async for chunk in r.aiter_bytes():
                    rows += chunk.count(b"\n")
            elapsed = time.perf_counter() - t
            sampling.cancel()
            out["facts_rows"] = rows - 1
            out["facts_rows_per_s"] = round((rows - 1) / elapsed)
            out["facts_rss_before_mb"], out["facts_rss_peak_mb"] = round(rss[0]), round(max(rss))
            progress(
                f"  facts.csv: {rows - 1:,} rows in {elapsed:.1f} s = {out['facts_rows_per_s']:,} rows/s; "
                "reporting's memory"
                f"  {out['facts_rss_before_mb']} MB before, {out['facts_rss_peak_mb']} MB at most"
            )

            year_before = (
                await client.get(f"/v1/reports/indicators?period=year&at={YEAR}&by=squad", headers=admin)
            ).json()
            progress("rebuilding reporting's read model from the first event")
            cpu_before = cpu_split(proc.pid, stack)
            t = time.perf_counter()
            await client.post("/v1/reports/rebuild", headers=admin)
            await _wait_applied(status, total, progress, timeout_s=1200)
            elapsed = time.perf_counter() - t
            cpu_after = cpu_split(proc.pid, stack)
            out["rebuild_cpu_share"] = {k: round((cpu_after[k] - cpu_before[k]) / elapsed, 2) for k in cpu_after}
            out["rebuild_events_per_s"] = round(total / elapsed)
            again = (await client.get(f"/v1/reports/indicators?period=year&at={YEAR}&by=squad", headers=admin)).json()
            out["rebuild_report_identical"] = again["rows"] == year_before["rows"]
            progress(
                f"rebuild: {total:,} events in {elapsed:.1f} s = {out['rebuild_events_per_s']:,} events/s; "
                f"cores busy: {out['rebuild_cpu_share']}; the year's figures identical: "
                f"{out['rebuild_report_identical']}"
            )
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


async def _campaign(stack: Stack, database: str) -> dict:
    """A month's campaign over two grids and two categories, put in the read model as its events
    would (its row, and its cases tagged: those of June in those grids and categories): the
    generated year has no campaign of its own."""
    cid = "bench-campaign-june"
    sql = f"""
INSERT INTO reporting.campaigns (campaign_id, name, kind, starts_on, ends_on, state, status, version)
VALUES ('{cid}', '占道经营专项整治', 'special', '{YEAR}-06-01', '{YEAR}-06-30',
        '{{"category_codes": ["street_vending", "storefront_overflow"], "grid_ids": ["zy-ruhelu", "zy-jianshelu"],
           "targets": {{"cases": 1000, "on_time_closing_rate": 0.9}}, "sections": []}}', 'running', 1)
ON CONFLICT DO NOTHING;
INSERT INTO reporting.campaign_cases (campaign_id, case_id)
SELECT '{cid}', case_id FROM reporting.cases
 WHERE grid_id IN ('zy-ruhelu', 'zy-jianshelu') AND category_code IN ('street_vending', 'storefront_overflow')
   AND opened_at >= '{YEAR}-06-01 00:00+08' AND opened_at < '{YEAR}-07-01 00:00+08'
ON CONFLICT DO NOTHING;
SELECT count(*) FROM reporting.campaign_cases WHERE campaign_id = '{cid}';"""
    out = await asyncio.to_thread(stack.postgres.psql, sql, database)
    return {"id": cid, "cases": int(str(out).strip().split()[-1])}


def cpu_split(reporting_pid: int, stack: Stack) -> dict[str, float]:
    """CPU seconds so far of the reporting process, all PostgreSQL processes, and Kafka."""
    return {
        "reporting": cpu_seconds(reporting_pid, children=True),  # with the rebuild's workers
        "postgres": sum(cpu_seconds(p) for p in postgres_pids(stack.postgres.data_dir)),
        "kafka": cpu_seconds(stack.kafka.pid()),
    }


async def _sample_rss(pid: int, into: list[float]) -> None:
    while True:
        into.append(rss_mb(pid))
        await asyncio.sleep(0.1)


async def _wait_applied(status, total: int, progress, timeout_s: float) -> None:
    """Every event applied, the replay of a rebuild finished, and every month summed again (what
    the whole-month figures read)."""
    deadline = time.monotonic() + timeout_s
    last = -1
    while True:
        s = await status()
        n = s["events_applied"]
        if n >= total and s["months_pending"] == 0 and not s.get("replaying"):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"reporting applied {n:,} of {total:,} events in {timeout_s:.0f} s "
                f"({s['months_pending']} months pending)"
            )
        if n // 500_000 != last // 500_000:
            progress(f"  applied {n:,} of {total:,}")
        last = n
        await asyncio.sleep(0.5)
