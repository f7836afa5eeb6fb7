"""The command centre's page of the links to the city (/links) in Debian's Chromium: a 12345 order's
签收 could not reach the city (dead-lettered, with why); the dispatcher sees it on the page, the
city comes back, 重发 sends it, and the order's list shows it signed; a squad officer is told the
page is not for that role."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from common.messaging.memory import InMemoryTransport
from devstack.browser import launch
from devstack.people import DEMO_PEOPLE
from devstack.ports import free_port
from monolith.app import build_app, build_services
from tests.browser.conftest import sign_in_demo
from tests.conftest import auth
from tests.helpers import INCIDENT, eventually, served
from tests.integration.test_city_link import Fake12345

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


async def test_a_dead_message_is_seen_and_sent_again(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTH_DEMO_SIGN_IN", "true")
    city = Fake12345(free_port())  # not started: the city is away
    upstream = {
        "name": "12345",
        "url": f"http://127.0.0.1:{city.port}",
        "token": "city-token",
        "client": "city-12345",
        "channels": ["transfer_12345"],
    }
    services = build_services(
        database_url,
        InMemoryTransport(),
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        upstreams=[upstream],
        link_poll_interval_s=0.2,
        link_retry_base_s=0.1,
        link_max_attempts=2,
    )
    async with served(build_app(services, demo_people=DEMO_PEOPLE)) as url:
        async with httpx.AsyncClient(base_url=url) as api:
            r = await api.post(
                "/v1/incidents",
                json={**INCIDENT, "channel": "transfer_12345", "source_reference": "ZZ12345-7001"},
                headers=auth("hotline_operator"),
            )
            assert r.status_code == 201, r.text

            async def dead():
                rows = await api.get("/v1/upstream-messages?status=dead", headers=auth("dispatcher"))
                return rows.json()

            await eventually(dead, lambda d: len(d) >= 1, what="the 签收 dead-lettered")
        try:
            async with async_playwright() as pw:
                browser = await launch(pw)
                page = await browser.new_page(viewport={"width": 1300, "height": 900})
                errors = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                await sign_in_demo(page, f"{url}/links", "孙晓梅")
                await page.locator("#who", has_text="孙晓梅").wait_for(timeout=15_000)
                row = page.locator("#dead tr", has_text="ZZ12345-7001").first
                await row.wait_for(timeout=15_000)
                text = await row.inner_text()
                assert "签收" in text and "ConnectError" in text, text
                behind = await page.locator("#pending tr", has_text="ZZ12345-7001").first.inner_text()
                assert "办理中" in behind and "待其重发" in behind, behind  # held behind the dead 签收
                SHOTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SHOTS / "links-dead.png"), full_page=True)

                city.start()  # the city is back
                for _ in range(await page.locator("#dead button", has_text="重发").count()):
                    await page.locator("#dead button", has_text="重发").first.click()
                    await page.wait_for_timeout(300)
                await eventually(lambda: _taken(city), lambda t: "sign" in t, what="签收 taken by the city")
                await page.locator("header nav button", has_text="工单").click()
                await page.locator("#order-list tr", has_text="ZZ12345-7001").wait_for(timeout=15_000)
                order = await page.locator("#order-list tr", has_text="ZZ12345-7001").inner_text()
                assert "办理中" in order or "已签收" in order, order
                assert not errors, errors

                officer = await browser.new_page()
                await sign_in_demo(officer, f"{url}/links", DEMO_PEOPLE_OFFICER)
                await officer.locator("body", has_text="对接页面供指挥中心").wait_for(timeout=15_000)
                await browser.close()
        finally:
            city.stop()


DEMO_PEOPLE_OFFICER = next(p.name for p in DEMO_PEOPLE if p.role == "squad_officer")


async def _taken(city) -> list[str]:
    return [t["step"] for t in city.taken]
