"""The S3-compatible object store, against a real S3 API served over HTTP (moto's server, the
test double the boto3 maintainers recommend): the same bytes come back, a missing object is a
KeyError, and the platform keeps and serves a citizen's photo from the bucket."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from common.clock import FixedClock
from common.messaging.memory import InMemoryTransport
from common.objectstore import S3Store, open_store
from devstack.ports import free_port
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import photo_bytes

pytestmark = pytest.mark.integration


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "cgzf-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "cgzf-test-secret")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"cgzf-photos-{uuid.uuid4().hex[:12]}"  # moto keeps its buckets per process, across servers
    boto3.client("s3", endpoint_url=endpoint, region_name="cn-north-1").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
    )
    try:
        yield endpoint, bucket
    finally:
        server.stop()


async def test_the_s3_store_keeps_what_it_is_given(s3):
    s3, bucket = s3
    store = open_store(f"s3://{bucket}/zhongyuan?endpoint_url={s3}&region=cn-north-1")
    assert isinstance(store, S3Store)
    await store.put("incidents/a.jpg", b"\xff\xd8photo", "image/jpeg")
    assert await store.get("incidents/a.jpg") == b"\xff\xd8photo"
    listed = boto3.client("s3", endpoint_url=s3, region_name="cn-north-1").list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == ["zhongyuan/incidents/a.jpg"]  # under the prefix
    with pytest.raises(KeyError):
        await store.get("incidents/missing.jpg")
    with pytest.raises(ValueError, match="leaves the store"):
        await store.put("../other/x.jpg", b"x", "image/jpeg")
    with pytest.raises(ValueError, match="unknown parameter"):
        open_store(f"s3://{bucket}?endpoint={s3}")
    with pytest.raises(ValueError, match="names no bucket"):
        open_store("s3:///prefix")


async def test_the_platform_keeps_photos_in_the_bucket(s3, database_url):
    s3, bucket = s3
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=FixedClock(datetime(2026, 11, 23, 1, tzinfo=UTC)),
        relay_poll_interval_s=0.2,
        object_store_url=f"s3://{bucket}/zhongyuan?endpoint_url={s3}&region=cn-north-1",
    )
    async with running(services, build_app(services)) as client:
        photo = photo_bytes((10, 120, 60), size=(40, 30))
        r = await client.post(
            "/public/v1/reports",
            data={"category": "littering", "lon": "113.62", "lat": "34.75", "description": "有人乱扔垃圾"},
            files=[("photos", ("x.jpg", photo, "image/jpeg"))],
        )
        assert r.status_code == 201, r.text
        tracking = (await client.get(f"/public/v1/reports/{r.json()['token']}")).json()
        shown = await client.get(tracking["photos"][0])
        with Image.open(io.BytesIO(shown.content)) as im:
            assert im.size == (40, 30)
        photo_id = tracking["photos"][0].rsplit("/", 1)[1]
        original = await client.get(f"/v1/photos/{photo_id}/original", headers=auth("dispatcher"))
        assert original.content == photo
    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=s3, region_name="cn-north-1").list_objects_v2(Bucket=bucket)[
            "Contents"
        ]
    ]
    assert any(k.startswith("zhongyuan/incidents/originals/") for k in keys)
    assert any(k.startswith("zhongyuan/incidents/shown/") for k in keys)
