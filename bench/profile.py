"""`python -m bench.profile [--rate 60] [--seconds 30] [--py-spy]`: the hot path alone, for one
step of work on throughput. A stack of its own from empty state (as the bench's), a warm-up,
then `rate` hotline incidents a second for `seconds`: CPU of each service per incident, the
end-to-end latency, and where the wait goes hop by hop (from the outboxes' and inboxes' own
timestamps, matched by the correlation id). With `--py-spy`, each service is sampled for the
run and the top frames are printed: the share of busy samples by library and by function."""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import asyncpg

from bench.load import Tracker, offer, percentile
from bench.procs import cpu_seconds
from common.auth import Role, issue_token
from common.settings import AuthSettings
from devstack.stack import REPO, SERVICES, Stack, StackConfig

GROUPS = (
    ("sqlalchemy", "sqlalchemy/"),
    ("sqlmodel", "sqlmodel/"),
    ("asyncpg", "asyncpg/"),
    ("pydantic", "pydantic"),
    ("fastapi/starlette/uvicorn", ("fastapi/", "starlette/", "uvicorn/", "httptools", "h11")),
    ("aiokafka", "aiokafka/"),
    ("cloudevents", "cloudevents/"),
    ("jwt", "jwt/"),
    ("json", "json/"),
    ("asyncio", "asyncio/"),
    ("greenlet", "greenlet"),
)
OURS = ("common/", "intake/", "dispatch/", "cases/", "ledger/", "reporting/", "monolith/")


async def hops(dsn: str, correlation_ids: list[str]) -> dict[str, float]:
    """Median milliseconds of each wait on the way: written → published (relay) → handled by the
    next consumer (its inbox), per hop, over the sampled incidents."""
    conn = await asyncpg.connect(dsn)
    try:
        out: dict[str, list[float]] = collections.defaultdict(list)
        rows = await conn.fetch(
            "SELECT o.correlation_id, o.event_type, o.event_id, o.created_at, o.published_at, 'intake' AS svc "
            "FROM intake.outbox o WHERE o.correlation_id = ANY($1) UNION ALL "
            "SELECT o.correlation_id, o.event_type, o.event_id, o.created_at, o.published_at, 'cases' "
            "FROM cases.outbox o WHERE o.correlation_id = ANY($1) UNION ALL "
            "SELECT o.correlation_id, o.event_type, o.event_id, o.created_at, o.published_at, 'dispatch' "
            "FROM dispatch.outbox o WHERE o.correlation_id = ANY($1)",
            correlation_ids,
        )
        handled = {}
        for schema in ("cases", "dispatch", "intake"):
            for r in await conn.fetch(
                f"SELECT event_id, handled_at FROM {schema}.inbox WHERE event_id = ANY($1)",
                [r["event_id"] for r in rows],
            ):
                handled[(schema, r["event_id"])] = r["handled_at"]
        for r in rows:
            kind = r["event_type"].split(".")[-2]
            if r["published_at"]:
                out[f"{r['svc']} relay: {kind} written → sent"].append(
                    (r["published_at"] - r["created_at"]).total_seconds() * 1000
                )
            nxt = {"reported": "cases", "opened": "dispatch", "created": "cases"}.get(kind)
            if nxt and (nxt, r["event_id"]) in handled and r["published_at"]:
                out[f"{nxt} consumer: {kind} sent → applied"].append(
                    (handled[(nxt, r["event_id"])] - r["published_at"]).total_seconds() * 1000
                )
        return {k: round(percentile(v, 50), 1) for k, v in sorted(out.items())}
    finally:
        await conn.close()


def spy(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            "py-spy",
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarise_stacks(path: Path, top: int = 14) -> str:
    """Shares of busy samples: by library (a sample counts for each library on its stack) and by
    the innermost frame of ours."""
    by_group, by_own, leaf, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        loop = next((i for i, f in enumerate(frames) if f.startswith("Runner.run ")), None)
        frames = frames[loop + 1 :] if loop is not None else frames
        if not frames:
            continue  # the event loop waiting in epoll: idle
        n = int(count)
        total += n
        for name, markers in GROUPS:
            markers = (markers,) if isinstance(markers, str) else markers
            if any(m in f for f in frames for m in markers):
                by_group[name] += n
        by_group["our code"] += n if any(m in f for f in frames for m in OURS) else 0
        own = [f for f in frames if any(f"({m}" in f for m in OURS)]
        if own:
            by_own[own[-1].split(" (")[0]] += n
        leaf[frames[-1].split(" (")[0]] += n
    lines = [f"    {total} busy samples"]
    lines += [f"    {name:28} {100 * n / total:5.1f} %" for name, n in by_group.most_common()]
    lines += ["    innermost frame of ours:"] + [
        f"      {100 * n / total:5.1f} %  {f}" for f, n in by_own.most_common(top)
    ]
    lines += ["    innermost frame:"] + [f"      {100 * n / total:5.1f} %  {f}" for f, n in leaf.most_common(top)]
    return "\n".join(lines)


async def run(rate: float, seconds: int, use_spy: bool) -> None:
    state = REPO / ".data" / "profile-stack"
    shutil.rmtree(state, ignore_errors=True)
    stack = Stack(StackConfig.on_spare_ports(state))
    stack.up()
    try:
        pids = {s: stack.service_pid(s) for s in SERVICES}
        intake = f"http://127.0.0.1:{stack.config.service_port('intake')}"
        token = issue_token(AuthSettings(), Role.hotline_operator, "profile-operator")
        tracker = Tracker(stack.kafka.bootstrap, stack.config.namespace)
        await tracker.start()
        async with aiohttp.ClientSession(
            base_url=intake,
            connector=aiohttp.TCPConnector(limit=512, keepalive_timeout=3),
            timeout=aiohttp.ClientTimeout(total=60),
        ) as client:
            await offer(client, tracker, token, 30, 5, seed=1)
            await asyncio.sleep(3)
            before = {s: cpu_seconds(p) for s, p in pids.items()}
            spies = {s: spy(p, seconds + 4, state / f"{s}.stacks") for s, p in pids.items()} if use_spy else {}
            samples = await offer(client, tracker, token, rate, seconds, seed=2)
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline and not all(s.done_at for s in samples if s.status == 201):
                await asyncio.sleep(0.1)
            await asyncio.sleep(2)  # the tail: progress events to intake, reporting's projection
            after = {s: cpu_seconds(p) for s, p in pids.items()}
        await tracker.stop()
        for p in spies.values():
            p.wait()
        done = [s for s in samples if s.done_at]
        e2e = [(s.done_at - s.sent_at) * 1000 for s in done]
        http = [s.http_ms for s in samples if s.http_ms is not None]
        print(f"\n{len(done)}/{len(samples)} dispatched at {rate}/s for {seconds} s")
        print(
            f"e2e p50/p95/p99 {percentile(e2e, 50):.0f}/{percentile(e2e, 95):.0f}/{percentile(e2e, 99):.0f} ms; "
            f"intake HTTP p50/p99 {percentile(http, 50):.1f}/{percentile(http, 99):.1f} ms"
        )
        per = {s: (after[s] - before[s]) * 1000 / max(1, len(done)) for s in SERVICES}
        print(f"CPU ms per incident: {sum(per.values()):.2f} = " + ", ".join(f"{s} {v:.2f}" for s, v in per.items()))
        dsn = stack.postgres.url("cgzf").replace("postgresql+asyncpg", "postgresql")
        ids = [cid for cid, s in tracker.samples.items() if s in done][:300]
        print("median wait per hop (ms):")
        for k, v in (await hops(dsn, ids)).items():
            print(f"  {k:50} {v}")
        for s, _ in spies.items():
            print(f"\n{s}:\n{summarise_stacks(state / f'{s}.stacks')}")
    finally:
        stack.down()


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.profile")
    parser.add_argument("--rate", type=float, default=60)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--py-spy", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    asyncio.run(run(args.rate, args.seconds, args.py_spy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
