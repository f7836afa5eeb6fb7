"""What a request may cost before anything is decided about it: a body over its endpoint's bound
is refused before it is read (and before the rate limit counts it), a decompression bomb is
refused from its header, and cases refuses too many photos before reading any of them."""

from __future__ import annotations

import time

import pytest

from common.messaging.memory import InMemoryTransport
from common.photos import MAX_BYTES
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import INCIDENT, SQUAD_LEADER, eventually, photo_bytes
from tests.unit.test_photos import png_bomb

pytestmark = pytest.mark.integration
FORM = {"category": "street_vending", "lon": "113.62", "lat": "34.75", "description": "路口占道经营"}


@pytest.fixture
async def platform(database_url, tmp_path):
    services = build_services(
        database_url,
        InMemoryTransport(),
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        public_reports_per_minute=3,
    )
    async with running(services, build_app(services)) as client:
        yield client


async def test_a_decompression_bomb_on_the_public_form_is_refused_quickly(platform):
    started = time.process_time()
    r = await platform.post("/public/v1/reports", data=FORM, files=[("photos", ("bomb.png", png_bomb(), "image/png"))])
    assert r.status_code == 413, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "photos"]
    assert error["msg"] == "bomb.png is 12,000 × 12,000 pixels (144.0 megapixels); the limit is 50 megapixels"
    assert time.process_time() - started < 2  # a decoded bomb took 6.5 s of CPU and 1.65 GB


async def test_a_body_over_the_bound_is_refused_before_the_rate_limit_counts_it(platform):
    too_big = b"x" * (5 * MAX_BYTES + 2 * 1024 * 1024)
    for _ in range(4):  # more than the three a minute this client may send
        r = await platform.post("/public/v1/reports", data=FORM, files=[("photos", ("big.jpg", too_big, "image/jpeg"))])
        assert r.status_code == 413, r.text
        assert "this endpoint takes at most" in r.json()["detail"]
    r = await platform.post("/public/v1/reports", data=FORM)
    assert r.status_code == 201, r.text  # none of the refused ones was counted

    # JSON endpoints take a megabyte, declared or streamed
    r = await platform.post(
        "/v1/incidents",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={**auth("hotline_operator"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413, r.text

    async def chunks():
        for _ in range(40):
            yield b" " * 64 * 1024

    r = await platform.post(
        "/v1/incidents", content=chunks(), headers={**auth("hotline_operator"), "Content-Type": "application/json"}
    )
    assert r.status_code == 413, r.text
    assert "passed" in r.json()["detail"]


async def test_cases_refuses_too_many_photos_before_reading_any(platform):
    r = await platform.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    incident = r.json()["id"]
    got = await eventually(
        lambda: platform.get(f"/v1/incidents/{incident}", headers=auth("dispatcher")),
        lambda r: r.json()["status"] == "dispatched",
        what="dispatched",
    )
    case_id = got.json()["case_id"]
    not_photos = [("after", (f"a{i}.jpg", b"not an image at all", "image/jpeg")) for i in range(10)]
    r = await platform.post(
        f"/v1/cases/{case_id}/handle",
        data={"outcome": "resolved"},
        files=[("before", ("b.jpg", photo_bytes(), "image/jpeg")), *not_photos],
        headers=auth(*SQUAD_LEADER),
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "at most 9 after photos; 10 were sent"  # counted, not read
    r = await platform.post(
        f"/v1/cases/{case_id}/handle",
        data={"outcome": "resolved"},
        files=[("before", ("bomb.png", png_bomb(), "image/png")), ("after", ("a.jpg", photo_bytes(), "image/jpeg"))],
        headers=auth(*SQUAD_LEADER),
    )
    assert r.status_code == 413 and "megapixels" in r.json()["detail"], r.text
    assert (await platform.get(f"/v1/cases/{case_id}", headers=auth("dispatcher"))).json()["status"] == "dispatched"
