"""What a party told of a capture camera's record sees (行政处罚法 art. 41): the /captures page on a
phone-sized screen in Debian's Chromium, against the whole platform on the real PostgreSQL. The
record is found with the code and the plate, its picture shown; an answer written while the signal
is lost stays on the screen and is sent once it is back, once."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from devstack.browser import launch
from tests.conftest import auth
from tests.helpers import eventually, photo_bytes

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
IN_RUHE = {"lon": 113.61, "lat": 34.74}
APPROVED = {
    "authorised_by": "《郑州市城市市容和环境卫生管理条例》",
    "legal_review": "中城管法审〔2026〕12号",
    "technical_review": "中城管技审〔2026〕3号",
    "published_location": "https://www.zhongyuan.gov.cn/cgj/zpsb/2026-11",
    "calibration_valid_until": "2099-05-31",
}


async def test_the_party_finds_the_record_and_answers_it_even_after_a_lost_signal(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with httpx.AsyncClient(base_url=server, timeout=30) as api:
        clerk, cameras = auth("ledger_clerk", "clerk-0001"), auth("external_system", "hik")
        device = {"kind": "fixed_capture", "serial_number": "ZP-0021", "location": IN_RUHE, "art41": APPROVED}
        await eventually(  # the ledger places the camera in its grid once it knows the grids
            lambda: api.put("/v1/devices/cap-0021", json=device, headers=clerk),
            lambda r: r.status_code == 200 and r.json()["evidence_ready"],
            what="the camera registered",
        )
        image = base64.b64encode(photo_bytes((90, 90, 160), size=(320, 240))).decode()
        capture = {
            "source_event_id": "zp-page-1",
            "kind": "parking_capture",
            "occurred_at": "2026-11-23T08:58:00+08:00",
            "location": IN_RUHE,
            "device_id": "cap-0021",
            "plate": "豫A8K2L1",
            "images": [image],
        }
        posted = await eventually(  # intake learns of the camera from ledger's event
            lambda: api.post("/v1/machine-events", json=capture, headers=cameras),
            lambda r: r.status_code in (200, 201),
            what="the capture accepted",
        )
        incident = posted.json()["id"]
        await eventually(
            lambda: api.get(f"/v1/incidents/{incident}", headers=auth("dispatcher")),
            lambda r: r.json().get("case_id") is not None,
            what="its case filed",
        )
        reviewed = await api.post(
            f"/v1/captures/{incident}/review", json={"decision": "accept"}, headers=auth("legal_officer", "legal-0001")
        )
        assert reviewed.status_code == 200, reviewed.text
        code = reviewed.json()["code"]
        assert "/captures" in reviewed.json()["notice"]

    async with async_playwright() as pw:
        browser = await launch(pw)
        phone = await browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        page = await phone.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{server}/captures")
        await page.fill("#codeInput", code)
        await page.fill("#plateInput", "豫A0000")  # not the plate: nothing is shown
        await page.click("#lookup button")
        await page.locator("#lookupError", has_text="未找到已审核的记录").wait_for()
        assert await page.locator("#record").is_hidden()
        await page.fill("#plateInput", "豫a8k2l1")
        await page.click("#lookup button")
        await page.locator("#record").wait_for(state="visible")
        assert await page.locator("#plate").inner_text() == "豫A8K2L1"
        assert await page.locator("#category").inner_text() == "违章停车"
        img = page.locator("#photos img")
        await img.wait_for()
        # attached is not loaded: wait for the photo itself (a timeout fails the test as before)
        await page.wait_for_function(
            "() => { const i = document.querySelector('#photos img'); return i.complete && i.naturalWidth > 0 }"
        )
        assert await img.evaluate("i => i.complete && i.naturalWidth > 0")
        assert page.url.endswith(f"/captures?code={code}&plate=%E8%B1%ABA8K2L1")

        words = "车辆故障等待救援, 已放置警示标志"
        await page.fill("#statement", words)
        await phone.set_offline(True)  # the signal lost as the party sends it
        await page.click("#answer button")
        await page.locator("#answerError", has_text="网络不可用").wait_for()
        assert await page.locator("#statement").input_value() == words
        await phone.set_offline(False)
        await page.click("#answer button")
        await page.locator("#answeredBox", has_text="您已于").wait_for()
        assert await page.locator("#answerBox").is_hidden()
        await page.screenshot(path=str(SHOTS / "capture-answered.png"), full_page=True)
        assert errors == []
        await browser.close()
