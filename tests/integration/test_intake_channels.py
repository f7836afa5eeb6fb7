"""Intake's channels beyond the hotline, on the running platform (the services in one process on
the real PostgreSQL): a citizen's web report with a photo, followed by its token and rated after
closure; repeated reports joining an open incident and a dispatcher splitting a wrong merge;
cameras and dog tags, idempotent on their own event ids; field monitors with nine photos; the
versioned 服务目录; rate limits and flood throttling; photos' access control."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from common.clock import FixedClock
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import MONITOR, eventually, handle_and_close, photo_bytes, register_device

pytestmark = pytest.mark.integration
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing
DISPATCHER, ADMIN, CAMERAS = auth("dispatcher", "dispatcher-1"), auth("admin"), auth("external_system", "hik-platform")
SPOT = (113.62, 34.75)  # in 汝河 grid


def gps_exif(taken: str = "2026:11:23 08:41:07") -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"
    exif[0x8825] = {1: "N", 2: (34.0, 45.0, 0.0), 3: "E", 4: (113.0, 37.0, 12.0)}
    exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal
    return exif.tobytes()


async def platform_with(database_url, tmp_path, **settings):
    clock = FixedClock(START)
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=clock,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        **settings,
    )
    return clock, services


@pytest.fixture
async def platform(database_url, tmp_path):
    clock, services = await platform_with(database_url, tmp_path)
    async with running(services, build_app(services)) as client:
        client.clock = clock
        client.services = {s.name: s for s in services}
        yield client


def web_form(category="street_vending", lon=SPOT[0], lat=SPOT[1], description="建设路口有人占道摆摊卖水果", **extra):
    return {"category": category, "lon": str(lon), "lat": str(lat), "description": description, **extra}


async def web_report(client, photos=(), headers=None, **form):
    files = [("photos", (f"p{n}.jpg", data, "image/jpeg")) for n, data in enumerate(photos)]
    return await client.post("/public/v1/reports", data=web_form(**form), files=files or None, headers=headers or {})


async def case_of(client, incident_id: str) -> dict:
    async def probe():
        r = await client.get(f"/v1/incidents/{incident_id}", headers=DISPATCHER)
        return r.json()

    incident = await eventually(probe, lambda i: i.get("case_id") is not None, what="a case for the incident")
    return (await client.get(f"/v1/cases/{incident['case_id']}", headers=DISPATCHER)).json()


async def to_dispatched(client, case_id: str) -> None:
    """A web report waits for on-site verification (待核实), is filed, and dispatch routes it."""
    r = await client.post(f"/v1/cases/{case_id}/verify", json={"confirmed": True}, headers=auth(*MONITOR))
    assert r.status_code == 200, r.text
    r = await client.post(f"/v1/cases/{case_id}/file", json={}, headers=DISPATCHER)
    assert r.status_code == 200, r.text
    await eventually(
        lambda: client.get(f"/v1/cases/{case_id}", headers=DISPATCHER),
        lambda r: r.json()["status"] == "dispatched",
        what="case dispatched",
    )


async def test_a_web_report_with_a_photo_is_tracked_by_token_and_rated_after_closure(platform):
    photo = photo_bytes(size=(64, 48), exif=gps_exif())
    r = await web_report(platform, photos=[photo], contact_phone="13912345678", contact_name="王女士")
    assert r.status_code == 201, r.text
    accepted = r.json()
    token, reference = accepted["token"], accepted["reference"]
    assert accepted["joined"] is None and accepted["status_label"] == "已受理"
    assert accepted["tracking_url"].endswith(f"/track?token={token}")

    # the tracking page: status, no contact details, the photo by URL without its metadata
    tracking = (await platform.get(f"/public/v1/reports/{token}")).json()
    assert tracking["reference"] == reference and tracking["category_name"] == "占道经营"
    assert tracking["can_rate"] is False and "closed" in tracking["rate_hint"]
    assert "13912345678" not in str(tracking) and "王女士" not in str(tracking)
    [url] = tracking["photos"]
    shown = await platform.get(url)  # public: no token needed
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(shown.content)) as im:
        assert not im.getexif() and im.size == (64, 48)
    photo_id = url.rsplit("/", 1)[1]
    assert (await platform.get(f"/v1/photos/{photo_id}/original")).status_code == 401
    original = await platform.get(f"/v1/photos/{photo_id}/original", headers=DISPATCHER)
    assert original.status_code == 200 and original.content == photo  # the evidence, as it came
    assert (await platform.get("/public/v1/reports/not-a-token")).status_code == 404

    # staff see the photo's time taken (EXIF, Beijing time) and the channel
    incident = (await platform.get(f"/v1/incidents/{reference}", headers=DISPATCHER)).json()
    assert incident["channel"] == "web" and incident["category_version"] == 1
    assert incident["photos"][0]["taken_at"] == "2026-11-23T00:41:07Z"

    case = await case_of(platform, reference)
    assert case["status"] == "reported"
    await to_dispatched(platform, case["id"])
    r = await platform.post(
        f"/v1/cases/{case['id']}/notes", json={"text": "已安排汝河中队前往处置", "public": True}, headers=DISPATCHER
    )
    assert r.status_code == 204, r.text
    tracking = await eventually(
        lambda: platform.get(f"/public/v1/reports/{token}"), lambda r: r.json()["notes"], what="the public note"
    )
    assert tracking.json()["status_label"] == "处置中" and tracking.json()["agency_responsible"] == "汝河中队"

    # rating before closure is refused with the reason
    r = await platform.post(f"/public/v1/reports/{token}/rating", json={"rating": "satisfied"})
    assert r.status_code == 409 and "once it is closed" in r.json()["detail"]
    await handle_and_close(platform, case["id"])
    await eventually(
        lambda: platform.get(f"/public/v1/reports/{token}"),
        lambda r: r.json()["can_rate"],
        what="rateable after closure",
    )
    r = await platform.post(f"/public/v1/reports/{token}/rating", json={"rating": "excellent"})
    assert r.status_code == 422 and "rating" in r.text

    # 不满意 reopens the case by the bureau's rule, and reporting counts the rating
    r = await platform.post(
        f"/public/v1/reports/{token}/rating",
        json={"rating": "dissatisfied", "comment": "摊贩第二天又回来了, 联系我 13912345678"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["rating"]["label"] == "不满意"
    reopened = await eventually(
        lambda: platform.get(f"/v1/cases/{case['id']}", headers=DISPATCHER),
        lambda r: r.json()["status"] == "dispatched",
        what="case reopened",
    )
    assert reopened.json()["rating"] == "dissatisfied"
    trail = (await platform.get(f"/v1/cases/{case['id']}/trail", headers=DISPATCHER)).json()
    evaluate, reopen = [e for e in trail if e["action"] in ("evaluate", "reopen")]
    assert evaluate["data"]["rating"] == "dissatisfied" and "139****5678" in evaluate["data"]["comment"]
    assert reopen["reason"].startswith("市民评价不满意")
    report = await eventually(
        lambda: platform.get("/v1/reports/monthly?month=2026-11", headers=auth("supervisor")),
        lambda r: r.json()["rated"] == 1,
        what="the rating counted",
    )
    assert report.json()["dissatisfied"] == 1 and report.json()["satisfied"] == 0
    assert report.json()["satisfaction_rate"] == 0.0
    # the reopened case may be rated again once it closes again
    tracking = (await platform.get(f"/public/v1/reports/{token}")).json()
    assert tracking["rating"] is None and tracking["can_rate"] is False


async def test_a_repeated_report_joins_the_open_incident_and_a_dispatcher_splits_a_wrong_merge(platform):
    first = (await web_report(platform)).json()
    case = await case_of(platform, first["reference"])
    # 30 m away, same category, an hour later: the same problem
    platform.clock.advance(timedelta(hours=1))
    r = await web_report(platform, lon=SPOT[0] + 0.0003, description="路口水果摊又来了")
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["joined"]["reference"] == first["reference"]
    assert second["joined"]["case_number"] == case["case_number"]
    assert case["case_number"] in second["message"]
    # Open311 too: told which request it joined
    key = (await platform.post("/v1/open311/keys", json={"name": "dup-app"}, headers=ADMIN)).json()["api_key"]
    r = await platform.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "street_vending",
            "lat": str(SPOT[1] + 0.0002),
            "long": str(SPOT[0]),
            "description": "又有人摆摊",
        },
    )
    assert r.status_code == 201 and first["reference"] in r.json()[0]["service_notice"]
    third_id = r.json()[0]["service_request_id"]

    # not the same problem: another category at the same spot, the same category 400 m away
    other = (await web_report(platform, category="illegal_flyers", description="电线杆上贴满小广告")).json()
    far = (await web_report(platform, lon=SPOT[0] + 0.0045, description="另一个路口也有摊贩")).json()
    assert other["joined"] is None and far["joined"] is None

    # one case for the three reports; its trail keeps the joined ones
    trail = await eventually(
        lambda: platform.get(f"/v1/cases/{case['id']}/trail", headers=DISPATCHER),
        lambda r: sum(e["action"] == "report_joined" for e in r.json()) == 2,
        what="joined reports in the trail",
    )
    assert [e["data"]["reporters"] for e in trail.json() if e["action"] == "report_joined"] == [2, 3]
    cases = (await platform.get("/v1/cases?limit=50", headers=DISPATCHER)).json()
    assert not [c for c in cases if c["incident_id"] in (second["reference"], third_id)]
    joined = (await platform.get(f"/v1/incidents?duplicate_of={first['reference']}", headers=DISPATCHER)).json()
    assert {i["id"] for i in joined} == {second["reference"], third_id}
    listing = (await platform.get(f"/open311/v2/requests/{third_id}.json?extensions=true")).json()[0]
    assert listing["extended_attributes"]["joined_service_request_id"] == first["reference"]
    assert listing["status"] == "open"
    tracking = (await platform.get(f"/public/v1/reports/{second['token']}")).json()
    assert tracking["joined"]["reference"] == first["reference"] and tracking["case_number"] == case["case_number"]

    # a dispatcher splits the wrong merge: the report gets a case of its own
    assert (
        await platform.post(
            f"/v1/incidents/{third_id}/detach", json={"reason": "是另一处摊点"}, headers=auth("hotline_operator")
        )
    ).status_code == 403
    r = await platform.post(f"/v1/incidents/{third_id}/detach", json={"reason": "是另一处摊点"}, headers=DISPATCHER)
    assert r.status_code == 200, r.text
    assert r.json()["duplicate_of"] is None and "detached" in r.json()["flags"]
    own = await case_of(platform, third_id)
    assert own["id"] != case["id"] and own["channel"] == "open311"
    assert (
        await platform.post(f"/v1/incidents/{third_id}/detach", json={"reason": "again"}, headers=DISPATCHER)
    ).status_code == 409
    await eventually(
        lambda: platform.get(f"/v1/cases/{case['id']}/trail", headers=DISPATCHER),
        lambda r: any(e["action"] == "report_detached" and e["data"]["incident_id"] == third_id for e in r.json()),
        what="the split in the first case's trail",
    )

    # past the category's window (12 h for 占道经营) a report opens a new incident
    platform.clock.advance(timedelta(hours=12, minutes=1))
    late = (await web_report(platform, description="今天又来摆摊了")).json()
    assert late["joined"] is None
    report = await eventually(
        lambda: platform.get("/v1/reports/monthly?month=2026-11", headers=auth("supervisor")),
        lambda r: r.json()["joined"] == 2,
        what="joined reports counted",
    )
    assert report.json()["joined"] == 2


async def test_cameras_and_dog_tags_are_idempotent_on_their_own_event_ids(platform):
    image = base64.b64encode(photo_bytes((30, 30, 30))).decode()
    camera = {"kind": "fixed_camera", "serial_number": "DS-2CD-07", "location": {"lon": 113.6301, "lat": 34.7512}}
    await register_device(platform, platform.services, "cam-jianshe-07", camera)
    capture = {
        "source_event_id": "hik-20261123-000417",
        "kind": "parking_capture",
        "occurred_at": "2026-11-23T08:58:00+08:00",
        "location": {"lon": 113.6301, "lat": 34.7512},
        "device_id": "cam-jianshe-07",
        "plate": "豫A8K2L1",
        "images": [image],
    }
    assert (await platform.post("/v1/machine-events", json=capture, headers=DISPATCHER)).status_code == 403
    assert (await platform.post("/v1/machine-events", json=capture)).status_code == 401
    r = await platform.post("/v1/machine-events", json=capture, headers=CAMERAS)
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["channel"] == "camera" and incident["category"] == "illegal_parking"
    assert incident["attributes"] == {"plate": "豫A8K2L1", "device_kind": "fixed_camera"}
    assert incident["source_event_id"] == capture["source_event_id"]
    assert incident["observed_at"] == "2026-11-23T00:58:00Z"
    again = await platform.post("/v1/machine-events", json=capture, headers=CAMERAS)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == incident["id"]
    changed = await platform.post("/v1/machine-events", json={**capture, "plate": "豫A0000"}, headers=CAMERAS)
    assert changed.status_code == 409 and capture["source_event_id"] in changed.json()["detail"]
    # another system may use the same id for its own event
    other = await platform.post("/v1/machine-events", json=capture, headers=auth("external_system", "dahua"))
    assert other.status_code == 201 and other.json()["id"] != incident["id"]

    # the capture's photo (a plate) is not public: signed link, staff token, or nothing; an external
    # system, even the one that sent it, is handed no link to it (common.access)
    assert incident["photos"] == []
    seen = await platform.get(f"/v1/incidents/{incident['id']}", headers=CAMERAS)
    assert seen.status_code == 200 and seen.json()["photos"] == []
    [photo] = (await platform.get(f"/v1/incidents/{incident['id']}", headers=DISPATCHER)).json()["photos"]
    assert photo["public"] is False and "sig=" in photo["url"]
    assert (await platform.get(f"/v1/photos/{photo['id']}", headers=CAMERAS)).status_code == 404
    assert (await platform.get(f"/v1/photos/{photo['id']}/original", headers=CAMERAS)).status_code == 404
    assert (await platform.get(photo["url"])).status_code == 200
    plain = f"/v1/photos/{photo['id']}"
    assert (await platform.get(plain)).status_code == 401
    assert (await platform.get(plain + "?expires=9999999999&sig=0000")).status_code == 401
    assert (await platform.get(plain, headers=auth("hotline_operator"))).status_code == 200
    assert (await platform.get(plain, headers=auth("squad_officer", "o-1", "sq-xushui"))).status_code == 404
    platform.clock.advance(timedelta(hours=2))
    assert (await platform.get(photo["url"])).status_code == 401  # the signed link expired

    owner = {"name": "李建华", "id_number": "410102199001011234", "phone": "13903711234", "address": "汝河路 12 号院"}
    owner["location"] = {"lon": 113.6150, "lat": 34.7420}
    dog = {"name": "豆豆", "breed": "柯基犬", "size": "small", "sex": "female", "birth_date": "2026-01-10"}
    licence = {"owner": owner, "dog": {**dog, "chip": "156100000765432"}}
    licence["rabies"] = {"certificate": "ZY-2026-88123", "vaccinated_on": "2026-11-01"}
    clerk = auth("ledger_clerk", "clerk-0001")
    issued = await eventually(  # the ledger learns the grids from dispatch's events
        lambda: platform.post("/v1/dog-licences", headers=clerk, json=licence),
        lambda r: r.status_code == 201,
        what="a dog licence issued",
    )
    licence_id = issued.json()["id"]
    await register_device(platform, platform.services, "reader-lsz-2", {"kind": "dog_tag", "licence_id": licence_id})
    alarm = {
        "source_event_id": "tag-88120-17",
        "kind": "dog_tag_alarm",
        "occurred_at": "2026-11-23T09:05:00+08:00",
        "location": {"lon": 113.612, "lat": 34.742},
        "device_id": "reader-lsz-2",
        "tag_id": "ZY-2026-00831",
        "description": "犬只进入禁入区域 (林山寨小学周边)",
    }
    r = await platform.post("/v1/machine-events", json=alarm, headers=CAMERAS)
    assert r.status_code == 201 and r.json()["channel"] == "iot" and r.json()["category"] == "dog_nuisance"
    assert r.json()["attributes"]["dog_licence_id"] == licence_id  # the tag resolved to its licence
    # a machine event names a device of the register, in service, of a kind that sends it
    stranger = await platform.post(
        "/v1/machine-events", json={**alarm, "source_event_id": "z1", "device_id": "reader-x"}, headers=CAMERAS
    )
    assert stranger.status_code == 422 and "reader-x" in stranger.text and "设备台账" in stranger.text
    assert stranger.json()["detail"][0]["loc"][-1] == "device_id"
    wrong = await platform.post(
        "/v1/machine-events", json={**capture, "source_event_id": "z2", "device_id": "reader-lsz-2"}, headers=CAMERAS
    )
    assert wrong.status_code == 422 and "dog_tag" in wrong.text and "fixed_camera" in wrong.text
    await register_device(platform, platform.services, "cam-jianshe-07", {**camera, "status": "retired"})
    retired = await platform.post("/v1/machine-events", json={**capture, "source_event_id": "z3"}, headers=CAMERAS)
    assert retired.status_code == 422 and "retired" in retired.text
    bad = await platform.post(
        "/v1/machine-events", json={**alarm, "source_event_id": "x", "kind": "iot_alarm"}, headers=CAMERAS
    )
    assert bad.status_code == 422 and "names its category" in bad.text
    bad = await platform.post(
        "/v1/machine-events", json={**capture, "source_event_id": "y", "images": ["not base64!"]}, headers=CAMERAS
    )
    assert bad.status_code == 422 and "base64" in bad.text


async def test_field_monitors_send_up_to_nine_photos_with_the_time_taken(platform):
    monitor = auth(*MONITOR)
    form = {"category": "roadside_waste", "lon": "113.611", "lat": "34.741", "description": "沿街堆放建筑垃圾"}
    ten = [("photos", (f"{n}.jpg", photo_bytes((n * 20, 10, 10)), "image/jpeg")) for n in range(10)]
    r = await platform.post("/v1/field-reports", data=form, files=ten, headers=monitor)
    assert r.status_code == 422 and "at most 9" in r.text
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    r = await platform.post(
        "/v1/field-reports", data=form, files=[("photos", ("a.jpg", gif.getvalue(), "image/jpeg"))], headers=monitor
    )
    assert r.status_code == 422 and "only JPEG, PNG and HEIC" in r.text
    r = await platform.post(
        "/v1/field-reports",
        data=form,
        files=[("photos", ("big.jpg", b"\xff" * (10 * 1024 * 1024 + 1), "image/jpeg"))],
        headers=monitor,
    )
    assert r.status_code == 413 and "10 MB" in r.text
    assert (await platform.post("/v1/field-reports", data=form, headers=auth("hotline_operator"))).status_code == 403
    nine = [("photos", ("0.jpg", photo_bytes((1, 2, 3), exif=gps_exif("2026:11:23 08:30:00")), "image/jpeg"))]
    nine += [("photos", (f"{n}.png", photo_bytes((n * 20, 10, 10), fmt="PNG"), "image/png")) for n in range(1, 8)]
    nine += [("photos", ("8.heic", photo_bytes((9, 9, 9), fmt="HEIF"), "image/heic"))]
    r = await platform.post("/v1/field-reports", data=form, files=nine, headers=monitor)
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["channel"] == "field_monitor" and len(incident["photos"]) == 9
    assert incident["observed_at"] == "2026-11-23T00:30:00Z"
    heic = incident["photos"][-1]
    shown = await platform.get(heic["url"])
    assert shown.headers["content-type"] == "image/jpeg"  # HEIC is shown as JPEG, every browser can
    # a field monitor's report is filed at once: no 待核实
    assert (await case_of(platform, incident["id"]))["status"] in ("filed", "dispatched")


async def test_the_catalogue_is_versioned_and_a_case_keeps_the_rules_it_was_filed_under(platform):
    r = await platform.post(
        "/v1/incidents",
        json={"category": "illegal_parking", "location": {"lon": 113.62, "lat": 34.75}, "description": "占用盲道停车"},
        headers=auth("hotline_operator"),
    )
    before = r.json()
    assert before["category_version"] == 1
    rules = (await platform.get("/v1/categories", headers=ADMIN)).json()
    parking = next(c for c in rules if c["code"] == "illegal_parking")
    edit = {
        **{k: v for k, v in parking.items() if k not in ("code", "version")},
        "time_limit_hours": 4,
        "reason": "区政府要求违停 4 小时内处置",
    }
    assert (await platform.put("/v1/categories/illegal_parking", json=edit, headers=DISPATCHER)).status_code == 403
    r = await platform.put("/v1/categories/illegal_parking", json={**edit, "time_limit_hours": 0}, headers=ADMIN)
    assert r.status_code == 422 and "time_limit_hours" in r.text
    r = await platform.put("/v1/categories/illegal_parking", json=edit, headers=ADMIN)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["time_limit_hours"] == 4
    after = (
        await platform.post(
            "/v1/incidents",
            json={"category": "illegal_parking", "location": {"lon": 113.62, "lat": 34.75}, "description": "又停上了"},
            headers=auth("hotline_operator"),
        )
    ).json()
    assert after["category_version"] == 2
    assert (await case_of(platform, before["id"]))["time_limit_hours"] == 8
    assert (await case_of(platform, after["id"]))["time_limit_hours"] == 4
    versions = (await platform.get("/v1/categories/illegal_parking/versions", headers=auth("hotline_operator"))).json()
    assert [(v["version"], v["time_limit_hours"], v["changed_by"]) for v in versions] == [
        (1, 8, "seed"),
        (2, 4, "admin-demo"),
    ]
    # a new category, and retiring one: its reports are accepted and flagged, never dropped
    new = {**edit, "name": "共享单车乱停放", "time_limit_hours": 8, "reason": "新增", "attributes": []}
    r = await platform.put("/v1/categories/shared_bikes", json=new, headers=ADMIN)
    assert r.status_code == 200 and r.json()["version"] == 1
    assert any(s["service_code"] == "shared_bikes" for s in (await platform.get("/open311/v2/services.json")).json())
    r = await platform.put(
        "/v1/categories/shared_bikes", json={**new, "active": False, "reason": "并入违章停车"}, headers=ADMIN
    )
    assert r.json()["version"] == 2
    retired = (
        await platform.post(
            "/v1/incidents",
            json={"category": "shared_bikes", "location": {"lon": 113.62, "lat": 34.75}, "description": "单车堆在路口"},
            headers=auth("hotline_operator"),
        )
    ).json()
    assert retired["category_known"] is False and "unknown_category" in retired["flags"]
    assert (await platform.put("/v1/categories/Bad-Code", json=edit, headers=ADMIN)).status_code == 422


async def test_public_endpoints_are_rate_limited_and_a_flood_of_one_spot_is_refused(database_url, tmp_path):
    clock, services = await platform_with(
        database_url, tmp_path, public_reports_per_minute=4, flood_max_reports=2, public_reads_per_minute=1000
    )
    async with running(services, build_app(services)) as client:
        # the same spot, different categories (so none joins another): the third is a flood
        assert (
            await web_report(client, category="noise", **{"attribute[period]": "night"}, description="夜间施工噪音")
        ).status_code == 201
        assert (await web_report(client, category="dust", description="工地扬尘")).status_code == 201
        r = await web_report(client, category="cooking_fumes", description="油烟")
        assert r.status_code == 429 and "at most 2" in r.json()["detail"] and int(r.headers["Retry-After"]) > 0
        # another spot is fine, until the per-minute limit (4 requests, the refused one counted)
        assert (await web_report(client, lon=113.55, lat=34.76, category="dust")).status_code == 201
        r = await web_report(client, lon=113.56, lat=34.76, category="dust")
        assert r.status_code == 429 and "a minute" in r.json()["detail"]
        # behind the gateway the client is the forwarded address, so another citizen is not blocked
        r = await web_report(client, lon=113.56, lat=34.76, category="dust", headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 201, r.text
        clock.advance(timedelta(minutes=1))
        assert (await web_report(client, lon=113.57, lat=34.76, category="dust")).status_code == 201
        # bounds, each named
        r = await web_report(client, description="x" * 2001)
        assert r.status_code == 422 and "description" in r.text
        r = await web_report(client, photos=[photo_bytes()] * 6, lon=113.58, lat=34.76, category="dust")
        assert r.status_code == 422 and "at most 5" in r.text
        r = await web_report(client, category="noise", lon=113.59, lat=34.76)
        assert r.status_code == 422 and "attribute[period] is required" in r.text
        r = await client.post("/public/v1/reports", data={"category": "dust", "description": "扬尘"})
        assert r.status_code == 422 and "location" in r.text


async def test_an_open311_app_may_upload_its_photo_as_media(platform):
    key = (await platform.post("/v1/open311/keys", json={"name": "photo-app"}, headers=ADMIN)).json()["api_key"]
    form = {
        "api_key": key,
        "service_code": "illegal_flyers",
        "lat": "34.745",
        "long": "113.605",
        "description": "电线杆上的小广告",
    }
    r = await platform.post(
        "/open311/v2/requests.json",
        data=form,
        files=[("media", ("flyers.png", photo_bytes((5, 5, 200), fmt="PNG", size=(50, 40)), "image/png"))],
    )
    assert r.status_code == 201, r.text
    request_id = r.json()[0]["service_request_id"]
    [listed] = (await platform.get(f"/open311/v2/requests/{request_id}.json")).json()
    assert "/v1/photos/" in listed["media_url"]
    shown = await platform.get(listed["media_url"].replace("http://test", ""))
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    r = await platform.post(
        "/open311/v2/requests.xml",
        data={**form, "lat": "34.70"},
        files=[("media", ("x.gif", b"GIF89a\x01\x00\x01\x00", "image/gif"))],
    )
    assert r.status_code == 400 and b"media: x.gif is not a JPEG, PNG or HEIC" in r.content and b"<errors>" in r.content
