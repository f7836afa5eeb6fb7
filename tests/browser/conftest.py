"""The platform served by uvicorn on the real PostgreSQL, for the browser tests: with `make run`'s
demo sign-in (`server`), or signing in through a real Keycloak (`sso_server`)."""

from __future__ import annotations

import pytest

from common.messaging.memory import InMemoryTransport
from devstack.keycloak import LocalKeycloak
from devstack.people import DEMO_PEOPLE
from devstack.ports import free_port
from monolith.app import build_app, build_services
from tests.helpers import served


@pytest.fixture
async def server(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AUTH_DEMO_SIGN_IN", "true")
    services = build_services(
        database_url, InMemoryTransport(), relay_poll_interval_s=0.2, object_store_url=f"file:{tmp_path}/objects"
    )
    async with served(build_app(services, demo_people=DEMO_PEOPLE)) as url:
        yield url


@pytest.fixture(scope="session")
def keycloak(workdir) -> LocalKeycloak:
    """Keycloak from Maven Central (devstack.keycloak), with the demo district's realm."""
    kc = LocalKeycloak(workdir / "keycloak", free_port(), free_port())
    try:
        kc.start()
        kc.ensure_realm([])
    except Exception as exc:
        pytest.fail(f"Keycloak could not start for the sign-in tests: {exc}", pytrace=False)
    yield kc
    kc.stop()


@pytest.fixture
async def sso_server(database_url, tmp_path, monkeypatch, keycloak):
    """The platform as a relying party of that Keycloak: its sign-in, its tokens, its claims."""
    for name, value in keycloak.settings_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AUTH_SESSION_RECHECK_S", "1")  # a disabled account is out at the next second's request
    port = free_port()
    keycloak.allow([f"http://127.0.0.1:{port}"])
    services = build_services(
        database_url, InMemoryTransport(), relay_poll_interval_s=0.2, object_store_url=f"file:{tmp_path}/objects"
    )
    async with served(build_app(services), port=port) as url:
        yield url


async def sign_in_demo(page, url: str, name: str) -> None:
    """Open `url` and, at the demo sign-in it sends a stranger to, pick `name`."""
    await page.goto(url)
    await page.locator("button", has_text=name).click()
