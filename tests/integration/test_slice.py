"""The thin slice through all five services, in one process on the in-memory bus and the real
PostgreSQL: a hotline call becomes a case dispatched to the squad of its grid."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import text

from common.clock import BEIJING
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import (
    INCIDENT,
    MID_MONTH_MORNING,
    ShiftedClock,
    eventually,
    handle,
    handle_and_close,
    register_merchant,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def platform(database_url, tmp_path):
    transport = InMemoryTransport()
    services = build_services(
        database_url,
        transport,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        clock=ShiftedClock(MID_MONTH_MORNING),  # the same hour of the same day, whenever the suite runs
    )
    app = build_app(services)
    async with running(services, app) as client:
        client.transport_ = transport
        client.services = {s.name: s for s in services}
        yield client


async def _incident(client, incident_id, role="hotline_operator"):
    r = await client.get(f"/v1/incidents/{incident_id}", headers=auth(role))
    assert r.status_code == 200, r.text
    return r.json()


async def test_hotline_call_is_dispatched_to_the_squad_of_its_grid(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator", "op-7"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "received" and created["channel"] == "hotline_12319"
    assert created["caller"]["phone"] == "138****5678"

    incident = await eventually(
        lambda: _incident(platform, created["id"]), lambda i: i["status"] == "dispatched", what="dispatch"
    )
    assert incident["squad"] == {"id": "sq-ruhe", "name": "汝河中队"}
    assert incident["case_id"] and incident["case_number"].startswith("410102-")

    case = (await platform.get(f"/v1/cases/{incident['case_id']}", headers=auth("dispatcher"))).json()
    assert case["status"] == "dispatched" and case["squad"]["id"] == "sq-ruhe"
    assert case["incident_id"] == created["id"]


async def test_no_phone_number_leaves_intake(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = await eventually(
        lambda: _incident(platform, r.json()["id"]), lambda i: i["status"] == "dispatched", what="dispatch"
    )
    assert incident["caller"]["phone"] == "138****5678"
    published = [
        rec
        for topic in ("intake.incidents", "cases.cases", "dispatch.assignments")
        for rec in platform.transport_.records(topic)
    ]
    assert len(published) >= 4
    for rec in published:
        assert b"13812345678" not in rec.value
        assert all(b"13812345678" not in v for _, v in rec.headers)
    reported = json.loads(platform.transport_.records("intake.incidents")[-1].value)
    assert reported["caller_phone_masked"] == "138****5678"
    # other services' tables hold no phone either
    engine = platform.services["cases"].engine
    async with engine.connect() as conn:
        for schema in ("cases", "dispatch", "reporting", "ledger"):
            rows = (await conn.execute(text(f"SELECT value FROM {schema}.outbox"))).scalars().all()
            assert all(b"13812345678" not in bytes(v) for v in rows)


async def test_unknown_category_is_accepted_and_flagged(platform):
    body = {**INCIDENT, "category": "no_such_category"}
    r = await platform.post("/v1/incidents", json=body, headers=auth("hotline_operator"))
    assert r.status_code == 201, r.text
    assert r.json()["flags"] == ["unknown_category"] and r.json()["category_known"] is False
    incident = await eventually(
        lambda: _incident(platform, r.json()["id"]), lambda i: i["status"] == "dispatched", what="dispatch"
    )
    assert "unknown_category" in incident["flags"]


async def test_location_outside_every_grid_goes_to_the_command_centre(platform):
    body = {**INCIDENT, "location": {"lon": 116.40, "lat": 39.90}}  # Beijing: no grid of ours
    r = await platform.post("/v1/incidents", json=body, headers=auth("hotline_operator"))
    assert r.status_code == 201
    incident = await eventually(
        lambda: _incident(platform, r.json()["id"]), lambda i: i["status"] == "awaiting_command_centre", what="flagging"
    )
    assert "outside_grid" in incident["flags"] and incident["squad"] is None
    case = (await platform.get(f"/v1/cases/{incident['case_id']}", headers=auth("dispatcher"))).json()
    assert case["status"] == "awaiting_command_centre"


async def test_validation_errors_name_the_fields(platform):
    body = {
        "category": "",
        "location": {"lon": 200, "lat": 34.75},
        "description": "x",
        "caller": {"phone": "not a phone"},
    }
    r = await platform.post("/v1/incidents", json=body, headers=auth("hotline_operator"))
    assert r.status_code == 422
    locs = {tuple(e["loc"]) for e in r.json()["detail"]}
    assert ("body", "category") in locs
    assert ("body", "location", "lon") in locs
    assert ("body", "caller", "phone") in locs
    r = await platform.post(
        "/v1/incidents", json={"location": {"lon": 113.6, "lat": 34.7}}, headers=auth("hotline_operator")
    )
    assert {tuple(e["loc"]) for e in r.json()["detail"]} >= {("body", "category"), ("body", "description")}


async def test_authentication_and_roles(platform):
    assert (await platform.post("/v1/incidents", json=INCIDENT)).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await platform.get("/v1/categories", headers=bad)).status_code == 401
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("ledger_clerk"))
    assert r.status_code == 403 and "ledger_clerk" in r.json()["detail"]
    assert (await platform.get("/healthz")).status_code == 200
    assert (await platform.get("/metrics")).status_code == 200
    ready = await platform.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["intake"] == {"database": True, "broker": True}


async def test_a_squad_sees_only_its_own_cases(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = await eventually(
        lambda: _incident(platform, r.json()["id"]), lambda i: i["status"] == "dispatched", what="dispatch"
    )
    case_id = incident["case_id"]
    own = auth("squad_officer", "officer-1", squad="sq-ruhe")
    other = auth("squad_officer", "officer-2", squad="sq-xushui")
    assert (await platform.get(f"/v1/cases/{case_id}", headers=own)).status_code == 200
    assert (await platform.get(f"/v1/cases/{case_id}", headers=other)).status_code == 404
    assert (await platform.get(f"/v1/incidents/{incident['id']}", headers=other)).status_code == 404
    listed = (await platform.get("/v1/cases", headers=other)).json()
    assert case_id not in {c["id"] for c in listed}
    # and a leader of another squad cannot handle it
    r = await handle(platform, case_id, who=("squad_leader", "leader-2", "sq-xushui"))
    assert r.status_code == 404


async def test_categories_and_grids_contracts(platform):
    cats = (await platform.get("/v1/categories", headers=auth("hotline_operator"))).json()
    codes = {c["code"] for c in cats}
    assert {"street_vending", "construction_waste", "illegal_construction"} <= codes
    grids = (await platform.get("/v1/grids", headers=auth("dispatcher"))).json()
    assert grids["type"] == "FeatureCollection" and len(grids["features"]) >= 5
    names = {f["properties"]["squad_name"] for f in grids["features"]}
    assert "汝河中队" in names
    assert all(f["properties"]["squad_id"] and f["geometry"]["type"] == "Polygon" for f in grids["features"])


async def test_closing_violations_moves_the_merchant_colour(platform):
    clerk = auth("ledger_clerk")
    m = await register_merchant(platform, "老王烧烤", 113.621, 34.751, "zy-ruhelu")
    assert m["colour"] == "blue"
    colours = []
    for _ in range(3):
        r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
        incident = await eventually(
            lambda: _incident(platform, r.json()["id"]), lambda i: i["status"] == "dispatched", what="dispatch"
        )
        closed = await handle_and_close(platform, incident["case_id"], "violation", m["id"])
        assert closed["status"] == "closed"
        again = await platform.post(
            f"/v1/cases/{incident['case_id']}/check", json={"passed": True}, headers=auth("field_monitor", "monitor-4")
        )
        assert again.status_code == 409
        expected = ["yellow", "orange", "red"][len(colours)]
        merchant = await eventually(
            lambda: platform.get(f"/v1/merchants/{m['id']}", headers=clerk),
            lambda resp: resp.json()["colour"] == expected,
            what=f"colour {expected}",
        )
        colours.append(merchant.json()["colour"])
    assert colours == ["yellow", "orange", "red"]
    closed_incident = await _incident(platform, incident["id"])
    assert closed_incident["status"] == "closed"


async def test_reporting_counts_from_events(platform):
    ids = []
    for loc in ({"lon": 113.62, "lat": 34.75}, {"lon": 113.62, "lat": 34.74}, {"lon": 113.53, "lat": 34.76}):
        r = await platform.post("/v1/incidents", json={**INCIDENT, "location": loc}, headers=auth("hotline_operator"))
        ids.append(r.json()["id"])
    for i in ids:
        await eventually(lambda: _incident(platform, i), lambda x: x["status"] == "dispatched", what="dispatch")

    async def counts():
        return (await platform.get("/v1/reports/counts", headers=auth("supervisor"))).json()

    rows = await eventually(counts, lambda rows: sum(r["dispatched"] for r in rows) == 3, what="report")
    by_squad = {(r["squad_id"], r["category"]): r for r in rows}
    assert by_squad[("sq-ruhe", "street_vending")]["dispatched"] == 2
    assert by_squad[("sq-ruhe", "street_vending")]["received"] == 2
    assert by_squad[("sq-xushui", "street_vending")]["dispatched"] == 1


async def test_data_survives_a_restart(database_url):
    transport = InMemoryTransport()
    services = build_services(database_url, transport)
    async with running(services, build_app(services)) as client:
        r = await client.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
        await eventually(lambda: _incident(client, r.json()["id"]), lambda i: i["status"] == "dispatched")
    services = build_services(database_url, InMemoryTransport())
    async with running(services, build_app(services)) as client:
        incident = await _incident(client, r.json()["id"])
        assert incident["status"] == "dispatched" and incident["squad"]["name"] == "汝河中队"


async def test_a_retried_post_with_the_same_idempotency_key_returns_the_same_incident(platform):
    headers = {**auth("hotline_operator", "op-9"), "Idempotency-Key": "call-2026-0001"}
    first = await platform.post("/v1/incidents", json=INCIDENT, headers=headers)
    again = await platform.post("/v1/incidents", json=INCIDENT, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    other = await platform.post("/v1/incidents", json={**INCIDENT, "description": "另一件事"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    # the key is the caller's own: another operator's same key is another request
    mine = await platform.post(
        "/v1/incidents",
        json=INCIDENT,
        headers={**auth("hotline_operator", "op-10"), "Idempotency-Key": "call-2026-0001"},
    )
    assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]
    listed = (await platform.get("/v1/incidents?limit=500", headers=auth("dispatcher"))).json()
    assert sum(1 for i in listed if i["id"] == first.json()["id"]) == 1
    reported = [r for r in platform.transport_.records("intake.incidents") if first.json()["id"].encode() == r.key]
    assert len(reported) == 1


async def test_concurrent_retries_with_one_key_make_one_incident(platform):
    import asyncio

    headers = {**auth("hotline_operator", "op-11"), "Idempotency-Key": "burst-1"}
    responses = await asyncio.gather(
        *(platform.post("/v1/incidents", json=INCIDENT, headers=headers) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1


async def test_monthly_report_and_a_rebuild_from_the_topics_agree(platform):
    ids = []
    for loc in ({"lon": 113.62, "lat": 34.75}, {"lon": 113.53, "lat": 34.76}):
        r = await platform.post("/v1/incidents", json={**INCIDENT, "location": loc}, headers=auth("hotline_operator"))
        ids.append(r.json()["id"])
    incidents = [await eventually(lambda: _incident(platform, i), lambda x: x["status"] == "dispatched") for i in ids]
    await handle_and_close(platform, incidents[0]["case_id"], "violation")
    # the bureau's month is Beijing's: from 16:00 UTC on a month's last day it is already the next one
    month = datetime.fromisoformat(incidents[0]["reported_at"]).astimezone(BEIJING).strftime("%Y-%m")

    async def report():
        return (await platform.get(f"/v1/reports/monthly?month={month}", headers=auth("supervisor"))).json()

    before = await eventually(report, lambda r: r["closed"] == 1, what="monthly report")
    assert (before["received"], before["dispatched"], before["violations"]) == (2, 2, 1)
    ruhe = [r for r in before["rows"] if r["squad_id"] == "sq-ruhe"]
    assert ruhe and ruhe[0]["squad_name"] == "汝河中队" and ruhe[0]["dispatched"] == 1 and ruhe[0]["closed"] == 1

    assert (await platform.post("/v1/reports/rebuild", headers=auth("supervisor"))).status_code == 403
    r = await platform.post("/v1/reports/rebuild", headers=auth("admin"))
    assert r.status_code == 202 and r.json()["generation"] == 1
    after = await eventually(report, lambda rep: rep["closed"] == 1, what="rebuilt report")
    assert after == before
    status = (await platform.get("/v1/reports/rebuild", headers=auth("admin"))).json()
    assert status["generation"] == 1 and status["events_applied"] >= 7

    bad = await platform.get("/v1/reports/monthly?month=2026-13", headers=auth("supervisor"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "month"]


async def test_the_case_trail_is_append_only_and_tampering_is_caught(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = await eventually(lambda: _incident(platform, r.json()["id"]), lambda i: i["status"] == "dispatched")
    case_id = incident["case_id"]
    await handle_and_close(platform, case_id)
    trail = (await platform.get(f"/v1/cases/{case_id}/trail", headers=auth("dispatcher"))).json()
    assert [e["action"] for e in trail] == ["open", "dispatch", "handle", "check"]
    assert trail[2]["actor"] == "leader-ruhe" and trail[1]["prev_hash"] == trail[0]["hash"]
    assert {p["kind"] for p in trail[2]["data"]["photos"]} == {"before", "after"}
    assert all(len(p["sha256"]) == 64 for p in trail[2]["data"]["photos"])
    verdict = (await platform.get(f"/v1/cases/{case_id}/trail/verify", headers=auth("supervisor"))).json()
    assert verdict == {"intact": True, "entries": 4, "first_broken_seq": None, "reason": None}
    other_squad = auth("squad_officer", "o-9", squad="sq-xushui")
    assert (await platform.get(f"/v1/cases/{case_id}/trail", headers=other_squad)).status_code == 404

    engine = platform.services["cases"].engine
    async with engine.connect() as conn:
        with pytest.raises(Exception, match="append-only"):
            await conn.execute(text("UPDATE cases.case_trail SET reason = 'x' WHERE case_id = :c"), {"c": case_id})
        await conn.rollback()
        # someone with the database owner's rights switches the trigger off and rewrites history
        await conn.execute(text("SET session_replication_role = replica"))
        await conn.execute(
            text('UPDATE cases.case_trail SET data = \'{"squad_id": "sq-xushui"}\' WHERE case_id = :c AND seq = 2'),
            {"c": case_id},
        )
        await conn.commit()
    verdict = (await platform.get(f"/v1/cases/{case_id}/trail/verify", headers=auth("supervisor"))).json()
    assert verdict["intact"] is False and verdict["first_broken_seq"] == 2


async def test_a_phone_number_typed_into_the_description_is_not_published(platform):
    body = {**INCIDENT, "description": "占道经营, 摊主电话 13987654321, 请尽快处理"}
    r = await platform.post("/v1/incidents", json=body, headers=auth("hotline_operator"))
    assert r.status_code == 201, r.text
    await eventually(lambda: _incident(platform, r.json()["id"]), lambda i: i["status"] == "dispatched")
    published = [
        rec
        for topic in ("intake.incidents", "cases.cases", "dispatch.assignments")
        for rec in platform.transport_.records(topic)
    ]
    descriptions = [json.loads(rec.value).get("description") for rec in published]
    assert "占道经营, 摊主电话 139****4321, 请尽快处理" in descriptions
    assert all(b"13987654321" not in rec.value for rec in published)
