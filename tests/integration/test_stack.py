"""`make up` / `make down` as a person runs them: PostgreSQL, Kafka, Keycloak and five service
processes. On spare ports and a state folder of the test's own, so a developer's stack is left
alone."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from common.clock import BEIJING
from devstack.ports import port_open
from devstack.processes import alive
from devstack.stack import SERVICES, Stack, StackConfig
from tests.conftest import auth
from tests.helpers import INCIDENT, photo_bytes
from tests.kafka_tools import as_cloudevent, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.stack]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory):
    config = StackConfig.on_spare_ports(tmp_path_factory.mktemp("stack"), identity=True)
    env = {**os.environ, **config.as_env()}
    yield env
    subprocess.run(["make", "-s", "down"], cwd=REPO, env=env, capture_output=True, timeout=120)


def make(target: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(["make", "-s", target], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"make {target} failed:\n{result.stdout}\n{result.stderr}"
    return result


def stack_for(env: dict) -> Stack:
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return Stack(StackConfig.from_env())
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def test_make_up_dispatches_over_kafka_and_make_down_stops_everything(stack_env):
    printed = make("up", stack_env).stdout
    stack = stack_for(stack_env)
    pids = {s: stack.service_pid(s) for s in SERVICES}
    assert all(pids.values()), pids
    kafka_pid, keycloak_pid = stack.kafka.pid(), stack.keycloak.pid()
    assert keycloak_pid is not None

    # where to sign in, and who can
    assert f"http://127.0.0.1:{stack.config.gateway_port}/field" in printed
    assert f"http://127.0.0.1:{stack.config.gateway_port}/console" in printed
    assert f"http://127.0.0.1:{stack.config.service_port('dispatch')}/docs" in printed
    assert stack.keycloak.issuer in printed
    assert "disp-0001" in printed and "zy-dispatch-2026" in printed

    make("up", stack_env)  # a second `make up` starts nothing twice
    assert {s: stack.service_pid(s) for s in SERVICES} == pids and stack.kafka.pid() == kafka_pid
    assert stack.keycloak.pid() == keycloak_pid

    intake = f"http://127.0.0.1:{stack.config.service_port('intake')}"
    request_id = uuid.uuid4().hex
    async with httpx.AsyncClient(base_url=intake, timeout=10) as client:
        started = time.monotonic()
        r = await client.post(
            "/v1/incidents", json=INCIDENT, headers={**auth("hotline_operator"), "X-Request-ID": request_id}
        )
        assert r.status_code == 201, r.text
        incident_id = r.json()["id"]
        # the bureau's day and month of the report, whatever the hour the test runs at
        day = datetime.fromisoformat(r.json()["reported_at"]).astimezone(BEIJING).date()
        while True:
            got = (await client.get(f"/v1/incidents/{incident_id}", headers=auth("hotline_operator"))).json()
            if got["status"] == "dispatched" or time.monotonic() - started > 30:
                break
        elapsed = time.monotonic() - started
        print(f"\nstack: POST to dispatched in {elapsed * 1000:.0f} ms")
        assert got["status"] == "dispatched" and got["squad"]["name"] == "汝河中队"

        for service in SERVICES:
            r = await client.get(f"http://127.0.0.1:{stack.config.service_port(service)}/readyz")
            assert r.status_code == 200, (service, r.text)

        # reporting counted it from the events on Kafka: today's 受理 and 派遣, and the month's circular
        reporting = f"http://127.0.0.1:{stack.config.service_port('reporting')}"

        async def today():
            r = await client.get(f"{reporting}/v1/reports/indicators?period=day&at={day}", headers=auth("supervisor"))
            return r.json()["total"]["indicators"] if r.status_code == 200 else {}

        started = time.monotonic()
        while (figures := await today()).get("dispatched", 0) < 1 and time.monotonic() - started < 30:
            await asyncio.sleep(0.2)
        assert figures["received"] >= 1 and figures["dispatched"] >= 1, figures
        r = await client.get(f"{reporting}/v1/reports/circular.pdf?month={day:%Y-%m}", headers=auth("supervisor"))
        assert r.status_code == 200 and r.content[:5] == b"%PDF-"

    # every record on the platform's topics is a valid CloudEvent; the request id follows the complaint
    seen_types = set()
    for topic in ("intake.incidents", "cases.cases", "dispatch.assignments"):
        for record in await read_topic(stack.kafka.bootstrap, topic):
            event = as_cloudevent(record)
            assert event.get_specversion() == "1.0" and record.key.decode() == event.get_extension("partitionkey")
            data = event.get_data()
            if incident_id in (data.get("incident_id"),) or topic == "dispatch.assignments":
                seen_types.add(event.get_type().rsplit(".", 2)[-2])
                assert event.get_extension("correlationid") == request_id
    assert {"reported", "opened", "created", "dispatched"} <= seen_types
    logs = (stack.log_dir / "cases.log").read_text()
    assert request_id in logs and "13812345678" not in logs

    await _staff_and_programs_through_keycloak(stack)
    await _open311_and_the_public_through_the_stack(stack, stack_env)
    await _field_app_through_the_gateway(stack)

    make("down", stack_env)
    assert all(stack.service_pid(s) is None for s in SERVICES)
    assert stack.kafka.pid() is None and not stack.postgres.running() and stack.keycloak.pid() is None
    assert stack.gateway.pid() is None
    for port in (
        [stack.config.gateway_port]
        + [stack.config.service_port(s) for s in SERVICES]
        + [
            stack.config.pg_port,
            stack.config.kafka_port,
            stack.config.keycloak_port,
        ]
    ):
        assert not port_open(port), f"port {port} still open after make down"
    for pid in [*pids.values(), kafka_pid, keycloak_pid]:
        assert not alive(pid), f"process {pid} still running after make down"  # gone, or a zombie for init


async def _staff_and_programs_through_keycloak(stack: Stack) -> None:
    """The services trust the stack's Keycloak: a program's client-credentials token posts an
    incident, and the console sends a stranger to Keycloak's sign-in with PKCE."""
    program = stack.keycloak.program_token("cgzf-hotline-system")
    intake = f"http://127.0.0.1:{stack.config.service_port('intake')}"
    dispatch = f"http://127.0.0.1:{stack.config.service_port('dispatch')}"
    async with httpx.AsyncClient(timeout=30) as client:
        r = await client.post(f"{intake}/v1/incidents", json=INCIDENT, headers={"Authorization": f"Bearer {program}"})
        assert r.status_code == 201, r.text
        r = await client.get(f"{dispatch}/console", follow_redirects=True)
        assert str(r.url).startswith(stack.keycloak.issuer + "/protocol/openid-connect/auth"), r.url
        assert "code_challenge_method=S256" in str(r.url) and 'id="kc-login"' in r.text


async def _field_app_through_the_gateway(stack: Stack) -> None:
    """城管通 under make up: signed in through Keycloak, at the gateway, its calls reaching every
    service's own process; the same loop as under make run (tests.browser.test_field_app)."""
    from devstack.people import DEMO_PEOPLE
    from tests.browser.test_field_app import officer_and_monitor_close_a_case

    passwords = {p.username: p.password for p in DEMO_PEOPLE}

    async def keycloak_sign_in(page, url: str, username: str, name: str) -> None:
        await page.goto(url)
        await page.locator("#username").wait_for(timeout=30_000)
        assert page.url.startswith(stack.keycloak.issuer)
        await page.fill("#username", username)
        await page.fill("#password", passwords[username])
        await page.locator("#kc-login").click()
        await page.wait_for_url(f"{url}*", timeout=30_000)

    async with httpx.AsyncClient(base_url=stack.gateway.url, timeout=30) as api:
        await officer_and_monitor_close_a_case(stack.gateway.url, keycloak_sign_in, api, shots="field-make-up")


async def _poll(probe, until, what: str, timeout_s: float = 30):
    deadline = time.monotonic() + timeout_s
    while True:
        value = await probe()
        if until(value):
            return value
        assert time.monotonic() < deadline, f"{what} not reached; last: {value}"
        await asyncio.sleep(0.2)


async def _open311_and_the_public_through_the_stack(stack: Stack, env: dict) -> None:
    """A key from `make open311-key`, an Open311 request in XML, a repeated report joining it
    and a citizen's photo, across the separate processes and the real Kafka broker."""
    issued = subprocess.run(
        ["make", "-s", "open311-key", "NAME=stack-app"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert issued.returncode == 0, issued.stderr
    key = issued.stdout.strip().splitlines()[-1].split()[-1]
    intake = f"http://127.0.0.1:{stack.config.service_port('intake')}"
    cases = f"http://127.0.0.1:{stack.config.service_port('cases')}"
    form = {
        "api_key": key,
        "service_code": "illegal_flyers",
        "lat": "34.7431",
        "long": "113.6122",
        "description": "桥墩上贴满小广告",
    }
    async with httpx.AsyncClient(base_url=intake, timeout=10) as client:
        r = await client.post("/open311/v2/requests.xml", data=form)
        assert r.status_code == 201 and r.content.startswith(b"<?xml"), r.text
        root = ElementTree.fromstring(r.content)
        request_id, token = root.find("request/service_request_id").text, root.find("request/token").text
        r = await client.get(f"/open311/v2/tokens/{token}.json")
        assert r.json() == [{"service_request_id": request_id, "token": token}]
        # CaseOpened comes back from cases over Kafka: the request shows its case number
        listed = await _poll(
            lambda: client.get(f"/open311/v2/requests/{request_id}.json?extensions=true"),
            lambda r: r.json()[0]["extended_attributes"]["case_number"],
            "the case number",
        )
        assert listed.json()[0]["status"] == "open"
        r = await client.post("/open311/v2/requests.json", data={**form, "description": "还是那些小广告"})
        assert r.status_code == 201 and request_id in r.json()[0]["service_notice"]
        case_id = (await client.get(f"/v1/incidents/{request_id}", headers=auth("dispatcher"))).json()["case_id"]
        await _poll(
            lambda: client.get(f"{cases}/v1/cases/{case_id}/trail", headers=auth("dispatcher")),
            lambda r: any(e["action"] == "report_joined" for e in r.json()),
            "the joined report in the trail",
        )
        r = await client.post(
            "/public/v1/reports",
            data={"category": "littering", "lon": "113.6122", "lat": "34.7431", "description": "乱扔垃圾"},
            files=[("photos", ("p.jpg", photo_bytes(), "image/jpeg"))],
        )
        assert r.status_code == 201, r.text
        tracking = (await client.get(f"/public/v1/reports/{r.json()['token']}")).json()
        assert (await client.get(tracking["photos"][0])).headers["content-type"] == "image/jpeg"
