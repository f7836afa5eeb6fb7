"""Campaigns (专项整治) on the real PostgreSQL and Apache Kafka: a campaign over two grids and two
categories tags the cases that fall in it and only those (one reported before its launch too); its
operations, the field app's 劝导 in its area and its targets add up in its report and in the month's
circular; a 示范创建's section is accepted with photos; who may do what. And the register of illegal
buildings (违法建设), moved through its stages from its case and by the officers' records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pypdfium2
import pytest

from common.clock import FixedClock
from tests.conftest import auth
from tests.helpers import (
    INCIDENT,
    district_on_kafka,
    eventually,
    handle,
    handle_and_close,
    photo_bytes,
    register_merchant,
    report_dispatched,
)

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SUPERVISOR = auth("supervisor", "sup-0001")
DISPATCHER = auth("dispatcher", "dispatcher-1")
RUHE_LEADER = auth("squad_leader", "sq-ruhe-leader", "sq-ruhe")
XUSHUI_LEADER = auth("squad_leader", "sq-xushui-leader", "sq-xushui")
RUHE_OFFICER = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
ZHISHU = ("squad_leader", "sq-zhishu-leader", "sq-zhishu")
ZHISHU_LEADER = auth(*ZHISHU)
HOTLINE = auth("hotline_operator", "op-1")
IN_RUHE = {"lon": 113.61, "lat": 34.74}  # 汝河路网格
IN_JIANSHE = {"lon": 113.64, "lat": 34.74}  # 建设路网格
IN_LINSHAN = {"lon": 113.64, "lat": 34.76}  # 林山寨网格: outside the campaign
CAMPAIGN = {
    "name": "占道经营专项整治",
    "kind": "special",
    "starts_on": "2026-11-20",
    "ends_on": "2026-12-20",
    "categories": ["street_vending", "storefront_overflow"],
    "grids": ["zy-ruhelu", "zy-jianshelu"],
    "squads": ["sq-ruhe", "sq-jianshelu"],
    "partners": ["市场监管", "公安"],
    "targets": {"persuaded": 3, "cases": 3, "officer_trips": 50, "on_time_closing_rate": 0.9, "rework_rate": 0.1},
}


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    async with district_on_kafka(database_url, kafka, namespace, tmp_path, FixedClock(MONDAY_9AM)) as client:
        yield client


async def _report(client, category: str, where: dict) -> str:
    return await report_dispatched(client, category, where, HOTLINE)


async def _campaigns_of(client, case_id: str) -> list[str]:
    return (await client.get(f"/v1/cases/{case_id}", headers=DISPATCHER)).json()["campaigns"]


async def test_a_campaign_tags_its_cases_and_adds_up_its_work(district):
    before = await _report(district, "street_vending", IN_RUHE)  # reported before the launch

    # who may launch, and what a campaign must be
    assert (await district.post("/v1/campaigns", json=CAMPAIGN, headers=DISPATCHER)).status_code == 403
    for wrong, named in (
        ({"ends_on": "2026-11-01"}, "ends_on"),
        ({"targets": {"smiles": 3}}, "targets.smiles"),
        ({"targets": {"satisfaction_rate": 95}}, "between 0 and 1"),
        ({"kind": "festival"}, "kind"),
        ({"area": {"type": "Polygon", "coordinates": [[[113.6, 34.7], [113.7, 34.7], [113.7, 34.8]]]}}, "area"),
    ):
        r = await district.post("/v1/campaigns", json={**CAMPAIGN, **wrong}, headers=SUPERVISOR)
        assert r.status_code == 422 and named in r.text, (wrong, r.text)
    launched = await district.post("/v1/campaigns", json=CAMPAIGN, headers=SUPERVISOR)
    assert launched.status_code == 201, launched.text
    campaign = launched.json()
    cid = campaign["id"]
    assert (campaign["kind_name"], campaign["status"], campaign["version"]) == ("专项整治", "running", 1)
    assert await _campaigns_of(district, before) == [cid]  # the launch reached the case already open

    inside = [
        await _report(district, "street_vending", IN_JIANSHE),
        await _report(district, "storefront_overflow", IN_RUHE),
    ]
    outside = [await _report(district, "street_vending", IN_LINSHAN), await _report(district, "noise", IN_RUHE)]
    for case_id in inside:
        assert await _campaigns_of(district, case_id) == [cid]
    for case_id in outside:
        assert await _campaigns_of(district, case_id) == []
    listed = (await district.get(f"/v1/cases?campaign={cid}", headers=DISPATCHER)).json()
    assert sorted(c["id"] for c in listed) == sorted([before, *inside])
    await handle_and_close(district, inside[1])

    # operations: the squads taking part, their own; a day that has come; the campaign's own counts
    op = {
        "on": "2026-11-22",
        "place": "汝河路夜市",
        "office": "汝河路街道办事处",
        "officer_trips": 30,
        "vehicle_trips": 4,
        "partners": ["市场监管"],
        "counts": {"persuaded": 2, "banned": 1, "seized": 1},
    }
    assert (await district.post(f"/v1/campaigns/{cid}/operations", json=op, headers=XUSHUI_LEADER)).status_code in (
        403,
        404,
    )
    r = await district.post(f"/v1/campaigns/{cid}/operations", json={**op, "on": "2026-11-30"}, headers=RUHE_LEADER)
    assert r.status_code == 422 and "has not come" in r.text
    r = await district.post(f"/v1/campaigns/{cid}/operations", json={**op, "counts": {"hugs": 1}}, headers=RUHE_LEADER)
    assert r.status_code == 422 and "counts.hugs" in r.text
    files = [("photos", (f"p{i}.jpg", photo_bytes((40 * i, 90, 90)), "image/jpeg")) for i in range(2)]
    r = await district.post(
        f"/v1/campaigns/{cid}/operations",
        data={"operation": json.dumps(op, ensure_ascii=False)},
        files=files,
        headers=RUHE_LEADER,
    )
    assert r.status_code == 201, r.text
    recorded = r.json()
    assert recorded["squad_id"] == "sq-ruhe" and len(recorded["photos"]) == 2
    photo = await district.get(f"/v1/campaigns/{cid}/photos/{recorded['photos'][0]}", headers=DISPATCHER)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    r = await district.post(
        f"/v1/campaigns/{cid}/operations",
        json={
            **op,
            "on": "2026-11-23",
            "place": "建设路",
            "squad_id": "sq-jianshelu",
            "officer_trips": 25,
            "vehicle_trips": 2,
            "office": None,
            "counts": {"destroyed": 3},
        },
        headers=DISPATCHER,
    )
    assert r.status_code == 201, r.text

    # a 劝导 on the field app in the campaign's area counts in it; one outside does not
    shop = await register_merchant(district, "路边水果摊", IN_RUHE["lon"], IN_RUHE["lat"], "zy-ruhelu")
    for category in ("street_vending", "noise"):
        r = await district.post(
            f"/v1/merchants/{shop['id']}/persuasions",
            data={"category": category, "lon": str(IN_RUHE["lon"]), "lat": str(IN_RUHE["lat"])},
            headers=RUHE_OFFICER,
        )
        assert r.status_code == 201, r.text

    async def report():
        return (await district.get(f"/v1/reports/campaigns/{cid}", headers=SUPERVISOR)).json()

    figures = await eventually(
        report,
        lambda f: f.get("cases") == 3 and f["achieved"]["persuaded"] == 3 and f["achieved"]["operations"] == 2,
        timeout_s=30,
        what="the campaign's figures",
    )
    assert figures["achieved"] == {
        "persuaded": 3,
        "banned": 1,
        "seized": 1,
        "destroyed": 3,
        "demolished_m2": 0,
        "filed": 0,
        "operations": 2,
        "officer_trips": 55,
        "vehicle_trips": 6,
        "cases": 3,
        "sections_accepted": 0,
    }
    targets = {t["name"]: t for t in figures["targets"]}
    assert (targets["persuaded"]["met"], targets["cases"]["met"], targets["officer_trips"]["met"]) == (True,) * 3
    assert targets["on_time_closing_rate"]["kind"] == "rate" and targets["on_time_closing_rate"]["achieved"] == 1.0
    assert targets["on_time_closing_rate"]["met"] is True
    assert figures["indicators"]["closed"] == 1
    squads = {s["squad_id"]: s for s in figures["by_squad"]}
    assert squads["sq-ruhe"]["cases"] == 2 and squads["sq-ruhe"]["officer_trips"] == 30
    assert squads["sq-ruhe"]["persuaded_on_app"] == 1 and squads["sq-jianshelu"]["cases"] == 1
    offices = {o["office"]: o for o in figures["by_office"]}
    assert offices["汝河路街道办事处"]["operations"] == 1
    days = {d["day"]: d for d in figures["days"]}
    assert days["2026-11-22"]["officer_trips"] == 30 and days["2026-11-23"]["cases"] == 3
    # a squad leader whose squad takes no part does not see it
    assert (await district.get(f"/v1/reports/campaigns/{cid}", headers=XUSHUI_LEADER)).status_code == 404
    assert (await district.get(f"/v1/campaigns/{cid}", headers=XUSHUI_LEADER)).status_code == 404

    # the month's circular has the campaign's section, in HTML and PDF
    page = await district.get("/v1/reports/circular?month=2026-11", headers=SUPERVISOR)
    assert page.status_code == 200
    assert "八、专项整治" in page.text and "占道经营专项整治(专项整治" in page.text
    assert "出动 55 人次、6 车次" in page.text and "劝导 3/3(已完成)" in page.text
    pdf = await district.get("/v1/reports/circular.pdf?month=2026-11", headers=SUPERVISOR)
    text = "".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(pdf.content))
    assert "八、专项整治" in text and "占道经营专项整治" in text

    # a change reaches the cases: without 建设路网格, its case leaves the campaign
    stale = await district.patch(
        f"/v1/campaigns/{cid}", json={"version": 0, "grids": ["zy-ruhelu"]}, headers=SUPERVISOR
    )
    assert stale.status_code == 409
    emptied = await district.patch(f"/v1/campaigns/{cid}", json={"version": 1, "ends_on": None}, headers=SUPERVISOR)
    assert emptied.status_code == 422 and "ends_on" in emptied.text
    changed = await district.patch(
        f"/v1/campaigns/{cid}", json={"version": 1, "grids": ["zy-ruhelu"]}, headers=SUPERVISOR
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert await _campaigns_of(district, inside[0]) == []
    await eventually(report, lambda f: f.get("cases") == 2, timeout_s=30, what="the campaign's cases after the change")

    # closed: no case falls in it from now on, and no operation is recorded
    closed = await district.post(f"/v1/campaigns/{cid}/close", json={"summary": "取缔占道 1 处"}, headers=SUPERVISOR)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    after = await _report(district, "street_vending", IN_RUHE)
    assert await _campaigns_of(district, after) == []
    r = await district.post(f"/v1/campaigns/{cid}/operations", json=op, headers=RUHE_LEADER)
    assert r.status_code == 422 and "closed" in r.text


async def test_a_model_street_is_accepted_section_by_section(district):
    model = {
        "name": "中原路示范街创建",
        "kind": "model",
        "starts_on": "2026-11-01",
        "ends_on": "2027-03-31",
        "streets": ["中原路"],
        "categories": [],
        "targets": {"sections_accepted": 2},
    }
    cid = (await district.post("/v1/campaigns", json=model, headers=SUPERVISOR)).json()["id"]
    joint = (
        await district.post("/v1/campaigns", json={**model, "kind": "joint", "name": "联合行动"}, headers=SUPERVISOR)
    ).json()["id"]
    section = {
        "name": "中原路(桐柏路至嵩山路)",
        "phase": 1,
        "standard": "无占道、无乱堆",
        "starts_on": "2026-11-01",
        "ends_on": "2026-12-31",
    }
    r = await district.post(f"/v1/campaigns/{joint}/sections", json=section, headers=SUPERVISOR)
    assert r.status_code == 422 and "sections" in r.text
    assert (await district.post(f"/v1/campaigns/{cid}/sections", json=section, headers=DISPATCHER)).status_code == 403
    first = (await district.post(f"/v1/campaigns/{cid}/sections", json=section, headers=SUPERVISOR)).json()
    second = (
        await district.post(f"/v1/campaigns/{cid}/sections", json={**section, "phase": 2}, headers=SUPERVISOR)
    ).json()
    failed = await district.post(
        f"/v1/campaigns/{cid}/sections/{first['section_id']}/acceptance", json={"passed": False}, headers=SUPERVISOR
    )
    assert failed.status_code == 200 and failed.json()["accepted"] is False
    passed = await district.post(
        f"/v1/campaigns/{cid}/sections/{first['section_id']}/acceptance",
        data={"acceptance": json.dumps({"passed": True})},
        files=[("photos", ("a.jpg", photo_bytes(), "image/jpeg"))],
        headers=SUPERVISOR,
    )
    assert passed.status_code == 200 and passed.json()["accepted"] is True and len(passed.json()["photo_ids"]) == 1
    again = await district.post(
        f"/v1/campaigns/{cid}/sections/{first['section_id']}/acceptance", json={"passed": True}, headers=SUPERVISOR
    )
    assert again.status_code == 409
    # a case on the named street falls in it, whatever its category
    r = await district.post(
        "/v1/incidents",
        json={**INCIDENT, "category": "noise", "address": "中原路 100 号", "location": IN_RUHE},
        headers=HOTLINE,
    )
    assert r.status_code == 201, r.text

    async def report():
        return (await district.get(f"/v1/reports/campaigns/{cid}", headers=SUPERVISOR)).json()

    figures = await eventually(
        report, lambda f: f.get("cases") == 1 and f["achieved"]["sections_accepted"] == 1, timeout_s=30, what="model"
    )
    target = figures["targets"][0]
    assert (target["name"], target["achieved"], target["met"], target["share"]) == ("sections_accepted", 1, False, 0.5)
    assert [s["accepted"] for s in figures["sections"]] == [True, None]
    assert second["phase"] == 2
    assert (await district.get("/v1/campaigns?on=2027-01-15", headers=DISPATCHER)).json()[0]["id"] in (cid, joint)
    everyone = await district.get("/v1/campaigns", headers=RUHE_OFFICER)
    assert {c["id"] for c in everyone.json()} == {cid, joint}  # no squads named: every squad takes part


async def test_an_illegal_building_moves_through_its_stages_from_its_case(district):
    case_id = await _report(district, "illegal_construction", IN_RUHE)

    async def entry():
        rows = (await district.get("/v1/illegal-buildings?office=汝河路街道办事处", headers=DISPATCHER)).json()
        return [b for b in rows if b["case_id"] == case_id]

    found = (await eventually(entry, bool, timeout_s=30, what="the register's entry"))[0]
    assert (found["stage"], found["stage_name"], found["squad_id"], found["grid_id"]) == (
        "found",
        "发现",
        "sq-zhishu",  # 违建 goes to the directly-run squad by the rules; the grid's office is its 办事处
        "zy-ruhelu",
    )
    bid = found["id"]
    other = auth("squad_officer", "sq-xushui-o1", "sq-xushui")
    assert (await district.get(f"/v1/illegal-buildings/{bid}", headers=other)).status_code == 404
    assert (await district.get("/v1/illegal-buildings", headers=other)).json() == []

    # the case's steps move it: 处置 is 制止, the warning 责令停止
    assert (await handle(district, case_id, who=ZHISHU)).status_code == 200
    warned = await district.post(
        f"/v1/cases/{case_id}/enforcement/warn", headers=ZHISHU_LEADER, json={"party": "某村民"}
    )
    assert warned.status_code == 200, warned.text
    b = (await district.get(f"/v1/illegal-buildings/{bid}", headers=ZHISHU_LEADER)).json()
    assert b["stage"] == "ordered_to_stop" and set(b["stages"]) == {"found", "stopped", "ordered_to_stop"}

    # the officers record the rest, forward only; a demolition records what was pulled down
    back = await district.post(f"/v1/illegal-buildings/{bid}/stages", json={"stage": "stopped"}, headers=ZHISHU_LEADER)
    assert back.status_code == 422 and "not a step forward" in back.text
    ordered = await district.post(
        f"/v1/illegal-buildings/{bid}/stages",
        json={"stage": "demolition_ordered", "area_m2": 150},
        headers=ZHISHU_LEADER,
    )
    assert ordered.status_code == 200 and ordered.json()["area_m2"] == 150
    too_much = await district.post(
        f"/v1/illegal-buildings/{bid}/stages", json={"stage": "demolished", "demolished_m2": 151}, headers=ZHISHU_LEADER
    )
    assert too_much.status_code == 422 and "more than" in too_much.text
    pulled = await district.post(
        f"/v1/illegal-buildings/{bid}/stages",
        data={"stage": json.dumps({"stage": "demolished", "demolished_m2": 120.5, "note": "强制拆除"})},
        files=[("photos", ("d.jpg", photo_bytes(), "image/jpeg"))],
        headers=ZHISHU_LEADER,
    )
    assert pulled.status_code == 200, pulled.text
    assert pulled.json()["stage_name"] == "强制拆除" and len(pulled.json()["stages"]["demolished"]["photos"]) == 1
    sha = pulled.json()["stages"]["demolished"]["photos"][0]
    assert (await district.get(f"/v1/illegal-buildings/{bid}/photos/{sha}", headers=DISPATCHER)).status_code == 200
    ended = await district.post(
        f"/v1/illegal-buildings/{bid}/stages", json={"stage": "legalised"}, headers=ZHISHU_LEADER
    )
    assert ended.status_code == 422 and "closed" in ended.text

    async def figures():
        r = await district.get("/v1/reports/illegal-buildings?period=month&at=2026-11", headers=SUPERVISOR)
        return r.json()

    seen = await eventually(figures, lambda f: f["total"]["demolished"] == 1, timeout_s=30, what="the figures")
    office = {o["office"]: o for o in seen["by_office"]}["汝河路街道办事处"]
    assert (office["found"], office["stopped"], office["ordered"], office["demolished"]) == (1, 1, 1, 1)
    assert (office["demolished_m2"], office["open"]) == (120.5, 0)
