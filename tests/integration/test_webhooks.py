"""Webhooks on the real PostgreSQL and Kafka: a city system subscribes a real HTTP server to the
cases it cares about (one category), the server is killed for a while and comes back, and it has
every matching event once, a structured CloudEvent whose Standard Webhooks signature the
`standardwebhooks` package verifies; the deliveries show what happened, and a replay sends them
again under the same ids. Targets on the bureau's own network are refused outside development."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from devstack.ports import free_port
from intake.domain.subscriptions import Backoff, check_url, refused_target
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import INCIDENT, eventually
from tests.integration.test_backbone_kafka import kafka_settings

pytestmark = pytest.mark.integration
ADMIN = auth("admin", "admin-1")
OPENED = "cn.gov.cgzf.cases.case.opened.v1"
DISPATCHED = "cn.gov.cgzf.cases.case.dispatched.v1"


class Subscriber:
    """The city system's end: keeps each request as it came (headers and body)."""

    def __init__(self, port: int) -> None:
        self.port, self.received = port, []
        self.server: ThreadingHTTPServer | None = None
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sink.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.handler = Handler

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def subscriber():
    s = Subscriber(free_port())
    s.start()
    yield s
    s.stop()


async def test_a_subscriber_killed_for_a_while_gets_every_event_once_signed(
    database_url, kafka, namespace, subscriber, tmp_path
):
    common = kafka_settings(
        database_url,
        kafka,
        namespace,
        webhook_retry_base_s=0.2,
        webhook_retry_max_s=1.0,
        webhook_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        tick_interval_s=3600,
    )
    services = build_services(database_url, None, **{k: v for k, v in common.items() if k != "database_url"})
    async with running(services, build_app(services)) as client:
        url = f"http://127.0.0.1:{subscriber.port}/hooks/cgzf"
        body = {"url": url, "types": [OPENED, DISPATCHED], "filter": {"categories": ["street_vending"]}}
        assert (await client.post("/v1/subscriptions", json=body, headers=auth("dispatcher"))).status_code == 403
        unknown = await client.post("/v1/subscriptions", json={**body, "types": ["x.y.v1"]}, headers=ADMIN)
        assert unknown.status_code == 422 and "x.y.v1" in unknown.text
        r = await client.post("/v1/subscriptions", json=body, headers=ADMIN)
        assert r.status_code == 201, r.text
        sub = r.json()
        assert sub["secret"].startswith("whsec_")
        listed = (await client.get("/v1/subscriptions", headers=ADMIN)).json()
        assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]

        async def report(category: str) -> str:
            r = await client.post(
                "/v1/incidents", json={**INCIDENT, "category": category}, headers=auth("hotline_operator")
            )
            assert r.status_code == 201, r.text
            return r.json()["id"]

        async def deliveries(status: str | None = None) -> list[dict]:
            q = f"?status={status}" if status else ""
            return (await client.get(f"/v1/subscriptions/{sub['id']}/deliveries{q}", headers=ADMIN)).json()

        before = [await report("street_vending"), await report("noise")]  # noise: not in the filter
        await eventually(deliveries, lambda d: len(d) == 2 and all(x["status"] == "delivered" for x in d), what="2")
        subscriber.stop()  # killed
        during = [await report("street_vending"), await report("street_vending")]
        await eventually(
            lambda: deliveries("pending"),
            lambda d: len(d) == 4 and all(x["attempts"] >= 2 and x["last_error"] for x in d),
            timeout_s=30,
            what="4 deliveries waiting, tried again",
        )
        subscriber.start()  # back
        await eventually(deliveries, lambda d: len(d) == 6 and all(x["status"] == "delivered" for x in d), what="6")

        secret = Webhook(sub["secret"])
        events = []
        for headers, raw in subscriber.received:
            assert headers["content-type"].startswith("application/cloudevents+json")
            events.append(secret.verify(raw, headers))  # raises on a wrong signature
            assert "13812345678" not in raw.decode()  # the caller's number never leaves
        ids = [h["webhook-id"] for h, _ in subscriber.received]
        assert len(ids) == len(set(ids)) == 6  # each once
        assert {(e["type"], e["data"]["incident_id"]) for e in events} == {
            (t, i) for t in (OPENED, DISPATCHED) for i in (before[0], *during)
        }
        assert all(e["specversion"] == "1.0" and e["data"]["category_code"] == "street_vending" for e in events)
        tampered = dict(subscriber.received[0][0], **{"webhook-id": "another"})
        with pytest.raises(Exception, match="signature"):
            secret.verify(subscriber.received[0][1], tampered)

        # a replay from a time sends them again, under the same ids
        replayed = await client.post(
            f"/v1/subscriptions/{sub['id']}/replay", json={"since": "2000-01-01T00:00:00Z"}, headers=ADMIN
        )
        assert replayed.status_code == 200 and replayed.json() == {"deliveries": 6}
        await eventually(lambda: _count(subscriber), lambda n: n == 12, what="the replay")
        assert {h["webhook-id"] for h, _ in subscriber.received[6:]} == set(ids)

        # ended: nothing more is delivered
        assert (await client.delete(f"/v1/subscriptions/{sub['id']}", headers=ADMIN)).status_code == 204
        await report("street_vending")
        await asyncio.sleep(1.5)  # the fan-out and the sender had their turns
        assert len(subscriber.received) == 12
        assert (await client.get(f"/v1/subscriptions/{sub['id']}", headers=ADMIN)).status_code == 404


async def _count(subscriber) -> int:
    return len(subscriber.received)


def test_targets_on_the_bureaus_network_are_refused_outside_development():
    with pytest.raises(Exception, match="https"):
        check_url("http://city.example.cn/hook", development=False)
    assert check_url("http://127.0.0.1:9000/hook", development=True) == ("127.0.0.1", 9000)
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.9", "169.254.169.254", "::1"):
        assert "private" in refused_target("h", [address], allow_private=False)
        assert refused_target("h", [address], allow_private=True) is None
    assert refused_target("city.example.cn", ["202.96.1.2"], allow_private=False) is None
    assert "does not resolve" in refused_target("nowhere", [], allow_private=True)
    with pytest.raises(Exception, match="credentials"):
        check_url("https://user:pw@city.example.cn/hook", development=False)


def test_a_failing_delivery_is_tried_for_a_day_then_parked():
    b = Backoff()
    first = datetime(2026, 12, 1, tzinfo=UTC)
    assert (b.next_try(1, first, first) - first).total_seconds() == 5
    assert (b.next_try(3, first, first) - first).total_seconds() == 20
    assert (b.next_try(20, first, first) - first).total_seconds() == 3600  # the longest wait
    late = first.replace(hour=23, minute=30)
    assert b.next_try(30, first, late) is None  # past the day: parked
