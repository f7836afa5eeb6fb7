"""The dispatch console with a board of 2,000 open cases, in Debian's Chromium (headless,
Playwright), beside a baseline of the same page with 20 cases in the same run.

The page is the real one, served by the stack's dispatch service, with its real grids, patrol
posts and live stream; only `GET /v1/board` is answered by the bench with N generated open
assignments (the shape of `AssignmentPublic`, spread over the squads and grids, a tenth overdue),
so both sizes are exact. Separately, the real `GET /v1/board` is timed on the stack with
whatever is open there after the load phase.

Figures per size: the time to read and draw the whole board (`load()`), the once-a-second
countdown over every card, one live change applied (what an SSE `assignment` event does), and,
over 5 s with 20 live changes a second and the countdown running, the 95th percentile gap
between animation frames and the main-thread tasks longer than 50 ms."""

from __future__ import annotations

import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import async_playwright

from devstack.browser import launch

SIZES = (20, 2000)

# Runs in the page: the console's own functions, timed with performance.now().
PROBE = """async () => {
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const t = () => performance.now();
  const loads = [];
  for (let i = 0; i < 3; i++) { const s = t(); await load(); document.body.offsetHeight; loads.push(t() - s); }
  const ticks = [];
  for (let i = 0; i < 10; i++) {
    const s = t(); everySecond(); document.body.offsetHeight; ticks.push(t() - s);
  }
  const all = [...state.assignments.values()];
  const updates = [];
  for (let i = 0; i < 100; i++) {
    const a = { ...all[(i * 7919) % all.length] };
    a.status = a.status === "dispatched" ? "accepted" : "dispatched";
    const s = t(); upsertAssignment(a); document.body.offsetHeight; updates.push(t() - s);
  }
  // 5 s of a live console: 20 changes a second on top of the countdown; watch the frames
  const long = [];
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
  obs.observe({ type: "longtask" });
  let n = 0;
  const feed = setInterval(() => {
    const a = { ...all[(n++ * 104729) % all.length] };
    a.status = a.status === "dispatched" ? "accepted" : "dispatched";
    upsertAssignment(a);
  }, 50);
  const gaps = [];
  await new Promise((done) => {
    let last = t(); const end = last + 5000;
    const frame = () => {
      const now = t(); gaps.push(now - last); last = now;
      if (now < end) requestAnimationFrame(frame); else done();
    };
    requestAnimationFrame(frame);
  });
  clearInterval(feed); obs.disconnect();
  gaps.sort((a, b) => a - b);
  return { cards: state.cards.size, load_ms: med(loads), tick_ms: med(ticks), update_ms: med(updates),
           frame_gap_p95_ms: gaps[Math.floor(gaps.length * 0.95)], frames: gaps.length,
           long_tasks: long.length, longest_task_ms: long.length ? Math.max(...long) : 0 };
}"""


def board(live: dict, grids: list[dict], n: int, now: datetime, seed: int = 11) -> dict:
    """N open assignments as GET /v1/board returns them (the rest of the board as the stack's)."""
    squads = live["squads"]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        grid = grids[i % len(grids)]["properties"]
        assigned = now - timedelta(minutes=rng.randint(5, 3000))
        deadline = (
            now + timedelta(minutes=rng.randint(-120, 4320)) if i % 10 else now - timedelta(minutes=rng.randint(1, 600))
        )
        rows.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "case_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "case_number": f"410102-2026-{i + 1:06d}",
                "squad_id": grid["squad_id"],
                "officer_id": f"{grid['squad_id']}-o1",
                "grid_id": grid["grid_id"],
                "category": rng.choice(["street_vending", "illegal_parking", "garbage_exposed"]),
                "category_name": "占道经营",
                "address": "汝河路 88 号" if i % 2 else None,
                "urgency": "urgent" if i % 25 == 0 else "ordinary",
                "description": "占道经营",
                "location": {"lon": 113.6, "lat": 34.75},
                "status": "accepted" if i % 3 else "dispatched",
                "current": True,
                "how": "rule",
                "rule": None,
                "assigned_at": assigned.isoformat(),
                "warn_at": (deadline - timedelta(hours=4)).isoformat(),
                "deadline_at": deadline.isoformat(),
                "escalation_level": 1 if i % 10 == 0 else -1,
                "extensions": 0,
                "accepted_at": None,
                "returned_at": None,
                "return_reason": None,
            }
        )
    rows.sort(key=lambda r: r["deadline_at"])
    return {
        "now": now.isoformat(),
        "squad_id": None,
        "squads": squads,
        "queue": [],
        "assignments": rows,
        "working_periods": live["working_periods"],
        "grid_names": live["grid_names"],
        "people": live["people"],
    }


async def signed_in(database_url: str) -> str:
    """A dispatcher's console session, opened as a sign-in opens one (common.web_session), in the
    stack's dispatch schema: the bench's stack runs without an identity provider."""
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    from common.auth import Principal, Role
    from common.web_session import new_session
    from dispatch.tables import backbone

    session_id, row = new_session(
        Principal(subject="bench-dispatcher", role=Role.dispatcher), "压测派遣员", now=datetime.now(UTC), ttl_s=3600
    )
    engine = create_async_engine(database_url)
    async with engine.begin() as db:
        await db.execute(insert(backbone.web_sessions).values(**row))
    await engine.dispose()
    return session_id


async def measure(base_url: str, token: str, session_id: str, progress) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as api:
        real = []
        for _ in range(5):
            started = time.perf_counter()
            r = await api.get("/v1/board")
            real.append((time.perf_counter() - started) * 1000)
        r.raise_for_status()
        live = r.json()
        grids = (await api.get("/v1/grids")).json()["features"]
    out: dict = {"board_api_open": len(live["assignments"]), "board_api_ms": round(statistics.median(real), 1)}
    progress(f"  GET /v1/board on the stack: {out['board_api_open']} open assignments in {out['board_api_ms']} ms")
    now = datetime.now(UTC)
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            for n in SIZES:
                body = json.dumps(board(live, grids, n, now), ensure_ascii=False)
                context = await browser.new_context(viewport={"width": 1400, "height": 900})
                await context.add_cookies([{"name": "cgzf_console", "value": session_id, "url": base_url}])
                page = await context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.route(
                    "**/v1/board*", lambda route: route.fulfill(status=200, content_type="application/json", body=body)
                )
                await page.goto(f"{base_url}/console")
                await page.locator("#live", has_text="实时").wait_for(timeout=60_000)
                figures = await page.evaluate(PROBE)
                if errors or figures["cards"] != n:
                    raise RuntimeError(f"console with {n} cases: {figures['cards']} cards, errors {errors}")
                out[f"console_{n}"] = {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}
                progress(f"  console with {n} cases: {out[f'console_{n}']}")
                await context.close()
        finally:
            await browser.close()
    small, big = out[f"console_{SIZES[0]}"], out[f"console_{SIZES[1]}"]
    for key in ("load_ms", "tick_ms", "update_ms", "frame_gap_p95_ms"):
        out[f"console_ratio_{key}"] = round(big[key] / max(small[key], 0.1), 1)
    return out


if __name__ == "__main__":  # against a running stack: python -m bench.console_load
    import asyncio

    from common.auth import Role, issue_token
    from common.settings import AuthSettings
    from devstack.stack import DATABASE, Stack, StackConfig

    config = StackConfig.from_env()
    session = asyncio.run(signed_in(Stack(config).postgres.url(DATABASE)))
    result = asyncio.run(
        measure(
            f"http://127.0.0.1:{config.service_port('dispatch')}",
            issue_token(AuthSettings(), Role.dispatcher, "bench-dispatcher"),
            session,
            print,
        )
    )
    print(json.dumps(result, ensure_ascii=False, indent=1))
