"""Video evidence from a body camera, on the real PostgreSQL and Apache Kafka and a real HTTP server:
a 200 MB video sent with the tus protocol (tuspy, as a docking station would), cut off in the
middle and resumed where it stopped, arrives whole; its SHA-256 is in the trail; it plays back
by range; every viewing is logged; a file that is no video is refused and not kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from tusclient import client as tus
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from common.clock import FixedClock
from devstack.media import MB, body_camera_video
from tests.conftest import auth
from tests.helpers import eventually, report_dispatched, served

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
IN_RUHE = {"lon": 113.61, "lat": 34.74}
OFFICER = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
LEGAL = auth("legal_officer", "legal-0001")


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    from monolith.app import build_app, build_services

    services = build_services(
        database_url,
        None,
        clock=FixedClock(MONDAY_9AM),
        bus="kafka",
        kafka_bootstrap=kafka.bootstrap,
        kafka_namespace=namespace,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        evidence_upload_dir=str(tmp_path / "tus"),
        tick_interval_s=3600,
    )
    async with served(build_app(services)) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        client.url = url
        client.services = {s.name: s for s in services}
        yield client


async def test_a_long_video_resumes_after_a_cut_and_plays_back_by_range(district, tmp_path):
    case_id = await report_dispatched(district, "street_vending", IN_RUHE, auth("hotline_operator"))
    video = tmp_path / "DSJ_20261123_0841.mp4"
    size = 200 * MB
    sha256 = body_camera_video(video, size)

    uploads = tus.TusClient(f"{district.url}/v1/evidence-uploads", headers=OFFICER)
    meta = {"case_id": case_id, "filename": video.name, "filetype": "video/mp4"}
    first = uploads.async_uploader(file_path=str(video), chunk_size=16 * MB, metadata=meta)
    await first.upload(stop_at=96 * MB)  # the connection lost in the middle
    head = await district.head(first.url, headers={**OFFICER, "Tus-Resumable": "1.0.0"})
    got = int(head.headers["Upload-Offset"])
    assert 0 < got < size
    assert (await district.get(f"/v1/cases/{case_id}/evidence", headers=OFFICER)).json() == []
    # tuspy asks the server for the offset with a blocking request: off the loop the server runs in
    resumed = await asyncio.to_thread(
        uploads.async_uploader, file_path=str(video), url=first.url, chunk_size=16 * MB, metadata=meta
    )
    assert resumed.offset == got  # it asks the server, and starts where the server stopped
    await resumed.upload()

    listed = (await district.get(f"/v1/cases/{case_id}/evidence", headers=OFFICER)).json()
    assert len(listed) == 1
    ev = listed[0]
    assert (ev["kind"], ev["size"], ev["sha256"], ev["codec"]) == ("video", size, sha256, "mpeg4")
    assert ev["recorded_at"].startswith("2026-11-23T08:41") and ev["duration_s"] > 1
    trail = (await district.get(f"/v1/cases/{case_id}/trail", headers=OFFICER)).json()
    assert any(e["action"] == "evidence.video" and e["data"]["sha256"] == sha256 for e in trail)

    # played back by range: exactly the bytes asked for, and the tail
    r = await district.get(ev["url"], headers={**LEGAL, "Range": "bytes=1000-1999"})
    with video.open("rb") as f:
        f.seek(1000)
        expected = f.read(1000)
    assert r.status_code == 206 and r.content == expected
    assert r.headers["content-range"] == f"bytes 1000-1999/{size}"
    tail = await district.get(ev["url"], headers={**OFFICER, "Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == bytes(16)
    beyond = await district.get(ev["url"], headers={**OFFICER, "Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    viewed = (await district.get(f"{ev['url'].rsplit('/', 1)[0]}/viewings", headers=LEGAL)).json()
    assert [(v["viewer"], v["first_byte"], v["last_byte"]) for v in viewed] == [
        ("legal-0001", 1000, 1999),
        ("sq-ruhe-o1", size - 16, size - 1),
    ]
    # another squad cannot see it, nor upload to it
    xushui = auth("squad_officer", "sq-xushui-o1", "sq-xushui")
    assert (await district.get(ev["url"], headers=xushui)).status_code == 404
    other = tus.TusClient(f"{district.url}/v1/evidence-uploads", headers=xushui)
    with pytest.raises(TusCommunicationError, match="404"):  # the case is not theirs to see
        await other.async_uploader(file_path=str(video), chunk_size=16 * MB, metadata=meta).upload(stop_at=MB)


async def test_a_file_that_is_no_video_is_refused_and_not_kept(district, tmp_path):
    case_id = await report_dispatched(district, "street_vending", IN_RUHE, auth("hotline_operator"))
    fake = tmp_path / "not-a-video.mp4"
    fake.write_bytes(b"PK\x03\x04" + bytes(3 * MB))
    uploads = tus.TusClient(f"{district.url}/v1/evidence-uploads", headers=OFFICER)
    with pytest.raises(TusUploadFailed) as refused:
        await uploads.async_uploader(
            file_path=str(fake),
            chunk_size=MB,
            metadata={"case_id": case_id, "filename": fake.name, "filetype": "video/mp4"},
        ).upload()
    assert "not a video or audio file" in str(refused.value.response_content)
    assert (await district.get(f"/v1/cases/{case_id}/evidence", headers=OFFICER)).json() == []
    left = [p.name for p in (tmp_path / "tus").iterdir() if not p.name.startswith(".")]  # .locks: tus's own
    assert left == []  # nothing of it kept
    await eventually(lambda: district.get("/readyz"), lambda r: r.status_code == 200)


async def test_a_docking_station_s_files_are_offered_to_the_cases_their_officer_worked_on(district, tmp_path):
    """采集站: the station uploads a body camera's file tagged with the camera and the time; it is
    offered to the case its officer worked on then, not to another, and attached in one step."""
    worked = await report_dispatched(district, "street_vending", IN_RUHE, auth("hotline_operator"))
    other = await report_dispatched(district, "littering", IN_RUHE, auth("hotline_operator"))
    assert other != worked
    note = {"text": "到场劝离, 执法记录仪全程记录", "public": False}
    assert (await district.post(f"/v1/cases/{worked}/notes", json=note, headers=OFFICER)).status_code == 204
    camera = {"kind": "body_camera", "serial_number": "DSJ-V8-0001", "officer_id": "sq-ruhe-o1"}
    r = await district.put("/v1/devices/bc-0001", json=camera, headers=auth("ledger_clerk", "clerk-0001"))
    assert r.status_code == 200, r.text

    async def known():
        from cases.tables import KnownDevice

        async with district.services["cases"].session_factory() as session:
            return await session.get(KnownDevice, "bc-0001")

    await eventually(known, lambda d: d is not None, timeout_s=30, what="cases told of the camera")

    video = tmp_path / "DSJ_20261123_0850.mp4"
    sha256 = body_camera_video(video, 2 * MB)
    station = auth("external_system", "station-ruhe-01")
    day = {"device_id": "bc-0001", "recorded_at": "2026-11-23T08:50:00+08:00", "filetype": "video/mp4"}
    uploads = tus.TusClient(f"{district.url}/v1/evidence-uploads", headers=station)
    await uploads.async_uploader(file_path=str(video), chunk_size=MB, metadata={**day, "filename": video.name}).upload()
    with pytest.raises(TusCommunicationError, match="422"):  # a camera the register does not hold
        await uploads.async_uploader(
            file_path=str(video), chunk_size=MB, metadata={**day, "device_id": "bc-9999", "filename": "x.mp4"}
        ).upload()
    officers = tus.TusClient(f"{district.url}/v1/evidence-uploads", headers=OFFICER)
    with pytest.raises(TusCommunicationError, match="403"):  # an officer uploads to a case, not as a station
        await officers.async_uploader(
            file_path=str(video), chunk_size=MB, metadata={**day, "filename": "y.mp4"}
        ).upload()

    [offer] = (await district.get(f"/v1/cases/{worked}/evidence/offers", headers=OFFICER)).json()
    assert (offer["device_id"], offer["officer_id"], offer["sha256"]) == ("bc-0001", "sq-ruhe-o1", sha256)
    assert (await district.get(f"/v1/cases/{other}/evidence/offers", headers=OFFICER)).json() == []
    r = await district.post(f"/v1/cases/{other}/evidence/offers/{offer['id']}", headers=OFFICER)
    assert r.status_code == 409 and "not offered" in r.text

    attached = await district.post(f"/v1/cases/{worked}/evidence/offers/{offer['id']}", headers=OFFICER)
    assert attached.status_code == 201, attached.text
    assert attached.json()["sha256"] == sha256 and attached.json()["recorded_at"].startswith("2026-11-23T00:50")
    [kept] = (await district.get(f"/v1/cases/{worked}/evidence", headers=OFFICER)).json()
    assert kept["sha256"] == sha256
    first = await district.get(kept["url"], headers={**OFFICER, "Range": "bytes=0-15"})
    with video.open("rb") as f:
        assert first.status_code == 206 and first.content == f.read(16)
    trail = (await district.get(f"/v1/cases/{worked}/trail", headers=OFFICER)).json()
    step = next(e for e in trail if e["action"] == "evidence.video")
    assert step["data"]["sha256"] == sha256 and step["data"]["device_id"] == "bc-0001"
    assert (await district.get(f"/v1/cases/{worked}/evidence/offers", headers=OFFICER)).json() == []
    again = await district.post(f"/v1/cases/{worked}/evidence/offers/{offer['id']}", headers=OFFICER)
    assert again.status_code == 409
