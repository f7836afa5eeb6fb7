"""One dog's life in the register, on the real PostgreSQL and Apache Kafka (the five services in one
process, each with its own Kafka client, a clock the test moves): the owner's online application
with photos, approval and the tag posted, a walking violation from a closed 犬只扰民 case, the
annual inspection with its reminder, a capture with the chip scanned and the owner's claim, the
third violation suspending the licence; and a second dog from capture to adoption."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.tables import KnownDogLicence
from common.clock import FixedClock
from common.messaging.contracts import (
    DogInspected,
    DogInspectionDue,
    DogLicenceChanged,
    DogLicenceIssued,
    DogLicencePlaced,
    DogViolationRecorded,
    StrayCaptured,
    StrayLeft,
)
from common.messaging.envelope import decode
from tests.conftest import auth
from tests.conftest import token as bearer
from tests.helpers import MONITOR, district_on_kafka, eventually, photo_bytes
from tests.kafka_tools import read_topic

pytestmark = pytest.mark.integration
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing
CLERK = auth("ledger_clerk", "clerk-0001")
OFFICER = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
LEADER = auth("squad_leader", "sq-ruhe-leader", "sq-ruhe")
CHIP = "156100000123456"
FORM = {
    "owner_name": "刘女士",
    "owner_id_number": "410102199001011234",
    "owner_phone": "13903711234",
    "owner_address": "汝河路 12 号院 3 号楼",
    "lon": "113.6150",
    "lat": "34.7420",
    "dog_name": "豆豆",
    "breed": "柯基犬",
    "sex": "female",
    "birth_date": "2026-01-10",
    "size": "small",
    "chip": CHIP,
    "rabies_certificate": "ZY-2026-88123",
    "vaccinated_on": "2026-11-01",
    "clinic": "中原区动物防疫站",
}


def _photos():
    return [
        ("dog_photo", ("dog.jpg", photo_bytes((180, 140, 90)), "image/jpeg")),
        ("certificate_photo", ("cert.png", photo_bytes((240, 240, 240), fmt="PNG"), "image/png")),
    ]


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    async with district_on_kafka(database_url, kafka, namespace, tmp_path, FixedClock(START)) as client:
        client.events = lambda: _events(kafka.bootstrap, namespace)
        yield client


async def _events(bootstrap, namespace):
    return [decode(r).data for r in await read_topic(bootstrap, namespace + "ledger.dogs")]


async def test_a_dog_from_its_online_application_to_the_shelter_and_a_second_dog_adopted(district):
    client, ledger = district, district.services["ledger"]

    # -- the owner applies online, with the dog's photo and the certificate's -------------------------
    young = await client.post("/public/v1/dog-applications", data={**FORM, "birth_date": "2026-09-01"}, files=_photos())
    assert young.status_code == 422 and young.json()["detail"][0]["rule"] == "too_young", young.text
    r = await client.post("/public/v1/dog-applications", data=FORM, files=_photos())
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    seen = (await client.get(f"/public/v1/dog-applications/{token}")).json()
    assert seen["status"] == "submitted" and seen["dog_name"] == "豆豆"

    pending = (await client.get("/v1/dog-applications", headers=CLERK)).json()
    assert len(pending) == 1 and pending[0]["owner"]["id_number"] == "410***********1234"
    assert pending[0]["owner"]["phone"] == "139****1234"
    photo = await client.get(pending[0]["certificate_photo"], headers=CLERK)
    assert photo.headers["content-type"] == "image/png"
    r = await client.post(
        f"/v1/dog-applications/{pending[0]['id']}/approve",
        headers=CLERK,
        json={"tag_id": "ZYTAG-00001", "postal_tracking": "EMS1234567890CN"},
    )
    assert r.status_code == 200, r.text
    seen = (await client.get(f"/public/v1/dog-applications/{token}")).json()
    assert (seen["status"], seen["postal_tracking"]) == ("approved", "EMS1234567890CN")
    assert seen["licence_number"].startswith("D410102-2026-")
    # the squad whose grid holds the household finds it by the chip, without the owner's particulars
    found = await eventually(
        lambda: client.get(f"/v1/dog-licences?chip={CHIP}", headers=OFFICER),
        lambda r: len(r.json()) == 1,
        what="the licence in 汝河中队's grid",
        timeout_s=60,
    )
    assert [x["number"] for x in found.json()] == [seen["licence_number"]]
    assert found.json()[0]["owner"] == {"name": "刘**"} and "address" not in found.text
    licence = (await client.get("/v1/dog-licences?tag=ZYTAG-00001", headers=CLERK)).json()[0]
    assert licence["id"] == found.json()[0]["id"]
    assert licence["owner"]["phone"] == "13903711234" and licence["inspection_due_on"] == "2027-11-23"
    sms = auth("external_system", "sms-gateway")
    sms["Authorization"] = "Bearer " + bearer("external_system", "sms-gateway", scopes=("dog-owner-contact",))
    assert (await client.get(f"/v1/dog-licences/{licence['id']}/contact", headers=sms)).json()["phone"] == "13903711234"
    for reader in (OFFICER, auth("external_system", "city-platform")):  # the partner role alone is not enough
        assert (await client.get(f"/v1/dog-licences/{licence['id']}/contact", headers=reader)).status_code == 403

    # -- a 犬只扰民 case naming the licence, closed as a violation ------------------------------------------
    r = await client.post(
        "/v1/incidents",
        headers=auth("hotline_operator"),
        json={
            "category": "dog_nuisance",
            "location": {"lon": 113.6152, "lat": 34.7421},
            "description": "小区内遛狗不牵绳, 犬牌 ZYTAG-00001",
            "caller": {"name": "邻居", "phone": "13811112222"},
        },
    )
    assert r.status_code == 201, r.text

    async def incident():
        return (await client.get(f"/v1/incidents/{r.json()['id']}", headers=auth("hotline_operator"))).json()

    case_id = (await eventually(incident, lambda i: i["status"] == "dispatched", timeout_s=30, what="dispatched"))[
        "case_id"
    ]
    cases = client.services["cases"]

    async def known():
        async with cases.session_factory() as session:
            return await session.get(KnownDogLicence, licence["id"])

    await eventually(known, lambda x: x is not None, timeout_s=30, what="cases knows the licence")
    files = [("before", ("b.jpg", photo_bytes(), "image/jpeg")), ("after", ("a.jpg", photo_bytes(), "image/jpeg"))]
    wrong = await client.post(
        f"/v1/cases/{case_id}/handle",
        headers=LEADER,
        files=files,
        data={"outcome": "violation", "dog_licence_id": "no-such-licence"},
    )
    assert wrong.status_code == 422 and "not a licence in force" in wrong.text
    handled = await client.post(
        f"/v1/cases/{case_id}/handle",
        headers=LEADER,
        files=files,
        data={"outcome": "violation", "dog_licence_id": licence["id"]},
    )
    assert handled.status_code == 200 and handled.json()["dog_licence_id"] == licence["id"], handled.text
    closed = await client.post(f"/v1/cases/{case_id}/check", json={"passed": True}, headers=auth(*MONITOR))
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text

    async def the_licence():
        return (await client.get(f"/v1/dog-licences/{licence['id']}", headers=CLERK)).json()

    after_case = await eventually(
        the_licence, lambda x: x["violations_in_twelve_months"] == 1, timeout_s=30, what="the case's violation counted"
    )
    assert [h["details"]["source"] for h in after_case["history"] if h["action"] == "violation"] == ["case"]

    # -- a year on: the reminder, then the annual inspection ------------------------------------------------
    client.clock._at = datetime(2027, 10, 24, 1, tzinfo=UTC)  # 30 days before its date
    await ledger.tick()
    due = (await client.get("/v1/dog-inspections/due", headers=CLERK)).json()
    assert [(x["id"], x["inspection_state"]) for x in due] == [(licence["id"], "due")]
    await ledger.tick()  # reminded once per due date
    client.clock._at = datetime(2027, 11, 1, 2, tzinfo=UTC)
    lapsed = await client.post(
        f"/v1/dog-licences/{licence['id']}/inspections",
        headers=CLERK,
        json={"certificate": "ZY-2026-88123", "vaccinated_on": "2026-11-01"},
    )
    assert lapsed.status_code == 422 and lapsed.json()["detail"][0]["rule"] == "rabies"
    r = await client.post(
        f"/v1/dog-licences/{licence['id']}/inspections",
        headers=CLERK,
        json={"certificate": "ZY-2027-10021", "vaccinated_on": "2027-10-20", "clinic": "防疫站"},
    )
    assert r.status_code == 200 and r.json()["inspection_due_on"] == "2028-11-23", r.text

    # -- captured with its chip scanned; the owner claims it within the days, the costs paid ------------
    client.clock._at = datetime(2027, 11, 2, 3, tzinfo=UTC)
    r = await client.post(
        "/v1/strays",
        headers=OFFICER,
        data={"lon": "113.6188", "lat": "34.7466", "chip": CHIP},
        files={"photo": ("s.jpg", photo_bytes(), "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    stray = r.json()
    assert stray["licence_id"] == licence["id"] and stray["phase"] == "quarantine"
    assert (stray["claim_until"], stray["quarantine_until"]) == ("2027-11-09", "2027-11-16")
    client.clock._at = datetime(2027, 11, 5, 3, tzinfo=UTC)
    costs = (await client.get(f"/v1/strays/{stray['id']}", headers=CLERK)).json()["costs_due_fen"]
    assert costs == 3 * 2000
    short = await client.post(f"/v1/strays/{stray['id']}/claim", headers=CLERK, json={"paid_fen": 100})
    assert short.status_code == 422 and "6000 fen" in short.text
    r = await client.post(f"/v1/strays/{stray['id']}/claim", headers=CLERK, json={"paid_fen": costs})
    assert r.status_code == 200 and r.json()["status"] == "claimed", r.text

    # -- the third violation in twelve months suspends the licence ---------------------------------------
    client.clock._at = datetime(2027, 11, 6, 2, tzinfo=UTC)
    hours = await client.post(
        f"/v1/dog-licences/{licence['id']}/violations",
        headers=OFFICER,
        json={"kind": "outside_hours", "at": "2027-11-06T02:00:00Z"},
    )
    assert hours.status_code == 422 and "within the permitted hours" in hours.text  # 10:00 in Beijing
    r = await client.post(
        f"/v1/dog-licences/{licence['id']}/violations",
        headers=OFFICER,
        json={"kind": "no_lead", "location": {"lon": 113.6151, "lat": 34.7419}},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "suspended" and "address" not in r.json()["owner"]  # the officer's view
    kept = (await client.get(f"/v1/dog-licences/{licence['id']}", headers=CLERK)).json()
    assert (kept["violations_in_twelve_months"], kept["status"]) == (3, "suspended")

    # -- a second dog, without a chip: quarantine, then adoption and a new licence ------------------------
    r = await client.post(
        "/v1/strays",
        headers=OFFICER,
        data={"lon": "113.6201", "lat": "34.7433", "breed": "中华田园犬", "size": "medium"},
    )
    second = r.json()
    adopter = {
        "owner": {
            "name": "赵先生",
            "id_number": "11010519491231002X",
            "phone": "13700001111",
            "address": "建设路 66 号",
        },
        "dog": {"name": "阿黄", "breed": "中华田园犬", "size": "medium", "sex": "male", "birth_date": "2025-05-01"},
        "rabies": {"certificate": "ZY-2027-20077", "vaccinated_on": "2027-11-06"},
    }
    early = await client.post(f"/v1/strays/{second['id']}/adopt", headers=CLERK, json=adopter)
    assert early.status_code == 422 and early.json()["detail"][0]["rule"] == "quarantine"
    client.clock._at = datetime(2027, 11, 21, 2, tzinfo=UTC)
    shelter = (await client.get("/v1/shelter", headers=CLERK)).json()
    assert (shelter["in_use"], shelter["adoptable"], shelter["capacity"]) == (1, 1, 120)
    r = await client.post(f"/v1/strays/{second['id']}/adopt", headers=CLERK, json=adopter)
    assert r.status_code == 200 and r.json()["status"] == "adopted", r.text
    adopted = (await client.get(f"/v1/dog-licences/{r.json()['adopted_licence_id']}", headers=CLERK)).json()
    assert adopted["via"] == "adoption" and adopted["owner"]["name"] == "赵先生"

    # -- what reporting and the SMS gateway read, on Kafka: the year's figures by kind ---------------------
    async def enough():
        return await client.events()

    events = await eventually(
        enough, lambda es: sum(isinstance(e, StrayLeft) for e in es) == 2, timeout_s=30, what="the dog events on Kafka"
    )
    kinds = [
        (
            type(e).__name__,
            getattr(e, "via", None)
            or getattr(e, "source", None)
            or getattr(e, "outcome", None)
            or getattr(e, "action", None),
        )
        for e in events
    ]
    assert kinds.count(("DogLicenceIssued", "online")) == 1 and kinds.count(("DogLicenceIssued", "adoption")) == 1
    assert [k[1] for k in kinds if k[0] == "DogViolationRecorded"] == ["case", "capture", "officer"]
    assert [e.due_on.isoformat() for e in events if isinstance(e, DogInspectionDue)] == ["2027-11-23"]
    assert [e.next_due_on.isoformat() for e in events if isinstance(e, DogInspected)] == ["2028-11-23"]
    # (events of different dogs travel on different partitions: their order between them is not kept)
    assert sorted((e.licence_id or "") for e in events if isinstance(e, StrayCaptured)) == ["", licence["id"]]
    assert sorted(e.outcome for e in events if isinstance(e, StrayLeft)) == ["adopted", "claimed"]
    assert [e.action for e in events if isinstance(e, DogLicenceChanged)] == ["suspended"]
    assert all(
        isinstance(
            e,
            (
                DogLicenceIssued,
                DogLicenceChanged,
                DogLicencePlaced,
                DogInspected,
                DogInspectionDue,
                DogViolationRecorded,
                StrayCaptured,
                StrayLeft,
            ),
        )
        for e in events
    )
    dumped = " ".join(e.model_dump_json() for e in events)
    for private in ("13903711234", "410102199001011234", "11010519491231002X", "刘女士"):
        assert private not in dumped
    await eventually(lambda: ledger.tick(), lambda _: True)
    figures = (await client.get("/v1/ledger/figures", headers=CLERK)).json()["district"]
    assert (figures["dogs_licensed"], figures["dogs_suspended"], figures["shelter_in_use"]) == (2, 1, 0)
