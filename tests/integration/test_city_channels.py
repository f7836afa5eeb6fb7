"""信访, 领导交办 and 舆情 as channels, and the deadlines a case brings with it, through the HTTP API
on the real PostgreSQL: a 12345 order's own deadline wins when it is earlier than the category's;
a 信访 case's 化解时限 replaces it, its warning goes straight to its 包案领导 (not up the chain), and
it cannot close without its 答复意见; a partner finds its order by reference and polls what changed;
a shared bike is reported without a plate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.clock import FixedClock
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import INCIDENT, eventually, photo_bytes

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 Beijing
DISPATCHER = auth("dispatcher", "dispatcher-1")
SUPERVISOR = auth("supervisor", "supervisor-1")
O1 = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
MONITOR = auth("field_monitor", "monitor-0001")
PETITION = {
    **{k: v for k, v in INCIDENT.items() if k != "caller"},
    "channel": "letters_visits",
    "description": "来信反映路口夜市长期占道经营",
    "petition": {"form": "letter", "number": "XF-2026-0311"},
    "owner": {"leader_id": "lead-02", "leader_name": "王副局长", "unit": "汝河中队", "person": "李队长"},
}


@pytest.fixture
async def platform(database_url, tmp_path):
    clock = FixedClock(MONDAY_9AM)
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=clock,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        tick_interval_s=3600,
    )
    async with running(services, build_app(services)) as client:
        client.clock = clock
        client.dispatch = next(s for s in services if s.name == "dispatch")
        yield client


async def assignment_of(client, case_id: str) -> dict:
    async def current():
        rows = (await client.get("/v1/assignments?limit=500", headers=DISPATCHER)).json()
        return [a for a in rows if a["case_id"] == case_id and a["current"]]

    return (await eventually(current, bool, what=f"the assignment of {case_id}"))[0]


async def case_of(client, incident_id: str) -> str:
    async def incident():
        return (await client.get(f"/v1/incidents/{incident_id}", headers=DISPATCHER)).json()

    return (await eventually(incident, lambda i: i.get("case_id"), what="the case"))["case_id"]


async def test_an_upstream_deadline_wins_only_when_it_is_earlier(platform):
    # street vending: 24 working hours from Monday 09:00 = Thursday 12:00 Beijing
    early = MONDAY_9AM + timedelta(days=1)  # Tuesday 09:00
    late = MONDAY_9AM + timedelta(days=10)
    ids = []
    for reference, deadline in (("ZZ12345-A", early), ("ZZ12345-B", late)):
        r = await platform.post(
            "/v1/incidents",
            json={
                **INCIDENT,
                "channel": "transfer_12345",
                "source_reference": reference,
                "source_deadline": deadline.isoformat(),
            },
            headers=auth("hotline_operator"),
        )
        assert r.status_code == 201, r.text
        assert r.json()["source_deadline"] == deadline.isoformat().replace("+00:00", "Z")
        ids.append(r.json()["id"])
    won = await assignment_of(platform, await case_of(platform, ids[0]))
    assert won["deadline_basis"] == "source"
    assert datetime.fromisoformat(won["deadline_at"]) == early
    assert MONDAY_9AM < datetime.fromisoformat(won["warn_at"]) < early  # warned at the share of the time left
    lost = await assignment_of(platform, await case_of(platform, ids[1]))
    assert lost["deadline_basis"] == "category"
    assert datetime.fromisoformat(lost["deadline_at"]) == datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    # a partner finds its order by its reference, and polls what changed since a time
    partner = auth("external_system", "city-12345")
    found = (await platform.get("/v1/incidents?source_reference=ZZ12345-B", headers=partner)).json()
    assert [i["id"] for i in found] == [ids[1]]
    naive = await platform.get("/v1/incidents?updated_since=2026-11-23T00:00:00", headers=partner)
    assert naive.status_code == 422 and "updated_since" in naive.text
    since = (await platform.get("/v1/incidents?updated_since=2026-11-23T00:00:00Z", headers=partner)).json()
    assert {i["id"] for i in since} >= set(ids)
    assert [i["updated_at"] for i in since] == sorted(i["updated_at"] for i in since)  # oldest change first


async def test_the_three_channels_are_recorded_by_the_command_centre_with_their_origin(platform):
    refused = await platform.post("/v1/incidents", json=PETITION, headers=auth("hotline_operator"))
    assert refused.status_code == 422 and "letters_visits" in refused.text
    no_origin = await platform.post(
        "/v1/incidents", json={k: v for k, v in PETITION.items() if k != "petition"}, headers=DISPATCHER
    )
    assert no_origin.status_code == 422 and "petition" in no_origin.text
    wrong = await platform.post("/v1/incidents", json={**PETITION, "channel": "media"}, headers=SUPERVISOR)
    assert wrong.status_code == 422 and "petition" in wrong.text
    owner_elsewhere = await platform.post(
        "/v1/incidents", json={**INCIDENT, "owner": PETITION["owner"]}, headers=auth("hotline_operator")
    )
    assert owner_elsewhere.status_code == 422 and "owner" in owner_elsewhere.text
    unnamed = await platform.post("/v1/incidents", json={**INCIDENT}, headers=SUPERVISOR)
    assert unnamed.status_code == 422 and "channel" in unnamed.text
    instruction = {
        **INCIDENT,
        "channel": "leadership",
        "instruction": {"text": "请三日内清理完毕", "given_by": "区长", "given_at": "2026-11-23"},
        "owner": {"leader_id": "lead-01", "leader_name": "张局长"},
    }
    r = await platform.post("/v1/incidents", json=instruction, headers=SUPERVISOR)
    assert r.status_code == 201, r.text
    assert r.json()["origin"]["given_by"] == "区长" and r.json()["owner"]["leader_name"] == "张局长"
    post = {**INCIDENT, "channel": "media", "post": {"url": "https://bbs.example.cn/t/1", "outlet": "本地论坛"}}
    assert (await platform.post("/v1/incidents", json=post, headers=DISPATCHER)).status_code == 201


async def test_a_petition_warns_its_owner_and_closes_only_with_its_reply(platform):
    resolve_by = MONDAY_9AM + timedelta(days=20)  # 化解时限: longer than the category's 24 working hours
    r = await platform.post(
        "/v1/incidents", json={**PETITION, "source_deadline": resolve_by.isoformat()}, headers=DISPATCHER
    )
    assert r.status_code == 201, r.text
    case_id = await case_of(platform, r.json()["id"])
    a = await assignment_of(platform, case_id)
    assert a["deadline_basis"] == "resolution" and datetime.fromisoformat(a["deadline_at"]) == resolve_by
    assert a["channel"] == "letters_visits" and a["owner_name"] == "王副局长"
    case = (await platform.get(f"/v1/cases/{case_id}", headers=DISPATCHER)).json()
    assert case["owner"]["leader_id"] == "lead-02"
    # at warning time the leader who owns it is told, with the officer; overdue, that leader again, no one else
    platform.clock.advance(timedelta(days=17))
    assert await platform.dispatch.tick() == 2
    platform.clock.advance(timedelta(days=5))
    assert await platform.dispatch.tick() == 1
    assert await platform.dispatch.tick() == 0
    rows = (await platform.get("/v1/escalations", headers=DISPATCHER)).json()
    steps = [(e["level"], e["kind"], e["notify_role"]) for e in reversed(rows) if e["case_id"] == case_id]
    assert steps == [(0, "warning", "officer"), (1, "owner_warning", "owner_leader"), (2, "overdue", "owner_leader")]
    # handled, then the monitor's check cannot close it without the 答复意见
    jpeg = [(k, (f"{k}.jpg", photo_bytes((20 * n, 90, 160)), "image/jpeg")) for n, k in enumerate(("before", "after"))]
    handled = await platform.post(f"/v1/cases/{case_id}/handle", data={"outcome": "resolved"}, files=jpeg, headers=O1)
    assert handled.status_code == 200, handled.text
    check = await platform.post(f"/v1/cases/{case_id}/check", json={"passed": True}, headers=MONITOR)
    assert check.status_code == 409 and "petition_reply" in check.text
    wrong_kind = await platform.post(
        f"/v1/cases/{case_id}/answers", json={"kind": "public_response", "text": "已回应"}, headers=DISPATCHER
    )
    assert wrong_kind.status_code == 422 and "petition_reply" in wrong_kind.text
    squad = await platform.post(
        f"/v1/cases/{case_id}/answers", json={"kind": "petition_reply", "text": "已答复"}, headers=O1
    )
    assert squad.status_code == 403
    answered = await platform.post(
        f"/v1/cases/{case_id}/answers",
        json={"kind": "petition_reply", "text": "经查, 施工单位已停止夜间施工, 特此答复。"},
        headers=DISPATCHER,
    )
    assert answered.status_code == 200 and answered.json()["answers"]["petition_reply"]["by"] == "dispatcher-1"
    closed = await platform.post(f"/v1/cases/{case_id}/check", json={"passed": True}, headers=MONITOR)
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text
    trail = (await platform.get(f"/v1/cases/{case_id}/trail", headers=DISPATCHER)).json()
    assert "answer" in [step["action"] for step in trail]


async def test_a_shared_bike_is_reported_without_a_plate(platform):
    partner = auth("external_system", "meituan-bikes")
    event = {
        "source_event_id": "mt-20261123-0001",
        "kind": "shared_bike_parking",
        "occurred_at": "2026-11-23T08:30:00+08:00",
        "location": {"lon": 113.62, "lat": 34.75},
        "device_id": "fence-0417",
        "operator": "美团",
        "bike_id": "MT-8823-1101",
    }
    r = await platform.post("/v1/machine-events", json=event, headers=partner)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["category"] == "illegal_parking" and got["channel"] == "iot"
    assert got["attributes"] == {"vehicle": "bicycle", "operator": "美团", "bike_id": "MT-8823-1101"}
    nameless = await platform.post(
        "/v1/machine-events", json={**event, "source_event_id": "mt-2", "bike_id": None}, headers=partner
    )
    assert nameless.status_code == 422 and "bike_id" in nameless.text
    # the public page: a bicycle needs no plate, a car still does
    key = (await platform.post("/v1/open311/keys", json={"name": "郑好办"}, headers=auth("admin"))).json()["api_key"]
    base = {
        "service_code": "illegal_parking",
        "lat": "34.75",
        "long": "113.62",
        "description": "单车乱停",
        "api_key": key,
    }
    bike = await platform.post("/open311/v2/requests.json", data={**base, "attribute[vehicle]": "bicycle"})
    car = await platform.post("/open311/v2/requests.json", data={**base, "attribute[vehicle]": "car"})
    assert car.status_code == 400 and "plate" in car.text
    assert bike.status_code in (200, 201), bike.text
