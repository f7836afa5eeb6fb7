"""Staff sign in as they would at a bureau, in Debian's Chromium: through a real identity provider
(Keycloak, fetched from Maven Central, its own login form) and through `make run`'s demo sign-in.
The session is a cookie the page cannot read; a forged or expired one is refused; a request that
changes something without the session's CSRF token is refused; signing out ends the session here
and at the provider."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.browser import launch
from tests.browser.conftest import sign_in_demo
from tests.conftest import auth
from tests.helpers import INCIDENT, eventually

pytestmark = pytest.mark.integration
SHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"

CSRF_PROBE = """async ([path, csrf]) => {
  const headers = { "Content-Type": "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const r = await fetch(path, { method: "POST", headers, body: JSON.stringify({ squad_id: "sq-ruhe" }) });
  return [r.status, await r.text()];
}"""


async def _expire_sessions(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.begin() as db:
        await db.execute(text("UPDATE dispatch.web_sessions SET expires_at = now() - interval '1 second'"))
    await engine.dispose()


async def _csrf_is_required(page, base: str) -> None:
    """A dispatcher's page, signed in: the same POST is refused without the session's CSRF token and
    reaches the dispatch rule with it (no such case waits: 404)."""
    missing = f"/v1/queue/{uuid.uuid4()}/dispatch"
    status, body = await page.evaluate(CSRF_PROBE, [missing, None])
    assert status == 403 and "CSRF" in body, body
    status, body = await page.evaluate(CSRF_PROBE, [missing, "not-the-token"])
    assert status == 403 and "CSRF" in body, body
    session = await page.evaluate("async () => (await fetch('/console/auth/session')).json()")
    status, body = await page.evaluate(CSRF_PROBE, [missing, session["csrf"]])
    assert status == 404, body


async def _only_own_squad(page) -> None:
    await page.locator("#live", has_text="实时").wait_for(timeout=15_000)
    boards = page.locator(".board")
    assert await boards.count() == 1
    assert await boards.first.get_attribute("data-squad") == "sq-ruhe"
    assert not await page.locator("#queue-panel").is_visible()  # the queue is the command centre's


# -- make run: the built-in demo sign-in ------------------------------------------------------------


async def test_make_run_demo_sign_in_console_csrf_expiry_and_sign_out(server, database_url):
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        # a stranger is sent to sign in: make run offers its demo staff, no terminal step
        await page.goto(f"{server}/console")
        assert "/console/auth/demo" in page.url
        assert await page.locator("ul.people button").count() >= 8
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "sign-in-demo.png"), full_page=True)
        await page.locator("button", has_text="孙晓梅").click()
        await page.locator("#live", has_text="实时").wait_for(timeout=15_000)
        assert "孙晓梅" in await page.locator("#who").inner_text()
        assert "派遣员" in await page.locator("#who").inner_text()
        await page.screenshot(path=str(SHOTS / "console-demo-dispatcher.png"), full_page=True)

        cookie = next(c for c in await context.cookies() if c["name"] == "cgzf_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert not cookie["secure"]  # development over http; Secure outside development (unit-tested)
        assert await page.evaluate("document.cookie") == ""  # the page's script cannot read the session

        await _csrf_is_required(page, server)

        # an expired session sends the person back to sign in (the demo remembers who, as SSO would)
        await _expire_sessions(database_url)
        async with httpx.AsyncClient(base_url=server, cookies={"cgzf_console": cookie["value"]}) as api:
            assert (await api.get("/v1/board")).status_code == 401
        visited = []
        page.on("request", lambda r: visited.append(r.url) if r.is_navigation_request() else None)
        await page.reload()
        await page.locator("#live", has_text="实时").wait_for(timeout=15_000)
        assert any("/console/auth/login" in u for u in visited), visited
        assert next(c for c in await context.cookies() if c["name"] == "cgzf_console")["value"] != cookie["value"]

        # signing out ends it: the console sends the person to sign in again, and the picker shows
        await page.locator("#logout button").click()
        await page.locator("h1", has_text="已退出").wait_for(timeout=10_000)
        await page.goto(f"{server}/console")
        assert "/console/auth/demo" in page.url
        assert await page.locator("ul.people button").count() >= 8
        assert errors == []

        # a forged cookie is no session
        forged = await browser.new_context()
        await forged.add_cookies([{"name": "cgzf_console", "value": "forged-" + cookie["value"][7:], "url": server}])
        fpage = await forged.new_page()
        await fpage.goto(f"{server}/console")
        assert "/console/auth/demo" in fpage.url
        async with httpx.AsyncClient(base_url=server, cookies={"cgzf_console": "x" * 43}) as api:
            r = await api.get("/v1/board")
            assert r.status_code == 401, r.text

        # one person, one session across the pages: the supervisor signed in on the console uses the
        # ledger's page and acts there with its CSRF token (two sessions once made that a 403)
        both = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        bpage = await both.new_page()
        await sign_in_demo(bpage, f"{server}/console", "李国庆")
        await bpage.locator("#live", has_text="实时").wait_for(timeout=15_000)
        await bpage.goto(f"{server}/ledger")
        await bpage.locator("#who", has_text="李国庆").wait_for(timeout=15_000)
        sessions = [c for c in await both.cookies() if c["name"].startswith("cgzf_") and c["name"] != "cgzf_demo"]
        assert [c["name"] for c in sessions] == ["cgzf_console"], sessions
        ledger_session = await bpage.evaluate("async () => (await fetch('/ledger/auth/session')).json()")
        status, body = await bpage.evaluate(CSRF_PROBE, [f"/v1/points/{uuid.uuid4()}/decision", ledger_session["csrf"]])
        assert status != 403, body  # the ledger's token is the session's: the rule answers (a missing point)
        await bpage.locator("#logout button").click()  # signing out of the ledger signs out of the console
        await bpage.locator("h1", has_text="已退出").wait_for(timeout=10_000)
        async with httpx.AsyncClient(base_url=server, cookies={"cgzf_console": sessions[0]["value"]}) as api:
            assert (await api.get("/v1/board")).status_code == 401

        # an officer of 汝河中队 sees that squad's board only
        officer = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        opage = await officer.new_page()
        await sign_in_demo(opage, f"{server}/console", "朱婷")
        await _only_own_squad(opage)
        assert "汝河中队" in await opage.locator("#who").inner_text()
        await opage.screenshot(path=str(SHOTS / "console-demo-officer.png"), full_page=True)

        # a role that does not use the console is told why, with a way out
        operator = await browser.new_context()
        hpage = await operator.new_page()
        await sign_in_demo(hpage, f"{server}/console", "王丽")
        assert "不使用派遣台" in await hpage.locator("main").inner_text()
        await browser.close()


async def test_without_a_provider_or_the_demo_nobody_signs_in(database_url, tmp_path):
    """(The demo sign-in is refused outside development: tests/unit/test_web_session.py.)"""
    from common.messaging.memory import InMemoryTransport
    from devstack.people import DEMO_PEOPLE
    from monolith.app import build_app, build_services
    from tests.helpers import served

    services = build_services(database_url, InMemoryTransport(), object_store_url=f"file:{tmp_path}/objects")
    async with served(build_app(services, demo_people=DEMO_PEOPLE)) as url, httpx.AsyncClient(base_url=url) as web:
        r = await web.get("/console/auth/demo")  # not switched on: no demo sign-in
        assert r.status_code == 404
        r = await web.get("/console/auth/login")
        assert r.status_code == 503 and "AUTH_OIDC_ISSUER" in r.text


# -- a real identity provider: Keycloak -----------------------------------------------------------


async def _keycloak_sign_in(page, keycloak, username: str, password: str) -> None:
    await page.locator("#username").wait_for(timeout=20_000)
    assert page.url.startswith(keycloak.issuer)  # Keycloak's own login form
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.locator("#kc-login").click()


async def test_staff_sign_in_through_keycloak(sso_server, keycloak):
    from devstack.people import DEMO_PEOPLE

    people = {p.username: p for p in DEMO_PEOPLE}
    with keycloak.admin() as admin:  # one person with no role, one officer the directory has not met
        for username, roles, groups in (
            ("visitor-0001", [], []),
            ("sq-ruhe-o9", ["squad_officer"], ["/squads/sq-ruhe"]),
        ):
            r = admin.post(
                "/zhongyuan/users",
                json={
                    "username": username,
                    "enabled": True,
                    "firstName": "新人" if roles else "访客",
                    "lastName": "测试",
                    "email": f"{username}@zhongyuan.example.cn",
                    "emailVerified": True,
                    "groups": groups,
                    "credentials": [{"type": "password", "value": "zy-test-2026", "temporary": False}],
                },
            )
            assert r.status_code in (201, 409), r.text
            user = admin.get("/zhongyuan/users", params={"username": username, "exact": "true"}).json()[0]
            if roles:
                role = admin.get(f"/zhongyuan/roles/{roles[0]}").json()
                admin.post(f"/zhongyuan/users/{user['id']}/role-mappings/realm", json=[role]).raise_for_status()

    async with async_playwright() as pw, httpx.AsyncClient(base_url=sso_server, timeout=30) as api:
        browser = await launch(pw)
        context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = await context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        # the dispatcher: /console → Keycloak's login form → back, signed in, to the console
        await page.goto(f"{sso_server}/console")
        await page.screenshot(path=str(SHOTS / "sign-in-keycloak.png"), full_page=True)
        await _keycloak_sign_in(page, keycloak, "disp-0001", people["disp-0001"].password)
        await page.locator("#live", has_text="实时").wait_for(timeout=20_000)
        assert page.url == f"{sso_server}/console"
        assert "孙晓梅" in await page.locator("#who").inner_text()
        assert await page.locator(".board").count() == 7
        await page.screenshot(path=str(SHOTS / "console-keycloak-dispatcher.png"), full_page=True)
        await _csrf_is_required(page, sso_server)

        # a program's token from the provider (client credentials), verified against its JWKS
        program = keycloak.program_token("cgzf-hotline-system")
        r = await api.post("/v1/incidents", json=INCIDENT, headers={"Authorization": f"Bearer {program}"})
        assert r.status_code == 201, r.text
        forged = program[:-8] + ("AAAAAAAA" if not program.endswith("AAAAAAAA") else "BBBBBBBB")
        r = await api.post("/v1/incidents", json=INCIDENT, headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401

        # signing out ends the session here and at Keycloak: the next visit meets the login form
        await page.locator("#logout button").click()
        await page.locator("h1", has_text="已退出").wait_for(timeout=20_000)
        assert page.url.startswith(sso_server)
        await page.goto(f"{sso_server}/console")
        await page.locator("#username").wait_for(timeout=20_000)
        assert page.url.startswith(keycloak.issuer)

        # a forged session cookie is no session: back to the provider
        forged_context = await browser.new_context()
        await forged_context.add_cookies([{"name": "cgzf_console", "value": "forged-session-id", "url": sso_server}])
        fpage = await forged_context.new_page()
        await fpage.goto(f"{sso_server}/console")
        await fpage.locator("#username").wait_for(timeout=20_000)

        # an officer of 汝河中队 sees that squad's board only
        officer = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        opage = await officer.new_page()
        await opage.goto(f"{sso_server}/console")
        await _keycloak_sign_in(opage, keycloak, "sq-ruhe-o1", people["sq-ruhe-o1"].password)
        await _only_own_squad(opage)
        await opage.screenshot(path=str(SHOTS / "console-keycloak-officer.png"), full_page=True)

        # a person with no role of ours is refused with a page that says why
        visitor = await browser.new_context()
        vpage = await visitor.new_page()
        await vpage.goto(f"{sso_server}/console")
        await _keycloak_sign_in(vpage, keycloak, "visitor-0001", "zy-test-2026")
        await vpage.locator("h1", has_text="无法进入").wait_for(timeout=20_000)
        assert "没有角色" in await vpage.locator("main").inner_text()

        # a first sign-in makes the person in the directory, in the squad the provider names
        newcomer = await browser.new_context()
        npage = await newcomer.new_page()
        await npage.goto(f"{sso_server}/console")
        await _keycloak_sign_in(npage, keycloak, "sq-ruhe-o9", "zy-test-2026")
        await _only_own_squad(npage)

        with keycloak.admin() as admin:  # people are keyed on the provider's `sub`, not a username it may reuse
            sub = admin.get("/zhongyuan/users", params={"username": "sq-ruhe-o9", "exact": "true"}).json()[0]["id"]

        async def ruhe():
            return await api.get("/v1/directory", headers=auth("dispatcher"))

        directory = await eventually(
            ruhe,
            lambda r: any(p["id"] == sub for s in r.json()["squads"] if s["id"] == "sq-ruhe" for p in s["people"]),
            what="sq-ruhe-o9 in 汝河中队",
        )
        person = next(p for s in directory.json()["squads"] for p in s["people"] if p["id"] == sub)
        assert person["name"] == "新人" and person["position"] == "队员" and person["role"] == "squad_officer"
        assert errors == []
        await browser.close()


async def _signed_in_through_keycloak(browser, sso_server, keycloak, username: str):
    from devstack.people import DEMO_PEOPLE

    password = next(p.password for p in DEMO_PEOPLE if p.username == username)
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{sso_server}/console")
    await _keycloak_sign_in(page, keycloak, username, password)
    await page.locator("#live", has_text="实时").wait_for(timeout=20_000)
    return context, page


async def _signed_in(page) -> bool:
    return await page.evaluate("async () => (await fetch('/console/auth/session')).status") == 200


async def test_a_callback_minted_in_another_browser_signs_nobody_in(sso_server, keycloak):
    """Login CSRF: an attacker starts a sign-in in their own browser, stops at the callback, and sends
    the link to a clerk; the clerk's browser did not start that login, so it signs nobody in."""
    async with async_playwright() as pw:
        browser = await launch(pw)
        attacker = await (await browser.new_context()).new_page()
        minted: list[str] = []

        async def keep(route):  # Keycloak's answer to the login form: a redirect to our callback, kept unused
            answer = await route.fetch(max_redirects=0)
            minted.append(answer.headers["location"])
            await route.fulfill(status=200, body="stopped")

        await attacker.route("**/login-actions/authenticate**", keep)
        await attacker.goto(f"{sso_server}/console")
        await _keycloak_sign_in(attacker, keycloak, "sq-ruhe-o1", "zy-ruhe-2026")
        await eventually(lambda: asyncio.sleep(0, minted), lambda m: bool(m), what="the callback URL")
        victim_context = await browser.new_context()
        victim = await victim_context.new_page()
        response = await victim.goto(minted[0])
        assert response.status == 400 and "登录已过期" in await victim.locator("h1").inner_text()
        assert not [c for c in await victim_context.cookies() if c["name"] == "cgzf_console"]
        await browser.close()


async def _sessions_of(database_url: str, subject: str) -> int:
    engine = create_async_engine(database_url)
    async with engine.begin() as db:
        n = (
            await db.execute(text("SELECT count(*) FROM dispatch.web_sessions WHERE subject = :s"), {"s": subject})
        ).scalar_one()
    await engine.dispose()
    return n


async def test_the_provider_ends_a_session_at_once_and_a_disabled_person_is_out_within_the_recheck(
    sso_server, keycloak, database_url
):
    async with async_playwright() as pw:
        browser = await launch(pw)
        desk, dispatcher = await _signed_in_through_keycloak(browser, sso_server, keycloak, "disp-0001")
        await dispatcher.close()  # the console asks nothing more: only the provider can end the session now
        _, officer = await _signed_in_through_keycloak(browser, sso_server, keycloak, "sq-ruhe-o1")
        with keycloak.admin() as admin:
            # an administrator signs the dispatcher out at the provider: its back-channel logout reaches us
            assert await _sessions_of(database_url, "disp-0001") == 1
            admin.post("/zhongyuan/users/disp-0001/logout").raise_for_status()
            # gone without a request of ours: the provider's back-channel logout ended it
            await eventually(
                lambda: _sessions_of(database_url, "disp-0001"),
                lambda n: n == 0,
                timeout_s=20,
                what="the provider's back-channel logout",
            )
            again = await desk.new_page()
            await again.goto(f"{sso_server}/console/auth/signed-out")
            assert not await _signed_in(again)
            assert await _signed_in(officer)
            # the officer's account is disabled: the next request after the recheck finds it out
            user = admin.get("/zhongyuan/users/sq-ruhe-o1").json()
            admin.put("/zhongyuan/users/sq-ruhe-o1", json={**user, "enabled": False}).raise_for_status()
            try:
                await eventually(
                    lambda: _signed_in(officer),
                    lambda signed: not signed,
                    timeout_s=20,
                    what="the disabled officer signed out",
                )
            finally:
                admin.put("/zhongyuan/users/sq-ruhe-o1", json={**user, "enabled": True}).raise_for_status()
        await browser.close()
