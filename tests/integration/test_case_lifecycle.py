"""The closed loop and the enforcement track through the HTTP API, on the real PostgreSQL (the
services in one process on the in-memory bus; the Kafka path is the backbone suite's)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from common.clock import FixedClock
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import (
    INCIDENT,
    MONITOR,
    SQUAD_LEADER,
    eventually,
    handle,
    handle_and_close,
    photo_bytes,
    register_merchant,
)

pytestmark = pytest.mark.integration
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DISPATCHER = auth("dispatcher", "dispatcher-1")
LEADER = auth(*SQUAD_LEADER)


@pytest.fixture
async def platform(database_url, tmp_path):
    transport = InMemoryTransport()
    clock = FixedClock(START)
    services = build_services(
        database_url, transport, clock=clock, relay_poll_interval_s=0.2, object_store_url=f"file:{tmp_path}/objects"
    )
    async with running(services, build_app(services)) as client:
        client.clock = clock
        yield client


async def _case(client, case_id):
    r = await client.get(f"/v1/cases/{case_id}", headers=DISPATCHER)
    assert r.status_code == 200, r.text
    return r.json()


async def _report(client, channel=None, **changes) -> dict:
    """An incident, and the case it becomes."""
    body = {**INCIDENT, **changes}
    who = auth("hotline_operator")
    if channel:
        body["channel"], who = channel, auth("external_system", "city-platform")
    r = await client.post("/v1/incidents", json=body, headers=who)
    assert r.status_code == 201, r.text
    incident_id = r.json()["id"]

    async def incident():
        return (await client.get(f"/v1/incidents/{incident_id}", headers=auth("hotline_operator"))).json()

    found = await eventually(incident, lambda i: i.get("case_id"), what="case opened")
    return await _case(client, found["case_id"])


async def _dispatched(client, **kw) -> dict:
    case = await _report(client, **kw)
    return await eventually(lambda: _case(client, case["id"]), lambda c: c["status"] == "dispatched", what="dispatch")


async def _post(client, case_id, step, body, headers=DISPATCHER, expect=200):
    r = await client.post(f"/v1/cases/{case_id}/{step}", json=body, headers=headers)
    assert r.status_code == expect, f"{step}: {r.status_code} {r.text}"
    return r.json()


async def _trail(client, case_id):
    return (await client.get(f"/v1/cases/{case_id}/trail", headers=DISPATCHER)).json()


async def test_a_citizen_report_is_verified_filed_dispatched_handled_reworked_checked_and_rated(platform):
    case = await _report(platform, channel="web")
    assert case["status"] == "reported"  # waits for a field monitor; dispatch does not route it yet
    r = await platform.post(f"/v1/cases/{case['id']}/handle", data={"outcome": "resolved"}, headers=LEADER)
    assert r.status_code == 404, r.text  # not with the squad yet
    await _post(platform, case["id"], "check", {"passed": True}, headers=auth(*MONITOR), expect=409)
    verified = await _post(
        platform, case["id"], "verify", {"confirmed": True, "note": "现场属实"}, headers=auth(*MONITOR)
    )
    assert verified["status"] == "verified"
    await _post(platform, case["id"], "file", {}, headers=auth(*MONITOR), expect=403)  # the command centre files
    assert (await _post(platform, case["id"], "file", {}))["status"] == "filed"
    case = await eventually(lambda: _case(platform, case["id"]), lambda c: c["status"] == "dispatched")
    assert case["squad"]["id"] == "sq-ruhe"

    r = await handle(platform, case["id"], after=0)
    assert r.status_code == 422 and "after photo" in r.json()["detail"]
    r = await platform.post(
        f"/v1/cases/{case['id']}/handle",
        data={"outcome": "resolved"},
        headers=LEADER,
        files=[
            ("before", ("b.jpg", photo_bytes(), "image/jpeg")),
            ("after", ("a.jpg", b"GIF89a not a photo", "image/jpeg")),
        ],
    )
    assert r.status_code == 422 and "after photo 1 (a.jpg) is not a JPEG, PNG or HEIC" in r.json()["detail"]
    assert (await _case(platform, case["id"]))["status"] == "dispatched"

    r = await handle(platform, case["id"], who=SQUAD_LEADER)
    assert r.status_code == 200 and r.json()["status"] == "handled" and r.json()["handled_by"] == "leader-ruhe"
    # 监管分离: the handler cannot check his own work, even holding a field monitor's token
    await _post(
        platform, case["id"], "check", {"passed": True}, headers=auth("field_monitor", "leader-ruhe"), expect=403
    )
    await _post(platform, case["id"], "check", {"passed": False}, headers=auth(*MONITOR), expect=422)  # no reason
    reworked = await _post(
        platform, case["id"], "check", {"passed": False, "reason": "摊位仍在原处"}, headers=auth(*MONITOR)
    )
    assert reworked["status"] == "dispatched" and reworked["rework_rounds"] == 1
    closed = await handle_and_close(platform, case["id"])
    assert closed["status"] == "closed" and closed["rework_rounds"] == 1

    rated = await _post(platform, case["id"], "evaluate", {"rating": "dissatisfied", "comment": "又回来了"})
    assert rated["status"] == "evaluated" and rated["rating"] == "dissatisfied"
    await _post(platform, case["id"], "reopen", {"reason": "x"}, headers=LEADER, expect=403)
    reopened = await _post(
        platform, case["id"], "reopen", {"reason": "市民不满意, 督查要求重新办理"}, headers=auth("supervisor", "sup-1")
    )
    assert reopened["status"] == "dispatched"

    trail = await _trail(platform, case["id"])
    assert [(e["action"], e["from_status"], e["to_status"]) for e in trail] == [
        ("open", None, "reported"),
        ("verify", "reported", "verified"),
        ("file", "verified", "filed"),
        ("dispatch", "filed", "dispatched"),
        ("handle", "dispatched", "handled"),
        ("rework", "handled", "dispatched"),
        ("handle", "dispatched", "handled"),
        ("check", "handled", "closed"),
        ("evaluate", "closed", "evaluated"),
        ("reopen", "evaluated", "dispatched"),
    ]
    assert trail[5]["reason"] == "摊位仍在原处" and trail[5]["actor"] == "monitor-3"
    after = [p for p in trail[4]["data"]["photos"] if p["kind"] == "after"][0]
    served = await platform.get(f"/v1/cases/{case['id']}/photos/{after['sha256']}", headers=DISPATCHER)
    assert served.status_code == 200 and hashlib.sha256(served.content).hexdigest() == after["sha256"]
    other = auth("squad_officer", "o-9", squad="sq-xushui")
    assert (await platform.get(f"/v1/cases/{case['id']}/photos/{after['sha256']}", headers=other)).status_code == 404
    verdict = (await platform.get(f"/v1/cases/{case['id']}/trail/verify", headers=DISPATCHER)).json()
    assert verdict["intact"] is True and verdict["entries"] == 10


async def test_not_filed_cancelled_suspended_and_refused_steps(platform):
    rejected = await _report(platform, channel="web")
    await _post(platform, rejected["id"], "reject", {}, expect=422)
    out = await _post(platform, rejected["id"], "reject", {"reason": "重复举报, 已有案卷"})
    assert out["status"] == "not_filed"
    r = await platform.post(f"/v1/cases/{rejected['id']}/file", json={}, headers=DISPATCHER)
    assert r.status_code == 409 and "cannot file a case that is not_filed" in r.json()["detail"]

    case = await _dispatched(platform)
    await _post(platform, case["id"], "resume", {}, expect=409)
    suspended = await _post(platform, case["id"], "suspend", {"reason": "等待规划部门认定"})
    assert suspended["status"] == "suspended"
    assert (await handle(platform, case["id"])).status_code == 409
    assert (await _post(platform, case["id"], "resume", {}, headers=LEADER))["status"] == "dispatched"
    await _post(platform, case["id"], "cancel", {"reason": "x"}, headers=LEADER, expect=403)
    assert (await _post(platform, case["id"], "cancel", {"reason": "举报人撤回, 现场无问题"}))["status"] == "cancelled"
    await _post(platform, case["id"], "teleport", {}, expect=422)
    await _post(platform, "no-such-case", "cancel", {"reason": "x"}, expect=404)


async def test_duplicates_merge_and_a_mixed_report_splits(platform):
    first, duplicate = await _dispatched(platform), await _dispatched(platform)
    await _post(platform, duplicate["id"], "merge", {"into_case_id": duplicate["id"], "reason": "x"}, expect=422)
    merged = await _post(platform, duplicate["id"], "merge", {"into_case_id": first["id"], "reason": "同一摊位"})
    assert merged["status"] == "merged" and merged["merged_into"] == first["id"]
    assert (await _trail(platform, first["id"]))[-1]["action"] == "merged_in"
    closed = await handle_and_close(platform, first["id"])
    third = await _dispatched(platform)
    await _post(platform, third["id"], "merge", {"into_case_id": closed["id"], "reason": "x"}, expect=409)

    mixed = await _dispatched(platform)
    parts = [
        {"category": "street_vending", "description": "占道经营", "location": {"lon": 113.62, "lat": 34.75}},
        {"category": "illegal_advertising", "description": "小广告", "location": {"lon": 113.53, "lat": 34.76}},
    ]
    await _post(platform, mixed["id"], "split", {"reason": "一条举报两个问题", "parts": parts[:1]}, expect=422)
    r = await platform.post(
        f"/v1/cases/{mixed['id']}/split", json={"reason": "一条举报两个问题", "parts": parts}, headers=DISPATCHER
    )
    assert r.status_code == 201, r.text
    children = r.json()
    assert [c["parent_case_id"] for c in children] == [mixed["id"]] * 2
    assert len({c["case_number"] for c in children} | {mixed["case_number"]}) == 3
    assert (await _case(platform, mixed["id"]))["status"] == "split"
    routed = [
        await eventually(lambda c=c: _case(platform, c["id"]), lambda x: x["status"] == "dispatched") for c in children
    ]
    assert {c["squad"]["id"] for c in routed} == {"sq-ruhe", "sq-xushui"}  # each part to its own grid's squad


async def test_the_enforcement_track_through_the_court_with_a_pdf_in_the_trail(platform):
    clerk = auth("ledger_clerk")
    m = await register_merchant(platform, "老王烧烤", 113.621, 34.751, "zy-ruhelu")
    elsewhere = await register_merchant(platform, "须水烩面", 113.53, 34.76, "zy-xushui", address="须水镇 1 号")
    assert m["squad_id"] == "sq-ruhe" and elsewhere["squad_id"] == "sq-xushui"
    case = await _dispatched(platform)
    cid = case["id"]
    step = lambda name, body, **kw: _post(platform, cid, f"enforcement/{name}", body, headers=LEADER, **kw)  # noqa: E731
    await _post(platform, cid, "enforcement/warn", {"party": "老王烧烤"}, headers=auth(*MONITOR), expect=403)
    # The squad names only a merchant the ledger holds, in the case's grid or its own area.
    for other, why in (("no-such-merchant", "not in the merchant ledger"), (elsewhere["id"], "outside case")):
        r = await eventually(
            lambda o=other: platform.post(
                f"/v1/cases/{cid}/enforcement/warn", headers=LEADER, json={"party": "某店", "merchant_id": o}
            ),
            lambda r, w=why: w in r.text,
            what=f"refused: {why}",
        )
        assert r.status_code == 422, r.text
    await eventually(
        lambda: platform.post(
            f"/v1/cases/{cid}/enforcement/warn",
            headers=LEADER,
            json={"party": "老王烧烤 (王某)", "merchant_id": m["id"]},
        ),
        lambda r: r.status_code == 200,
        what="the ledger's merchant known to cases",
    )
    await step("decide", {"decision_number": "x"}, expect=409)
    await step("notify", {"party": "老王烧烤 (王某)"}, expect=422)  # needs the power and the amount
    noticed = await step(
        "notify",
        {
            "party": "老王烧烤 (王某)",
            "merchant_id": m["id"],
            "amount_fen": 200_000,
            "power_code": "DQ-118-3",  # 露天烧烤, 大气污染防治法 art. 118(3)
            "band": "ordinary",
        },
    )
    assert noticed["hearing_request_until"].startswith("2026-03-07")
    # the approvals: the squad's certified officer proposes, the legal section reviews (¥2,000 for a
    # person is over the bureau's ¥1,000 line), the responsible leader signs off
    officer = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
    proposal = {"stage": "proposal", "decision": "approve", "opinion": "建议罚款二千元"}
    await eventually(
        lambda: platform.post(f"/v1/cases/{cid}/approvals", json=proposal, headers=officer),
        lambda r: r.status_code == 201,
        what="the officer's certificate known to cases",
    )
    for stage, who in (
        ("legal_review", auth("legal_officer", "legal-0001")),
        ("leader", auth("bureau_leader", "leader-0001")),
    ):
        await _post(
            platform,
            cid,
            "approvals",
            {"stage": stage, "decision": "approve", "opinion": "同意"},
            headers=who,
            expect=201,
        )
    r = await platform.post(
        f"/v1/cases/{cid}/enforcement/decide", json={"decision_number": "中城管罚决字〔2026〕第7号"}, headers=LEADER
    )
    assert r.status_code == 409 and "hearing" in r.json()["detail"]
    platform.clock.advance(timedelta(days=6))
    decided = await step("decide", {"decision_number": "中城管罚决字〔2026〕第7号"})
    assert decided["stage"] == "decided" and decided["payment_due"].startswith("2026-03-23")
    assert decided["lawsuit_until"].startswith("2026-09-08") and decided["court_eligible"] is False

    assert [d["kind"] for d in decided["documents"]] == ["penalty_notice", "penalty_decision"]
    doc = decided["documents"][-1]
    assert doc["signed"] is True and doc["number"] == "中城管罚决字〔2026〕第7号"
    pdf = await platform.get(doc["url"], headers=DISPATCHER)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == doc["sha256"]
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert (
        case["case_number"] in text and "¥2,000.00" in text and "老王烧烤 (王某)" in text and "第一百一十八条" in text
    )
    in_trail = [e for e in await _trail(platform, cid) if e["action"] == "enforcement.decide"][0]
    assert in_trail["data"]["document_sha256"] == doc["sha256"]

    merchant = await eventually(
        lambda: platform.get(f"/v1/merchants/{m['id']}", headers=clerk),
        lambda resp: resp.json()["colour"] == "orange",
        what="orange after the decision",
    )
    assert merchant.json()["colour"] == "orange"

    platform.clock.advance(timedelta(days=30))
    await step("apply_to_court", {}, expect=409)
    platform.clock.advance(timedelta(days=160))  # past the six months of the lawsuit period
    eligible = (await platform.get(f"/v1/cases/{cid}/enforcement", headers=LEADER)).json()
    assert eligible["court_eligible"] is True
    assert (await step("apply_to_court", {}))["stage"] == "court_applied"
    platform.clock.advance(timedelta(days=20))
    assert (await step("court_grants", {}))["stage"] == "court_ruled"
    enforced = await step("enforce", {})
    assert enforced["stage"] == "enforced" and enforced["collected_fen"] == 200_000

    seized = await platform.post(
        f"/v1/cases/{cid}/seizures",
        headers=LEADER,
        json={
            "items": [{"item": "烧烤炉", "quantity": 2}, {"item": "三轮车", "quantity": 1}],
            "place": "中原区暂扣物品仓库",
            "officers": ["sq-ruhe-o1", "sq-ruhe-o3"],
        },
    )
    assert seized.status_code == 201, seized.text
    await _post(platform, cid, f"seizures/{seized.json()['id']}/release", {"reason": ""}, headers=LEADER, expect=422)
    released = await _post(
        platform, cid, f"seizures/{seized.json()['id']}/release", {"reason": "当事人接受教育并考试合格"}, headers=LEADER
    )
    assert released["released_by"] == "leader-ruhe"
    await _post(
        platform, cid, f"seizures/{seized.json()['id']}/release", {"reason": "again"}, headers=LEADER, expect=409
    )
    merchant = await eventually(
        lambda: platform.get(f"/v1/merchants/{m['id']}", headers=clerk),
        lambda resp: resp.json()["colour"] == "red",
        what="red after enforcement",
    )

    month = (START + timedelta(days=216)).strftime("%Y-%m")
    report = await eventually(
        lambda: platform.get(f"/v1/reports/monthly?month={month}", headers=auth("supervisor")),
        lambda resp: resp.json()["fines_collected_fen"] == 200_000,
        what="fines collected in the monthly report",
    )
    assert report.json()["fines_collected_fen"] == 200_000
    verdict = (await platform.get(f"/v1/cases/{cid}/trail/verify", headers=DISPATCHER)).json()
    assert verdict["intact"] is True
