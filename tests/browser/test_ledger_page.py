"""The clerk's page (/ledger) in Debian's Chromium: signed in as the ledger clerk, a survey file
imported through the page with its per-row report, the register searched and mapped by colour,
a merchant's page with its card and letter to print; a role that does not keep the register is
told so."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from devstack.browser import launch
from devstack.survey import as_csv, rows
from tests.browser.conftest import sign_in_demo
from tests.helpers import eventually

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


async def test_the_clerk_imports_a_survey_searches_and_opens_a_merchant(server, tmp_path):
    data, bad = rows(300, bad=6, seed=3)
    survey = tmp_path / "摸底.csv"
    survey.write_bytes(as_csv(data, chinese=True))
    async with async_playwright() as pw:
        browser = await launch(pw)
        page = await browser.new_page(viewport={"width": 1500, "height": 950})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await sign_in_demo(page, f"{server}/ledger", "钱红")
        await page.locator("#who", has_text="钱红").wait_for(timeout=15_000)

        await page.locator("header nav button", has_text="摸底导入").click()
        await page.set_input_files("#upload input[type=file]", str(survey))
        await page.locator("#upload button", has_text="导入").click()
        await page.locator("#rejected").wait_for(timeout=30_000)
        figures = await page.locator("#import-report .figures").inner_text()
        assert "294" in figures and "6" in figures, figures
        assert await page.locator("#rejected tr").count() == 1 + len(bad)
        first_bad = await page.locator("#rejected tr").nth(1).inner_text()
        assert str(bad[0]) in first_bad and "name" in first_bad
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "ledger-import.png"), full_page=True)

        await page.locator("header nav button", has_text="商户").click()
        await page.locator("#results .row").first.wait_for(timeout=15_000)
        assert await page.locator("#map circle").count() == await page.locator("#results .row").count() == 294
        await page.fill("#search input[name=q]", data[10]["name"])
        await page.locator("#search button").click()
        await eventually(page.locator("#results .row").count, lambda n: n == 1, what="one shop found")
        await page.locator("#results .row").first.click()
        await page.locator("#detail .label", has_text="蓝卡").wait_for(timeout=10_000)
        detail = await page.locator("#detail").inner_text()
        assert data[10]["name"] in detail and "打印告知卡" in detail and data[10]["phone"] in detail
        card = page.locator("#detail a", has_text="打印告知卡")
        response = await page.request.get(server + await card.get_attribute("href"))
        assert response.ok and response.headers["content-type"] == "application/pdf"
        await page.fill("#search input[name=q]", "")
        await page.locator("#search button").click()
        await eventually(page.locator("#results .row").count, lambda n: n == 294, what="the whole register")
        await page.screenshot(path=str(SHOTS / "ledger-merchants.png"), full_page=True)

        await page.locator("header nav button", has_text="门前三包到期").click()
        await page.locator("#coverage table").wait_for()
        assert "全区" in await page.locator("#coverage").inner_text()
        await page.locator("header nav button", has_text="餐饮油烟").click()
        await page.locator("#catering-list table").wait_for()
        assert errors == []

        officer = await browser.new_page()
        await sign_in_demo(officer, f"{server}/ledger", "朱婷")
        assert "台账页面供台账管理员和督查使用" in await officer.locator("main").inner_text()
        await browser.close()
