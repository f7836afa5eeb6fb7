"""The devices' readings as the clerk sees them (/ledger, Debian's Chromium): a merchant's fume chart
of the last day with its limit and its purifier stoppage, its 开机率 by day; a dog's track on the map
with the no-dog zones. The readings go in through the vendors' door, as `make simulate-devices` sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from devstack.browser import launch
from tests.browser.conftest import sign_in_demo
from tests.conftest import auth, token
from tests.helpers import DOG_LICENCE, eventually

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
VENDOR = {"Authorization": f"Bearer {token('external_system', 'vendor-1', scopes=('device-vendor',))}"}
CLERK = auth("ledger_clerk", "clerk-0001")
SCHOOL = [[113.611, 34.741], [113.613, 34.741], [113.613, 34.743], [113.611, 34.743], [113.611, 34.741]]


async def test_the_clerk_sees_a_kitchen_s_fumes_and_a_dog_s_track(server):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    async with httpx.AsyncClient(base_url=server, timeout=30) as api:
        shop = await api.post(
            "/v1/merchants",
            headers=CLERK,
            json={
                "name": "老王烧烤",
                "operator": "王某",
                "address": "汝河路 88 号",
                "business_nature": "餐饮",
                "location": {"lon": 113.621, "lat": 34.751},
            },
        )
        assert shop.status_code == 201, shop.text
        licence = await eventually(
            lambda: api.post(
                "/v1/dog-licences",
                headers=CLERK,
                json=DOG_LICENCE,
            ),
            lambda r: r.status_code == 201,
            what="a dog licence issued",
        )
        school = {"name": "汝河路小学", "kind": "school", "polygon": {"type": "Polygon", "coordinates": [SCHOOL]}}
        assert (await api.put("/v1/dog-zones/school-1", json=school, headers=auth("admin"))).status_code == 200
        for device, body in (
            ("fume-1", {"kind": "fume_monitor", "merchant_id": shop.json()["id"]}),
            ("tag-1", {"kind": "dog_tag", "licence_id": licence.json()["id"]}),
        ):
            assert (await api.put(f"/v1/devices/{device}", json=body, headers=CLERK)).status_code == 200
        readings = []
        for n in range(180, 0, -1):  # the last three hours, a reading a minute; 40 minutes without the purifier
            at = (now - timedelta(minutes=n)).isoformat()
            off = 60 <= n < 100
            readings.append(
                {
                    "device_id": "fume-1",
                    "time": at,
                    "fume_mg_m3": 2.6 if 120 <= n < 130 else 0.9,
                    "fan_on": True,
                    "purifier_on": not off,
                }
            )
        for n in range(40):  # a walk along the street and through the school's zone
            at = (now - timedelta(minutes=60) + timedelta(seconds=30 * n)).isoformat()
            readings.append({"device_id": "tag-1", "time": at, "lon": 113.605 + n * 0.0002, "lat": 34.742})
        answer = await api.post("/v1/telemetry", json={"readings": readings}, headers=VENDOR)
        assert answer.status_code == 200 and answer.json()["accepted"] == len(readings), answer.text
        assert answer.json()["alarms"] == 3  # exceedance, purifier off, the school's zone

    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1500, "height": 950})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in_demo(page, f"{server}/ledger", "钱红")
        await page.locator("#who", has_text="钱红").wait_for(timeout=15_000)
        await page.locator("#results .row").first.wait_for(timeout=15_000)
        await page.locator("#results .row", has_text="老王烧烤").click()
        await page.locator("#detail h3", has_text="油烟在线监测").wait_for(timeout=15_000)
        chart = page.locator("#detail .chart svg")
        points = await chart.locator("polyline").get_attribute("points")
        assert len(points.split()) >= 30  # kept one reading in five minutes, over three hours
        assert await chart.locator("rect").count() >= 5  # the purifier stopped: shaded
        assert "限值 2" in " ".join(await chart.locator("text").all_text_contents())
        detail = await page.locator("#detail").inner_text()
        assert "开机率" in detail and "%" in detail
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "ledger-fumes.png"), full_page=True)

        await page.locator("header nav button", has_text="犬只轨迹").click()
        await page.fill("#track-form input[name=key]", "156100000765432")
        await page.locator("#track-form button").click()
        track = page.locator("#track-map svg polyline")
        await track.wait_for(state="attached", timeout=15_000)
        assert len((await track.get_attribute("points")).split()) >= 15  # a point a minute, and the zone's entry
        assert await page.locator("#track-map svg polygon[stroke='#c62828']").count() == 1  # the school's zone
        assert "tag-1" in await page.locator("#track-facts").inner_text()
        await page.screenshot(path=str(SHOTS / "ledger-track.png"), full_page=True)
        assert errors == []
        await browser.close()
