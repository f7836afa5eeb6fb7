"""The holes a review found, each closed and held closed, on the running platform (the services in
one process on the real PostgreSQL): the public Open311 listing showed every channel's incidents
with plates and phone numbers; a stranger joining a report could reopen any closed case, again
and again; squad tokens without a squad read every squad; every reader saw callers' names;
external systems got photos they must not see."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.clock import FixedClock
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running, token
from tests.helpers import INCIDENT, eventually, handle_and_close, register_device
from tests.integration.test_intake_channels import case_of, to_dispatched, web_report

pytestmark = pytest.mark.integration
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing
V2 = "/open311/v2"
DISPATCHER, ADMIN = auth("dispatcher", "dispatcher-1"), auth("admin")


@pytest.fixture
async def platform(database_url, tmp_path):
    clock = FixedClock(START)
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=clock,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
    )
    async with running(services, build_app(services)) as client:
        client.clock = clock
        client.services = {s.name: s for s in services}
        yield client


async def _key(client, name: str, scope: str = "public") -> str:
    r = await client.post("/v1/open311/keys", json={"name": name, "scope": scope}, headers=ADMIN)
    assert r.status_code == 201, r.text
    assert r.json()["scope"] == scope
    return r.json()["api_key"]


async def test_the_public_listing_shows_only_public_reports_with_personal_numbers_masked(platform):
    hotline = await platform.post(
        "/v1/incidents",
        headers=auth("hotline_operator"),
        json={**INCIDENT, "description": "来电人 13812345678 反映豫A12345 占道, 身份证 410102199001011234"},
    )
    assert hotline.status_code == 201
    camera = {"kind": "fixed_camera", "serial_number": "DS-7", "location": {"lon": 113.6301, "lat": 34.7512}}
    await register_device(platform, platform.services, "cam-7", camera)
    capture = await platform.post(
        "/v1/machine-events",
        headers=auth("external_system", "hik"),
        json={
            "source_event_id": "hik-1",
            "kind": "parking_capture",
            "occurred_at": "2026-11-23T08:58:00+08:00",
            "location": {"lon": 113.6301, "lat": 34.7512},
            "device_id": "cam-7",
            "plate": "豫A8K2L1",
        },
    )
    assert capture.status_code == 201, capture.text
    key = await _key(platform, "city-app")
    posted = await platform.post(
        f"{V2}/requests.json",
        data={
            "api_key": key,
            "service_code": "street_vending",
            "lat": "34.75",
            "long": "113.62",
            "description": "门口有人摆摊, 车牌豫A9B8C7, 我的电话 13987654321",
        },
    )
    assert posted.status_code == 201, posted.text
    citizen = posted.json()[0]["service_request_id"]

    listing = (await platform.get(f"{V2}/requests.json")).json()
    assert [r["service_request_id"] for r in listing] == [citizen]
    text = listing[0]["description"]
    assert "13987654321" not in text and "139****4321" in text
    assert "豫A9B8C7" not in text and "豫A****7" in text
    for hidden in (hotline.json()["id"], capture.json()["id"]):
        r = await platform.get(f"{V2}/requests/{hidden}.json")
        assert r.status_code == 404, r.text

    # a partner system's key reads every channel; an ordinary key reads what anyone reads
    partner = await _key(platform, "city-platform", "partner")
    everything = (await platform.get(f"{V2}/requests.json", params={"api_key": partner})).json()
    assert {r["service_request_id"] for r in everything} >= {citizen, hotline.json()["id"], capture.json()["id"]}
    shown = next(r for r in everything if r["service_request_id"] == hotline.json()["id"])["description"]
    assert "410***********1234" in shown and "138****5678" in shown and "410102199001011234" not in shown
    ordinary = (await platform.get(f"{V2}/requests.json", params={"api_key": key})).json()
    assert [r["service_request_id"] for r in ordinary] == [citizen]
    assert (
        await platform.get(f"{V2}/requests/{hotline.json()['id']}.json", params={"api_key": partner})
    ).status_code == 200
    assert (await platform.get(f"{V2}/requests.json", params={"api_key": "forged"})).status_code == 403


async def test_open311_throttles_per_key_and_address_not_per_device(database_url, tmp_path):
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=FixedClock(START),
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        open311_posts_per_minute=2,
    )
    async with running(services, build_app(services)) as client:
        key = await _key(client, "flooding-app")
        codes = []
        for n in range(3):  # a new device_id every time changes nothing
            r = await client.post(
                f"{V2}/requests.json",
                data={
                    "api_key": key,
                    "device_id": f"device-{n}",
                    "service_code": "street_vending",
                    "lat": str(34.75 + n * 0.01),
                    "long": "113.62",
                    "description": "摆摊",
                },
            )
            codes.append(r.status_code)
        assert codes == [201, 201, 429]


async def test_only_the_opening_report_evaluates_and_a_rating_reopens_a_case_once(platform):
    opener = await web_report(platform, description="建设路口占道摆摊")
    assert opener.status_code == 201, opener.text
    joiner = await web_report(platform, description="又来摆摊了", headers={"X-Forwarded-For": "1.2.3.4"})
    assert joiner.status_code == 201 and joiner.json()["joined"] is not None
    case = await case_of(platform, opener.json()["reference"])
    await to_dispatched(platform, case["id"])
    await handle_and_close(platform, case["id"])
    tokens = {"opener": opener.json()["token"], "joiner": joiner.json()["token"]}
    for t in tokens.values():
        await eventually(
            lambda t=t: platform.get(f"/public/v1/reports/{t}"), lambda r: r.json()["can_rate"], what="rateable"
        )

    # the stranger who joined is dissatisfied: kept in the trail, the case stays closed
    r = await platform.post(f"/public/v1/reports/{tokens['joiner']}/rating", json={"rating": "dissatisfied"})
    assert r.status_code == 200, r.text

    async def trail_actions():
        trail = (await platform.get(f"/v1/cases/{case['id']}/trail", headers=DISPATCHER)).json()
        return [
            (e["action"], e["data"].get("opening_report"))
            for e in trail
            if e["action"] in ("rating", "evaluate", "reopen", "review_requested")
        ]

    await eventually(trail_actions, lambda a: a == [("rating", False)], what="the joined rating in the trail")
    assert (await platform.get(f"/v1/cases/{case['id']}", headers=DISPATCHER)).json()["status"] == "closed"

    # the reporter who opened it is dissatisfied: evaluated and reopened, once
    r = await platform.post(f"/public/v1/reports/{tokens['opener']}/rating", json={"rating": "dissatisfied"})
    assert r.status_code == 200, r.text
    await eventually(
        lambda: platform.get(f"/v1/cases/{case['id']}", headers=DISPATCHER),
        lambda r: r.json()["status"] == "dispatched",
        what="reopened by the opening report",
    )
    await handle_and_close(platform, case["id"])
    await eventually(
        lambda: platform.get(f"/public/v1/reports/{tokens['opener']}"),
        lambda r: r.json()["can_rate"],
        what="rateable again after the second closure",
    )
    r = await platform.post(f"/public/v1/reports/{tokens['opener']}/rating", json={"rating": "dissatisfied"})
    assert r.status_code == 200, r.text
    pending = await eventually(
        lambda: platform.get("/v1/cases?review=pending", headers=auth("supervisor", "sup-1")),
        lambda r: [c["id"] for c in r.json()] == [case["id"]],
        what="a review waiting",
    )
    assert pending.json()[0]["status"] == "evaluated" and pending.json()[0]["review_pending"] is True
    assert await trail_actions() == [
        ("rating", False),
        ("evaluate", True),
        ("reopen", None),
        ("evaluate", True),
        ("review_requested", None),
    ]

    # the supervisor decides; nobody else may
    r = await platform.post(
        f"/v1/cases/{case['id']}/review", json={"reopen": True, "reason": "复核"}, headers=DISPATCHER
    )
    assert r.status_code == 403, r.text
    r = await platform.post(
        f"/v1/cases/{case['id']}/review",
        json={"reopen": False, "reason": "处置到位, 维持结案"},
        headers=auth("supervisor", "sup-1"),
    )
    assert r.status_code == 200 and r.json()["status"] == "evaluated" and r.json()["review_pending"] is False
    r = await platform.post(
        f"/v1/cases/{case['id']}/review", json={"reopen": True, "reason": "again"}, headers=auth("supervisor", "sup-1")
    )
    assert r.status_code == 409

    # 满意率 counts the case's own rating, not the stranger's
    report = await eventually(
        lambda: platform.get("/v1/reports/monthly?month=2026-11", headers=auth("supervisor")),
        lambda r: r.json()["rated"] == 2,
        what="two ratings of the opening report",
    )
    assert report.json()["dissatisfied"] == 2 and report.json()["joined_rated"] == 1


async def test_squad_tokens_name_their_squad_and_contacts_are_for_the_hotline_and_command_centre(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = r.json()
    assert incident["caller"] == {"name": "张先生", "phone": "138****5678"}
    await eventually(
        lambda: platform.get(f"/v1/incidents/{incident['id']}", headers=DISPATCHER),
        lambda r: r.json()["status"] == "dispatched",
        what="dispatched",
    )

    for role in ("squad_officer", "squad_leader"):
        headless = {"Authorization": f"Bearer {token(role, 'o-9')}"}
        for path in ("/v1/board", "/v1/assignments", "/v1/cases", "/v1/incidents", "/v1/escalations"):
            r = await platform.get(path, headers=headless)
            assert r.status_code == 401 and "squad_id" in r.text, (role, path, r.status_code)

    for role, sees in (
        ("hotline_operator", True),
        ("dispatcher", True),
        ("supervisor", False),
        ("external_system", False),
        ("field_monitor", False),
    ):
        listed = (await platform.get("/v1/incidents", headers=auth(role))).json()
        one = (await platform.get(f"/v1/incidents/{incident['id']}", headers=auth(role))).json()
        for shown in (next(i for i in listed if i["id"] == incident["id"]), one):
            assert (shown["caller"] is not None) is sees, role
    ruhe = await platform.get(f"/v1/incidents/{incident['id']}", headers=auth("squad_leader", "l", "sq-ruhe"))
    assert ruhe.status_code == 200 and ruhe.json()["caller"] is None
