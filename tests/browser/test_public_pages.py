"""What a citizen sees: the report page on a phone-sized screen in Debian's Chromium (headless,
driven by Playwright), against the whole platform served by uvicorn on the real PostgreSQL. A
report is filed with a photo and the phone's location, its status is read back by the tracking
token, and once the case is closed the citizen rates it on the tracking page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import async_playwright

from devstack.browser import launch
from tests.conftest import auth
from tests.helpers import MONITOR, eventually, handle_and_close, photo_bytes

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
DISPATCHER = auth("dispatcher", "dispatcher-1")


async def test_a_citizen_files_a_report_with_a_photo_and_follows_it_by_token(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server, timeout=30) as api:
        browser = await launch(pw)
        phone = await browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            geolocation={"longitude": 113.6205, "latitude": 34.7502},
            permissions=["geolocation"],
        )
        page = await phone.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{server}/report")
        await page.locator("#category option[value=street_vending]").wait_for(state="attached")

        # submitting an empty form names what is missing, and sends nothing
        await page.click("#submit")
        assert await page.locator('.error[data-for="category"]').inner_text() == "请选择问题类型"
        assert "请在地图上点选位置" in await page.locator('.error[data-for="lon"]').inner_text()

        await page.select_option("#category", "street_vending")
        box = await page.locator("#map").bounding_box()
        await page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)  # a point on the map
        assert (await page.locator("#where").inner_text()).startswith("地图选点: 113.")
        await page.click("#locate")  # then the phone's own position
        await page.locator("#where", has_text="手机定位: 113.6205, 34.7502").wait_for()
        await page.fill("#description", "汝河路建设路口东北角有三个水果摊占道经营, 行人只能走机动车道")
        await page.set_input_files(
            "#photos",
            files=[
                {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes((180, 60, 30), size=(320, 240))}
            ],
        )
        await page.locator("#thumbs img").wait_for()
        await page.screenshot(path=str(SHOTS / "report-form.png"), full_page=True)
        await page.click("#submit")
        await page.locator("#result").wait_for(state="visible", timeout=15_000)
        token = (await page.locator("#token").inner_text()).strip()
        assert len(token) == 36 and "请保存查询码" in await page.locator("#message").inner_text()
        await page.screenshot(path=str(SHOTS / "report-accepted.png"), full_page=True)

        # what intake holds: the web channel, the phone's point, the photo
        [incident] = (await api.get("/v1/incidents", headers=DISPATCHER)).json()
        assert incident["channel"] == "web" and incident["location"] == {"lon": 113.6205, "lat": 34.7502}
        assert len(incident["photos"]) == 1 and incident["photos"][0]["public"]

        # the tracking page, by the token
        await page.click("#trackLink")
        await page.locator("#status", has_text="已受理").wait_for(timeout=15_000)
        assert await page.locator("#category").inner_text() == "占道经营"
        assert await page.locator("#tokenInput").input_value() == token
        img = page.locator("#photos img")
        await img.wait_for()
        await page.wait_for_function("document.querySelector('#photos img').naturalWidth === 320")
        assert await page.locator("#rateBox").is_hidden()
        await page.screenshot(path=str(SHOTS / "track-received.png"), full_page=True)

        # the bureau verifies, files, dispatches, handles and closes it
        case_id = (
            await eventually(
                lambda: api.get(f"/v1/incidents/{incident['id']}", headers=DISPATCHER),
                lambda r: r.json()["case_id"],
                what="a case",
            )
        ).json()["case_id"]
        r = await api.post(f"/v1/cases/{case_id}/verify", json={"confirmed": True}, headers=auth(*MONITOR))
        assert r.status_code == 200, r.text
        assert (await api.post(f"/v1/cases/{case_id}/file", json={}, headers=DISPATCHER)).status_code == 200
        await eventually(
            lambda: api.get(f"/v1/cases/{case_id}", headers=DISPATCHER),
            lambda r: r.json()["status"] == "dispatched",
            what="dispatched",
        )
        r = await api.post(
            f"/v1/cases/{case_id}/notes",
            json={"text": "汝河中队已到场, 摊贩已劝离", "public": True},
            headers=DISPATCHER,
        )
        assert r.status_code == 204
        await handle_and_close(api, case_id)
        await eventually(
            lambda: api.get(f"/public/v1/reports/{token}"), lambda r: r.json()["can_rate"], what="closed and rateable"
        )

        await page.reload()
        await page.locator("#status", has_text="已办结").wait_for(timeout=15_000)
        assert "汝河中队已到场" in await page.locator("#notes").inner_text()
        assert await page.locator("#agency").inner_text() == "汝河中队"
        await page.check("input[value=satisfied]")
        await page.fill("#rate textarea", "处理很及时")
        await page.click("#rate button")
        await page.locator("#ratedBox", has_text="您的评价: 满意 — 处理很及时").wait_for(timeout=15_000)
        assert await page.locator("#rateBox").is_hidden()
        await page.screenshot(path=str(SHOTS / "track-rated.png"), full_page=True)

        # a wrong token is told so on the page
        await page.fill("#tokenInput", "0000")
        await page.click("#lookup button")
        await page.locator("#lookupError", has_text="查询码").wait_for()
        await browser.close()
    assert errors == []
    async with httpx.AsyncClient(base_url=server) as api:
        evaluated = await eventually(
            lambda: api.get(f"/v1/cases/{case_id}", headers=DISPATCHER),
            lambda r: r.json()["status"] == "evaluated",
            what="case evaluated",
        )
        assert evaluated.json()["rating"] == "satisfied"
        trail = (await api.get(f"/v1/cases/{case_id}/trail", headers=DISPATCHER)).json()
        rated_at = next(datetime.fromisoformat(e["at"]) for e in trail if e["action"] == "evaluate")
        month = rated_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # the bureau's month of the rating
        report = await eventually(
            lambda: api.get(f"/v1/reports/monthly?month={month}", headers=auth("supervisor")),
            lambda r: r.json()["rated"] == 1,
            what="the rating counted",
        )
        assert report.json()["satisfied"] == 1 and report.json()["satisfaction_rate"] == 1.0


async def test_the_api_documentation_opens_with_the_network_to_the_outside_cut(server):
    """A bureau's intranet has no CDN: /docs loads Swagger UI's scripts from the platform itself."""
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        outside: list[str] = []

        async def only_ours(route):
            if route.request.url.startswith(server):
                await route.continue_()
            else:
                outside.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_ours)
        page = await context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{server}/docs")
        await page.locator(".opblock-summary-path", has_text="/v1/incidents").first.wait_for(timeout=20_000)
        assert await page.locator(".opblock").count() > 50  # every service's operations, listed
        assert outside == [] and errors == [], (outside, errors)
        await browser.close()
