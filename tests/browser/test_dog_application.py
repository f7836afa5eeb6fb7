"""An owner registers a dog online in Debian's Chromium (a phone-sized page, photos included, no
trip needed), the clerk approves it on the ledger's page, and the owner follows it to the tag's
tracking number."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from devstack.browser import launch
from tests.browser.conftest import sign_in_demo
from tests.helpers import photo_bytes

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
PHONE = {"width": 390, "height": 844}


async def test_an_owner_applies_online_the_clerk_approves_and_the_owner_sees_the_tag_posted(server, tmp_path):
    dog, cert = tmp_path / "dog.jpg", tmp_path / "cert.png"
    dog.write_bytes(photo_bytes((180, 140, 90), size=(640, 480)))
    cert.write_bytes(photo_bytes((240, 240, 240), fmt="PNG", size=(480, 640)))
    async with async_playwright() as pw:
        browser = await launch(pw)
        owner = await browser.new_page(viewport=PHONE, is_mobile=True)
        errors = []
        owner.on("pageerror", lambda e: errors.append(str(e)))
        await owner.goto(f"{server}/dogs/apply")
        for field, value in (
            ("owner_name", "刘女士"),
            ("owner_id_number", "410102199001011234"),
            ("owner_phone", "13903711234"),
            ("owner_address", "汝河路 12 号院 3 号楼"),
            ("dog_name", "豆豆"),
            ("breed", "柯基犬"),
            ("birth_date", "2026-01-10"),
            ("rabies_certificate", "ZY-2026-88123"),
            ("vaccinated_on", "2026-11-01"),
        ):
            await owner.fill(f"#{field}", value)
        await owner.select_option("#sex", "female")
        await owner.select_option("#size", "small")
        await owner.set_input_files("#dog_photo", str(dog))
        await owner.set_input_files("#certificate_photo", str(cert))
        await owner.locator("#dog_thumb").wait_for()
        SHOTS.mkdir(parents=True, exist_ok=True)
        await owner.screenshot(path=str(SHOTS / "dog-apply.png"), full_page=True)

        # a banned breed is refused on the page, saying which rule
        await owner.fill("#breed", "藏獒")
        await owner.locator("#submit").click()
        await owner.locator("#formError", has_text="禁养犬只").wait_for(timeout=10_000)
        await owner.fill("#breed", "柯基犬")
        await owner.locator("#submit").click()
        await owner.locator("#submitted").wait_for(timeout=15_000)
        token = (await owner.locator("#token").inner_text()).strip()
        assert len(token) >= 10

        clerk = await browser.new_page(viewport={"width": 1400, "height": 900})
        await sign_in_demo(clerk, f"{server}/ledger", "钱红")
        await clerk.locator("header nav button", has_text="养犬登记审核").click()
        item = clerk.locator(".application").first
        await item.wait_for(timeout=10_000)
        assert "豆豆" in await item.inner_text() and "410***********1234" in await item.inner_text()
        dog_photo = item.locator("img[alt=犬只照片]")
        await item.locator("img[alt=犬只照片][data-state=loaded]").wait_for(timeout=10_000)  # loads as it may
        assert await dog_photo.evaluate("img => img.naturalWidth") == 640  # the dog's photo shows
        await item.locator("input[name=tag_id]").fill("ZYTAG-00077")
        await item.locator("input[name=postal_tracking]").fill("EMS9876543210CN")
        await item.locator("button", has_text="批准").click()
        await clerk.locator("#applications .empty").wait_for(timeout=10_000)

        await owner.locator("#follow").click()
        await owner.locator("#status", has_text="已批准").wait_for(timeout=10_000)
        details = await owner.locator("#details").inner_text()
        assert "EMS9876543210CN" in details and "D410102-" in details
        await owner.screenshot(path=str(SHOTS / "dog-track.png"), full_page=True)
        assert errors == []
        await browser.close()
