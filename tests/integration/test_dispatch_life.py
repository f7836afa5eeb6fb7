"""The life of an assignment and the escalation chain, through the HTTP API on the real
PostgreSQL, with a clock the test moves (the services in one process on the in-memory bus)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from common.clock import FixedClock
from common.messaging.contracts import PatrolCheckedIn, PatrolPostMissed, Topics
from common.messaging.envelope import decode
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import INCIDENT, eventually, handle

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 Beijing
DISPATCHER = auth("dispatcher", "dispatcher-1")
RUHE_LEADER = auth("squad_leader", "leader-ruhe", squad="sq-ruhe")
XUSHUI = {"lon": 113.53, "lat": 34.76}


@pytest.fixture
async def platform(database_url, tmp_path):
    clock = FixedClock(MONDAY_9AM)
    transport = InMemoryTransport()
    services = build_services(
        database_url,
        transport,
        clock=clock,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        tick_interval_s=3600,
    )
    async with running(services, build_app(services)) as client:
        client.clock = clock
        client.transport = transport
        client.dispatch = next(s for s in services if s.name == "dispatch")
        yield client


async def _assignment_for(client, case_id, **match):
    async def current():
        rows = (await client.get("/v1/assignments?limit=500", headers=DISPATCHER)).json()
        return [a for a in rows if a["case_id"] == case_id and a["current"]]

    found = await eventually(
        current, lambda rows: rows and all(rows[0][k] == v for k, v in match.items()), what=f"assignment {match}"
    )
    return found[0]


async def _new_case(client, **changes) -> dict:
    r = await client.post("/v1/incidents", json={**INCIDENT, **changes}, headers=auth("hotline_operator"))
    assert r.status_code == 201, r.text

    async def incident():
        return (await client.get(f"/v1/incidents/{r.json()['id']}", headers=auth("hotline_operator"))).json()

    return await eventually(incident, lambda i: i.get("case_id"), what="case")


async def _case(client, case_id):
    return (await client.get(f"/v1/cases/{case_id}", headers=DISPATCHER)).json()


async def _escalations(client, case_id):
    rows = (await client.get("/v1/escalations", headers=DISPATCHER)).json()
    return [(e["level"], e["kind"], e["notify_role"]) for e in reversed(rows) if e["case_id"] == case_id]


async def test_routing_deadline_return_reroute_reassign_and_extension(platform):
    incident = await _new_case(platform)
    a = await _assignment_for(platform, incident["case_id"], squad_id="sq-ruhe")
    assert a["how"] == "rule" and a["rule"] is None and a["officer_id"] == "sq-ruhe-o1"  # o3 is off duty
    # street vending: 24 working hours from Monday 09:00 = Thursday 12:00 Beijing
    assert a["deadline_at"] == "2026-11-26T04:00:00Z"
    assert a["warn_at"] == "2026-11-25T08:12:00Z"  # 80 %: 19.2 working hours, Wednesday 16:12

    waste = await _new_case(platform, category="construction_waste", description="渣土车抛洒")
    w = await _assignment_for(platform, waste["case_id"], squad_id="sq-zhishu")
    assert w["rule"] == "渣土与违法建设: 直属执法大队"
    assert (
        await platform.post(f"/v1/assignments/{w['id']}/return", json={"reason": "not_ours"}, headers=RUHE_LEADER)
    ).status_code == 404  # another squad's assignment

    r = await platform.post(
        f"/v1/assignments/{a['id']}/return",
        json={"reason": "wrong_jurisdiction", "note": "实际在须水辖区"},
        headers=RUHE_LEADER,
    )
    assert r.status_code == 200 and r.json()["status"] == "returned", r.text
    await eventually(
        lambda: _case(platform, incident["case_id"]),
        lambda c: c["status"] == "awaiting_command_centre",
        what="case back at the command centre",
    )
    queue = (await platform.get("/v1/queue", headers=DISPATCHER)).json()
    assert [(q["case_id"], q["reason"]) for q in queue] == [(incident["case_id"], "returned:wrong_jurisdiction")]
    r = await platform.post(f"/v1/queue/{incident['case_id']}/reroute", json={"location": XUSHUI}, headers=DISPATCHER)
    assert r.status_code == 200 and r.json()["squad_id"] == "sq-xushui" and r.json()["how"] == "reroute", r.text
    case = await eventually(
        lambda: _case(platform, incident["case_id"]),
        lambda c: c["status"] == "dispatched" and c["squad"]["id"] == "sq-xushui",
    )
    assert (await platform.get("/v1/queue", headers=DISPATCHER)).json() == []

    moved = await platform.post(
        f"/v1/assignments/{r.json()['id']}/reassign", json={"squad_id": "sq-jianshelu"}, headers=DISPATCHER
    )
    assert moved.status_code == 200 and moved.json()["how"] == "reassign"
    old = (await platform.get(f"/v1/assignments/{r.json()['id']}", headers=DISPATCHER)).json()
    assert old["status"] == "reassigned" and old["current"] is False
    await eventually(lambda: _case(platform, case["id"]), lambda c: c["squad"]["id"] == "sq-jianshelu")

    before = moved.json()["deadline_at"]
    r = await platform.post(
        f"/v1/assignments/{moved.json()['id']}/extend",
        json={"hours": 7, "reason": "需住建部门配合"},
        headers=DISPATCHER,
    )
    assert r.status_code == 200 and r.json()["extensions"] == 1
    assert datetime.fromisoformat(r.json()["deadline_at"]) - datetime.fromisoformat(before) == timedelta(days=1)
    bad = await platform.post(f"/v1/assignments/{moved.json()['id']}/extend", json={"hours": 7}, headers=DISPATCHER)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "reason"]

    # the return window: 2 working hours after dispatch, and only before accepting
    late = await _new_case(platform)
    la = await _assignment_for(platform, late["case_id"], squad_id="sq-ruhe")
    platform.clock.advance(timedelta(hours=6))  # Monday 15:00: 3 + 1 working hours later
    r = await platform.post(f"/v1/assignments/{la['id']}/return", json={"reason": "not_ours"}, headers=RUHE_LEADER)
    assert r.status_code == 409 and "return window" in r.json()["detail"]
    assert (await platform.post(f"/v1/assignments/{la['id']}/accept", headers=RUHE_LEADER)).json()[
        "status"
    ] == "accepted"
    assert (await platform.post(f"/v1/assignments/{la['id']}/accept", headers=RUHE_LEADER)).status_code == 409

    # three cases routed, one routed again, one reassigned: each counter follows its own events, so
    # wait for all of them (the CaseDispatched of the last one may come after the return and extension)
    await eventually(
        lambda: platform.get("/v1/reports/monthly?month=2026-11", headers=auth("supervisor")),
        lambda resp: (resp.json()["returned"], resp.json()["extended"], resp.json()["dispatched"]) == (1, 1, 5),
        what="returned 1, extended 1, dispatched 5",
    )

    # the officers' workload counter (kept by PostgreSQL) agrees with counting their open assignments
    await handle(platform, late["case_id"])  # handled: no longer open
    async with platform.dispatch.engine.connect() as conn:
        counted = dict(
            (
                await conn.execute(
                    text(
                        "SELECT o.id, count(a.id) FROM dispatch.officers o "
                        "LEFT JOIN dispatch.assignments a ON a.officer_id = o.id "
                        "AND a.current AND a.status IN ('dispatched', 'accepted') GROUP BY o.id"
                    )
                )
            ).all()
        )
        kept = dict((await conn.execute(text("SELECT id, open_assignments FROM dispatch.officers"))).all())
    assert kept == counted and sum(kept.values()) >= 2


async def test_the_escalation_chain_and_a_supervision_order(platform):
    incident = await _new_case(platform)
    case_id = incident["case_id"]
    a = await _assignment_for(platform, case_id, squad_id="sq-ruhe")
    tick = platform.dispatch.tick
    assert await tick() == 0 and await _escalations(platform, case_id) == []

    platform.clock._at = datetime.fromisoformat(a["warn_at"])
    assert await tick() == 1
    assert await _escalations(platform, case_id) == [(0, "warning", "officer")]
    platform.clock._at = datetime.fromisoformat(a["deadline_at"])  # Thursday 12:00 Beijing
    assert await tick() == 1
    assert await tick() == 0  # each step once
    platform.clock.advance(timedelta(hours=6))  # Thursday 18:00: only 3.5 working hours late
    assert await tick() == 0
    # the brigade is due Friday 09:00 (+4 working hours), the bureau leader Friday 15:00 (+8)
    platform.clock.advance(timedelta(hours=15, minutes=30))  # Friday 09:30
    assert await tick() == 1
    platform.clock.advance(timedelta(days=1))  # Saturday 09:30
    assert await tick() == 1
    assert await _escalations(platform, case_id) == [
        (0, "warning", "officer"),
        (1, "overdue", "squad_leader"),
        (2, "overdue", "brigade_leader"),
        (3, "overdue", "bureau_leader"),
    ]
    platform.clock.advance(timedelta(days=10))
    assert await tick() == 0  # the top of the chain
    assert (await platform.get(f"/v1/assignments/{a['id']}", headers=DISPATCHER)).json()["escalation_level"] == 3

    # 督办: its own deadline; a late answer is recorded as late
    r = await platform.post(
        f"/v1/assignments/{a['id']}/supervise",
        json={"instruction": "请今日处置完毕并回复", "hours": 2},
        headers=auth("supervisor", "sup-1"),
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert (
        await platform.post(f"/v1/assignments/{a['id']}/supervise", json={"instruction": "x"}, headers=RUHE_LEADER)
    ).status_code == 403
    platform.clock.advance(timedelta(days=1))
    assert await tick() == 1
    assert (await _escalations(platform, case_id))[-1][1] == "supervision_overdue"
    other = auth("squad_leader", "leader-x", squad="sq-xushui")
    assert (
        await platform.post(f"/v1/supervision-orders/{order['id']}/answer", json={"answer": "x"}, headers=other)
    ).status_code == 404
    answered = await platform.post(
        f"/v1/supervision-orders/{order['id']}/answer", json={"answer": "已处置"}, headers=RUHE_LEADER
    )
    assert answered.status_code == 200 and answered.json()["overdue"] is True, answered.text

    # handling stops the clock: a handled case is not escalated further
    second = await _new_case(platform)
    b = await _assignment_for(platform, second["case_id"], squad_id="sq-ruhe")
    await eventually(lambda: _case(platform, second["case_id"]), lambda c: c["status"] == "dispatched")
    assert (await handle(platform, second["case_id"])).status_code == 200
    await eventually(
        lambda: platform.get(f"/v1/assignments/{b['id']}", headers=DISPATCHER),
        lambda resp: resp.json()["status"] == "handled",
        what="assignment handled",
    )
    platform.clock._at = datetime.fromisoformat(b["deadline_at"]) + timedelta(days=30)
    await tick()
    assert await _escalations(platform, second["case_id"]) == []


async def test_rules_and_calendar_are_data_an_admin_edits(platform):
    rules = (await platform.get("/v1/routing-rules", headers=DISPATCHER)).json()
    assert rules["version"] == 1 and len(rules["rules"]) == 2
    new = {
        "version": 1,
        "rules": [{"name": "占道经营先人工", "categories": ["street_vending"], "queue": True}, *rules["rules"]],
    }
    assert (await platform.put("/v1/routing-rules", json=new, headers=DISPATCHER)).status_code == 403
    bad = await platform.put(
        "/v1/routing-rules", json={"version": 1, "rules": [{"name": "x", "squad_id": "sq-nope"}]}, headers=auth("admin")
    )
    assert bad.status_code == 422 and "sq-nope" in bad.json()["detail"]
    r = await platform.put("/v1/routing-rules", json=new, headers=auth("admin"))
    assert r.status_code == 200 and r.json()["version"] == 2
    assert (await platform.put("/v1/routing-rules", json=new, headers=auth("admin"))).status_code == 409  # stale
    incident = await _new_case(platform)
    queue = await eventually(
        lambda: platform.get("/v1/queue", headers=DISPATCHER),
        lambda resp: any(q["case_id"] == incident["case_id"] for q in resp.json()),
    )
    assert queue.json()[0]["reason"] == "rule:占道经营先人工"
    r = await platform.post(
        f"/v1/queue/{incident['case_id']}/dispatch", json={"squad_id": "sq-tongbailu"}, headers=DISPATCHER
    )
    assert r.status_code == 200 and r.json()["how"] == "manual"

    # a holiday declared by the admin moves the next deadline
    assert (
        await platform.put(
            "/v1/calendar/2026-11-24", json={"kind": "holiday", "name": "临时调整"}, headers=auth("admin")
        )
    ).status_code == 200
    days = (await platform.get("/v1/calendar?year=2026", headers=DISPATCHER)).json()
    assert {"day": "2026-11-24", "kind": "holiday", "name": "临时调整", "source": "bureau"} in days
    assert {"day": "2026-10-01", "kind": "holiday", "name": "国庆节", "source": "national"} in days
    assert days == (await platform.get("/v1/calendar", headers=DISPATCHER)).json()  # this year by default
    waste = await _new_case(platform, category="construction_waste")
    w = await _assignment_for(platform, waste["case_id"], squad_id="sq-zhishu")
    assert w["deadline_at"] == "2026-11-27T04:00:00Z"  # 24 working hours: Friday noon, not Thursday


async def test_the_bureaus_own_day_stays_after_a_restart_and_deleting_it_brings_back_the_national_one(platform):
    r = await platform.put(
        "/v1/calendar/2026-10-07", json={"kind": "ordinary", "name": "照常上班"}, headers=auth("admin")
    )
    assert r.status_code == 200
    await platform.dispatch.seed()  # what every start does
    await platform.dispatch.load_rules_and_calendar()

    async def kinds():
        return {
            d["day"]: (d["kind"], d["source"])
            for d in (await platform.get("/v1/calendar?year=2026", headers=DISPATCHER)).json()
        }

    days = await kinds()
    assert days["2026-10-07"] == ("ordinary", "bureau") and days["2026-10-06"] == ("holiday", "national")
    assert platform.dispatch.calendar.is_working_day(date(2026, 10, 7))
    r = await platform.delete("/v1/calendar/2026-10-07", headers=auth("admin"))
    assert r.status_code == 204
    assert (await kinds())["2026-10-07"] == ("holiday", "national")


async def test_the_administrators_are_warned_in_november_until_next_years_holidays_are_loaded(platform):
    status = (await platform.get("/v1/calendar/status", headers=DISPATCHER)).json()
    assert (status["year"], status["loaded"], status["next_year"]) == (2026, True, 2027)
    if status["next_year_loaded"]:  # chinesecalendar has brought 2027 already: nothing to warn of
        assert status["warning"] is None
        return
    assert "2027年节假日安排尚未载入" in status["warning"]
    for day in ("2027-01-01", "2027-02-06"):
        assert (
            await platform.put(f"/v1/calendar/{day}", json={"kind": "holiday", "name": "元旦"}, headers=auth("admin"))
        ).status_code == 200
    status = (await platform.get("/v1/calendar/status", headers=DISPATCHER)).json()
    assert status["next_year_loaded"] and status["warning"] is None


async def _published(platform, contract, count: int):
    """The events of one type the relay has published, once there are `count` of them."""

    async def found():
        return [
            decode(r).data
            for r in platform.transport.records(Topics.assignments)
            if dict(r.headers)["ce_type"].decode() == contract.event_type
        ]

    return await eventually(found, lambda events: len(events) >= count, what=f"{count} {contract.__name__}")


async def test_patrol_posts_roster_check_in_and_missed_post_alert(platform):
    """严管区定岗: the 汝河路小学 gate has shifts 07:20-08:10 and 16:30-17:30 on school days."""
    post, o1 = "post-ruhe-school", auth("squad_officer", "sq-ruhe-o1", squad="sq-ruhe")
    posts = (await platform.get("/v1/patrol-posts", headers=RUHE_LEADER)).json()
    assert [p["id"] for p in posts] == [post]  # a squad sees its own posts
    other_leader = auth("squad_leader", "leader-x", squad="sq-xushui")
    body = {"officer_id": "sq-ruhe-o1", "first_day": "2026-11-23", "last_day": "2026-11-24"}
    assert (await platform.post(f"/v1/patrol-posts/{post}/roster", json=body, headers=other_leader)).status_code == 404
    assert (
        await platform.post(
            f"/v1/patrol-posts/{post}/roster", json={**body, "officer_id": "sq-xushui-o1"}, headers=RUHE_LEADER
        )
    ).status_code == 409  # not of this squad
    bad = await platform.post(
        f"/v1/patrol-posts/{post}/roster", json={**body, "last_day": "2026-11-01"}, headers=RUHE_LEADER
    )
    assert bad.status_code == 422 and "last_day" in bad.text
    r = await platform.post(f"/v1/patrol-posts/{post}/roster", json=body, headers=RUHE_LEADER)
    assert r.status_code == 201, r.text
    shifts = r.json()
    assert [(s["starts_at"], s["ends_at"], s["status"]) for s in shifts] == [
        ("2026-11-22T23:20:00Z", "2026-11-23T00:10:00Z", "rostered"),  # Monday 07:20 Beijing
        ("2026-11-23T08:30:00Z", "2026-11-23T09:30:00Z", "rostered"),
        ("2026-11-23T23:20:00Z", "2026-11-24T00:10:00Z", "rostered"),
        ("2026-11-24T08:30:00Z", "2026-11-24T09:30:00Z", "rostered"),
    ]
    again = await platform.post(f"/v1/patrol-posts/{post}/roster", json=body, headers=RUHE_LEADER)
    assert [s["id"] for s in again.json()] == [s["id"] for s in shifts]  # rostering twice changes nothing

    # Monday 09:00: the morning shift was never checked in, so the squad leader is alerted, once
    assert await platform.dispatch.tick() == 1
    assert await platform.dispatch.tick() == 0
    missed = await _published(platform, PatrolPostMissed, 1)
    assert [(m.shift_id, m.officer_id, m.notify_role) for m in missed] == [
        (shifts[0]["id"], "sq-ruhe-o1", "squad_leader")
    ]
    today = (await platform.get("/v1/patrol-shifts", headers=RUHE_LEADER)).json()
    assert [s["status"] for s in today] == ["missed", "rostered"]
    assert (await platform.get("/v1/patrol-shifts", headers=other_leader)).json() == []

    # the afternoon shift: too early, too far, someone else's token, then on time at the gate
    check_in = f"/v1/patrol-shifts/{shifts[1]['id']}/check-in"
    at_gate, far = {"location": {"lon": 113.6105, "lat": 34.7352}}, {"location": {"lon": 113.62, "lat": 34.735}}
    early = await platform.post(check_in, json=at_gate, headers=o1)
    assert early.status_code == 409 and "check-in opens at 2026-11-23T08:15:00" in early.text
    platform.clock._at = datetime(2026, 11, 23, 8, 25, tzinfo=UTC)  # 16:25 Beijing
    too_far = await platform.post(check_in, json=far, headers=o1)
    assert too_far.status_code == 422 and "914 m from the post" in too_far.text, too_far.text
    o2 = auth("squad_officer", "sq-ruhe-o2", squad="sq-ruhe")
    assert (await platform.post(check_in, json=at_gate, headers=o2)).status_code == 404
    assert (await platform.post(check_in, json=at_gate, headers=RUHE_LEADER)).status_code == 403
    unsure = await platform.post(check_in, json={**at_gate, "accuracy_m": 480}, headers=o1)
    assert unsure.status_code == 422 and "±480 m" in unsure.text and "accuracy_m" in unsure.text, unsure.text
    done = await platform.post(check_in, json={**at_gate, "accuracy_m": 12}, headers=o1)
    assert done.status_code == 200 and done.json()["status"] == "checked_in", done.text
    assert done.json()["check_in_distance_m"] == pytest.approx(50.8, abs=0.1)
    assert (await platform.post(check_in, json=at_gate, headers=o1)).status_code == 409  # already

    # Tuesday 07:31: alerted after the 10-minute grace; he arrives at 07:35 and is marked late
    platform.clock._at = datetime(2026, 11, 23, 23, 29, tzinfo=UTC)
    assert await platform.dispatch.tick() == 0  # 07:29: still within the grace period
    platform.clock._at = datetime(2026, 11, 23, 23, 31, tzinfo=UTC)
    assert await platform.dispatch.tick() == 1
    platform.clock._at = datetime(2026, 11, 23, 23, 35, tzinfo=UTC)
    late = await platform.post(f"/v1/patrol-shifts/{shifts[2]['id']}/check-in", json=at_gate, headers=o1)
    assert late.json()["status"] == "late", late.text
    # and the afternoon shift, never checked in, is missed too once its grace is over
    platform.clock._at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    expired = await platform.post(f"/v1/patrol-shifts/{shifts[3]['id']}/check-in", json=at_gate, headers=o1)
    assert expired.status_code == 409 and "ended" in expired.text
    assert await platform.dispatch.tick() == 1
    assert len(await _published(platform, PatrolPostMissed, 3)) == 3
    checked = await _published(platform, PatrolCheckedIn, 2)
    assert [(c.shift_id, c.late) for c in checked] == [(shifts[1]["id"], False), (shifts[2]["id"], True)]


async def test_patrol_posts_are_data_an_admin_edits(platform):
    night = {
        "name": "须水夜市",
        "kind": "night_market",
        "squad_id": "sq-xushui",
        "location": {"lon": 113.53, "lat": 34.76},
        "windows": [{"start": "19:00", "end": "01:00"}],
    }
    assert (
        await platform.put("/v1/patrol-posts/post-xushui-night", json=night, headers=RUHE_LEADER)
    ).status_code == 403
    wrong = await platform.put(
        "/v1/patrol-posts/post-xushui-night", json={**night, "squad_id": "sq-nowhere"}, headers=auth("admin")
    )
    assert wrong.status_code == 422 and "unknown squad sq-nowhere" in wrong.text
    empty = await platform.put(
        "/v1/patrol-posts/post-xushui-night",
        json={**night, "windows": [{"start": "19:00", "end": "19:00"}]},
        headers=auth("admin"),
    )
    assert empty.status_code == 422 and "same minute" in empty.text
    r = await platform.put("/v1/patrol-posts/post-xushui-night", json=night, headers=auth("admin"))
    assert r.status_code == 200, r.text
    leader = auth("squad_leader", "leader-x", squad="sq-xushui")
    shifts = (
        await platform.post(
            "/v1/patrol-posts/post-xushui-night/roster",
            json={"officer_id": "sq-xushui-o1", "first_day": "2026-11-28"},
            headers=leader,
        )
    ).json()  # a Saturday: night markets open daily
    assert [(s["starts_at"], s["ends_at"]) for s in shifts] == [("2026-11-28T11:00:00Z", "2026-11-28T17:00:00Z")]


async def test_the_directory_an_admin_keeps_and_whom_the_chain_names(platform):
    """组织机构: one place an admin edits; the chain of 逐级负责制 is read from it; dispatch, cases
    and reporting learn each change by events."""
    from common.messaging.contracts import AssignmentEscalated, PersonChanged, SquadChanged

    directory = (await platform.get("/v1/directory", headers=DISPATCHER)).json()
    assert {u["kind"] for u in directory["units"]} >= {"bureau", "brigade", "centre"}
    ruhe = next(s for s in directory["squads"] if s["id"] == "sq-ruhe")
    assert [(link["role"], link["person_id"]) for link in ruhe["escalation_chain"]][0] == (
        "squad_leader",
        "sq-ruhe-leader",
    )
    assert [link["role"] for link in ruhe["escalation_chain"]] == ["squad_leader", "brigade_leader", "bureau_leader"]
    assert all(link["person_name"] for link in ruhe["escalation_chain"])

    zhang = {"name": "张伟", "position": "中队长", "role": "squad_leader", "squad_id": "sq-ruhe"}
    assert (
        await platform.put("/v1/directory/people/sq-ruhe-zhang", json=zhang, headers=DISPATCHER)
    ).status_code == 403  # only an admin edits it
    for wrong, says in (
        ({**zhang, "squad_id": None}, "squad_id"),
        ({**zhang, "squad_id": "sq-nowhere"}, "sq-nowhere"),
        ({**zhang, "position": "大队长", "squad_id": None, "unit_id": "centre"}, "brigade"),
        ({**zhang, "position": "处长"}, "position"),
    ):
        r = await platform.put("/v1/directory/people/sq-ruhe-zhang", json=wrong, headers=auth("admin"))
        assert r.status_code == 422 and says in r.text, (wrong, r.text)
    # a new 中队长 for 汝河; the old one becomes 副中队长
    r = await platform.put("/v1/directory/people/sq-ruhe-zhang", json=zhang, headers=auth("admin"))
    assert r.status_code == 200, r.text
    r = await platform.put(
        "/v1/directory/people/sq-ruhe-leader",
        headers=auth("admin"),
        json={"name": "马超", "position": "副中队长", "role": "squad_leader", "squad_id": "sq-ruhe"},
    )
    assert r.status_code == 200, r.text
    ruhe = next(
        s for s in (await platform.get("/v1/directory", headers=DISPATCHER)).json()["squads"] if s["id"] == "sq-ruhe"
    )
    assert ruhe["escalation_chain"][0]["person_id"] == "sq-ruhe-zhang"
    assert {p["id"]: p["position"] for p in ruhe["people"]}["sq-ruhe-leader"] == "副中队长"

    # told once, by events: the squad's new leader, the people changed
    def directory_events():
        return [decode(r).data for r in platform.transport.records(Topics.directory)]

    told = await eventually(
        lambda: asyncio.sleep(0, directory_events()),
        lambda events: any(
            isinstance(e, SquadChanged) and e.squad_id == "sq-ruhe" and e.leader_name == "张伟" for e in events
        ),
        what="SquadChanged naming 张伟",
    )
    assert [e.position for e in told if isinstance(e, PersonChanged) and e.person_id == "sq-ruhe-zhang"] == ["中队长"]

    # reporting's squads know the leader; cases names the actor of a step
    async def reporting_leader():
        async with platform.dispatch.engine.connect() as conn:
            return await conn.scalar(text("SELECT leader_name FROM reporting.squads WHERE squad_id = 'sq-ruhe'"))

    await eventually(reporting_leader, lambda name: name == "张伟", what="reporting's 汝河中队 leader")

    incident = await _new_case(platform)
    a = await _assignment_for(platform, incident["case_id"], squad_id="sq-ruhe")
    await eventually(lambda: _case(platform, incident["case_id"]), lambda c: c["status"] == "dispatched")
    r = await platform.post(
        f"/v1/cases/{incident['case_id']}/suspend",
        json={"reason": "等待当事人到场"},
        headers=auth("squad_leader", "sq-ruhe-zhang", squad="sq-ruhe"),
    )
    assert r.status_code == 200, r.text
    trail = (await platform.get(f"/v1/cases/{incident['case_id']}/trail", headers=DISPATCHER)).json()
    assert [(e["actor"], e["actor_name"]) for e in trail if e["action"] == "suspend"] == [("sq-ruhe-zhang", "张伟")]
    r = await platform.post(
        f"/v1/cases/{incident['case_id']}/resume",
        json={},
        headers=auth("squad_leader", "sq-ruhe-zhang", squad="sq-ruhe"),
    )
    assert r.status_code == 200, r.text

    # the overdue case is told to the 中队长 the directory names now
    platform.clock._at = datetime.fromisoformat(a["deadline_at"]) + timedelta(minutes=1)
    for _ in range(3):  # the warning, then the first step up the chain
        await platform.dispatch.tick()
    escalated = await _published(platform, AssignmentEscalated, 1)
    overdue = [e for e in escalated if e.case_id == incident["case_id"] and e.kind == "overdue"]
    assert [(e.notify_role, e.notify_person_id, e.notify_person_name) for e in overdue] == [
        ("squad_leader", "sq-ruhe-zhang", "张伟")
    ]
