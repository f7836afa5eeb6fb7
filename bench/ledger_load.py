"""The merchant register on the bench's stack: a 摸底 survey of 10,000 shops imported in one
request (rows a second, beside the baseline's durable transactions a second measured in the
same run), a second survey of 10,000 more, then `near=` searches over the 20,000 (what a squad
officer on the street does to pick the shop a case is about): 300 searches at points spread over
the district, one at a time, p50 and p99."""

from __future__ import annotations

import random
import statistics
import time

import httpx

from common.auth import Role, issue_token
from common.settings import AuthSettings
from devstack.stack import Stack
from devstack.survey import _grids, _point_in, as_csv, rows


async def measure(stack: Stack, progress) -> dict:
    base = f"http://127.0.0.1:{stack.config.service_port('ledger')}"
    clerk = {"Authorization": "Bearer " + issue_token(AuthSettings(), Role.ledger_clerk, "bench-clerk")}
    out: dict = {}
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        for n, (start, seed) in enumerate(((0, 11), (10_000, 12))):
            data, _ = rows(10_000, seed=seed, start=start)
            started = time.perf_counter()
            r = await client.post("/v1/merchants/import", headers=clerk, files={"file": ("survey.csv", as_csv(data))})
            seconds = time.perf_counter() - started
            r.raise_for_status()
            report = r.json()
            if report["created"] != 10_000:
                raise RuntimeError(f"survey {n + 1}: {report['created']} created, {len(report['rejected'])} rejected")
            if n == 0:
                out["import_rows_per_s"] = round(10_000 / seconds, 1)
            progress(f"  survey {n + 1}: 10,000 shops imported in {seconds:.2f} s ({10_000 / seconds:,.0f} rows/s)")
        officer = {"Authorization": "Bearer " + issue_token(AuthSettings(), Role.dispatcher, "bench-dispatcher")}
        rng, grids, times, found = random.Random(5), _grids(), [], []
        for i in range(300):
            lon, lat = _point_in(grids[i % len(grids)], rng)
            started = time.perf_counter()
            r = await client.get(f"/v1/merchants?near={lon},{lat}&radius_m=200&limit=20", headers=officer)
            times.append((time.perf_counter() - started) * 1000)
            r.raise_for_status()
            found.append(len(r.json()))
    times.sort()
    out["near_p50_ms_20k"] = round(statistics.median(times), 1)
    out["near_p99_ms_20k"] = round(times[int(len(times) * 0.99) - 1], 1)
    out["near_found_median"] = statistics.median(found)
    progress(
        f"  near= over 20,000 merchants: p50 {out['near_p50_ms_20k']} ms, p99 {out['near_p99_ms_20k']} ms, "
        f"{out['near_found_median']} shops within 200 m (median)"
    )
    return out
