"""城管通 as the people in the street use it: Debian's Chromium at a phone's size (390×844, touch),
with the phone's position and its camera (files), against the whole platform on the real
PostgreSQL. An officer sees a task arrive without reloading, accepts and handles it with two
photos; a monitor checks it and the case closes; a handling taken with the network cut, the app
closed and reopened, arrives exactly once when the network returns; a patrol find handled on the
spot counts under `patrol`; a check-in from too far away is refused with the distance."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.async_api import async_playwright, expect

from devstack.browser import launch
from tests.browser.conftest import sign_in_demo
from tests.conftest import auth
from tests.helpers import INCIDENT, eventually, photo_bytes

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
AT_INCIDENT = {"latitude": 34.7502, "longitude": 113.6201, "accuracy": 8}
O1 = ("squad_officer", "sq-ruhe-o1", "sq-ruhe")


def camera(name: str, colour=(180, 60, 40)) -> dict:
    """A 12-megapixel photo as the phone's camera hands it over (4000×3000 JPEG)."""
    return {"name": name, "mimeType": "image/jpeg", "buffer": photo_bytes(colour, size=(4000, 3000))}


async def phone(browser, geolocation=AT_INCIDENT):
    context = await browser.new_context(**PHONE, geolocation=geolocation, permissions=["geolocation"], locale="zh-CN")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


async def submitted(page, button: str, screen: str) -> None:
    """Press the button; the app has written the step to its outbox when it moves to `screen`."""
    await page.get_by_role("button", name=button).click()
    await page.wait_for_url(lambda url: url.endswith(screen))


async def sent_all(page, timeout=30_000) -> None:
    """The queue bar is gone: every item was acknowledged by the server."""
    await expect(page.locator("#queuebar")).to_be_hidden(timeout=timeout)


async def new_case(api) -> tuple[str, str]:
    r = await api.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    assert r.status_code == 201, r.text

    async def incident():
        return (await api.get(f"/v1/incidents/{r.json()['id']}", headers=auth("hotline_operator"))).json()

    i = await eventually(incident, lambda i: i.get("case_id") and i.get("squad"), what="the case dispatched")
    return i["case_id"], i["case_number"]


async def trail_actions(api, case_id: str) -> list[str]:
    return [e["action"] for e in (await api.get(f"/v1/cases/{case_id}/trail", headers=auth("supervisor"))).json()]


async def officer_and_monitor_close_a_case(base: str, sign_in, api, shots: str = "field") -> None:
    """The street's loop on the field app at `base`: a task arrives live on the officer's phone, is
    accepted and handled with two photos; a monitor checks it and the case closes; the trail
    holds each step once. `sign_in(page, url, username, name)` signs a person in (the demo
    sign-in of make run, Keycloak's form under make up); `api` reaches every service's API."""
    async with async_playwright() as pw:
        browser = await launch(pw)
        officer_ctx, officer, errors = await phone(browser)
        await sign_in(officer, f"{base}/field", "sq-ruhe-o1", "朱婷")
        await expect(officer.get_by_role("link", name="我的任务")).to_be_visible(timeout=20_000)
        await officer.locator("#list .empty, #list a.card").first.wait_for(timeout=20_000)

        case_id, case_number = await new_case(api)  # arrives on the open app, no reload
        card = officer.locator("a.card", has_text=case_number)
        await card.wait_for(timeout=20_000)
        assert "占道经营" in await card.inner_text() and "米" in await card.inner_text()
        await card.click()
        await submitted(officer, "签收", "#tasks")
        await sent_all(officer)
        await officer.locator("a.card", has_text=case_number).click()
        await officer.get_by_role("link", name="处置").click()
        await officer.get_by_label("处置前照片").set_input_files(camera("before.jpg"))
        await officer.get_by_label("处置后照片").set_input_files(camera("after.jpg", (40, 160, 60)))
        await expect(officer.locator("[data-thumbs=after] img")).to_have_count(1)
        SHOTS.mkdir(parents=True, exist_ok=True)
        await officer.screenshot(path=str(SHOTS / f"{shots}-handle.png"), full_page=True)
        await submitted(officer, "提交", "#tasks")
        await sent_all(officer)

        case = (await api.get(f"/v1/cases/{case_id}", headers=auth("supervisor"))).json()
        assert case["status"] == "handled" and case["handled_by"] == "sq-ruhe-o1", case
        # scaled on the phone: a 12-megapixel photo arrives with a long edge of 2,048 px, a few hundred KB
        trail = (await api.get(f"/v1/cases/{case_id}/trail", headers=auth("supervisor"))).json()
        handle = next(e for e in trail if e["action"] == "handle")
        taken = handle["data"]["taken"]  # when and where, as the phone said, beside the server's own time
        assert (taken["lat"], taken["lon"], taken["accuracy_m"]) == (34.7502, 113.6201, 8) and "at" in taken
        sha = handle["data"]["photos"][1]["sha256"]
        photo = await api.get(f"/v1/cases/{case_id}/photos/{sha}", headers=auth(*O1))
        assert photo.status_code == 200 and len(photo.content) < 600_000
        assert max(Image.open(io.BytesIO(photo.content)).size) == 2048

        monitor_ctx, monitor, monitor_errors = await phone(browser)
        await sign_in(monitor, f"{base}/field", "monitor-0001", "赵明")
        await monitor.get_by_role("link", name="核查").click()
        await monitor.locator("a.card", has_text=case_number).click()
        await monitor.get_by_label("现场照片").set_input_files(camera("check.jpg", (90, 90, 200)))
        await expect(monitor.locator("[data-thumbs=photos] img")).to_have_count(1)
        await submitted(monitor, "核查通过", "#check")
        await sent_all(monitor)
        case = (await api.get(f"/v1/cases/{case_id}", headers=auth("supervisor"))).json()
        assert case["status"] == "closed", case
        actions = await trail_actions(api, case_id)
        assert [a for a in actions if a in ("handle", "check")] == ["handle", "check"], actions
        assert errors == [] and monitor_errors == []
        await officer_ctx.close()
        await monitor_ctx.close()
        await browser.close()


async def demo_sign_in(page, url: str, username: str, name: str) -> None:
    await sign_in_demo(page, url, name)


async def test_an_officer_takes_a_task_live_handles_it_and_a_monitor_closes_it(server):
    async with httpx.AsyncClient(base_url=server, timeout=30) as api:
        await officer_and_monitor_close_a_case(server, demo_sign_in, api)


async def test_a_handling_taken_offline_survives_a_closed_app_and_arrives_once(server):
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server, timeout=30) as api:
        case_id, case_number = await new_case(api)
        browser = await launch(pw)
        context, page, errors = await phone(browser)
        await sign_in_demo(page, f"{server}/field", "朱婷")
        await page.locator("a.card", has_text=case_number).click()
        await page.evaluate("navigator.serviceWorker.ready")  # the shell is cached before the signal goes
        await page.get_by_role("link", name="处置").click()
        await context.set_offline(True)
        await page.get_by_label("处置前照片").set_input_files(camera("before.jpg"))
        await page.get_by_label("处置后照片").set_input_files(camera("after.jpg", (30, 30, 30)))
        await expect(page.locator("[data-thumbs=after] img")).to_have_count(1)
        await submitted(page, "提交", "#tasks")
        await expect(page.locator("#queuecount")).to_have_text("1 件待上传")
        await page.close()  # the app closed with no signal

        page = await context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{server}/field#queue")  # opened again, still offline: from the service worker
        await expect(page.locator("#queuecount")).to_have_text("1 件待上传", timeout=10_000)
        await expect(page.locator("#net")).to_have_text("离线")
        await page.screenshot(path=str(SHOTS / "field-offline-queue.png"), full_page=True)
        assert "handle" not in await trail_actions(api, case_id)

        await context.set_offline(False)
        await sent_all(page)
        await page.locator("#sendnow").evaluate("b => b.click()")  # a resend changes nothing
        actions = await eventually(lambda: trail_actions(api, case_id), lambda a: "handle" in a, what="the handling")
        assert actions.count("handle") == 1, actions
        assert errors == []
        await context.close()
        await browser.close()


async def test_a_patrol_find_handled_on_the_spot_counts_under_patrol(server):
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server, timeout=30) as api:
        browser = await launch(pw)
        context, page, errors = await phone(browser)
        await sign_in_demo(page, f"{server}/field", "朱婷")
        await page.get_by_role("link", name="巡查上报").click()
        await page.get_by_label("问题类别").select_option("street_vending")
        await page.get_by_label("现场照片").set_input_files(camera("found.jpg"))
        await page.get_by_label("说明").fill("天河路巡查发现占道经营")
        await page.get_by_label("当场处置").check()
        await page.get_by_label("处置前照片").set_input_files(camera("before.jpg"))
        await page.get_by_label("处置后照片").set_input_files(camera("after.jpg", (20, 150, 20)))
        await expect(page.locator("[data-thumbs=after] img")).to_have_count(1)
        await submitted(page, "上报", "#queue")
        await sent_all(page, timeout=60_000)

        rows = await api.get("/v1/cases?limit=50", headers=auth("supervisor"))
        patrol = [c for c in rows.json() if c["channel"] == "patrol"]
        assert len(patrol) == 1 and patrol[0]["status"] == "handled" and patrol[0]["handled_by"] == "sq-ruhe-o1"
        assert patrol[0]["squad"]["id"] == "sq-ruhe"

        async def by_channel():
            day = datetime.now().astimezone().date()  # reporting's day is Beijing's; the test runs in it or UTC
            for at in (day, day - timedelta(days=1), day + timedelta(days=1)):
                r = await api.get(f"/v1/reports/indicators?period=day&at={at}&by=channel", headers=auth("supervisor"))
                rows = {row["value"]: row for row in r.json()["rows"]}
                if "patrol" in rows:
                    return rows
            return {}

        rows = await eventually(by_channel, bool, what="the patrol row in reporting")
        assert rows["patrol"]["name"] == "巡查发现" and rows["patrol"]["indicators"]["received"] == 1
        assert errors == []
        await context.close()
        await browser.close()


async def test_a_check_in_from_too_far_is_refused_with_the_distance(server):
    from dispatch.domain.deadlines import BEIJING

    started = datetime.now(BEIJING) - timedelta(minutes=5)
    post = {
        "name": "汝河小学校门",
        "kind": "school",
        "squad_id": "sq-ruhe",
        "location": {"lon": 113.61, "lat": 34.73},
        "radius_m": 100,
        "windows": [
            {
                "start": started.strftime("%H:%M"),
                "end": (started + timedelta(hours=1)).strftime("%H:%M"),
                "days": "daily",
            }
        ],
    }
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server, timeout=30) as api:
        assert (await api.put("/v1/patrol-posts/post-field-gate", json=post, headers=auth("admin"))).status_code == 200
        today = datetime.now(BEIJING).date()
        r = await api.post(  # yesterday too: around midnight the shift running now began yesterday
            "/v1/patrol-posts/post-field-gate/roster",
            json={"officer_id": "sq-ruhe-o1", "first_day": str(today - timedelta(days=1)), "last_day": str(today)},
            headers=auth("squad_leader", "sq-ruhe-leader", "sq-ruhe"),
        )
        assert r.status_code == 201, r.text
        now = datetime.now(BEIJING)
        [running] = [
            s for s in r.json() if datetime.fromisoformat(s["starts_at"]) <= now < datetime.fromisoformat(s["ends_at"])
        ]
        browser = await launch(pw)
        far = {"latitude": 34.739, "longitude": 113.61, "accuracy": 10}  # 1 km north of the gate
        context, page, errors = await phone(browser, geolocation=far)
        await sign_in_demo(page, f"{server}/field", "朱婷")
        await page.get_by_role("link", name="定岗签到").click()
        await page.locator(f"[data-shift='{running['id']}']").click()
        refused = page.locator(".item.failed")
        await refused.wait_for(timeout=20_000)
        text = await refused.inner_text()
        assert "被拒绝" in text and "须在 100 米内签到" in text and "m from the post" in text, text
        assert "距岗点 10" in text  # about a kilometre: 1,000 m give or take the rounding
        await page.screenshot(path=str(SHOTS / "field-check-in-refused.png"), full_page=True)
        assert errors == []
        await context.close()
        await browser.close()


async def test_a_photo_taken_before_the_page_was_killed_is_still_there_on_the_same_screen(server):
    """Android may kill the page while the camera app is open: the draft is kept before the camera
    opens and as each photo comes back, and the app opens again on the same step with it."""
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server, timeout=30) as api:
        _, case_number = await new_case(api)
        browser = await launch(pw)
        context, page, errors = await phone(browser)
        await sign_in_demo(page, f"{server}/field", "朱婷")
        await page.locator("a.card", has_text=case_number).click()
        await page.get_by_role("link", name="处置").click()
        handle_url = page.url
        await page.get_by_label("说明").fill("摊主已自行收摊")
        await page.get_by_label("处置前照片").set_input_files(camera("before.jpg"))
        await expect(page.locator("[data-thumbs=before] img")).to_have_count(1)
        await page.close()  # killed with the camera open

        page = await context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{server}/field")  # opened again from the home screen: no step in the address
        await page.wait_for_url(handle_url)
        await expect(page.locator("[data-thumbs=before] img")).to_have_count(1)
        await expect(page.get_by_label("说明")).to_have_value("摊主已自行收摊")
        assert errors == []
        await context.close()
        await browser.close()


async def test_a_squad_asks_for_more_time_and_returns_a_task_not_its_own(server):
    """The squad leader sees the squad's every task (an officer sees their own and the unassigned)."""
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server, timeout=30) as api:
        late_case, late_number = await new_case(api)
        wrong_case, wrong_number = await new_case(api)
        browser = await launch(pw)
        context, page, errors = await phone(browser)
        await sign_in_demo(page, f"{server}/field", "马超")
        await page.locator("a.card", has_text=late_number).click()
        await page.get_by_role("link", name="申请延期").click()
        await page.get_by_label("延期").select_option("16")
        await page.get_by_label("申请理由").fill("当事人外出, 明日上午复查")
        await submitted(page, "提交", "#tasks")
        await page.locator("a.card", has_text=wrong_number).click()
        await page.get_by_role("link", name="退回").click()
        await page.get_by_label("退回理由").select_option("not_ours")
        await page.get_by_label("说明").fill("属于市场监管")
        await submitted(page, "提交", "#tasks")
        await sent_all(page)

        board = (await api.get("/v1/assignments?limit=50", headers=auth("dispatcher"))).json()
        late = next(a for a in board if a["case_id"] == late_case and a["current"])
        asked = late["extension_request"]
        assert (asked["hours"], asked["reason"], asked["asked_by"]) == (
            16,
            "当事人外出, 明日上午复查",
            "sq-ruhe-leader",
        )
        wrong = next(a for a in board if a["case_id"] == wrong_case and a["status"] == "returned")
        assert wrong["return_reason"] == "not_ours"
        assert errors == []
        await context.close()
        await browser.close()


async def test_an_officer_seizes_goods_with_a_certified_partner_chosen_on_the_phone(server):
    """暂扣 on the phone: the partner is chosen among the squad's officers whose 执法证 is in force (not
    oneself); the seizure is recorded with both, its 清单 and its photo, and its 暂扣决定书 issued."""
    async with async_playwright() as pw, httpx.AsyncClient(base_url=server, timeout=30) as api:
        case_id, case_number = await new_case(api)
        browser = await launch(pw)
        context, page, errors = await phone(browser)
        await sign_in_demo(page, f"{server}/field", "朱婷")
        await page.locator("a.card", has_text=case_number).click()
        await submitted(page, "签收", "#tasks")
        await sent_all(page)
        await page.locator("a.card", has_text=case_number).click()
        await page.get_by_role("link", name="暂扣").click()
        partner = page.get_by_label("同行执法人员 (持有效执法证, 不少于两人)")
        await expect(partner.locator("option")).not_to_have_count(1)  # the directory's certified officers
        choices = await partner.locator("option").all_inner_texts()
        assert all("执法证" in c for c in choices[1:]) and not any("朱婷" in c for c in choices)
        await page.get_by_role("button", name="提交").click()  # no partner chosen: the form holds, nothing sent
        assert "#seize/" in page.url and not await partner.evaluate("s => s.checkValidity()")
        await page.get_by_label("暂扣清单 (每行: 物品 数量)").fill("三轮车 1\n遮阳伞 2")
        value = await partner.locator("option").nth(1).get_attribute("value")
        await partner.select_option(value)
        await page.get_by_label("暂扣物品照片").set_input_files(camera("seized.jpg", (120, 120, 30)))
        await expect(page.locator("[data-thumbs=photos] img")).to_have_count(1)
        await page.screenshot(path=str(SHOTS / "field-seize.png"), full_page=True)
        await submitted(page, "提交", "#tasks")
        await sent_all(page)

        seized = (await api.get(f"/v1/cases/{case_id}/enforcement", headers=auth(*O1))).json()["seizures"]
        assert len(seized) == 1, seized
        assert [(i["item"], i["quantity"]) for i in seized[0]["items"]] == [("三轮车", 1), ("遮阳伞", 2)]
        assert seized[0]["officers"] == ["sq-ruhe-o1", value]
        docs = (await api.get(f"/v1/cases/{case_id}/documents", headers=auth(*O1))).json()
        assert "seizure_decision" in [d["kind"] for d in docs]
        assert errors == []
        await context.close()
        await browser.close()
