"""The legal dossier of a penalty case, on the real PostgreSQL and Apache Kafka: the 权责清单 and its
discretion bands, the approvals a decision needs (承办人意见, 法制审核, 集体讨论, 负责人审批), certified
officers at every investigation step, the 90 days from 立案, the summary procedure, and the documents
each step leaves: numbered, sealed for the party (the development PAdES adapter, the seal
platform's fake, and the OFD sidecar with its SM2 seal), checked, and bound into the 卷宗."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

from cases.adapters.official import SealSpot
from cases.adapters.sealing import OfdSidecarSealer
from common.clock import FixedClock
from devstack.ofd_sealer import LocalOfdSealer
from devstack.ports import free_port
from tests.conftest import auth
from tests.fake_seal_platform import PLATFORM_SIGNER, seal_platform
from tests.helpers import district_on_kafka, eventually, report_dispatched, served

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
IN_RUHE = {"lon": 113.61, "lat": 34.74}  # 汝河路网格: 汝河中队
OFFICER = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")  # 朱婷, 执法证 until 2029
LEADER = auth("squad_leader", "sq-ruhe-leader", "sq-ruhe")
LEGAL = auth("legal_officer", "legal-0001")  # 冯静, 法律职业资格
BUREAU = auth("bureau_leader", "leader-0001")
ADMIN = auth("admin", "admin")
PRESENT = ["sq-ruhe-o1", "sq-ruhe-o2"]


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    async with district_on_kafka(database_url, kafka, namespace, tmp_path, FixedClock(MONDAY_9AM)) as client:
        yield client


async def _post(client, path: str, body: dict, headers: dict, expect: int = 200) -> dict:
    r = await client.post(path, json=body, headers=headers)
    assert r.status_code == expect, f"{path}: {r.status_code} {r.text}"
    return r.json()


async def _known(client, person_id: str, check) -> None:
    """Wait until cases holds the directory's record of a person as `check` wants it."""

    async def read():
        async with client.services["cases"].session_factory() as session:
            from cases.tables import KnownPerson

            return await session.get(KnownPerson, person_id)

    await eventually(read, lambda p: p is not None and check(p), timeout_s=30, what=f"{person_id} known to cases")


async def test_the_powers_are_seeded_and_kept_by_the_legal_section(district):
    powers = {p["code"]: p for p in (await district.get("/v1/powers", headers=OFFICER)).json()}
    bbq = powers["DQ-118-3"]
    law = "《中华人民共和国大气污染防治法》"
    assert bbq["cited"] == f"违反{law}第八十一条第三款, 依据{law}第一百一十八条第三款"
    assert {(b["level"], b["min_fen"], b["max_fen"]) for b in bbq["bands"]} >= {("ordinary", 50_000, 200_000)}
    assert powers["GH-64"]["major"] is True and powers["GH-64"]["bands"][0]["min_pct"] == 5
    fumes = (await district.get("/v1/powers?category=cooking_fumes", headers=OFFICER)).json()
    assert [p["code"] for p in fumes] == ["DQ-118-1"]

    changed = {**{k: bbq[k] for k in ("name", "violation", "basis", "prohibition", "categories", "major")}}
    changed["bands"] = [{"level": "ordinary", "facts": "首次", "min_fen": 50_000, "max_fen": 100_000}]
    assert (await district.put("/v1/powers/DQ-118-3", json=changed, headers=LEADER)).status_code == 403
    upside_down = {**changed, "bands": [{"level": "ordinary", "facts": "x", "min_fen": 9, "max_fen": 1}]}
    r = await district.put("/v1/powers/DQ-118-3", json=upside_down, headers=LEGAL)
    assert r.status_code == 422 and "above its upper" in r.text
    twice = {**changed, "bands": [changed["bands"][0], changed["bands"][0]]}
    assert "given twice" in (await district.put("/v1/powers/DQ-118-3", json=twice, headers=LEGAL)).text
    kept = await _post_put(district, "/v1/powers/DQ-118-3", changed)
    assert kept["version"] == 2 and kept["updated_by"] == "legal-0001" and len(kept["bands"]) == 1
    # the seed is an initial load: a restart does not put the bureau's edit back
    await district.services["cases"].on_started()
    again = (await district.get("/v1/powers/DQ-118-3", headers=OFFICER)).json()
    assert again["version"] == 2 and again["bands"][0]["max_fen"] == 100_000


async def _post_put(client, path: str, body: dict) -> dict:
    r = await client.put(path, json=body, headers=LEGAL)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_decision_waits_for_its_approvals_and_keeps_to_its_band(district):
    case_id = await report_dispatched(district, "open_air_barbecue", IN_RUHE, auth("hotline_operator"))
    base = f"/v1/cases/{case_id}"
    await _known(district, "sq-ruhe-o1", lambda p: p.certificate_number is not None)
    await _known(district, "legal-0001", lambda p: p.legal_qualified)
    opened = await _post(district, f"{base}/enforcement/open", {"party": "王某", "power_code": "DQ-118-3"}, OFFICER)
    assert opened["stage"] == "opened" and opened["decision_due"].startswith("2027-02-21")
    assert "第一百一十八条第三款" in opened["legal_basis"]

    party = {"party": "王某", "party_kind": "person", "power_code": "DQ-118-3", "band": "ordinary"}
    # outside the band: refused, naming the band, unless the departure is recorded
    r = await district.post(f"{base}/enforcement/notify", json={**party, "amount_fen": 300_000}, headers=OFFICER)
    assert r.status_code == 422 and "outside band ordinary" in r.text and "¥500.00–¥2,000.00" in r.text
    r = await district.post(
        f"{base}/enforcement/notify",
        json={"party": "王某", "amount_fen": 100_000, "legal_basis": "《某条例》第九条"},
        headers=OFFICER,
    )
    assert r.status_code == 422 and "departure_reason" in r.text  # free text only with a recorded departure
    noticed = await _post(district, f"{base}/enforcement/notify", {**party, "amount_fen": 150_000}, OFFICER)
    assert noticed["approvals_missing"] == ["proposal", "leader"]

    # decide without approvals: 409 naming what is missing
    r = await district.post(
        f"{base}/enforcement/decide", json={"decision_number": "中城管罚决字〔2026〕第9号"}, headers=LEADER
    )
    assert r.status_code == 409 and r.json()["detail"][0]["missing"] == ["proposal", "leader"]

    review = {"stage": "legal_review", "decision": "approve", "opinion": "事实清楚, 证据确凿, 适用依据正确"}
    await _post(district, f"{base}/approvals", review, LEGAL, expect=409)  # no proposal yet
    proposal = {"stage": "proposal", "decision": "approve", "opinion": "建议罚款一千五百元", "hearing_held": False}
    await _post(district, f"{base}/approvals", proposal, LEGAL, expect=403)  # the squad proposes
    await _post(district, f"{base}/approvals", {**proposal, "amount_fen": 250_000}, OFFICER, expect=409)  # art. 45
    first = await _post(district, f"{base}/approvals", proposal, OFFICER, expect=201)
    # ¥1,500 for a person: over the bureau's ¥1,000 line, so the legal section reviews it
    assert first["missing"] == ["legal_review", "leader"]
    assert any("¥1,000" in why for r in first["required"] if r["stage"] == "legal_review" for why in r["why"])
    await _post(
        district, f"{base}/approvals", {"stage": "leader", "decision": "approve", "opinion": "同意"}, BUREAU, 409
    )
    await _post(district, f"{base}/approvals", review, LEADER, expect=403)
    sent_back = {"stage": "legal_review", "decision": "return", "opinion": "情节认定有误, 请补充证据"}
    await _post(district, f"{base}/approvals", sent_back, LEGAL, expect=201)
    r = await district.post(f"{base}/approvals", json=review, headers=LEGAL)
    assert r.status_code == 409 and "propose again" in r.text

    # the new proposal departs from the band: the collective discussion decides it
    departing = {**proposal, "amount_fen": 40_000, "departure_reason": "当事人系低保户, 主动改正"}
    second = await _post(district, f"{base}/approvals", departing, OFFICER, expect=201)
    assert second["proposal"]["version"] == 2
    assert second["missing"] == ["legal_review", "collective", "leader"]
    await _post(district, f"{base}/approvals", review, LEGAL, expect=201)
    collective = {"stage": "collective", "decision": "approve", "opinion": "同意减轻处罚"}
    await _post(district, f"{base}/approvals", {**collective, "minutes": "讨论记录"}, BUREAU, expect=422)
    await _post(
        district,
        f"{base}/approvals",
        {**collective, "minutes": "局长办公会讨论, 一致同意", "participants": ["高建国", "韩立新", "吕志刚"]},
        BUREAU,
        expect=201,
    )
    r = await district.post(
        f"{base}/enforcement/decide", json={"decision_number": "中城管罚决字〔2026〕第9号"}, headers=LEADER
    )
    assert r.status_code == 409 and r.json()["detail"][0]["missing"] == ["leader"]
    done = await _post(
        district, f"{base}/approvals", {"stage": "leader", "decision": "approve", "opinion": "同意"}, BUREAU, 201
    )
    assert done["missing"] == [] and [a["stage"] for a in done["approvals"]] == [
        "proposal",
        "legal_review",
        "proposal",
        "legal_review",
        "collective",
        "leader",
    ]
    district.clock.advance(timedelta(days=6))  # past the hearing request period
    r = await district.post(
        f"{base}/enforcement/decide",
        json={"decision_number": "中城管罚决字〔2026〕第9号", "amount_fen": 150_000},
        headers=LEADER,
    )
    assert r.status_code == 409 and "needs a new proposal" in r.text  # not the amount approved
    decided = await _post(
        district, f"{base}/enforcement/decide", {"decision_number": "中城管罚决字〔2026〕第9号"}, LEADER
    )
    assert decided["stage"] == "decided" and decided["amount_fen"] == 40_000 and decided["band"] == "ordinary"
    steps = [e["action"] for e in (await district.get(f"{base}/trail", headers=auth("supervisor"))).json()]
    assert steps.count("approval.proposal") == 2 and "approval.collective" in steps

    # the decision's event names its power and band, for reporting and the city
    events = await eventually(
        lambda: district.topic("cases.cases"),
        lambda rs: any(b'"step":"decide"' in r.value and case_id.encode() in r.value for r in rs),
        timeout_s=30,
        what="the decision on Kafka",
    )
    decision = next(r.value for r in events if b'"step":"decide"' in r.value and case_id.encode() in r.value)
    assert b'"power_code":"DQ-118-3"' in decision and b'"band":"ordinary"' in decision

    # reporting counts it by power and band, and the month's circular says so
    supervisor = auth("supervisor", "sup-0001")
    report = await eventually(
        lambda: district.get("/v1/reports/decisions?period=month&at=2026-11", headers=supervisor),
        lambda r: r.status_code == 200 and r.json()["total"] == 1,
        timeout_s=30,
        what="the decision counted by reporting",
    )
    row = report.json()["rows"][0]
    assert (row["power_code"], row["band"], row["departures"], row["fines_decided_fen"]) == (
        "DQ-118-3",
        "ordinary",
        1,
        40_000,
    )
    # published on the public page at once (well within its 7 working days), the person's name masked
    listed = (await district.get("/v1/public/penalties")).json()
    assert [(n["decision_number"], n["party"], n["decision"]) for n in listed] == [
        ("中城管罚决字〔2026〕第9号", "王*", "罚款 ¥400.00")
    ]
    assert "低保户" not in str(listed)  # what a person typed (the reason for departing) is never shown
    page = await district.get("/publicity")
    assert page.status_code == 200 and "中城管罚决字〔2026〕第9号" in page.text and "王某" not in page.text
    kept = (await district.get(f"{base}/publication", headers=LEGAL)).json()
    assert kept["due_by"] == "2026-12-08" and kept["withheld"] is None  # 7 working days after Sunday 29 November
    # a reconsideration revokes the decision: withdrawn from the page
    await _post(district, f"{base}/enforcement/reconsider", {}, LEADER)
    await _post(district, f"{base}/enforcement/review_revoked", {"reason": "复议撤销"}, LEADER)
    assert (await district.get("/v1/public/penalties")).json() == []
    assert (await district.get(f"{base}/publication", headers=LEGAL)).json()["withdrawn_at"] is not None
    trail = (await district.get(f"{base}/trail", headers=LEGAL)).json()
    assert [e["data"].get("withdrawn") for e in trail if e["action"] == "enforcement.review_revoked"] == [True]

    circular = await district.get("/v1/reports/circular?month=2026-11", headers=supervisor)
    assert "九、行政处罚" in circular.text
    assert "在禁止的时段和区域内露天烧烤食品或者为露天烧烤食品提供场地 1 件 (一般 1)" in circular.text
    assert "偏离裁量基准 1 件" in circular.text


async def test_investigations_need_two_certified_officers(district):
    case_id = await report_dispatched(district, "street_vending", IN_RUHE, auth("hotline_operator"))
    base = f"/v1/cases/{case_id}"
    lapsed = {
        "name": "胡斌",
        "position": "队员",
        "role": "squad_officer",
        "squad_id": "sq-ruhe",
        "certificate_number": "豫执4101029999",
        "certificate_valid_until": "2026-10-31",
    }
    assert (await district.put("/v1/directory/people/sq-ruhe-o2", json=lapsed, headers=ADMIN)).status_code == 200
    await _known(district, "sq-ruhe-o2", lambda p: p.certificate_valid_until.isoformat() == "2026-10-31")
    await _known(district, "sq-ruhe-o3", lambda p: p.certificate_number is not None)
    seizure = {"items": [{"item": "三轮车", "quantity": 1}], "place": "中队暂扣物品库房"}
    r = await district.post(f"{base}/seizures", json={**seizure, "officers": ["sq-ruhe-o1"]}, headers=OFFICER)
    assert r.status_code == 422
    r = await district.post(f"{base}/seizures", json={**seizure, "officers": PRESENT}, headers=OFFICER)
    assert r.status_code == 422 and "lapsed on 2026-10-31" in r.text
    r = await district.post(f"{base}/seizures", json={**seizure, "officers": ["sq-ruhe-o1", "nobody"]}, headers=OFFICER)
    assert r.status_code == 422 and "not a person of the directory" in r.text
    seized = await _post(
        district, f"{base}/seizures", {**seizure, "officers": ["sq-ruhe-o1", "sq-ruhe-o3"]}, OFFICER, 201
    )
    assert seized["officers"] == ["sq-ruhe-o1", "sq-ruhe-o3"]

    when = {"started_at": "2026-11-23T08:30:00+08:00", "ended_at": "2026-11-23T08:50:00+08:00"}
    inquiry = {
        "kind": "inquiry",
        "officers": ["sq-ruhe-o1", "sq-ruhe-o3"],
        "place": "汝河路",
        "record": "问: 答:",
        **when,
    }
    await _post(district, f"{base}/investigations", inquiry, OFFICER, expect=422)  # names no interviewee
    kept = await _post(district, f"{base}/investigations", {**inquiry, "interviewee": "王某"}, OFFICER, expect=201)
    assert kept["name"] == "询问(调查)笔录"
    future = {**inquiry, "interviewee": "王某", "ended_at": "2026-11-24T08:50:00+08:00"}
    await _post(district, f"{base}/investigations", future, OFFICER, expect=422)
    listed = await district.get(f"{base}/investigations", headers=LEGAL)
    assert [i["id"] for i in listed.json()] == [kept["id"]]
    assert (await district.get(f"{base}/investigations", headers=auth("external_system", "city"))).status_code == 403


async def test_the_summary_procedure_and_the_ninety_days(district):
    case_id = await report_dispatched(district, "littering", IN_RUHE, auth("hotline_operator"))
    base = f"/v1/cases/{case_id}"
    await _known(district, "sq-ruhe-o3", lambda p: p.certificate_number is not None)
    spot = {
        "party": "李某",
        "party_kind": "person",
        "power_code": "SR-34-1",
        "band": "ordinary",
        "decision_number": "中城管当罚字〔2026〕第1号",
        "officers": ["sq-ruhe-o1", "sq-ruhe-o3"],
    }
    r = await district.post(f"{base}/enforcement/on_the_spot", json={**spot, "amount_fen": 30_000}, headers=OFFICER)
    assert r.status_code == 422 and "outside band" in r.text  # SR-34-1 一般: ¥20–¥50
    over = {**spot, "power_code": "DQ-118-3", "amount_fen": 60_000}  # in its band, over the summary's ¥200
    r = await district.post(f"{base}/enforcement/on_the_spot", json=over, headers=OFFICER)
    assert r.status_code == 409 and "general procedure" in r.text
    r = await district.post(
        f"{base}/enforcement/on_the_spot",
        json={**spot, "amount_fen": 5_000, "officers": ["sq-ruhe-o1"]},
        headers=OFFICER,
    )
    assert r.status_code == 422 and "at least 2" in r.text
    minor = {**spot, "amount_fen": 5_000, "withhold": "minor"}  # the party is a minor: not published
    decided = await _post(district, f"{base}/enforcement/on_the_spot", minor, OFFICER)
    assert decided["summary"] is True and decided["summary_filing_due"].startswith("2026-11-26")
    assert decided["documents"][0]["kind"] == "summary_decision"
    kept = (await district.get(f"{base}/publication", headers=LEADER)).json()
    assert (
        kept["withheld"] == "minor" and kept["published_at"] is None and kept["withheld_because"] == "当事人为未成年人"
    )
    assert (await district.get("/v1/public/penalties")).json() == []
    await _legal_deadline(district, case_id, "summary_filing", lambda d: d is not None)  # dispatch watches it
    filed = await _post(district, f"{base}/enforcement/file_summary", {}, LEADER)
    assert filed["summary_filed_at"] is not None
    await _post(district, f"{base}/enforcement/file_summary", {}, LEADER, expect=409)
    await _legal_deadline(district, case_id, "summary_filing", lambda d: d is None)  # filed: met, no longer watched

    # a general-procedure case runs against the 90 days from 立案: warned 10 days ahead, then escalated
    other = await report_dispatched(district, "littering", IN_RUHE, auth("hotline_operator"))
    opened = await _post(district, f"/v1/cases/{other}/enforcement/open", {"party": "赵某"}, OFFICER)
    assert opened["decision_overdue"] is False
    due = datetime.fromisoformat(opened["decision_due"])
    await _legal_deadline(district, other, "decision", lambda d: d is not None and d.due_at == due)
    dispatch = district.services["dispatch"]
    district.clock.advance(timedelta(days=81))
    await dispatch.tick()
    district.clock.advance(timedelta(days=10))
    await dispatch.tick()
    late = (await district.get(f"/v1/cases/{other}/enforcement", headers=LEADER)).json()
    assert late["decision_overdue"] is True
    told = await eventually(
        lambda: district.topic("dispatch.assignments"),
        lambda rs: sum(other.encode() in r.value and b"decision_" in r.value for r in rs) == 2,
        timeout_s=30,
        what="the 90 days warned of, then escalated",
    )
    steps = [json.loads(r.value) for r in told if other.encode() in r.value and b"decision_" in r.value]
    assert [(e["kind"], e["level"], e["notify_role"]) for e in steps] == [
        ("decision_warning", 0, "officer"),
        ("decision_overdue", 1, "squad_leader"),
    ]
    assert {datetime.fromisoformat(e["deadline_at"]) for e in steps} == {due}
    await dispatch.tick()  # each step once
    assert len([r for r in await district.topic("dispatch.assignments") if b"decision_" in r.value]) == 2


async def _legal_deadline(district, case_id: str, kind: str, check) -> None:
    """Wait until dispatch holds (or no longer holds) a deadline in law of the case as `check` wants."""

    async def read():
        from dispatch.tables import LegalDeadline

        async with district.services["dispatch"].session_factory() as session:
            return await session.get(LegalDeadline, (case_id, kind))

    await eventually(read, check, timeout_s=30, what=f"dispatch watching {kind} of {case_id}")


async def test_every_step_leaves_its_document_and_the_party_s_are_sealed(district):
    case_id = await report_dispatched(district, "cooking_fumes", IN_RUHE, auth("hotline_operator"))
    base = f"/v1/cases/{case_id}"
    await _known(district, "sq-ruhe-o3", lambda p: p.certificate_number is not None)
    await _known(district, "legal-0001", lambda p: p.legal_qualified)
    party = {"party": "某餐馆 (张某)", "party_kind": "person", "power_code": "DQ-118-1"}
    await _post(district, f"{base}/enforcement/open", party, OFFICER)
    week = (MONDAY_9AM + timedelta(days=7)).isoformat()
    order = {"requirement": "安装油烟净化设施并正常使用", "correct_by": week}
    await _post(district, f"{base}/enforcement/order_correction", order, OFFICER)
    when = {"started_at": "2026-11-23T08:30:00+08:00", "ended_at": "2026-11-23T08:50:00+08:00"}
    inspection = {"kind": "inspection", "officers": ["sq-ruhe-o1", "sq-ruhe-o3"], "place": "汝河路 8 号", **when}
    await _post(district, f"{base}/investigations", {**inspection, "record": "油烟净化设施未开启。"}, OFFICER, 201)
    items = {"items": [{"item": "燃煤炉", "quantity": 1}], "place": "中队暂扣物品库房"}
    await _post(district, f"{base}/seizures", {**items, "officers": ["sq-ruhe-o1", "sq-ruhe-o3"]}, OFFICER, 201)
    # ¥12,000 for a person: over the province's 较大数额 line, so the notice comes with a 听证告知书
    await _post(district, f"{base}/enforcement/notify", {**party, "band": "ordinary", "amount_fen": 1_200_000}, OFFICER)
    # the party asks for a hearing: told of it 7 days ahead, held, its record kept
    await _post(district, f"{base}/enforcement/request_hearing", {}, OFFICER)
    room = {"hearing_place": "局三楼听证室", "presiding": "冯静"}
    early = {**room, "hearing_at": (MONDAY_9AM + timedelta(days=3)).isoformat()}
    await _post(district, f"{base}/enforcement/schedule_hearing", early, OFFICER, 422)
    hearing = {**room, "hearing_at": (MONDAY_9AM + timedelta(days=8)).isoformat()}
    await _post(district, f"{base}/enforcement/schedule_hearing", hearing, OFFICER)
    held = {
        "presiding": "冯静",
        "attendees": "张某; 承办人朱婷、郭峰",
        "record": "主持人宣布听证开始。\n当事人陈述: 已整改。",
    }
    await _post(district, f"{base}/enforcement/hold_hearing", held, OFFICER, 409)  # not yet its day
    district.clock.advance(timedelta(days=8))
    await _post(district, f"{base}/enforcement/hold_hearing", held, OFFICER)
    for stage, who, more in (
        ("proposal", OFFICER, {}),
        ("legal_review", LEGAL, {}),
        ("collective", BUREAU, {"minutes": "一致同意", "participants": ["高建国", "韩立新", "吕志刚"]}),
        ("leader", BUREAU, {}),
    ):
        await _post(
            district, f"{base}/approvals", {"stage": stage, "decision": "approve", "opinion": "同意", **more}, who, 201
        )
    decided = await _post(
        district, f"{base}/enforcement/decide", {"decision_number": "中城管罚决字〔2026〕第31号"}, LEADER
    )
    await _post(district, f"{base}/enforcement/pay", {"amount_fen": 1_200_000}, LEADER)

    # 送达: the decision by post; the notice electronically, only once the party consented
    decision_doc = next(d for d in decided["documents"] if d["kind"] == "penalty_decision")
    notice_doc = next(
        d for d in (await district.get(f"{base}/documents", headers=LEGAL)).json() if d["kind"] == "penalty_notice"
    )
    assert notice_doc["service_due"] is not None and notice_doc["served_at"] is None
    served_at = (MONDAY_9AM + timedelta(days=8)).isoformat()  # the moment of the decision (the clock stands still)
    electronic = {"method": "electronic", "served_at": served_at, "recipient": "张某", "evidence": "短信送达回执"}
    r = await district.post(f"{base}/documents/{notice_doc['id']}/service", json=electronic, headers=OFFICER)
    assert r.status_code == 409 and "送达地址确认书" in r.text
    consent = {"channel": "sms", "address": "13812345678", "signed_by": "张某", "confirmed_at": served_at}
    await _post(district, f"{base}/service-address", consent, OFFICER, 201)
    await _post(district, f"{base}/documents/{notice_doc['id']}/service", electronic, OFFICER, 201)
    await _post(district, f"{base}/documents/{notice_doc['id']}/service", electronic, OFFICER, 409)  # served already
    by_post = {"method": "post", "served_at": served_at, "recipient": "张某"}
    await _post(district, f"{base}/documents/{decision_doc['id']}/service", by_post, OFFICER, 422)  # no tracking no.
    await _post(
        district,
        f"{base}/documents/{decision_doc['id']}/service",
        {**by_post, "tracking_number": "EMS1234567890"},
        OFFICER,
        201,
    )
    trail_text = str((await district.get(f"{base}/trail", headers=LEGAL)).json())
    assert "13812345678" not in trail_text  # the address stays in its table

    listed = (await district.get(f"{base}/documents", headers=LEGAL)).json()
    assert [d["kind"] for d in listed if d["kind"] in ("address_confirmation", "service_receipt")] == [
        "address_confirmation",
        "service_receipt",
        "service_receipt",
    ]
    assert {d["kind"]: d["service_method"] for d in listed if d["served_at"]} == {
        "penalty_notice": "electronic",
        "penalty_decision": "post",
    }
    every, listed = listed, [d for d in listed if d["kind"] not in ("address_confirmation", "service_receipt")]
    assert [d["kind"] for d in listed] == [
        "filing_approval",
        "correction_order",
        "inspection_record",
        "seizure_decision",
        "penalty_notice",
        "hearing_notice",
        "hearing_notification",
        "hearing_record",
        "penalty_decision",
        "closing_report",
    ]
    assert [d["signed"] for d in listed] == [False, True, False, True, True, True, True, False, True, False]
    assert listed[0]["number"] == "中城管立字〔2026〕第1号" and listed[8]["number"] == "中城管罚决字〔2026〕第31号"
    assert decided["documents"][-1]["kind"] == "penalty_decision"
    files = {}
    for d in every:
        r = await district.get(d["url"], headers=LEGAL)
        assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == d["sha256"]
        files[d["id"]] = r.content
    trail = (await district.get(f"{base}/trail", headers=LEGAL)).json()
    in_trail = {doc["sha256"] for e in trail for doc in e["data"].get("documents", [])}
    assert in_trail == {d["sha256"] for d in every}

    decision = listed[8]
    verdict = (await district.get(f"{decision['url']}/verify", headers=LEGAL)).json()
    assert verdict["intact"] is True and "开发用" in verdict["signer"] and verdict["development"] is True
    assert (await district.get(f"{listed[0]['url']}/verify", headers=LEGAL)).json()["intact"] is False  # unsealed

    # anyone holding the served file can check it; one byte changed and it fails
    pdf = files[decision["id"]]
    held = await district.post("/documents/verify", content=pdf, headers={"Content-Type": "application/pdf"})
    assert held.status_code == 200 and held.json()["intact"] is True and held.json()["number"] == decision["number"]
    at = pdf.index(b"stream") + 20  # inside the first page's content, which the signature covers
    changed = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
    broken = (
        await district.post("/documents/verify", content=changed, headers={"Content-Type": "application/pdf"})
    ).json()
    assert broken["intact"] is False and broken["on_record"] is False

    # the number and 核验码 printed on it find it on the public page
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    code = re.search(r"核验码 ([A-Z0-9]{8})", text).group(1)
    page = await district.get("/documents/verify", params={"number": decision["number"], "code": code})
    assert page.status_code == 200 and "签章完好" in page.text and "开发用" in page.text
    wrong = await district.get("/documents/verify", params={"number": decision["number"], "code": "AAAAAAAA"})
    assert "未找到" in wrong.text

    # 卷宗: the contents, then every document in order
    whole = await district.get(f"{base}/dossier.pdf", headers=LEGAL)
    assert whole.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(whole.content))
    contents = reader.pages[0].extract_text()
    assert "卷内目录" in contents and all(d["name"] in contents for d in every)
    pages = sum(len(pypdf.PdfReader(io.BytesIO(f)).pages) for f in files.values())
    assert len(reader.pages) == 1 + pages
    assert (await district.get(f"{base}/dossier.pdf", headers=auth("external_system", "city"))).status_code == 403


async def test_the_seal_platform_seals_the_party_s_documents(database_url, kafka, namespace, tmp_path):
    platform = seal_platform("platform-token")
    async with (
        served(platform) as url,
        district_on_kafka(
            database_url,
            kafka,
            namespace,
            tmp_path,
            FixedClock(MONDAY_9AM),
            sealing="platform",
            seal_platform_url=url,
            seal_platform_token="platform-token",
            seal_id="410102-0001",
        ) as district,
    ):
        case_id = await report_dispatched(district, "littering", IN_RUHE, auth("hotline_operator"))
        base = f"/v1/cases/{case_id}"
        await _known(district, "sq-ruhe-o3", lambda p: p.certificate_number is not None)
        spot = {
            "party": "李某",
            "power_code": "SR-34-1",
            "band": "ordinary",
            "amount_fen": 5_000,
            "decision_number": "中城管当罚字〔2026〕第2号",
            "officers": ["sq-ruhe-o1", "sq-ruhe-o3"],
        }
        # the platform away: the decision is not taken at all (nothing half done), and says why
        platform.state.down = True
        r = await district.post(f"{base}/enforcement/on_the_spot", json=spot, headers=OFFICER)
        assert r.status_code == 503 and "seal platform" in r.text
        assert (await district.get(f"{base}/enforcement", headers=LEADER)).json()["stage"] == "none"
        assert (await district.get(f"{base}/documents", headers=LEADER)).json() == []
        platform.state.down = False

        decided = await _post(district, f"{base}/enforcement/on_the_spot", spot, OFFICER)
        doc = decided["documents"][0]
        assert doc["signed"] is True and doc["signer"] == PLATFORM_SIGNER
        assert ("seal", "410102-0001", "当场行政处罚决定书 中城管当罚字〔2026〕第2号") in platform.state.calls
        pdf = (await district.get(doc["url"], headers=LEADER)).content
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert "开发用" not in text
        verdict = (await district.get(f"{doc['url']}/verify", headers=LEADER)).json()
        assert verdict["intact"] is True and verdict["development"] is False and verdict["signer"] == PLATFORM_SIGNER
        at = pdf.index(b"stream") + 20
        changed = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
        as_pdf = {"Content-Type": "application/pdf"}
        broken = (await district.post("/documents/verify", content=changed, headers=as_pdf)).json()
        assert broken["intact"] is False


SM2_WITH_SM3 = bytes.fromhex("06082a811ccf55018375")  # DER of OID 1.2.156.10197.1.501 (SM2 signature, SM3)


def _ofd_files(ofd: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(ofd)) as z:
        return {name: z.read(name) for name in z.namelist() if not name.endswith("/")}


def _rezipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


async def test_the_ofd_sidecar_seals_the_party_s_documents_with_an_sm2_seal(
    database_url, kafka, namespace, tmp_path, ofd_sealer
):
    async with district_on_kafka(
        database_url,
        kafka,
        namespace,
        tmp_path,
        FixedClock(MONDAY_9AM),
        sealing="ofd",
        ofd_sealer_url=ofd_sealer.url,
    ) as district:
        case_id = await report_dispatched(district, "littering", IN_RUHE, auth("hotline_operator"))
        base = f"/v1/cases/{case_id}"
        await _known(district, "sq-ruhe-o3", lambda p: p.certificate_number is not None)
        spot = {
            "party": "李某",
            "power_code": "SR-34-1",
            "band": "ordinary",
            "amount_fen": 5_000,
            "decision_number": "中城管当罚字〔2026〕第3号",
            "officers": ["sq-ruhe-o1", "sq-ruhe-o3"],
        }
        decided = await _post(district, f"{base}/enforcement/on_the_spot", spot, OFFICER)
        doc = decided["documents"][0]
        assert doc["signed"] is True and doc["formats"] == ["pdf", "ofd"] and "开发用电子印章" in doc["signer"]

        # the OFD is the sealed original: its hash listed and in the trail; the PDF its reading copy
        r = await district.get(doc["url"], params={"format": "ofd"}, headers=LEADER)
        assert r.status_code == 200 and r.headers["content-type"] == "application/ofd"
        ofd = r.content
        assert hashlib.sha256(ofd).hexdigest() == doc["ofd_sha256"] == r.headers["X-Content-SHA256"]
        trail = (await district.get(f"{base}/trail", headers=LEADER)).json()
        assert doc["ofd_sha256"] in {d.get("ofd_sha256") for e in trail for d in e["data"].get("documents", [])}
        pdf = (await district.get(doc["url"], headers=LEADER)).content
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert "签章正本为 OFD 版" in text

        # GB/T 38540 in an OFD: one seal (Seal.esl) and its SM2/SM3 signature (SignedValue.dat) over
        # the document's files, its picture placed over the bureau's name on the last page
        files = _ofd_files(ofd)
        assert "OFD.xml" in files and "Doc_0/Signs/Sign_0/Seal.esl" in files
        assert SM2_WITH_SM3 in files["Doc_0/Signs/Sign_0/SignedValue.dat"]
        signature = files["Doc_0/Signs/Sign_0/Signature.xml"].decode()
        assert 'PageRef="' in signature and "Boundary=" in signature

        verdict = (await district.get(f"{doc['url']}/verify", headers=LEADER)).json()
        assert verdict["intact"] is True and verdict["development"] is True and "开发用" in verdict["signer"]
        assert verdict["signed_at"] is not None
        as_file = {"Content-Type": "application/ofd"}
        held = (await district.post("/documents/verify", content=ofd, headers=as_file)).json()
        assert held["intact"] is True and held["on_record"] is True and held["number"] == "中城管当罚字〔2026〕第3号"
        copy = (
            await district.post("/documents/verify", content=pdf, headers={"Content-Type": "application/pdf"})
        ).json()
        assert copy["on_record"] is True and copy["intact"] is False and "OFD" in copy["reason"]

        # one byte changed in the file, or a page's content changed and the package zipped again: fails
        at = len(ofd) // 2
        changed = ofd[:at] + bytes([ofd[at] ^ 0x01]) + ofd[at + 1 :]
        broken = (await district.post("/documents/verify", content=changed, headers=as_file)).json()
        assert broken["intact"] is False and broken["on_record"] is False
        page = "Doc_0/Pages/Page_0/Content.xml"
        assert b"</ofd:Layer>" in files[page]
        forged = _rezipped({**files, page: files[page].replace(b"</ofd:Layer>", b"</ofd:Layer>  ", 1)})
        refused = (await district.post("/documents/verify", content=forged, headers=as_file)).json()
        assert refused["intact"] is False and "Content.xml" in refused["reason"]

        # another maker's seal, however well formed, is not the bureau's
        other = LocalOfdSealer(tmp_path / "other-sealer", free_port(), bureau="某冒用单位")
        other.start()
        try:
            foreign = await OfdSidecarSealer(other.url).seal(pdf, "冒用", SealSpot(1, 140, 200))
        finally:
            other.stop()
        assert foreign.ofd is not None
        alien = (await district.post("/documents/verify", content=foreign.ofd, headers=as_file)).json()
        assert alien["intact"] is False and "not this bureau's seal" in alien["reason"]

        # the sidecar restarted: what it sealed before still checks (its seal is kept in its folder)
        ofd_sealer.stop()
        ofd_sealer.start()
        again = (await district.get(f"{doc['url']}/verify", headers=LEADER)).json()
        assert again["intact"] is True and again["signer"] == verdict["signer"]


async def test_the_public_pages_are_counted_per_client(database_url, kafka, namespace, tmp_path):
    async with district_on_kafka(
        database_url, kafka, namespace, tmp_path, FixedClock(MONDAY_9AM), public_reads_per_minute=2
    ) as district:
        assert (await district.get("/v1/public/penalties")).status_code == 200
        assert (await district.get("/publicity")).status_code == 200
        third = await district.get(
            "/documents/verify", params={"number": "中城管罚决字〔2026〕第1号", "code": "AAAAAAAA"}
        )
        assert third.status_code == 429  # a third page within the minute from one address
        district.clock.advance(timedelta(minutes=1))
        assert (await district.get("/v1/public/penalties")).status_code == 200
