"""Open311 GeoReport v2 under /open311/v2/, every endpoint in JSON and XML, errors included, on
the running platform (the services in one process on the real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from common.clock import FixedClock
from common.geo import wgs84_to_gcj02
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import MONITOR, eventually, handle_and_close

pytestmark = pytest.mark.integration
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing
V2 = "/open311/v2"
ADMIN, DISPATCHER = auth("admin"), auth("dispatcher", "dispatcher-1")
PARKING = {
    "service_code": "illegal_parking",
    "lat": "34.75",
    "long": "113.62",
    "description": "人行道上长期停车",
    "attribute[plate]": "豫A12345",
    "attribute[vehicle]": "car",
    "first_name": "明",
    "last_name": "李",
    "phone": "13812345678",
    "email": "li@example.cn",
    "account_id": "app-user-7",
}


@pytest.fixture
async def platform(database_url, tmp_path):
    clock = FixedClock(START)
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=clock,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
    )
    async with running(services, build_app(services)) as client:
        client.clock = clock
        yield client


async def _key(client, name="city-app") -> str:
    r = await client.post("/v1/open311/keys", json={"name": name}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return r.json()["api_key"]


def xml(r) -> ET.Element:
    assert r.headers["content-type"].startswith("text/xml"), r.headers["content-type"]
    assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(r.content)


def error(r, code: int, fmt: str = "json") -> str:
    """The specification's error body: the code and a description, in the format asked for."""
    assert r.status_code == code, f"{r.status_code} {r.text}"
    if fmt == "xml":
        root = xml(r)
        assert root.tag == "errors" and root.find("error/code").text == str(code)
        return root.find("error/description").text
    [only] = r.json()
    assert only["code"] == code
    return only["description"]


async def test_discovery_services_and_service_definitions(platform):
    d = (await platform.get(f"{V2}/discovery.json")).json()
    assert d["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert d["endpoints"][0]["url"].endswith("/open311/v2") and "text/xml" in d["endpoints"][0]["formats"]
    root = xml(await platform.get(f"{V2}/discovery.xml"))
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert root.find("contact").text.startswith("郑州市中原区")

    services = (await platform.get(f"{V2}/services.json")).json()
    by_code = {s["service_code"]: s for s in services}
    assert len(services) == 19 and by_code["street_vending"]["service_name"] == "占道经营"
    assert by_code["illegal_parking"]["metadata"] is True and by_code["street_vending"]["metadata"] is False
    assert by_code["illegal_parking"]["type"] == "realtime" and by_code["outdoor_advertising"]["group"] == "部件"
    root = xml(await platform.get(f"{V2}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == 19
    assert root.find("service[service_code='illegal_parking']/metadata").text == "true"

    definition = (await platform.get(f"{V2}/services/illegal_parking.json")).json()
    plate, vehicle = definition["attributes"]
    assert definition["service_code"] == "illegal_parking"
    assert (plate["code"], plate["datatype"], plate["required"], plate["order"]) == ("plate", "string", True, 1)
    assert [v["key"] for v in vehicle["values"]] == ["car", "truck", "motorcycle", "bicycle"]
    root = xml(await platform.get(f"{V2}/services/illegal_parking.xml"))
    assert root.tag == "service_definition"
    assert [v.text for v in root.findall("attributes/attribute/values/value/name")] == [
        "小型汽车",
        "货车",
        "摩托车/电动车",
        "自行车/共享单车",
    ]

    assert "not found" in error(await platform.get(f"{V2}/services/no_such.json"), 404)
    assert "not found" in error(await platform.get(f"{V2}/services/no_such.xml"), 404, "xml")
    assert "json or xml" in error(await platform.get(f"{V2}/services.yaml"), 400)
    assert "not served here" in error(await platform.get(f"{V2}/services.xml?jurisdiction_id=beijing"), 404, "xml")
    assert (await platform.get(f"{V2}/services.json?jurisdiction_id=zhongyuan.zhengzhou.cgzf.cn")).status_code == 200


async def test_keys_are_issued_and_revoked_by_an_admin(platform):
    assert (await platform.post("/v1/open311/keys", json={"name": "x"}, headers=DISPATCHER)).status_code == 403
    assert (await platform.post("/v1/open311/keys", json={"name": "x"})).status_code == 401
    key = await _key(platform, "郑好办")
    listed = (await platform.get("/v1/open311/keys", headers=ADMIN)).json()
    assert [(k["name"], k["key_prefix"]) for k in listed] == [("郑好办", key[:8])] and "api_key" not in listed[0]
    r = await platform.post(f"{V2}/requests.json", data={**PARKING, "api_key": key})
    assert r.status_code == 201, r.text
    revoked = await platform.delete(f"/v1/open311/keys/{listed[0]['id']}", headers=ADMIN)
    assert revoked.json()["revoked_at"]
    assert "revoked" in error(await platform.post(f"{V2}/requests.json", data={**PARKING, "api_key": key}), 403)
    assert "required" in error(await platform.post(f"{V2}/requests.xml", data=PARKING), 403, "xml")


async def test_post_requests_checks_every_field_and_answers_in_both_formats(platform):
    key = await _key(platform)
    post = lambda fmt, **form: platform.post(f"{V2}/requests.{fmt}", data={"api_key": key, **form})  # noqa: E731
    assert "service_code is required" in error(await post("json", lat="34.75", long="113.62", description="x"), 400)
    assert "not found" in error(await post("json", **{**PARKING, "service_code": "nope"}), 404)
    missing = {k: v for k, v in PARKING.items() if k != "attribute[plate]"}
    assert "attribute[plate] is required" in error(await post("xml", **missing), 400, "xml")
    assert "no value 'bus'" in error(await post("json", **{**PARKING, "attribute[vehicle]": "bus"}), 400)
    assert "lat and long come together" in error(await post("json", **{**PARKING, "long": ""}), 400)
    nowhere = {k: v for k, v in PARKING.items() if k not in ("lat", "long")}
    assert "a location is required" in error(await post("json", **nowhere), 400)
    assert "not in the district's address table" in error(
        await post("json", **nowhere, address_string="火星路1号"), 400
    )
    assert "phone is not" in error(await post("json", **{**PARKING, "phone": "call me"}), 400)
    assert "description is longer than 2000" in error(
        await post("json", **{**PARKING, "description": "长" * 2001}), 400
    )
    assert "coordinate_system" in error(await post("json", **PARKING, coordinate_system="bd09"), 400)

    r = await post("json", **PARKING)
    assert r.status_code == 201 and r.headers["content-type"].startswith("application/json")
    [created] = r.json()
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    assert created["account_id"] == "app-user-7"
    root = xml(await post("xml", **{**PARKING, "description": "另一辆车"}))
    assert root.tag == "service_requests" and root.find("request/service_request_id").text
    by_token = (await platform.get(f"{V2}/tokens/{created['token']}.json")).json()
    assert by_token == [{"service_request_id": created["service_request_id"], "token": created["token"]}]
    token_xml = xml(await platform.get(f"{V2}/tokens/{created['token']}.xml"))
    assert token_xml.find("request/service_request_id").text == created["service_request_id"]
    assert "not found" in error(await platform.get(f"{V2}/tokens/nope.xml"), 404, "xml")

    # what the public reads: no name, phone or e-mail anywhere
    one = await platform.get(f"{V2}/requests/{created['service_request_id']}.json")
    [req] = one.json()
    assert req["status"] == "open" and req["service_name"] == "违章停车" and req["lat"] == 34.75
    assert req["requested_datetime"] == "2026-11-23T01:00:00Z" and req["agency_responsible"] is None
    for secret in ("13812345678", "li@example.cn", "李"):
        assert secret not in one.text
    assert "not found" in error(await platform.get(f"{V2}/requests/nope.json"), 404)
    assert "not found" in error(await platform.get(f"{V2}/requests/nope.xml"), 404, "xml")

    # GCJ-02 from a Chinese map SDK is converted; an address is geocoded against the table
    wgs = (113.6123, 34.7488)
    gcj = wgs84_to_gcj02(*wgs)
    [moved] = (
        await post("json", **{**PARKING, "long": str(gcj[0]), "lat": str(gcj[1]), "coordinate_system": "gcj02"})
    ).json()
    [stored] = (await platform.get(f"{V2}/requests/{moved['service_request_id']}.json")).json()
    assert stored["long"] == pytest.approx(wgs[0], abs=1e-6) and stored["lat"] == pytest.approx(wgs[1], abs=1e-6)
    addressed = {k: v for k, v in PARKING.items() if k not in ("lat", "long")}
    [at] = (await post("json", **addressed, address_string="郑州市中原区建设路88号附近")).json()
    [found] = (await platform.get(f"{V2}/requests/{at['service_request_id']}.json")).json()
    assert found["address"] == "郑州市中原区建设路88号附近" and 113.625 < found["long"] < 113.66


async def test_requests_follow_the_case_and_filter_as_the_specification_says(platform):
    key = await _key(platform)
    [first] = (await platform.post(f"{V2}/requests.json", data={**PARKING, "api_key": key})).json()
    [noise] = (
        await platform.post(
            f"{V2}/requests.json",
            data={
                "api_key": key,
                "service_code": "noise",
                "attribute[period]": "night",
                "lat": "34.74",
                "long": "113.61",
                "description": "夜间施工噪音",
            },
        )
    ).json()
    rid = first["service_request_id"]

    async def request(extensions=False):
        return (await platform.get(f"{V2}/requests/{rid}.json" + ("?extensions=true" if extensions else ""))).json()[0]

    incident = await eventually(
        lambda: platform.get(f"/v1/incidents/{rid}", headers=DISPATCHER),
        lambda r: r.json().get("case_id"),
        what="case opened",
    )
    case_id = incident.json()["case_id"]
    # an Open311 report waits for a field monitor, then the command centre files it and it is dispatched
    for step, who in (("verify", auth(*MONITOR)), ("file", DISPATCHER)):
        body = {"confirmed": True} if step == "verify" else {}
        assert (await platform.post(f"/v1/cases/{case_id}/{step}", json=body, headers=who)).status_code == 200
    dispatched = await eventually(request, lambda r: r["agency_responsible"], what="agency responsible")
    assert dispatched["agency_responsible"] == "汝河中队" and dispatched["status"] == "open"
    # 违章停车: 8 working hours from Monday 09:00 (6.5 on Monday) = Tuesday 10:00 Beijing
    assert dispatched["expected_datetime"] == "2026-11-24T02:00:00Z"
    note = await platform.post(
        f"/v1/cases/{case_id}/notes", json={"text": "已联系车主 13900001111 挪车", "public": True}, headers=DISPATCHER
    )
    assert note.status_code == 204, note.text
    await platform.post(
        f"/v1/cases/{case_id}/notes", json={"text": "内部: 车主为惯犯", "public": False}, headers=DISPATCHER
    )
    noted = await eventually(request, lambda r: r["status_notes"], what="status notes")
    assert noted["status_notes"] == "已联系车主 139****1111 挪车"
    await handle_and_close(platform, case_id)
    closed = await eventually(lambda: request(extensions=True), lambda r: r["status"] == "closed", what="closed")
    ext = closed["extended_attributes"]
    assert ext["channel"] == "open311" and ext["detailed_status"] == "closed" and ext["case_number"]
    assert [n["text"] for n in ext["notes"]] == ["已联系车主 139****1111 挪车"]  # the internal note is not there

    listing = lambda q="": platform.get(f"{V2}/requests.json{q}")  # noqa: E731
    ids = lambda r: {x["service_request_id"] for x in r.json()}  # noqa: E731
    assert ids(await listing()) == {rid, noise["service_request_id"]}
    assert ids(await listing("?status=closed")) == {rid}
    assert ids(await listing("?status=open")) == {noise["service_request_id"]}
    assert ids(await listing("?status=open,closed&service_code=noise,dust")) == {noise["service_request_id"]}
    assert ids(await listing("?start_date=2026-11-23T09:00:01%2B08:00")) == set()
    assert ids(await listing("?end_date=2026-11-23T09:00:00%2B08:00&start_date=2026-11-01T00:00:00Z")) == {
        rid,
        noise["service_request_id"],
    }
    assert ids(await listing(f"?service_request_id={rid}&status=open")) == {rid}  # other filters ignored
    assert len((await listing("?page_size=1")).json()) == 1
    assert ids(await listing("?page_size=1")) | ids(await listing("?page_size=1&page=2")) == {
        rid,
        noise["service_request_id"],
    }
    assert "not open or closed" in error(await listing("?status=pending"), 400)
    assert "W3C datetime" in error(await platform.get(f"{V2}/requests.xml?start_date=yesterday"), 400, "xml")
    assert "before start_date" in error(
        await listing("?start_date=2026-11-23T00:00:00Z&end_date=2026-11-01T00:00:00Z"), 400
    )
    assert "page_size" in error(await listing("?page_size=5000"), 400)
    root = xml(await platform.get(f"{V2}/requests.xml?extensions=true"))
    assert root.tag == "service_requests" and len(root.findall("request")) == 2
    closed_xml = root.find(f"request[service_request_id='{rid}']")
    assert closed_xml.find("status").text == "closed"
    assert closed_xml.find("extended_attributes/notes/note/text").text == "已联系车主 139****1111 挪车"
    # the default window is 90 days
    platform.clock.advance(timedelta(days=91))
    assert (await listing()).json() == []
    assert ids(await listing("?start_date=2026-11-01T00:00:00Z")) == {rid, noise["service_request_id"]}
