"""城管通 on a phone with a weak signal: Debian's Chromium at 390×844, its network slowed by
Chromium's own emulation to slow 3G (400 kbit/s each way, 400 ms round trip), against the stack's
gateway (the app's calls go to every service), signed in as a squad officer whose squad has open
tasks.

Figures: from a cold cache, the time until 我的任务 is drawn from the network, and the bytes the
first load transferred (compressed, as they crossed the network, the live stream excluded); with
the app cached (its service worker and the phone's copy of the list), the time until the list is
drawn again, and until it is refreshed from the network. The same page on the unthrottled
loopback, in the same run, is the baseline the slow figures are set beside."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from playwright.async_api import async_playwright

from devstack.browser import launch

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
OFFICER = ("sq-ruhe-o1", "朱婷", "sq-ruhe")


async def signed_in(database_url: str) -> str:
    """A squad officer's session, opened as a sign-in opens one, in the stack's dispatch schema (the
    bench's stack runs without an identity provider)."""
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    from common.auth import Principal, Role
    from common.web_session import new_session
    from dispatch.tables import backbone

    subject, name, squad = OFFICER
    session_id, row = new_session(
        Principal(subject=subject, role=Role.squad_officer, squad_id=squad), name, now=datetime.now(UTC), ttl_s=3600
    )
    engine = create_async_engine(database_url)
    async with engine.begin() as db:
        await db.execute(insert(backbone.web_sessions).values(**row))
    await engine.dispose()
    return session_id


async def _open(context, url: str, network: dict | None, source: str) -> tuple[float, int, object, float]:
    """Open the app; the ms until the task list is drawn from `source` ('network', or any), and the
    bytes the page's requests transferred."""
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    if network:
        await cdp.send("Network.emulateNetworkConditions", network)
    sizes: dict[str, int] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    started = time.perf_counter()
    await page.goto(url, wait_until="commit")
    selector = "#list[data-source=network]" if source == "network" else "#list[data-source]"
    await page.locator(selector).wait_for(timeout=60_000)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, sum(sizes.values()), page, started


async def measure(gateway: str, session_id: str, progress) -> dict:
    url = f"{gateway}/field#tasks"
    out: dict = {}
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            for label, network in (("loopback", None), ("slow3g", SLOW_3G)):
                context = await browser.new_context(**PHONE, locale="zh-CN")
                await context.add_cookies([{"name": "cgzf_console", "value": session_id, "url": gateway}])
                cold_ms, cold_bytes, page, _ = await _open(context, url, network, "network")
                tasks = await page.locator("#list a.card").count()
                await page.evaluate("navigator.serviceWorker.ready")
                await page.wait_for_timeout(500)  # the worker has cached the shell
                await page.close()
                cached_ms, _, page, started = await _open(context, url, network, "any")
                shown_from = await page.locator("#list").get_attribute("data-source")
                await page.locator("#list[data-source=network]").wait_for(timeout=60_000)
                refreshed_ms = (time.perf_counter() - started) * 1000
                await page.close()
                await context.close()
                out[f"field_{label}"] = {
                    "tasks": tasks,
                    "cold_ms": round(cold_ms),
                    "cold_kb": round(cold_bytes / 1024, 1),
                    "cached_ms": round(cached_ms),
                    "cached_from": shown_from,
                    "cached_refreshed_ms": round(refreshed_ms),
                }
                progress(f"  field app, {label}: " + ", ".join(f"{k} {v}" for k, v in out[f"field_{label}"].items()))
        finally:
            await browser.close()
    slow, fast = out["field_slow3g"], out["field_loopback"]
    out["field_cold_ms_slow3g"] = slow["cold_ms"]
    out["field_cached_ms_slow3g"] = slow["cached_ms"]
    out["field_first_load_kb"] = slow["cold_kb"]
    out["field_ratio_cold_slow3g_to_loopback"] = round(slow["cold_ms"] / max(fast["cold_ms"], 1), 1)
    return out


async def alone(open_tasks: int = 1000) -> dict:
    """The field figures by themselves (`python -m bench.field_load`): a stack of their own from empty
    state, `open_tasks` complaints at 汝河中队's grid left open, then the measure above."""
    import asyncio
    import shutil

    import httpx

    from common.auth import Role, issue_token
    from common.settings import AuthSettings
    from devstack.stack import DATABASE, REPO, Stack, StackConfig

    state = REPO / ".data" / "bench-field-stack"
    shutil.rmtree(state, ignore_errors=True)
    stack = Stack(StackConfig.on_spare_ports(state))
    stack.up()
    try:
        hotline = {"Authorization": "Bearer " + issue_token(AuthSettings(), Role.hotline_operator, "bench-hotline")}
        incident = {"category": "street_vending", "location": {"lon": 113.62, "lat": 34.75}, "description": "占道经营"}
        async with httpx.AsyncClient(base_url=stack.gateway.url, headers=hotline, timeout=60) as client:
            gate = asyncio.Semaphore(20)

            async def post(n: int) -> None:
                async with gate:
                    r = await client.post("/v1/incidents", json={**incident, "description": f"占道经营 {n}"})
                    r.raise_for_status()

            await asyncio.gather(*(post(n) for n in range(open_tasks)))
        await asyncio.sleep(10)  # dispatched
        return await measure(stack.gateway.url, await signed_in(stack.postgres.url(DATABASE)), print)
    finally:
        stack.down()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    import asyncio
    import json

    print(json.dumps(asyncio.run(alone()), ensure_ascii=False, indent=2))
