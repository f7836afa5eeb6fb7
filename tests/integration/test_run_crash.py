"""`make run` is what a small bureau runs for real, so it must not lose accepted work either: the
single process is killed (SIGKILL) in the middle of a burst of hotline calls and started again;
afterwards every incident that was answered 201 has been dispatched, once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest

from devstack.ports import free_port
from devstack.stack import REPO
from tests.conftest import token
from tests.helpers import INCIDENT, eventually

pytestmark = pytest.mark.integration
RATE, BURST = 60, 300


def start_run(data_dir, port: int, pg_port: int, log) -> subprocess.Popen:
    env = {**os.environ, "RUN_DATA_DIR": str(data_dir), "RUN_PORT": str(port), "RUN_PG_PORT": str(pg_port)}
    return subprocess.Popen(
        [sys.executable, "-m", "monolith"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def wait_up(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "make run stopped while starting"
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("make run did not become ready")


async def test_killing_make_run_mid_burst_loses_no_accepted_incident(tmp_path):
    port, pg_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "run.log", "ab")
    proc = start_run(tmp_path / "data", port, pg_port, log)
    accepted: list[str] = []
    try:
        await wait_up(url, proc)
        headers = {"Authorization": f"Bearer {token('hotline_operator', 'op-crash')}"}

        async def call(http: httpx.AsyncClient, n: int) -> None:
            try:
                r = await http.post(
                    f"{url}/v1/incidents", json=INCIDENT, headers={**headers, "Idempotency-Key": f"crash-{n}"}
                )
                if r.status_code == 201:
                    accepted.append(r.json()["id"])
            except httpx.HTTPError:
                pass  # the process died under this call: it was not accepted

        async with httpx.AsyncClient(timeout=10) as http:
            calls, start = [], time.monotonic()
            for n in range(BURST):
                if n == BURST // 2:
                    os.killpg(proc.pid, signal.SIGKILL)
                calls.append(asyncio.create_task(call(http, n)))
                await asyncio.sleep(max(0.0, start + (n + 1) / RATE - time.monotonic()))
            await asyncio.gather(*calls)
        proc.wait(10)
        assert len(accepted) >= BURST // 3, f"only {len(accepted)} accepted before the kill"

        proc = start_run(tmp_path / "data", port, pg_port, log)
        await wait_up(url, proc)
        dispatcher = {"Authorization": f"Bearer {token('dispatcher', 'disp-crash')}"}
        async with httpx.AsyncClient(timeout=10, base_url=url, headers=dispatcher) as http:

            async def states() -> Counter:
                seen = Counter()
                for i in accepted:
                    seen[(await http.get(f"/v1/incidents/{i}")).json()["status"]] += 1
                return seen

            await eventually(
                states,
                lambda s: s == Counter({"dispatched": len(accepted)}),
                timeout_s=90,
                what="every accepted incident dispatched after the restart",
            )
            cases = (await http.get("/v1/cases", params={"limit": 500})).json()
        per_incident = Counter(c["incident_id"] for c in cases)
        assert all(per_incident[i] == 1 for i in accepted), "an incident has more than one case"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        log.close()
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from devstack.postgres import LocalPostgres; import sys; "
                f"LocalPostgres({str(tmp_path / 'data' / 'pg' / 'data')!r}, {pg_port}).stop('immediate')",
            ],
            cwd=REPO,
            check=False,
        )
