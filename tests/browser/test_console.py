"""What a dispatcher sees: the console in Debian's Chromium (headless, driven by Playwright),
against the whole platform served by uvicorn on the real PostgreSQL. A case posted at intake
arrives live, is dispatched from the queue, and appears on the squad's board; the documented
SSE API carries the same change to another console vendor, filtered by squad."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from common.clock import BEIJING
from devstack.browser import launch
from tests.browser.conftest import sign_in_demo
from tests.conftest import auth, token
from tests.helpers import INCIDENT

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


async def _sse(base: str, bearer: str, into: list, ready: asyncio.Event) -> None:
    async with httpx.AsyncClient(timeout=None) as client:
        async with client.stream(
            "GET", f"{base}/v1/assignments/stream", headers={"Authorization": f"Bearer {bearer}"}
        ) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            event = None
            async for line in r.aiter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                    if event == "hello":
                        ready.set()
                elif line.startswith("data:") and event not in (None, "hello"):
                    into.append((event, json.loads(line.split(":", 1)[1])))


async def test_a_new_case_arrives_live_is_dispatched_and_the_board_changes(server):
    ruhe_events, xushui_events = [], []
    ready = [asyncio.Event(), asyncio.Event()]
    streams = [
        asyncio.create_task(_sse(server, token("squad_leader", "leader-ruhe", "sq-ruhe"), ruhe_events, ready[0])),
        asyncio.create_task(_sse(server, token("squad_leader", "leader-xushui", "sq-xushui"), xushui_events, ready[1])),
    ]
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server) as api:
        assert (await api.get("/v1/assignments/stream")).status_code == 401
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in_demo(page, f"{server}/console", "孙晓梅")  # the dispatcher
        await page.locator("#live", has_text="实时").wait_for(timeout=15_000)
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), 15)
        assert await page.locator(".board").count() == 7  # six squads and the directly-run brigade

        # outside every grid: the case waits in the queue for the dispatcher
        posted_at = time.monotonic()
        r = await api.post(
            "/v1/incidents",
            json={**INCIDENT, "location": {"lon": 113.70, "lat": 34.70}},
            headers=auth("hotline_operator"),
        )
        assert r.status_code == 201, r.text
        row = page.locator("#queue .q").first
        await row.wait_for(timeout=10_000)
        arrived_s = time.monotonic() - posted_at
        case_number = await row.get_attribute("data-case-number")
        assert case_number and case_number.startswith("410102-")
        assert await row.get_attribute("data-reason") == "outside_grid"
        assert "不在任何网格内" in await row.inner_text() and "占道经营" in await row.inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "console-queue.png"), full_page=True)

        board = page.locator('.board[data-squad="sq-ruhe"]')
        assert await board.locator(".count").inner_text() == "0"
        await row.locator("select").select_option("sq-ruhe")
        await row.locator("button", has_text="派遣").click()
        card = board.locator(f'li[data-case-number="{case_number}"]')
        await card.wait_for(timeout=10_000)
        # the counts are redrawn on the next animation frame (at most once a frame), not with the card
        await expect(board.locator(".count")).to_have_text("1", timeout=5_000)
        text = await card.inner_text()
        # what a dispatcher reads: the category's name, the description, the place, the deadline
        # in Beijing time beside the working time left
        assert "已派遣" in text and "占道经营" in text and INCIDENT["description"] in text, text
        assert "剩余工作时间" in text and "期限" in text and "street_vending" not in text, text
        await page.locator("#queue .empty").wait_for(timeout=5_000)
        await page.screenshot(path=str(SHOTS / "console-dispatched.png"), full_page=True)
        assert errors == []
        print(f"\n  console: the case appeared {arrived_s * 1000:.0f} ms after the POST to intake")
        await browser.close()

        # the SSE API: the squad's stream carried it; another squad's did not
        deadline = time.monotonic() + 10
        while not any(e == "assignment" for e, _ in ruhe_events) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assigned = [d for e, d in ruhe_events if e == "assignment"]
        assert assigned and assigned[0]["case_number"] == case_number and assigned[0]["squad_id"] == "sq-ruhe"
        assert not [d for e, d in xushui_events if e == "assignment"]
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)


async def test_a_patrol_post_not_checked_in_turns_red_on_the_console(server):
    """严管区定岗: a post whose shift started half an hour ago and nobody checked in. The deadline
    tick (every 5 s) raises the missed-post alert, and the console shows it without reloading."""
    from datetime import datetime, timedelta

    from dispatch.domain.deadlines import BEIJING

    started = datetime.now(BEIJING) - timedelta(minutes=30)
    post = {
        "name": "测试小学校门",
        "kind": "school",
        "squad_id": "sq-ruhe",
        "location": {"lon": 113.61, "lat": 34.73},
        "windows": [
            {
                "start": started.strftime("%H:%M"),
                "end": (started + timedelta(minutes=90)).strftime("%H:%M"),
                "days": "daily",
            }
        ],
    }
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server) as api:
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in_demo(page, f"{server}/console", "马超")  # 汝河中队's leader
        await page.locator("#live", has_text="实时").wait_for(timeout=15_000)
        assert (await api.put("/v1/patrol-posts/post-test-gate", json=post, headers=auth("admin"))).status_code == 200
        r = await api.post(
            "/v1/patrol-posts/post-test-gate/roster",
            json={"officer_id": "sq-ruhe-o2", "first_day": started.date().isoformat()},
            headers=auth("squad_leader", "leader-ruhe", "sq-ruhe"),
        )
        assert r.status_code == 201, r.text
        shift = page.locator(f'#patrols .shift[data-shift="{r.json()[0]["id"]}"]')
        await shift.wait_for(timeout=10_000)  # the roster arrived live
        await page.locator(f'#patrols .shift.missed[data-shift="{r.json()[0]["id"]}"]').wait_for(timeout=20_000)
        assert "空岗" in await shift.inner_text() and "测试小学校门" in await shift.inner_text()
        alert = page.locator("#escalations .esc.patrol_missed", has_text="测试小学校门")
        await alert.wait_for(timeout=5_000)
        assert "岗点未到岗" in await alert.inner_text() and "中队长" in await alert.inner_text()
        await page.screenshot(path=str(SHOTS / "console-patrol-missed.png"), full_page=True)
        assert errors == []
        await browser.close()


async def test_in_november_the_administrator_is_warned_on_the_console_until_next_years_holidays_are_loaded(
    database_url, tmp_path, monkeypatch
):
    from datetime import datetime

    from common.clock import FixedClock
    from common.messaging.memory import InMemoryTransport
    from devstack.people import DEMO_PEOPLE
    from monolith.app import build_app, build_services
    from tests.helpers import served

    monkeypatch.setenv("AUTH_DEMO_SIGN_IN", "true")
    clock = FixedClock(datetime(2026, 11, 16, 2, 0, tzinfo=UTC))
    services = build_services(
        database_url, InMemoryTransport(), clock=clock, object_store_url=f"file:{tmp_path}/objects"
    )
    async with served(build_app(services, demo_people=DEMO_PEOPLE)) as url, async_playwright() as pw:
        async with httpx.AsyncClient(base_url=url) as api:
            status = (await api.get("/v1/calendar/status", headers=auth("admin"))).json()
        browser = await launch(pw)
        admin = await browser.new_page(viewport={"width": 1400, "height": 900})
        await sign_in_demo(admin, f"{url}/console", "系统管理员")
        await admin.locator("#live", has_text="实时").wait_for(timeout=15_000)
        warning = admin.locator("#calendar-warning")
        if status["next_year_loaded"]:  # chinesecalendar brought 2027 already: nothing to warn of
            await expect(warning).to_be_hidden()
        else:
            await expect(warning).to_contain_text("2027年节假日安排尚未载入")
            officer = await browser.new_page(viewport={"width": 1400, "height": 900})
            await sign_in_demo(officer, f"{url}/console", "朱婷")  # a squad's officer is not the one to act
            await officer.locator("#live", has_text="实时").wait_for(timeout=15_000)
            await expect(officer.locator("#calendar-warning")).to_be_hidden()
            async with httpx.AsyncClient(base_url=url) as api:
                assert (
                    await api.put(
                        "/v1/calendar/2027-01-01", json={"kind": "holiday", "name": "元旦"}, headers=auth("admin")
                    )
                ).status_code == 200
            await admin.reload()
            await admin.locator("#live", has_text="实时").wait_for(timeout=15_000)
            await expect(warning).to_be_hidden()
        await browser.close()


async def test_the_console_marks_and_filters_a_campaigns_cases_and_names_each_grids_keeper(server):
    today = datetime.now(BEIJING).date()
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server) as api:
        launched = await api.post(
            "/v1/campaigns",
            json={
                "name": "汝河路占道整治",
                "kind": "special",
                "starts_on": str(today - timedelta(days=30)),  # around today: the server runs on the wall clock
                "ends_on": str(today + timedelta(days=30)),
                "categories": ["street_vending"],
                "grids": ["zy-ruhelu"],
            },
            headers=auth("supervisor", "sup-0001"),
        )
        assert launched.status_code == 201, launched.text
        where = {"lon": 113.61, "lat": 34.74}
        for category in ("street_vending", "noise"):
            r = await api.post(
                "/v1/incidents",
                json={**INCIDENT, "category": category, "location": where},
                headers=auth("hotline_operator"),
            )
            assert r.status_code == 201, r.text
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in_demo(page, f"{server}/console", "孙晓梅")
        await page.locator("#live", has_text="实时").wait_for(timeout=15_000)
        board = page.locator('.board[data-squad="sq-ruhe"]')
        tagged = board.locator(".card", has=page.locator(".badge.campaign", has_text="汝河路占道整治"))
        # the tag follows the dispatch on the bus: the card is painted again, live, when it lands
        await expect(board.locator(".card")).to_have_count(2, timeout=15_000)
        await expect(tagged).to_have_count(1, timeout=15_000)
        await page.select_option("#campaign-filter", label="汝河路占道整治")
        await expect(board.locator(".card:not(.filtered)")).to_have_count(1)
        assert "占道经营" in await board.locator(".card:not(.filtered)").inner_text()
        await page.screenshot(path=str(SHOTS / "console-campaign-filter.png"), full_page=True)
        await page.select_option("#campaign-filter", value="")
        await expect(board.locator(".card:not(.filtered)")).to_have_count(2)
        assert "汝河路网格 (v1) · 汝河路街道办事处 · 责任人 朱婷" in await page.locator("#grid-keepers").inner_text()
        assert not errors, errors
        await browser.close()
