"""A 12345 order answered back, on the real PostgreSQL and Kafka, to a fake 12345 server built from
issue 24: in (转办 with the order's reference), accepted (签收), in hand (办理中), finished (答复 with
the result and the after-photos) and rated (回访 on the centre's own scale); every step delivered
once and in order, though the server is down for a minute, answers 500, then lets one request
time out, and the link itself is restarted in between. A 申请退回 approved cancels the case."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devstack.ports import free_port
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import INCIDENT, eventually, photo_bytes
from tests.integration.test_backbone_kafka import kafka_settings

pytestmark = pytest.mark.integration
CITY = auth("external_system", "city-12345")
DISPATCHER = auth("dispatcher", "dispatcher-1")
O1 = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
MONITOR = auth("field_monitor", "monitor-0001")
DOWN_S = 60


class Fake12345:
    """The city's side: takes each step once by its id (a resent id is answered 200 and not taken
    again), and can be down, answer 500, or hold a request past the link's timeout."""

    def __init__(self, port: int) -> None:
        self.port, self.taken, self.raw = port, [], []
        self.fail_next, self.hang_next, self.refuse_next = 0, 0, 0
        self.server: ThreadingHTTPServer | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.raw.append(body)
                assert self.headers["Authorization"] == "Bearer city-token"
                assert self.headers["Idempotency-Key"] == body["id"]
                if fake.fail_next:
                    fake.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                if fake.refuse_next:  # the city will not take it: the link must not try it again
                    fake.refuse_next -= 1
                    self.send_response(422)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write('{"code": 4001, "msg": "退回理由不全"}'.encode())
                    return
                if fake.hang_next:
                    fake.hang_next -= 1
                    time.sleep(2)  # past the link's timeout: taken, but the link never hears so
                if body["id"] not in {t["id"] for t in fake.taken}:
                    fake.taken.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"code": 0}')

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


@pytest.fixture
def city():
    fake = Fake12345(free_port())
    yield fake
    fake.stop()


def settings(database_url, kafka, namespace, city, tmp_path) -> dict:
    upstream = {
        "name": "12345",
        "url": f"http://127.0.0.1:{city.port}",
        "token": "city-token",
        "client": "city-12345",
        "channels": ["transfer_12345", "transfer_110"],
        "categories": {"street_vending": "CG-0301"},
        "satisfaction": {"1": "satisfied", "2": "basically_satisfied", "3": "dissatisfied"},
        "timeout_s": 1.0,
    }
    return kafka_settings(
        database_url,
        kafka,
        namespace,
        upstreams=[upstream],
        link_poll_interval_s=0.2,
        link_retry_base_s=0.2,
        link_retry_max_s=2.0,
        link_max_attempts=500,
        object_store_url=f"file:{tmp_path}/objects",
        tick_interval_s=3600,
    )


async def test_a_12345_order_answered_back_once_each_in_order(database_url, kafka, namespace, city, tmp_path):
    common = settings(database_url, kafka, namespace, city, tmp_path)
    services = build_services(database_url, None, **{k: v for k, v in common.items() if k != "database_url"})
    down_since = time.monotonic()
    async with running(services, build_app(services)) as client:
        r = await client.post(
            "/v1/incidents",
            json={
                **INCIDENT,
                "channel": "transfer_12345",
                "source_reference": "ZZ12345-0417",
                "work_order": {"kind": "online"},
            },
            headers=auth("hotline_operator"),
        )
        assert r.status_code == 201, r.text
        incident_id = r.json()["id"]

        async def order():
            return (await client.get(f"/v1/work-orders/{incident_id}", headers=DISPATCHER)).json()

        first = await eventually(order, lambda o: o.get("state") == "in_progress", what="签收 and 办理中")
        assert first["system"] == "12345" and first["kind"] == "online" and first["signed_at"]
        case_id = first["case_id"]
        jpeg = [
            (k, (f"{k}.jpg", photo_bytes((30 * n, 90, 160)), "image/jpeg")) for n, k in enumerate(("before", "after"))
        ]
        handled = await client.post(
            f"/v1/cases/{case_id}/handle", data={"outcome": "violation", "note": "已取缔"}, files=jpeg, headers=O1
        )
        assert handled.status_code == 200, handled.text
        closed = await client.post(f"/v1/cases/{case_id}/check", json={"passed": True}, headers=MONITOR)
        assert closed.status_code == 200, closed.text
        replied = await eventually(order, lambda o: o.get("state") == "replied", what="答复")
        assert [m["step"] for m in replied["messages"]] == ["sign", "process", "reply"]
        assert {m["status"] for m in replied["messages"]} == {"pending"}  # the city is down
        assert all(m["attempts"] >= 1 and "ConnectError" in (m["last_error"] or "") for m in replied["messages"][:1])
        intake = next(s for s in services if s.name == "intake")
        await intake.stop()  # the link goes down with its service, its messages waiting in the database
        await asyncio.sleep(max(0.0, DOWN_S - (time.monotonic() - down_since)))
        await intake.start()  # restarted, the city still down
        city.fail_next, city.hang_next = 2, 1
        city.start()

        async def taken():
            return list(city.taken)

        await eventually(taken, lambda t: len(t) == 3, timeout_s=60, what="the three steps taken")
        assert [(t["seq"], t["step"], t["order"]) for t in city.taken] == [
            (1, "sign", "ZZ12345-0417"),
            (2, "process", "ZZ12345-0417"),
            (3, "reply", "ZZ12345-0417"),
        ]
        assert len({t["id"] for t in city.taken}) == 3
        assert len(city.raw) >= 5  # two 500s and one time-out were sent again under the same id
        reply = city.taken[2]
        assert reply["result"] == "resolved" and reply["result_name"] == "解决" and "已取缔" in reply["text"]
        assert reply["unit"] and reply["by"] == "sq-ruhe-o1" and len(reply["photos"]) == 1
        assert "13812345678" not in json.dumps(city.raw, ensure_ascii=False)  # no caller's number leaves
        # 回访: on the centre's own scale, by its own client only
        other = await client.post(
            f"/v1/incidents/{incident_id}/reply",
            json={"how": "upstream", "satisfaction": "1"},
            headers=auth("external_system", "city-110"),
        )
        assert other.status_code == 403
        off_scale = await client.post(
            f"/v1/incidents/{incident_id}/reply", json={"how": "upstream", "satisfaction": "9"}, headers=CITY
        )
        assert off_scale.status_code == 409 and "scale" in off_scale.text
        rated = await client.post(
            f"/v1/incidents/{incident_id}/reply", json={"how": "upstream", "satisfaction": "1"}, headers=CITY
        )
        assert rated.status_code == 200 and rated.json()["rating"] == "satisfied", rated.text
        done = (await client.get(f"/v1/work-orders/{incident_id}", headers=DISPATCHER)).json()
        assert done["state"] == "archived" and done["satisfaction_given"] == "1"
        assert {m["status"] for m in done["messages"]} == {"sent"}

        # the hotline centre's figures, per squad
        async def figures():
            r = await client.get("/v1/reports/hotline?period=year", headers=auth("supervisor"))
            return r.json()["total"]["counts"] if r.status_code == 200 else {}

        counts = await eventually(figures, lambda c: c.get("rated") == 1, what="the hotline figures")
        assert counts["received"] == counts["signed_on_time"] == counts["finished_on_time"] == 1
        assert counts["satisfied"] == 1 and counts["returned"] == counts["redone"] == 0


async def test_a_return_approved_by_the_centre_cancels_the_case(database_url, kafka, namespace, city, tmp_path):
    city.start()
    common = settings(database_url, kafka, namespace, city, tmp_path)
    services = build_services(database_url, None, **{k: v for k, v in common.items() if k != "database_url"})
    async with running(services, build_app(services)) as client:
        r = await client.post(
            "/v1/incidents",
            json={
                **INCIDENT,
                "channel": "transfer_12345",
                "source_reference": "ZZ12345-0999",
                "work_order": {"origin": "110"},
            },
            headers=auth("hotline_operator"),
        )
        incident_id = r.json()["id"]

        async def order():
            return (await client.get(f"/v1/work-orders/{incident_id}", headers=DISPATCHER)).json()

        o = await eventually(order, lambda o: o.get("state") == "in_progress", what="办理中")
        assert o["origin"] == "110"
        await eventually(lambda: _steps(city, "ZZ12345-0999"), lambda t: t == ["sign", "process"], what="2 taken")
        city.refuse_next = 1
        asked = await client.post(
            f"/v1/work-orders/{incident_id}/return-request",
            json={"reason": "系治安案件", "basis": "三定方案", "suggestion": "公安"},
            headers=DISPATCHER,
        )
        assert asked.status_code == 200 and asked.json()["state"] == "return_requested", asked.text
        squad = await client.post(
            f"/v1/work-orders/{incident_id}/return-review",
            json={"decision": "approve", "reviewer": "12345 值班长"},
            headers=auth("external_system", "city-110"),
        )
        assert squad.status_code == 403
        approved = await client.post(
            f"/v1/work-orders/{incident_id}/return-review",
            json={"decision": "approve", "reviewer": "12345 值班长", "note": "转公安"},
            headers=CITY,
        )
        assert approved.status_code == 200 and approved.json()["state"] == "returned", approved.text

        async def case():
            return (await client.get(f"/v1/cases/{o['case_id']}", headers=DISPATCHER)).json()

        cancelled = await eventually(case, lambda c: c.get("status") == "cancelled", what="the case cancelled")
        assert cancelled["status"] == "cancelled"

        async def taken():
            return [t["step"] for t in city.taken if t["order"] == "ZZ12345-0999"]

        # the city refused the 申请退回 message: dead at once, with its answer, until sent again
        dead = await eventually(
            lambda: _messages(client, "dead"), lambda d: len(d) == 1, what="the refused message dead-lettered"
        )
        assert (
            dead[0]["step"] == "return_request" and dead[0]["attempts"] == 1 and "退回理由不全" in dead[0]["last_error"]
        )
        squad_resend = await client.post(f"/v1/upstream-messages/{dead[0]['id']}/resend", headers=O1)
        assert squad_resend.status_code == 403
        resent = await client.post(f"/v1/upstream-messages/{dead[0]['id']}/resend", headers=DISPATCHER)
        assert resent.status_code == 200 and resent.json()["status"] == "pending", resent.text
        steps = await eventually(taken, lambda t: "return_request" in t, what="申请退回 told")
        assert steps == ["sign", "process", "return_request"]
        again_sent = await client.post(f"/v1/upstream-messages/{dead[0]['id']}/resend", headers=DISPATCHER)
        assert again_sent.status_code == 409  # only a dead message is sent again
        again = await client.post(
            f"/v1/work-orders/{incident_id}/return-request",
            json={"reason": "x", "basis": "y", "suggestion": "z"},
            headers=DISPATCHER,
        )
        assert again.status_code == 409


async def test_an_extension_granted_by_the_centre_moves_the_deadline(database_url, kafka, namespace, city, tmp_path):
    city.start()
    common = settings(database_url, kafka, namespace, city, tmp_path)
    services = build_services(database_url, None, **{k: v for k, v in common.items() if k != "database_url"})
    async with running(services, build_app(services)) as client:
        due = datetime.now(UTC) + timedelta(hours=3)  # earlier than the category's: the order's deadline runs
        r = await client.post(
            "/v1/incidents",
            json={
                **INCIDENT,
                "channel": "transfer_12345",
                "source_reference": "ZZ12345-0555",
                "source_deadline": due.isoformat(),
            },
            headers=auth("hotline_operator"),
        )
        incident_id = r.json()["id"]

        async def order():
            return (await client.get(f"/v1/work-orders/{incident_id}", headers=DISPATCHER)).json()

        o = await eventually(order, lambda o: o.get("state") == "in_progress", what="办理中")

        async def assignment():
            rows = (await client.get("/v1/assignments?limit=500", headers=DISPATCHER)).json()
            return next((a for a in rows if a["case_id"] == o["case_id"] and a["current"]), {})

        a = await eventually(assignment, lambda a: a.get("deadline_basis") == "source", what="the order's deadline")
        until = o["finish_due_at"].replace("Z", "+00:00")
        later = (datetime.fromisoformat(until) + timedelta(days=3)).isoformat()
        early = await client.post(
            f"/v1/work-orders/{incident_id}/extension-request",
            json={
                "until": (datetime.fromisoformat(until) - timedelta(hours=1)).isoformat(),
                "reason": "需协调产权单位",
            },
            headers=DISPATCHER,
        )
        assert early.status_code == 409  # not after the order's deadline
        asked = await client.post(
            f"/v1/work-orders/{incident_id}/extension-request",
            json={"until": later, "reason": "需协调产权单位"},
            headers=DISPATCHER,
        )
        assert asked.status_code == 200 and asked.json()["extension_pending"], asked.text
        granted = await client.post(
            f"/v1/work-orders/{incident_id}/extension-review",
            json={"decision": "approve", "reviewer": "12345 值班长", "note": "同意"},
            headers=CITY,
        )
        assert granted.status_code == 200, granted.text
        assert datetime.fromisoformat(granted.json()["finish_due_at"].replace("Z", "+00:00")) == datetime.fromisoformat(
            later
        )
        assert granted.json()["details"]["extensions"][0]["review"]["approved"] is True
        moved = await eventually(
            assignment, lambda x: x.get("deadline_at") != a["deadline_at"], what="the assignment's deadline moved"
        )
        assert datetime.fromisoformat(moved["deadline_at"].replace("Z", "+00:00")) == datetime.fromisoformat(later)

        # the command centre writes the reply: 部分解决, in its own words, sent when the case closes
        draft = {"result": "partly_resolved", "text": "已清理占道物品, 夜间经营需联合市场监管整治"}
        written = await client.put(f"/v1/work-orders/{incident_id}/reply", json=draft, headers=DISPATCHER)
        assert written.status_code == 200 and written.json()["details"]["draft"]["result"] == "partly_resolved"
        jpeg = [
            (k, (f"{k}.jpg", photo_bytes((50 * n, 90, 160)), "image/jpeg")) for n, k in enumerate(("before", "after"))
        ]
        handled = await client.post(
            f"/v1/cases/{o['case_id']}/handle", data={"outcome": "resolved"}, files=jpeg, headers=O1
        )
        assert handled.status_code == 200, handled.text
        closed = await client.post(f"/v1/cases/{o['case_id']}/check", json={"passed": True}, headers=MONITOR)
        assert closed.status_code == 200, closed.text
        steps = await eventually(lambda: _steps(city, "ZZ12345-0555"), lambda t: "reply" in t, what="the reply told")
        assert steps == ["sign", "process", "extension_request", "reply"]
        reply = next(t for t in city.taken if t["order"] == "ZZ12345-0555" and t["step"] == "reply")
        assert (
            reply["result"] == "partly_resolved"
            and reply["result_name"] == "部分解决"
            and reply["text"] == draft["text"]
        )
        late = await client.put(f"/v1/work-orders/{incident_id}/reply", json=draft, headers=DISPATCHER)
        assert late.status_code == 409  # replied: the reply is no longer open


async def _steps(city, order: str) -> list[str]:
    return [t["step"] for t in city.taken if t["order"] == order]


async def _messages(client, status: str) -> list[dict]:
    return (await client.get(f"/v1/upstream-messages?status={status}", headers=DISPATCHER)).json()
