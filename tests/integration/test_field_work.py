"""What the field app (城管通) sends, over the API: a patrol find (巡查发现) goes to the finder's own
squad and is handled on the spot; a step sent twice with one Idempotency-Key is done once (the
phone resends what it does not know arrived); a squad leader gives a task to an officer of the
squad; a monitor's 核实 and 核查 carry their photos; the bearer token a signed-in page gets."""

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
O2 = ("squad_officer", "sq-ruhe-o2", "sq-ruhe")
O1 = ("squad_officer", "sq-ruhe-o1", "sq-ruhe")
LEADER = ("squad_leader", "sq-ruhe-leader", "sq-ruhe")
MONITOR = ("field_monitor", "monitor-0001")
IN_XUSHUI = {"lon": 113.57, "lat": 34.75}  # west of 汝河中队's grids


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
    app = build_app(services)
    async with running(services, app) as client:
        client.dispatch = next(s for s in services if s.name == "dispatch")
        client.clock, client.pages = clock, app.state.page_sessions
        yield client


def photos(*kinds: str) -> list:
    return [(k, (f"{k}{n}.jpg", photo_bytes((40 * n, 90, 160)), "image/jpeg")) for n, k in enumerate(kinds)]


async def assignment_of(client, case_id: str, who=LEADER) -> dict:
    async def current():
        rows = (await client.get("/v1/assignments?open=true&limit=500", headers=auth(*who))).json()
        return [a for a in rows if a["case_id"] == case_id and a["current"]]

    return (await eventually(current, bool, what=f"the assignment of {case_id}"))[0]


async def case_of(client, incident_id: str, who=O2) -> dict:
    async def incident():
        r = await client.get(f"/v1/incidents/{incident_id}", headers=auth(*who))
        return r.json() if r.status_code == 200 else {}

    return await eventually(incident, lambda i: i.get("case_id") and i.get("squad"), what="the patrol case")


async def test_a_patrol_find_goes_to_the_finders_squad_and_is_handled_on_the_spot(platform):
    form = {
        "category": "street_vending",
        "description": "巡查发现占道经营",
        **{k: str(v) for k, v in IN_XUSHUI.items()},
    }
    refused = await platform.post(
        "/v1/patrol-reports", data=form, files=photos("photos"), headers=auth("hotline_operator")
    )
    assert refused.status_code == 403 and "squad_officer" in refused.text
    no_squad = await platform.post("/v1/patrol-reports", data=form, headers=auth("admin"))  # in no squad
    assert no_squad.status_code == 403 and "belongs to none" in no_squad.text
    key = {"Idempotency-Key": "d7a3c5f0-0000-4000-8000-000000000001"}
    r = await platform.post("/v1/patrol-reports", data=form, files=photos("photos"), headers={**auth(*O2), **key})
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "patrol"
    again = await platform.post("/v1/patrol-reports", data=form, files=photos("photos"), headers={**auth(*O2), **key})
    assert again.json()["id"] == r.json()["id"] and again.headers["Idempotent-Replayed"] == "true"

    incident = await case_of(platform, r.json()["id"])
    # the finder's squad whatever the grid, with the finder as its officer, no command centre between
    assert incident["squad"]["id"] == "sq-ruhe"
    a = await assignment_of(platform, incident["case_id"], O2)
    assert (a["how"], a["officer_id"], a["status"]) == ("patrol", "sq-ruhe-o2", "dispatched")
    assert (await platform.post(f"/v1/assignments/{a['id']}/accept", headers=auth(*O2))).status_code == 200
    handled = await platform.post(
        f"/v1/cases/{incident['case_id']}/handle",
        data={"outcome": "resolved", "note": "即查即处"},
        files=photos("before", "after"),
        headers=auth(*O2),
    )
    assert handled.status_code == 200 and handled.json()["status"] == "handled", handled.text

    async def by_channel():
        r = await platform.get("/v1/reports/indicators?period=day&at=2026-11-23&by=channel", headers=auth("supervisor"))
        return {row["value"]: row for row in r.json()["rows"]} if r.status_code == 200 else {}

    rows = await eventually(by_channel, lambda rows: "patrol" in rows, what="reporting's patrol row")
    assert rows["patrol"]["name"] == "巡查发现" and rows["patrol"]["indicators"]["received"] == 1


async def test_a_step_sent_twice_with_one_key_is_done_once(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = await case_of(platform, r.json()["id"], LEADER)
    a = await assignment_of(platform, incident["case_id"])
    key = {"Idempotency-Key": "b1f0e1aa-0000-4000-8000-00000000000a"}
    first = await platform.post(f"/v1/assignments/{a['id']}/accept", headers={**auth(*O1), **key})
    second = await platform.post(f"/v1/assignments/{a['id']}/accept", headers={**auth(*O1), **key})
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    # without the key, the same step again is refused: it is the key that makes it safe to resend
    assert (await platform.post(f"/v1/assignments/{a['id']}/accept", headers=auth(*O1))).status_code == 409
    # one key, one request: used for another route it is refused, naming the first
    other = await platform.post(
        f"/v1/assignments/{a['id']}/extension-request", json={"hours": 8, "reason": "x"}, headers={**auth(*O1), **key}
    )
    assert other.status_code == 422 and "was used for another request" in other.text

    handle_key = {"Idempotency-Key": "b1f0e1aa-0000-4000-8000-00000000000b"}
    sent = [
        await platform.post(
            f"/v1/cases/{incident['case_id']}/handle",
            data={"outcome": "resolved"},
            files=photos("before", "after"),
            headers={**auth(*O1), **handle_key},
        )
        for _ in range(3)
    ]
    assert [s.status_code for s in sent] == [200, 200, 200], sent[0].text
    assert [s.headers.get("Idempotent-Replayed") for s in sent] == [None, "true", "true"]
    trail = (await platform.get(f"/v1/cases/{incident['case_id']}/trail", headers=auth("supervisor"))).json()
    actions = [link["action"] for link in trail]
    assert actions.count("handle") == 1 and actions.count("open") == 1, actions
    # another person's key of the same value is theirs alone: their request runs (and is refused on its merits)
    theirs = await platform.post(f"/v1/assignments/{a['id']}/accept", headers={**auth(*LEADER), **key})
    assert theirs.status_code == 409 and "Idempotent-Replayed" not in theirs.headers


async def test_a_squad_leader_gives_a_task_to_an_officer_of_the_squad(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = await case_of(platform, r.json()["id"], LEADER)
    a = await assignment_of(platform, incident["case_id"])
    assert a["officer_id"] == "sq-ruhe-o1"
    url = f"/v1/assignments/{a['id']}/officer"
    assert (await platform.post(url, json={"officer_id": "sq-ruhe-o2"}, headers=auth(*O1))).status_code == 403
    elsewhere = await platform.post(url, json={"officer_id": "sq-xushui-o1"}, headers=auth(*LEADER))
    assert elsewhere.status_code == 409 and "not in squad sq-ruhe" in elsewhere.text
    given = await platform.post(url, json={"officer_id": "sq-ruhe-o2"}, headers=auth(*LEADER))
    assert given.status_code == 200 and given.json()["officer_id"] == "sq-ruhe-o2", given.text
    # an officer returns a task not theirs to keep: 退回 with a reason, back to the command centre
    back = await platform.post(
        f"/v1/assignments/{a['id']}/return", json={"reason": "not_ours", "note": "非本部门职责"}, headers=auth(*O2)
    )
    assert back.status_code == 200 and back.json()["status"] == "returned", back.text


async def test_a_monitors_check_carries_its_photo_and_never_checks_its_own(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = await case_of(platform, r.json()["id"], LEADER)
    a = await assignment_of(platform, incident["case_id"])
    await platform.post(f"/v1/assignments/{a['id']}/accept", headers=auth(*O1))
    case_id = incident["case_id"]
    handled = await platform.post(
        f"/v1/cases/{case_id}/handle", data={"outcome": "resolved"}, files=photos("before", "after"), headers=auth(*O1)
    )
    assert handled.status_code == 200, handled.text
    bad = await platform.post(
        f"/v1/cases/{case_id}/check",
        data={"check": '{"passed": "maybe"}'},
        files=photos("photos"),
        headers=auth(*MONITOR),
    )
    assert bad.status_code == 422 and "check" in bad.text and "passed" in bad.text
    missing = await platform.post(f"/v1/cases/{case_id}/check", files=photos("photos"), headers=auth(*MONITOR))
    assert missing.status_code == 422 and "`check`" in missing.text
    checked = await platform.post(
        f"/v1/cases/{case_id}/check",
        data={"check": '{"passed": true}'},
        files=photos("photos"),
        headers=auth(*MONITOR),
    )
    assert checked.status_code == 200 and checked.json()["status"] == "closed", checked.text
    trail = (await platform.get(f"/v1/cases/{case_id}/trail", headers=auth("supervisor"))).json()
    check = next(link for link in trail if link["action"] == "check")
    assert [p["kind"] for p in check["data"]["photos"]] == ["check"] and len(check["data"]["photos"][0]["sha256"]) == 64
    # JSON still works as before: a rework needs its reason
    r2 = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    other = await case_of(platform, r2.json()["id"], LEADER)
    await platform.post(
        f"/v1/cases/{other['case_id']}/handle",
        data={"outcome": "resolved"},
        files=photos("before", "after"),
        headers=auth(*O1),
    )
    url = f"/v1/cases/{other['case_id']}/check"
    no_reason = await platform.post(url, json={"passed": False}, headers=auth(*MONITOR))
    assert no_reason.status_code == 422 and "reason" in no_reason.text, no_reason.text
    rework = await platform.post(url, json={"passed": False, "reason": "仍有摊位"}, headers=auth(*MONITOR))
    assert rework.status_code == 200 and rework.json()["status"] == "dispatched", rework.text


async def test_an_officer_asks_for_more_time_and_the_command_centre_answers(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = await case_of(platform, r.json()["id"], LEADER)
    a = await assignment_of(platform, incident["case_id"])
    ask = f"/v1/assignments/{a['id']}/extension-request"
    asked = await platform.post(ask, json={"hours": 16, "reason": "当事人外出, 明日复查"}, headers=auth(*O1))
    assert asked.status_code == 200, asked.text
    request = asked.json()["extension_request"]
    assert (request["hours"], request["reason"], request["asked_by"]) == (16, "当事人外出, 明日复查", "sq-ruhe-o1")
    assert asked.json()["deadline_at"] == a["deadline_at"]  # asking moves nothing
    dispatcher = auth("dispatcher", "disp-0001")
    assert (await platform.post(ask, json={"hours": 8, "reason": "x"}, headers=dispatcher)).status_code == 403
    declined = await platform.post(f"{ask}/decline", json={"reason": "时限内可以完成"}, headers=dispatcher)
    assert declined.status_code == 200 and declined.json()["extension_request"] is None, declined.text
    again = await platform.post(f"{ask}/decline", json={"reason": "again"}, headers=dispatcher)
    assert again.status_code == 409 and "no request for more time" in again.text
    await platform.post(ask, json={"hours": 8, "reason": "等待商户整改"}, headers=auth(*O1))
    granted = await platform.post(
        f"/v1/assignments/{a['id']}/extend", json={"hours": 8, "reason": "同意"}, headers=dispatcher
    )
    assert granted.status_code == 200 and granted.json()["extension_request"] is None
    assert granted.json()["extensions"] == 1 and granted.json()["deadline_at"] > a["deadline_at"]


async def test_a_persuasion_on_the_spot_is_kept_and_counted_per_squad_and_category(platform):
    shop = {
        "name": "老王烩面馆",
        "operator": "王建国",
        "phone": "13937112345",
        "address": "汝河路 88 号",
        "business_nature": "餐饮",
        "location": {"lon": 113.6202, "lat": 34.7501},
    }
    m = (await platform.post("/v1/merchants", json=shop, headers=auth("ledger_clerk", "clerk-0001"))).json()
    hardship = {"circumstances": "独自抚养两个孩子", "active": True}
    r = await platform.put(f"/v1/merchants/{m['id']}/hardship", json=hardship, headers=auth("ledger_clerk", "c"))
    assert r.status_code == 200, r.text

    async def near():  # placed in 汝河中队's grid once ledger knows the grids
        return (await platform.get("/v1/merchants?near=113.6201,34.7500&radius_m=100", headers=auth(*O1))).json()

    [listed] = await eventually(near, bool, what="the shop near the officer")
    assert listed["id"] == m["id"] and listed["assisted"] is True and listed["colour"] == "blue"
    assert "circumstances" not in listed  # the officer sees the flag, never the household's story

    url = f"/v1/merchants/{m['id']}/persuasions"
    form = {"category": "street_vending", "note": "劝导其收回店外桌椅", "lon": "113.6201", "lat": "34.7500"}
    done = await platform.post(url, data=form, files=photos("photos"), headers=auth(*O1))
    assert done.status_code == 201, done.text
    assert (done.json()["squad_id"], done.json()["officer_id"], done.json()["photos"]) == ("sq-ruhe", "sq-ruhe-o1", 1)
    too_many = await platform.post(url, data=form, files=photos(*["photos"] * 4), headers=auth(*O1))
    assert too_many.status_code == 422 and "at most 3 photos" in too_many.text
    half = await platform.post(url, data={"category": "street_vending", "lon": "113.6"}, headers=auth(*O1))
    assert half.status_code == 422 and "lon and lat" in half.text
    elsewhere = await platform.post(url, data=form, headers=auth("squad_officer", "sq-xushui-o1", "sq-xushui"))
    assert elsewhere.status_code == 404  # another squad's area
    await platform.post(url, data={"category": "street_vending"}, headers=auth(*LEADER))
    await platform.post(url, data={"category": "storefront_overflow"}, headers=auth(*O1))
    listed = (await platform.get(url, headers=auth(*LEADER))).json()
    assert sorted(p["category"] for p in listed) == ["storefront_overflow", "street_vending", "street_vending"]

    async def report(by: str, who=("supervisor",)):
        r = await platform.get(f"/v1/reports/persuasions?period=day&at=2026-11-23&by={by}", headers=auth(*who))
        return r.json() if r.status_code == 200 else {}

    by_squad = await eventually(lambda: report("squad"), lambda r: r.get("total") == 3, what="3 persuasions")
    assert [(row["value"], row["name"], row["persuasions"]) for row in by_squad["rows"]] == [("sq-ruhe", "汝河中队", 3)]
    by_category = await report("category")
    assert {row["value"]: row["persuasions"] for row in by_category["rows"]} == {
        "street_vending": 2,
        "storefront_overflow": 1,
    }
    other_leader = await report("squad", ("squad_leader", "sq-xushui-leader", "sq-xushui"))
    assert other_leader["total"] == 0 and other_leader["rows"] == []


async def test_an_urgent_task_also_goes_out_as_a_message_through_the_bureaus_gateway(platform):
    """Not only the app: an urgent task reaches the officer as a message (the city's SMS platform or
    政务钉钉, behind the bureau's gateway), with the staff id and never a phone number; a gateway
    that fails gets the alert again."""
    from aiohttp import web

    from devstack.ports import free_port
    from dispatch.adapters.notifier import GatewayNotifier

    received, answers = [], [503]

    async def gateway(request):
        received.append((request.headers.get("Authorization"), await request.json()))
        return web.Response(status=answers.pop(0) if answers else 204)

    app = web.Application()
    app.router.add_post("/alerts", gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        platform.dispatch.alerts = GatewayNotifier(f"http://127.0.0.1:{port}/alerts", token="gw-secret")
        r = await platform.post(
            "/v1/incidents", json={**INCIDENT, "urgency": "urgent"}, headers=auth("hotline_operator")
        )
        incident = await case_of(platform, r.json()["id"], LEADER)
        await eventually(lambda: _count(received), lambda n: n >= 2, what="the alert, sent again after a 503")
    finally:
        await runner.cleanup()
    (token, first), (_, again) = received[:2]
    assert token == "Bearer gw-secret" and first == again  # the same alert, at least once
    assert (first["kind"], first["case_id"], first["person_id"]) == ("urgent", incident["case_id"], "sq-ruhe-o1")
    assert incident["case_number"] in first["text"] and "紧急任务" in first["text"] and "占道经营" in first["text"]
    assert "13812345678" not in str(first)  # the caller's number never leaves intake


async def _count(items: list) -> int:
    return len(items)


async def test_a_street_session_lasts_the_shift_while_a_desk_idles_out(platform):
    """城管通's people keep their phone in a pocket between tasks: their session lasts the shift
    (AUTH_STREET_SESSION_IDLE_S, 8 h); a desk's ends after 30 minutes unused, as before."""
    from common.principal import Principal, Role
    from common.web_session import ProviderTokens

    store = platform.pages.store
    officer = await store.open(
        Principal("sq-ruhe-o1", Role.squad_officer, "sq-ruhe"), "朱婷", "/field", ProviderTokens()
    )
    desk = await store.open(Principal("disp-0001", Role.dispatcher), "孙晓梅", "/console", ProviderTokens())
    platform.clock._at = MONDAY_9AM + timedelta(hours=2)
    assert (await store.find(officer)) is not None
    assert (await store.find(desk)) is None
    platform.clock._at = MONDAY_9AM + timedelta(hours=8, minutes=1)
    assert (await store.find(officer)) is None  # the shift is over: 8 h whatever happens


async def test_a_monitor_lists_the_cases_near_them_nearest_first(platform):
    here, a_street_away, across_town = (113.6200, 34.7500), (113.6230, 34.7500), (113.6900, 34.7500)
    for lon, lat in (a_street_away, across_town, here):
        r = await platform.post(
            "/v1/incidents", json={**INCIDENT, "location": {"lon": lon, "lat": lat}}, headers=auth("hotline_operator")
        )

        incident_id = r.json()["id"]

        async def opened(incident_id=incident_id):
            return (await platform.get(f"/v1/incidents/{incident_id}", headers=auth("dispatcher"))).json()

        await eventually(opened, lambda i: i.get("case_id"), what="the case")  # across town: no grid, no squad

    async def near(query: str):
        r = await platform.get(f"/v1/cases?near={query}", headers=auth(*MONITOR))
        return r

    listed = (await near("113.6200,34.7500&radius_m=1000")).json()
    assert [(c["location"]["lon"], c["location"]["lat"]) for c in listed] == [here, a_street_away]
    everywhere = (await near("113.6200,34.7500&radius_m=20000")).json()
    assert [c["location"]["lon"] for c in everywhere] == [113.62, 113.623, 113.69]
    bad = await near("113.62")
    assert bad.status_code == 422 and "give lon,lat" in bad.text
