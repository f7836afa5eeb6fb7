"""The register of devices (设备台账), on the real PostgreSQL and Apache Kafka: each kind names what
it must, a capture camera carries 行政处罚法 art. 41's approvals and serves as evidence only while
its calibration holds, a fixed device is placed in its grid, and every change is told on Kafka."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from common.clock import FixedClock
from tests.conftest import auth
from tests.helpers import district_on_kafka, eventually, photo_bytes, register_device, register_merchant

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CLERK = auth("ledger_clerk", "clerk-0001")
IN_RUHE = {"lon": 113.61, "lat": 34.74}
APPROVED = {
    "authorised_by": "《郑州市城市市容和环境卫生管理条例》",
    "legal_review": "中城管法审〔2026〕12号",
    "technical_review": "中城管技审〔2026〕3号",
    "published_location": "https://www.zhongyuan.gov.cn/cgj/zpsb/2026-11",
    "calibration_valid_until": "2027-05-31",
}


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    async with district_on_kafka(database_url, kafka, namespace, tmp_path, FixedClock(MONDAY_9AM)) as client:
        yield client


async def test_every_kind_names_what_it_must_and_capture_cameras_carry_art_41(district):
    camera = {"kind": "body_camera", "serial_number": "DSJ-V8-0001", "officer_id": "sq-ruhe-o1", "vendor": "警翼"}
    r = await district.put("/v1/devices/bc-0001", json=camera, headers=CLERK)
    assert r.status_code == 200 and r.json()["evidence_ready"] is False and r.json()["name"] == "执法记录仪"
    r = await district.put("/v1/devices/bc-0002", json={"kind": "body_camera", "serial_number": "X"}, headers=CLERK)
    assert r.status_code == 422 and "officer_id" in r.text
    assert (
        await district.put("/v1/devices/bc-0003", json=camera, headers=auth("squad_leader", "l", "sq-ruhe"))
    ).status_code == 403

    shop = await register_merchant(district, "老王烧烤", 113.621, 34.751, "zy-ruhelu")  # the grids known to ledger
    capture = {"kind": "fixed_capture", "serial_number": "ZP-0007", "location": IN_RUHE}
    r = await district.put("/v1/devices/cap-0007", json=capture, headers=CLERK)
    assert r.status_code == 422 and "art. 41" in r.text
    placed = (await district.put("/v1/devices/cap-0007", json={**capture, "art41": APPROVED}, headers=CLERK)).json()
    assert placed["grid_id"] == "zy-ruhelu" and placed["squad_id"] == "sq-ruhe" and placed["evidence_ready"] is True
    same = (await district.put("/v1/devices/cap-0007", json={**capture, "art41": APPROVED}, headers=CLERK)).json()
    assert same["version"] == 1  # sent again, nothing changed
    lapsed = {**capture, "art41": {**APPROVED, "calibration_valid_until": "2026-11-01"}}
    again = (await district.put("/v1/devices/cap-0007", json=lapsed, headers=CLERK)).json()
    assert again["evidence_ready"] is False and again["version"] == 2  # no longer evidence

    r = await district.put("/v1/devices/tag-1", json={"kind": "dog_tag", "licence_id": "no-such"}, headers=CLERK)
    assert r.status_code == 422 and "dog register" in r.text
    monitor = {"kind": "fume_monitor", "merchant_id": shop["id"], "serial_number": "YY-212-01"}
    assert (await district.put("/v1/devices/fume-1", json=monitor, headers=CLERK)).status_code == 200

    squad = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
    mine = (await district.get("/v1/devices?officer_id=sq-ruhe-o1", headers=squad)).json()
    assert [d["id"] for d in mine] == ["bc-0001"]
    assert [d["id"] for d in (await district.get("/v1/devices?kind=fixed_capture", headers=squad)).json()] == [
        "cap-0007"
    ]
    assert (await district.get("/v1/devices/nothing", headers=squad)).status_code == 404

    told = await eventually(
        lambda: district.topic("ledger.devices"),
        lambda rs: sum(b"cap-0007" in r.value for r in rs) == 2,
        timeout_s=30,
        what="the camera's two versions on Kafka",
    )
    versions = [json.loads(r.value) for r in told if b"cap-0007" in r.value]
    assert [(v["version"], v["evidence_ready"]) for v in versions] == [(1, True), (2, False)]


async def test_machine_events_name_a_registered_device_and_captures_carry_its_evidence_grade(district):
    """Intake learns the register from ledger's events on Kafka: an unknown device is refused by
    name; a capture camera's record is evidence-grade only while art. 41 holds on the day it saw it."""
    cameras = auth("external_system", "hik")
    capture = {
        "source_event_id": "zp-1",
        "kind": "parking_capture",
        "occurred_at": "2026-11-23T08:58:00+08:00",
        "location": IN_RUHE,
        "device_id": "cap-0009",
        "plate": "豫A8K2L1",
    }
    r = await district.post("/v1/machine-events", json=capture, headers=cameras)
    assert r.status_code == 422 and "cap-0009" in r.text and "设备台账" in r.text

    await register_merchant(district, "老王烧烤", 113.621, 34.751, "zy-ruhelu")  # the grids known to ledger
    device = {"kind": "fixed_capture", "serial_number": "ZP-0009", "location": IN_RUHE, "art41": APPROVED}
    await register_device(district, district.services, "cap-0009", device)
    first = await district.post("/v1/machine-events", json=capture, headers=cameras)
    assert first.status_code == 201, first.text
    assert first.json()["attributes"] == {"plate": "豫A8K2L1", "device_kind": "fixed_capture", "evidence_grade": True}

    # a time far ahead of the bureau's clock is refused by name: the device's clock is wrong
    late = {**capture, "source_event_id": "zp-2", "occurred_at": "2027-06-02T09:00:00+08:00", "plate": "豫A00001"}
    r = await district.post("/v1/machine-events", json=late, headers=cameras)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "occurred_at" and "ahead" in r.text
    # seen after its calibration ran out: a lead for a squad to verify, not evidence
    district.clock.advance(timedelta(days=200))
    r = await district.post("/v1/machine-events", json=late, headers=cameras)
    assert r.status_code == 201 and r.json()["attributes"]["evidence_grade"] is False


async def test_a_capture_is_evidence_only_once_reviewed_and_the_party_answers_it_online(district):
    """行政处罚法 art. 41 end to end: a capture camera's record waits for a person's review, a case
    from it cannot allege the violation before, the party is told, looks it up with the code (and a
    vehicle's plate) and answers once; cases keeps the review and the answer in the trail."""
    cameras, legal = auth("external_system", "hik"), auth("legal_officer", "legal-0001")
    officer = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
    await register_merchant(district, "老王烧烤", 113.621, 34.751, "zy-ruhelu")  # the grids known to ledger
    device = {"kind": "fixed_capture", "serial_number": "ZP-0011", "location": IN_RUHE, "art41": APPROVED}
    await register_device(district, district.services, "cap-0011", device)
    image = base64.b64encode(photo_bytes((40, 40, 40))).decode()
    seen = {"occurred_at": "2026-11-23T08:58:00+08:00", "location": IN_RUHE, "device_id": "cap-0011"}
    vending = {**seen, "source_event_id": "zp-v1", "kind": "camera_detection", "category": "street_vending"}
    parked = {**seen, "source_event_id": "zp-p1", "kind": "parking_capture", "plate": "豫A8K2L1"}
    records = []
    for body in (vending, parked):
        r = await district.post("/v1/machine-events", json={**body, "images": [image]}, headers=cameras)
        assert r.status_code == 201, r.text
        records.append(r.json()["id"])

    async def case_of(incident_id: str) -> str:
        seen = await eventually(
            lambda: district.get(f"/v1/incidents/{incident_id}", headers=auth("dispatcher")),
            lambda r: r.json().get("status") == "dispatched",
            timeout_s=30,
            what="the capture's case dispatched",
        )
        return seen.json()["case_id"]

    vending_case = await case_of(records[0])
    pending = (await district.get("/v1/captures", headers=legal)).json()
    assert {c["incident_id"] for c in pending} == set(records) and all(c["review"] == "pending" for c in pending)
    assert (await district.get("/v1/captures", headers=officer)).status_code == 403

    # before the review the record is no evidence: the case cannot put the violation to the party
    notice = {
        "party": "王某",
        "party_kind": "person",
        "power_code": "SR-36-2",
        "band": "ordinary",
        "amount_fen": 20_000,
    }
    await _known_certified(district)
    r = await district.post(f"/v1/cases/{vending_case}/enforcement/notify", json=notice, headers=officer)
    assert r.status_code == 409 and "art. 41" in r.text, r.text

    r = await district.post(f"/v1/captures/{records[1]}/review", json={"decision": "reject"}, headers=legal)
    assert r.status_code == 422 and "reason" in r.text
    accepted = (
        await district.post(f"/v1/captures/{records[0]}/review", json={"decision": "accept"}, headers=legal)
    ).json()
    code = accepted["code"]
    assert re.fullmatch(r"[A-Z2-9]{8}", code) and code in accepted["notice"] and "占道经营" in accepted["notice"]
    again = await district.post(f"/v1/captures/{records[0]}/review", json={"decision": "accept"}, headers=legal)
    assert again.status_code == 409
    plate_review = await district.post(f"/v1/captures/{records[1]}/review", json={"decision": "accept"}, headers=legal)
    plate_code = plate_review.json()["code"]
    assert "豫A8K2L1" in plate_review.json()["notice"]

    # the party: the code finds the record (a vehicle's also asks for its plate); answered once
    assert (await district.get("/public/v1/captures", params={"code": "AAAAAAAA"})).status_code == 404
    assert (await district.get("/public/v1/captures", params={"code": plate_code})).status_code == 404
    wrong = await district.get("/public/v1/captures", params={"code": plate_code, "plate": "豫A00000"})
    assert wrong.status_code == 404
    mine = await district.get("/public/v1/captures", params={"code": plate_code, "plate": "豫a8k2l1".upper()})
    assert mine.status_code == 200 and mine.json()["plate"] == "豫A8K2L1" and mine.json()["may_answer"] is True
    [photo] = mine.json()["photos"]
    assert (await district.get(photo)).status_code == 200  # the picture, by its signed link
    statement = {"code": code, "statement": "当时正在收摊, 联系电话 13812345678"}
    answered = await district.post("/public/v1/captures/answer", json=statement)
    assert answered.status_code == 201, answered.text
    assert (await district.post("/public/v1/captures/answer", json=statement)).status_code == 409
    page = await district.get("/captures")
    assert page.status_code == 200 and "陈述、申辩" in page.text

    # cases: the review and the answer in the trail (the phone masked); now the violation may be put
    trail = await eventually(
        lambda: district.get(f"/v1/cases/{vending_case}/trail", headers=officer),
        lambda r: {"capture.accepted", "capture.answered"} <= {e["action"] for e in r.json()},
        timeout_s=30,
        what="the review and the answer in the case's trail",
    )
    said = next(e for e in trail.json() if e["action"] == "capture.answered")["data"]["statement"]
    assert "当时正在收摊" in said and "13812345678" not in said
    r = await district.post(f"/v1/cases/{vending_case}/enforcement/notify", json=notice, headers=officer)
    assert r.status_code == 200, r.text


async def _known_certified(district) -> None:
    async def read():
        from cases.tables import KnownPerson

        async with district.services["cases"].session_factory() as session:
            return await session.get(KnownPerson, "sq-ruhe-o1")

    await eventually(read, lambda p: p is not None and p.certificate_number is not None, timeout_s=30)


async def test_an_admin_draws_the_no_dog_zones_and_each_version_is_told(district):
    """禁犬区 (issue 27's contract): a zone is a valid GeoJSON Polygon, drawn by the admin, versioned,
    told on Kafka whole; the same zone again tells nothing."""
    admin = auth("admin", "admin")
    school = {
        "name": "汝河路小学",
        "kind": "school",
        "polygon": {
            "type": "Polygon",
            "coordinates": [
                [[113.611, 34.741], [113.613, 34.741], [113.613, 34.743], [113.611, 34.743], [113.611, 34.741]]
            ],
        },
    }
    assert (await district.put("/v1/dog-zones/zone-ruhe-1", json=school, headers=CLERK)).status_code == 403
    open_ring = {**school, "polygon": {"type": "Polygon", "coordinates": [school["polygon"]["coordinates"][0][:-1]]}}
    r = await district.put("/v1/dog-zones/zone-ruhe-1", json=open_ring, headers=admin)
    assert r.status_code == 422 and "not closed" in r.text
    first = (await district.put("/v1/dog-zones/zone-ruhe-1", json=school, headers=admin)).json()
    assert (first["version"], first["kind_name"]) == (1, "学校")
    assert (await district.put("/v1/dog-zones/zone-ruhe-1", json=school, headers=admin)).json()["version"] == 1
    retired = (
        await district.put("/v1/dog-zones/zone-ruhe-1", json={**school, "status": "retired"}, headers=admin)
    ).json()
    assert retired["version"] == 2
    listed = (await district.get("/v1/dog-zones?kind=school", headers=auth("external_system", "tags"))).json()
    assert [(z["id"], z["status"]) for z in listed] == [("zone-ruhe-1", "retired")]
    told = await eventually(
        lambda: district.topic("ledger.dogs"),
        lambda rs: sum(b"zone-ruhe-1" in r.value for r in rs) == 2,
        timeout_s=30,
        what="the zone's two versions on Kafka",
    )
    versions = [json.loads(r.value) for r in told if b"zone-ruhe-1" in r.value]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "active"), (2, "retired")]
    assert versions[0]["polygon"] == school["polygon"]
