"""领导驾驶舱 (/reports) in Debian's Chromium: a supervisor signs in, a report posted at intake shows
on the page's figures within seconds (the page polls every second), the charts load, the squads'
table is there; a squad leader sees the squad's own row and no circular; a clerk is told the page
is not theirs."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from devstack.browser import launch
from tests.browser.conftest import sign_in_demo
from tests.conftest import auth
from tests.helpers import INCIDENT, eventually

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


async def _tile(page, key: str) -> int | None:
    text = (await page.locator(f"#tile-{key} .value").inner_text()).replace(",", "")
    return int(text) if text.isdigit() else None


async def test_the_leaders_dashboard_shows_a_new_report_within_seconds(server):
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server) as api:
        assert (await api.get("/v1/reports/live")).status_code == 401
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1500, "height": 1000})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in_demo(page, f"{server}/reports", "李国庆")  # the supervisor
        await page.locator("#live", has_text="实时").wait_for(timeout=15_000)
        assert "李国庆" in await page.locator("#who").inner_text()
        before = await _tile(page, "received")
        assert before is not None
        trend_src = await page.get_attribute("#trend", "src")

        posted_at = time.monotonic()
        r = await api.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
        assert r.status_code == 201, r.text
        await eventually(
            lambda: _tile(page, "received"),
            lambda n: n == before + 1,
            timeout_s=10,
            what="today's 受理 up by one on the page",
        )
        shown_s = time.monotonic() - posted_at
        await eventually(
            lambda: _tile(page, "dispatched"),
            lambda n: n is not None and n >= 1,
            timeout_s=10,
            what="today's 派遣 on the page",
        )
        await eventually(
            lambda: page.get_attribute("#trend", "src"),
            lambda src: src != trend_src,
            what="the charts drawn again after the event",
        )
        print(f"\ndashboard: a report posted shows on the page {shown_s * 1000:.0f} ms later")

        for chart in ("trend", "map", "categories"):
            await eventually(
                lambda: page.evaluate(f"document.getElementById('{chart}').naturalWidth"),
                lambda w: w > 0,
                what=f"the {chart} chart drawn",
            )
        rows = page.locator("#ranking tbody tr")
        await eventually(rows.count, lambda n: n >= 6, what="every squad in the table")
        assert await page.locator("#circular").is_visible()
        circular = await page.request.get(server + await page.locator("#circularPdf").get_attribute("href"))
        assert circular.ok and circular.headers["content-type"] == "application/pdf"
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "reports-supervisor.png"), full_page=True)
        assert not errors, errors

        # the squad leader: the squad's own row, the district's average, and no circular
        leader = await (await browser.new_context(viewport={"width": 1500, "height": 1000})).new_page()
        await sign_in_demo(leader, f"{server}/reports", "马超")
        await leader.locator("#live", has_text="实时").wait_for(timeout=15_000)
        await eventually(leader.locator("#ranking tbody tr").count, lambda n: n == 1, what="the squad's own row")
        assert await leader.locator("#ranking tbody tr").first.get_attribute("data-squad") == "sq-ruhe"
        assert not await leader.locator("#circular").is_visible() and not await leader.locator("#map").is_visible()
        assert (await leader.request.get(f"{server}/v1/reports/charts/map.svg")).status == 403
        assert (await leader.request.get(f"{server}/v1/reports/circular.pdf?month=2026-01")).status == 403
        await leader.screenshot(path=str(SHOTS / "reports-squad-leader.png"), full_page=True)

        # a clerk keeps the registers, not this page
        clerk = await (await browser.new_context()).new_page()
        await sign_in_demo(clerk, f"{server}/reports", "钱红")
        await clerk.get_by_text("领导驾驶舱供局领导").wait_for(timeout=15_000)
        await browser.close()


async def test_the_dashboard_follows_a_campaign_its_targets_and_its_squads(server):
    from datetime import datetime, timedelta

    from common.clock import BEIJING

    today = datetime.now(BEIJING).date()
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server) as api:
        launched = await api.post(
            "/v1/campaigns",
            json={
                "name": "夜市占道专项整治",
                "kind": "special",
                "starts_on": str(today - timedelta(days=10)),  # around today: the server runs on the wall clock
                "ends_on": str(today + timedelta(days=10)),
                "categories": ["street_vending"],
                "grids": ["zy-ruhelu"],
                "targets": {"cases": 1, "officer_trips": 100},
            },
            headers=auth("supervisor", "sup-0001"),
        )
        assert launched.status_code == 201, launched.text
        cid = launched.json()["id"]
        r = await api.post(
            "/v1/incidents",
            json={**INCIDENT, "location": {"lon": 113.61, "lat": 34.74}},
            headers=auth("hotline_operator"),
        )
        assert r.status_code == 201
        op = await api.post(
            f"/v1/campaigns/{cid}/operations",
            json={"on": str(today), "place": "汝河路夜市", "officer_trips": 40, "vehicle_trips": 3},
            headers=auth("squad_leader", "sq-ruhe-leader", "sq-ruhe"),
        )
        assert op.status_code == 201, op.text
        await eventually(
            lambda: api.get(f"/v1/reports/campaigns/{cid}", headers=auth("supervisor")),
            lambda r: r.json().get("cases") == 1 and r.json()["achieved"]["operations"] == 1,
            timeout_s=15,
            what="the campaign's figures",
        )
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1500, "height": 1200})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in_demo(page, f"{server}/reports", "李国庆")
        await page.locator("#campaign-summary", has_text="案件 1 件").wait_for(timeout=15_000)
        summary = await page.locator("#campaign-summary").inner_text()
        assert "行动 1 次" in summary and "出动 40 人次、3 车次" in summary
        assert await page.locator("#campaign option", has_text="夜市占道专项整治").count() == 1
        cases_target = page.locator('#campaign-targets tr[data-target="cases"]')
        met = await cases_target.inner_text()
        assert "达标" in met and "未达标" not in met
        assert "未达标" in await page.locator('#campaign-targets tr[data-target="officer_trips"]').inner_text()
        assert "汝河中队" in await page.locator('#campaign-squads tr[data-squad="sq-ruhe"]').inner_text()
        await page.locator("#campaign-card").screenshot(path=str(SHOTS / "dashboard-campaign.png"))
        assert not errors, errors
        await browser.close()
