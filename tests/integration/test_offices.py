"""The 办事处 as units, on the real PostgreSQL and Apache Kafka: an office's staff sign in with their
office, see the cases, campaigns and illegal buildings of its grids and nothing else, and answer the
责改通知书 the bureau sends them; a squad answers its own. The three-day 违建 assessment of the offices and
squads is published once, at its period's end, with its 考评通报."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pypdfium2
import pytest

from common.clock import FixedClock
from common.messaging.contracts import AssessmentPublished
from common.messaging.envelope import decode
from tests.conftest import auth
from tests.helpers import district_on_kafka, eventually, handle, report_dispatched

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SUPERVISOR = auth("supervisor", "sup-0001")
DISPATCHER = auth("dispatcher", "dispatcher-1")
RUHE_OFFICE = auth("office_staff", "office-ruhelu", "of-ruhelu")
XUSHUI_OFFICE = auth("office_staff", "office-xushui", "of-xushui")
IN_RUHE = {"lon": 113.61, "lat": 34.74}  # 汝河路网格, 汝河路街道办事处
IN_JIANSHE = {"lon": 113.64, "lat": 34.74}  # 建设路网格


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    async with district_on_kafka(database_url, kafka, namespace, tmp_path, FixedClock(MONDAY_9AM)) as client:
        yield client


async def _case(client, category: str, where: dict) -> str:
    return await report_dispatched(client, category, where, auth("hotline_operator"))


async def test_an_office_sees_its_area_and_answers_its_notice(district):
    ours, theirs = await _case(district, "street_vending", IN_RUHE), await _case(district, "street_vending", IN_JIANSHE)
    building_case = await _case(district, "illegal_construction", IN_RUHE)
    listed = await eventually(
        lambda: district.get("/v1/cases", headers=RUHE_OFFICE),
        lambda r: r.status_code == 200 and {c["id"] for c in r.json()} == {ours, building_case},
        timeout_s=30,
        what="the office's cases",
    )
    assert all(c["grid_id"] == "zy-ruhelu" for c in listed.json())
    assert (await district.get(f"/v1/cases/{ours}", headers=RUHE_OFFICE)).status_code == 200
    assert (await district.get(f"/v1/cases/{theirs}", headers=RUHE_OFFICE)).status_code == 404
    assert (await district.get("/v1/cases", headers=XUSHUI_OFFICE)).json() == []
    # an office reads; it takes no step on a case
    assert (await district.post(f"/v1/cases/{ours}/handle", headers=RUHE_OFFICE)).status_code == 403

    # campaigns: those naming it or reaching its grids, and those of the whole district
    base = {"kind": "special", "starts_on": "2026-11-20", "ends_on": "2026-12-20", "categories": []}
    named = await district.post(
        "/v1/campaigns", json={**base, "name": "汝河路夜市整治", "offices": ["汝河路街道办事处"]}, headers=SUPERVISOR
    )
    elsewhere = await district.post(
        "/v1/campaigns", json={**base, "name": "林山寨整治", "grids": ["zy-linshanzhai"]}, headers=SUPERVISOR
    )
    everywhere = await district.post("/v1/campaigns", json={**base, "name": "全区市容整治"}, headers=SUPERVISOR)
    seen = {c["id"] for c in (await district.get("/v1/campaigns", headers=RUHE_OFFICE)).json()}
    assert seen == {named.json()["id"], everywhere.json()["id"]}
    assert (await district.get(f"/v1/campaigns/{elsewhere.json()['id']}", headers=RUHE_OFFICE)).status_code == 404

    # the illegal buildings of its area
    buildings = await eventually(
        lambda: district.get("/v1/illegal-buildings", headers=RUHE_OFFICE),
        lambda r: len(r.json()) == 1,
        timeout_s=30,
        what="the office's illegal building",
    )
    assert buildings.json()[0]["case_id"] == building_case and buildings.json()[0]["office"] == "汝河路街道办事处"
    assert (await district.get("/v1/illegal-buildings", headers=XUSHUI_OFFICE)).json() == []
    refused = await district.post(
        f"/v1/illegal-buildings/{buildings.json()[0]['id']}/stages", json={"stage": "stopped"}, headers=RUHE_OFFICE
    )
    assert refused.status_code == 403

    # 督办 to the office of the case's grid: the office answers it, not the squad
    assignment = await eventually(
        lambda: district.get("/v1/assignments?limit=500", headers=DISPATCHER),
        lambda r: any(a["case_id"] == ours and a["current"] for a in r.json()),
        what="the case's assignment",
    )
    aid = next(a["id"] for a in assignment.json() if a["case_id"] == ours and a["current"])
    order = await district.post(
        f"/v1/assignments/{aid}/supervise",
        json={"instruction": "请办事处协调夜市退路进店", "hours": 8, "to": "office"},
        headers=DISPATCHER,
    )
    assert order.status_code == 201 and order.json()["office_id"] == "of-ruhelu", order.text
    squad_leader = auth("squad_leader", "sq-ruhe-leader", "sq-ruhe")
    not_squads = await district.post(
        f"/v1/supervision-orders/{order.json()['id']}/answer", json={"answer": "已处理"}, headers=squad_leader
    )
    assert not_squads.status_code == 404
    assert (await district.get("/v1/supervision-orders", headers=XUSHUI_OFFICE)).json() == []
    assert [o["id"] for o in (await district.get("/v1/supervision-orders", headers=RUHE_OFFICE)).json()] == [
        order.json()["id"]
    ]
    answered = await district.post(
        f"/v1/supervision-orders/{order.json()['id']}/answer", json={"answer": "已协调"}, headers=RUHE_OFFICE
    )
    assert answered.status_code == 200 and answered.json()["answered_at"] is not None

    # 责改通知书: sent by the bureau's 督查, answered by the office, its own alone
    notice = {
        "unit_id": "of-ruhelu",
        "subject": "汝河路夜市占道反弹",
        "text": "三日内清理夜市占道并报送整改情况",
        "days": 3,
        "case_ids": [ours],
    }
    assert (await district.post("/v1/rectification-notices", json=notice, headers=DISPATCHER)).status_code == 403
    unknown = await district.post(
        "/v1/rectification-notices", json={**notice, "unit_id": "of-nowhere"}, headers=SUPERVISOR
    )
    assert unknown.status_code == 422 and "unit_id" in unknown.text
    both = await district.post(
        "/v1/rectification-notices", json={**notice, "due_at": "2026-11-26T09:00:00+08:00"}, headers=SUPERVISOR
    )
    assert both.status_code == 422 and "one of them" in both.text
    sent = await district.post("/v1/rectification-notices", json=notice, headers=SUPERVISOR)
    assert sent.status_code == 201, sent.text
    n = sent.json()
    assert (n["number"], n["unit_kind"], n["unit_name"], n["state"]) == (
        "中原城执责改〔2026〕1号",
        "office",
        "汝河路街道办事处",
        "open",
    )
    assert datetime.fromisoformat(n["due_at"]) == MONDAY_9AM + timedelta(days=3)
    second = await district.post(
        "/v1/rectification-notices", json={**notice, "unit_id": "sq-ruhe", "days": 1}, headers=SUPERVISOR
    )
    assert second.json()["number"] == "中原城执责改〔2026〕2号" and second.json()["unit_kind"] == "squad"
    mine = (await district.get("/v1/rectification-notices?open=true", headers=RUHE_OFFICE)).json()
    assert [m["id"] for m in mine] == [n["id"]]
    assert (await district.get(f"/v1/rectification-notices/{n['id']}", headers=XUSHUI_OFFICE)).status_code == 404
    not_theirs = await district.post(
        f"/v1/rectification-notices/{n['id']}/answer", json={"answer": "已整改"}, headers=XUSHUI_OFFICE
    )
    assert not_theirs.status_code == 404
    district.clock.advance(timedelta(days=1))
    answered = await district.post(
        f"/v1/rectification-notices/{n['id']}/answer",
        json={"answer": "已组织清理夜市占道 12 处, 设置临时疏导点一处"},
        headers=RUHE_OFFICE,
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["state"], answered.json()["answered_by"]) == ("answered", "office-ruhelu")
    again = await district.post(
        f"/v1/rectification-notices/{n['id']}/answer", json={"answer": "再"}, headers=RUHE_OFFICE
    )
    assert again.status_code == 409
    # the squad's notice, past its day, is overdue to the command centre, and its leader answers it late
    district.clock.advance(timedelta(days=1))
    listed = {m["id"]: m for m in (await district.get("/v1/rectification-notices", headers=SUPERVISOR)).json()}
    assert listed[second.json()["id"]]["state"] == "overdue"
    late = await district.post(
        f"/v1/rectification-notices/{second.json()['id']}/answer",
        json={"answer": "已整改"},
        headers=auth("squad_leader", "sq-ruhe-leader", "sq-ruhe"),
    )
    assert late.json()["state"] == "answered_late"


async def test_a_three_day_assessment_is_published_once_at_its_end(district):
    zhishu = ("squad_leader", "sq-zhishu-leader", "sq-zhishu")
    first = await _case(district, "illegal_construction", IN_RUHE)
    await _case(district, "illegal_construction", IN_RUHE)
    await _case(district, "street_vending", IN_RUHE)  # the monthly scheme's, not this one's
    assert (await handle(district, first, who=zhishu)).status_code == 200
    late = await district.post(
        "/v1/rectification-notices",
        json={"unit_id": "of-ruhelu", "subject": "违建回潮", "text": "立即制止", "due_at": "2026-11-23T18:00:00+08:00"},
        headers=SUPERVISOR,
    )
    assert late.status_code == 201

    # any period, previewed: the window 11-21 to 11-23 (2026-01-01 + 3n)
    async def preview():
        r = await district.get(
            "/v1/reports/assessments/illegal_construction_3d?period=range&from=2026-11-21&to=2026-11-23",
            headers=SUPERVISOR,
        )
        return r.json()

    seen = await eventually(
        preview,
        lambda p: (
            {(u["unit_id"], u["cases"] >= 1, u["notices"]) for u in p.get("units", [])}
            >= {("sq-zhishu", True, 0), ("of-ruhelu", True, 1)}
        ),
        timeout_s=30,
        what="the window's cases",
    )
    units = {(u["unit_kind"], u["unit_id"]): u for u in seen["units"]}
    office = units[("office", "of-ruhelu")]
    assert office["unit_name"] == "汝河路街道办事处" and office["notices"] == 1 and seen["published"] is False
    assert units[("squad", "sq-zhishu")]["values"]["handled"] == 1
    assert (await district.get("/v1/reports/assessments/nowhere?period=day", headers=SUPERVISOR)).status_code == 404

    # not before its end and the delay; once after it, whoever asks again
    district.clock.advance(timedelta(hours=16, minutes=30))  # 11-24 01:30 Beijing
    assert await district.services["reporting"].publish_assessments() == []
    district.clock.advance(timedelta(hours=1))  # 02:30: two hours after the end
    await district.services["reporting"].publish_assessments()
    assert await district.services["reporting"].publish_assessments() == []
    periods = (
        await district.get("/v1/reports/assessments/illegal_construction_3d/published", headers=SUPERVISOR)
    ).json()
    assert [p["start"] for p in periods] == ["2026-11-21"]

    async def told():
        events = [decode(r) for r in await district.topic("reporting.rankings")]
        return [e.data for e in events if isinstance(e.data, AssessmentPublished)]

    events = await eventually(told, lambda e: len(e) >= 1, timeout_s=30, what="AssessmentPublished")
    assert len(events) == 1 and (events[0].scheme_id, str(events[0].start), str(events[0].end)) == (
        "illegal_construction_3d",
        "2026-11-21",
        "2026-11-24",
    )
    office = next(u for u in events[0].units if u.unit_id == "of-ruhelu")
    assert (office.notices, office.notices_late) == (1, 1)  # unanswered at the period's end

    page = await district.get("/v1/reports/assessments/illegal_construction_3d/2026-11-21/bulletin", headers=SUPERVISOR)
    assert page.status_code == 200 and "违法建设三天一考评考评通报" in page.text and "汝河路街道办事处" in page.text
    pdf = await district.get(
        "/v1/reports/assessments/illegal_construction_3d/2026-11-21/bulletin.pdf", headers=SUPERVISOR
    )
    text = "".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(pdf.content))
    assert "考评通报" in text and "直属执法大队" in text and "汝河路街道办事处" in text
    missing = await district.get(
        "/v1/reports/assessments/illegal_construction_3d/2026-11-18/bulletin", headers=SUPERVISOR
    )
    assert missing.status_code == 404
