"""The ledger's API on the real PostgreSQL (the services in one process on the in-memory bus, with a
clock the test moves): registering, who sees what, storefront signs, responsibility letters and
their renewal, purifiers and inspection rounds, designated points with their survey and stalls,
the hardship and flyer registers, the export, and the public pages."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from common.clock import FixedClock
from common.messaging.memory import InMemoryTransport
from ledger.tables import Merchant
from monolith.app import build_app, build_services
from tests.conftest import auth, running
from tests.helpers import eventually, photo_bytes

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
CLERK = auth("ledger_clerk", "clerk-0001")
SUPERVISOR = auth("supervisor", "sup-0001")
RUHE = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
XUSHUI = auth("squad_leader", "sq-xushui-leader", "sq-xushui")
NOODLES = {
    "name": "老王烩面馆",
    "sign": "老王烩面",
    "operator": "王建国",
    "phone": "13937112345",
    "address": "汝河路 88 号",
    "business_nature": "餐饮",
    "location": {"lon": 113.6202, "lat": 34.7501},
    "credit_code": "91350100M000100Y43",
}


@pytest.fixture
async def ledger(database_url, tmp_path):
    clock = FixedClock(NOW)
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=clock,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        tick_interval_s=3600,
    )
    async with running(services, build_app(services)) as client:
        client.clock = clock
        client.service = next(s for s in services if s.name == "ledger")

        async def placed():
            return (await client.get("/v1/ledger/grids", headers=CLERK)).json()["features"]

        await eventually(placed, lambda f: len(f) >= 6, what="the grids")
        yield client


async def _merchant(client, **changes) -> dict:
    r = await client.post("/v1/merchants", json={**NOODLES, **changes}, headers=CLERK)
    assert r.status_code == 201, r.text
    return r.json()


async def test_registering_the_same_shop_twice_and_what_each_role_sees(ledger):
    m = await _merchant(ledger)
    assert (m["business_nature"], m["grid_id"], m["squad_id"], m["colour"]) == (
        "catering",
        "zy-ruhelu",
        "sq-ruhe",
        "blue",
    )
    assert m["phone"] == "13937112345" and m["card_code"]
    again = await ledger.post("/v1/merchants", json={**NOODLES, "name": "老王面馆"}, headers=CLERK)
    assert again.status_code == 409 and again.json()["detail"][0]["merchant_id"] == m["id"]  # the same credit code
    again = await ledger.post(
        "/v1/merchants", json={**NOODLES, "credit_code": None, "address": "汝河路88号"}, headers=CLERK
    )
    assert again.status_code == 409 and "name at the same address" in again.text
    bad = await ledger.post(
        "/v1/merchants", json={**NOODLES, "name": "x", "credit_code": "91350100M000100Y44"}, headers=CLERK
    )
    assert bad.status_code == 422 and "position 18" in bad.text
    assert (await ledger.post("/v1/merchants", json=NOODLES, headers=RUHE)).status_code == 403

    seen = (await ledger.get(f"/v1/merchants/{m['id']}", headers=RUHE)).json()
    assert seen["phone"] == "139****2345" and seen["assisted"] is False
    assert (await ledger.get(f"/v1/merchants/{m['id']}", headers=XUSHUI)).status_code == 404  # not its area
    assert (await ledger.get("/v1/merchants?q=老王", headers=XUSHUI)).json() == []
    assert [x["id"] for x in (await ledger.get("/v1/merchants?q=老王", headers=RUHE)).json()] == [m["id"]]
    assert (await ledger.get("/v1/merchants?credit_code=91350100m000100y43", headers=CLERK)).json()[0]["id"] == m["id"]
    assert (await ledger.get("/v1/merchants?near=abc", headers=CLERK)).status_code == 422

    # 困难户: details for clerks and supervisors; an officer sees the 帮扶对象 flag only
    r = await ledger.put(
        f"/v1/merchants/{m['id']}/hardship",
        headers=CLERK,
        json={"circumstances": "家中有重病老人, 收入微薄", "assistance": "引导至便民疏导点经营"},
    )
    assert r.status_code == 200, r.text
    assert (await ledger.get(f"/v1/merchants/{m['id']}/hardship", headers=SUPERVISOR)).json()["circumstances"]
    assert (await ledger.get(f"/v1/merchants/{m['id']}/hardship", headers=RUHE)).status_code == 403
    assert (await ledger.get(f"/v1/merchants/{m['id']}", headers=RUHE)).json()["assisted"] is True

    # a change, and 注销
    r = await ledger.patch(f"/v1/merchants/{m['id']}", json={"sign": "老王烩面 (新)", "closed": True}, headers=CLERK)
    assert r.status_code == 200 and r.json()["sign"] == "老王烩面 (新)" and r.json()["closed"]
    assert (await ledger.get("/v1/merchants?q=老王", headers=CLERK)).json() == []
    assert (await ledger.get("/v1/merchants?q=老王&closed=true", headers=CLERK)).json()[0]["closed"]


async def test_signs_letters_their_renewal_and_coverage(ledger):
    m = await _merchant(ledger)
    other = await _merchant(
        ledger,
        name="李记修鞋",
        sign=None,
        credit_code=None,
        business_nature="repair",
        location={"lon": 113.6210, "lat": 34.7505},
    )
    r = await ledger.post(
        f"/v1/merchants/{m['id']}/signs",
        headers=RUHE,
        data={"width_m": "4.5", "height_m": "1.2", "approved": "false", "problems": ["破损", "未审批"]},
        files={"photo": ("sign.jpg", photo_bytes(), "image/jpeg")},
    )
    assert r.status_code == 201, r.text
    sign = r.json()
    assert (await ledger.get(sign["photo"], headers=CLERK)).headers["content-type"] == "image/jpeg"
    assert (await ledger.post(f"/v1/merchants/{m['id']}/signs/{sign['id']}/fixed", headers=RUHE)).json()["fixed_at"]

    scan = b"%PDF-1.4 signed letter"
    r = await ledger.post(
        f"/v1/merchants/{m['id']}/letters",
        headers=CLERK,
        data={"office": "汝河路街道办事处", "signed_on": "2026-01-10"},
        files={"scan": ("letter.pdf", scan, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    letter = r.json()
    assert letter["valid_until"] == "2027-01-10" and "墙基" in letter["area"]
    assert (await ledger.get(letter["scan"], headers=CLERK)).content == scan
    future = await ledger.post(
        f"/v1/merchants/{other['id']}/letters",
        headers=CLERK,
        data={"office": "汝河路街道办事处", "signed_on": "2027-01-01"},
    )
    assert future.status_code == 422 and "future" in future.text
    assert (
        await ledger.post(
            f"/v1/merchants/{other['id']}/letters",
            headers=CLERK,
            data={"office": "汝河路街道办事处", "signed_on": "2025-10-01"},
        )
    ).status_code == 201

    due = (await ledger.get("/v1/letters/due", headers=CLERK)).json()
    assert [(d["name"], d["status"]) for d in due] == [("李记修鞋", "expired")]
    coverage = {c["area"]: c for c in (await ledger.get("/v1/letters/coverage", headers=CLERK)).json()}
    assert coverage["district"]["shops"] == 2 and coverage["district"]["coverage"] == 0.5
    assert coverage["zy-ruhelu"]["with_valid_letter"] == 1

    ledger.clock._at = datetime(2026, 12, 20, 2, tzinfo=UTC)  # 21 days before 10 January
    due = {d["name"]: d["status"] for d in (await ledger.get("/v1/letters/due", headers=CLERK)).json()}
    assert due == {"老王烩面馆": "renewal_due", "李记修鞋": "expired"}
    page = (await ledger.get(f"/v1/merchants/{m['id']}", headers=CLERK)).json()
    assert page["letter"]["status"] == "renewal_due" and page["signs"][0]["problems"] == ["破损", "未审批"]
    pdf = await ledger.get(f"/v1/merchants/{m['id']}/letter.pdf", headers=CLERK)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_purifiers_cleaning_and_an_inspection_round(ledger):
    m = await _merchant(ledger)
    shoe = await _merchant(ledger, name="李记修鞋", credit_code=None, business_nature="repair")
    assert (
        await ledger.put(
            f"/v1/merchants/{shoe['id']}/purifier",
            headers=CLERK,
            json={"cooking_heads": 2, "model": "x", "rated_efficiency": 90, "installed_on": "2026-01-01"},
        )
    ).status_code == 422
    r = await ledger.put(
        f"/v1/merchants/{m['id']}/purifier",
        headers=CLERK,
        json={"cooking_heads": 4, "model": "JD-7000", "rated_efficiency": 70, "installed_on": "2026-06-01"},
    )
    assert r.status_code == 200, r.text
    p = r.json()
    assert (p["size_class"], p["required_efficiency"], p["below_required"]) == ("medium", 75, True)
    assert (p["cleaning_due"], p["cleaning_overdue"]) == ("2026-09-01", True)
    flagged = (await ledger.get("/v1/catering?flag=cleaning_overdue", headers=CLERK)).json()
    assert [c["merchant_id"] for c in flagged] == [m["id"]]
    r = await ledger.post(
        f"/v1/merchants/{m['id']}/purifier/cleanings",
        headers=RUHE,
        json={"cleaned_on": "2026-11-20", "note": "更换滤网"},
    )
    assert r.status_code == 201 and r.json()["cleaning_due"] == "2027-02-20" and not r.json()["cleaning_overdue"]
    assert (await ledger.get("/v1/catering?flag=cleaning_overdue", headers=CLERK)).json() == []
    assert len((await ledger.get("/v1/catering?flag=below_required", headers=CLERK)).json()) == 1

    r = await ledger.post(
        "/v1/inspection-rounds",
        headers=CLERK,
        json={"name": "第三轮油烟净化设施检查", "starts_on": "2026-11-20", "ends_on": "2026-12-20"},
    )
    assert r.status_code == 201, r.text
    rnd = r.json()
    assert (rnd["planned"], rnd["visited"], rnd["left"]) == (1, 0, 1)
    wrong_squad = await ledger.post(
        f"/v1/inspection-rounds/{rnd['id']}/visits",
        headers=XUSHUI,
        data={"merchant_id": m["id"], "result": "compliant"},
    )
    assert wrong_squad.status_code == 404
    r = await ledger.post(
        f"/v1/inspection-rounds/{rnd['id']}/visits",
        headers=RUHE,
        data={"merchant_id": m["id"], "result": "non_compliant", "note": "效率不达标, 责令更换"},
        files={"photo": ("v.jpg", photo_bytes(), "image/jpeg")},
    )
    assert r.status_code == 201 and r.json() == {"planned": 1, "visited": 1, "left": 0, "results": {"non_compliant": 1}}
    figures = (await ledger.get("/v1/ledger/figures", headers=CLERK)).json()["district"]
    assert (
        figures["catering_places"],
        figures["purifiers_installed"],
        figures["purifiers_below_required"],
        figures["assisted"],
    ) == (1, 1, 1, 0)


SQUARE = 0.0004


def _place(lon, lat):
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + SQUARE, lat], [lon + SQUARE, lat + SQUARE], [lon, lat + SQUARE], [lon, lat]]
        ],
    }


POINT = {
    "number": "ZY-ZC-001",
    "kind": "breakfast",
    "name": "汝河路早餐点",
    "geometry": _place(113.6245, 34.7460),
    "stalls": 2,
    "hours": "06:00-09:30",
    "goods": "早餐 (包子、豆浆、胡辣汤)",
    "office": "汝河路街道办事处",
    "applicant": "汝河路街道办事处",
}


async def test_designated_points_the_survey_the_school_rule_and_stalls(ledger):
    r = await ledger.post(
        "/v1/points", headers=CLERK, json={**POINT, "number": "ZY-ZC-000", "geometry": _place(113.6102, 34.7352)}
    )
    assert r.status_code == 409 and "from the gate of 汝河路小学" in r.text and "100 m" in r.text
    r = await ledger.post("/v1/points", headers=CLERK, json=POINT)
    assert r.status_code == 201, r.text
    point = r.json()
    assert point["status"] == "applied" and point["grid_id"]
    early = await ledger.post(f"/v1/points/{point['id']}/decision", headers=SUPERVISOR, json={"approve": True})
    assert early.status_code == 409 and "needs the opinions of 2 departments" in early.text
    for department in ("城市管理", "交通管理"):
        r = await ledger.post(
            f"/v1/points/{point['id']}/opinions", headers=CLERK, json={"department": department, "agree": True}
        )
        assert r.status_code == 200 and r.json()["status"] == "surveying"
    assert (
        await ledger.post(f"/v1/points/{point['id']}/decision", headers=CLERK, json={"approve": True})
    ).status_code == 403  # the bureau approves
    r = await ledger.post(f"/v1/points/{point['id']}/decision", headers=SUPERVISOR, json={"approve": True})
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    assert [s["number"] for s in r.json()["stall_holders"]] == [1, 2]

    vendor = await _merchant(ledger, name="张大姐早餐", credit_code=None, stall=True, business_nature="market_stall")
    other = await _merchant(ledger, name="刘记豆浆", credit_code=None, stall=True, business_nature="market_stall")
    shop = await _merchant(ledger, name="某商店", credit_code=None, business_nature="retail")
    stalls = f"/v1/points/{point['id']}/stalls"
    assert (await ledger.post(f"{stalls}/1/assign", headers=CLERK, json={"merchant_id": shop["id"]})).status_code == 409
    assert (
        await ledger.post(f"{stalls}/1/assign", headers=CLERK, json={"merchant_id": vendor["id"]})
    ).status_code == 200
    taken = await ledger.post(f"{stalls}/1/assign", headers=CLERK, json={"merchant_id": other["id"]})
    assert taken.status_code == 409 and "not transferred" in taken.text
    one_each = await ledger.post(f"{stalls}/2/assign", headers=CLERK, json={"merchant_id": vendor["id"]})
    assert one_each.status_code == 409 and "one stall each" in one_each.text
    r = await ledger.post(f"{stalls}/1/release", headers=CLERK, json={"reason": "摊主自愿退出"})
    assert r.status_code == 200
    assert (
        await ledger.post(f"{stalls}/1/assign", headers=CLERK, json={"merchant_id": other["id"]})
    ).status_code == 200

    refused = await ledger.post(
        "/v1/points", headers=CLERK, json={**POINT, "number": "ZY-ZC-002", "geometry": _place(113.63, 34.75)}
    )
    refuse = await ledger.post(
        f"/v1/points/{refused.json()['id']}/decision", headers=SUPERVISOR, json={"approve": False}
    )
    assert refuse.status_code == 409 and "reason" in refuse.text
    assert (
        await ledger.post(
            f"/v1/points/{refused.json()['id']}/decision",
            headers=SUPERVISOR,
            json={"approve": False, "reason": "占用消防通道"},
        )
    ).json()["status"] == "refused"

    # what citizens see: approved points only, with their hours
    public = (await ledger.get("/public/v1/points")).json()
    assert [(p["number"], p["hours"], p["kind_name"]) for p in public] == [("ZY-ZC-001", "06:00-09:30", "早餐点")]
    page = await ledger.get("/points?kind=breakfast")
    assert page.status_code == 200 and "汝河路早餐点" in page.text and "06:00-09:30" in page.text
    assert "ZY-ZC-002" not in page.text
    figures = (await ledger.get("/v1/ledger/figures", headers=CLERK)).json()["district"]
    assert (figures["points_approved"], figures["stalls"], figures["stalls_held"]) == ({"breakfast": 1}, 2, 1)


async def test_flyer_numbers_and_the_export(ledger):
    r = await ledger.post(
        "/v1/flyer-numbers",
        headers=CLERK,
        data={"number": "138 0371 5566", "note": "办证小广告"},
        files=[("photos", ("f.jpg", photo_bytes(), "image/jpeg"))],
    )
    assert r.status_code == 201, r.text
    flyer = r.json()
    assert flyer["number"] == "13803715566" and flyer["status"] == "tracked" and len(flyer["photos"]) == 1
    again = await ledger.post(
        "/v1/flyer-numbers",
        headers=CLERK,
        data={"number": "13803715566"},
        files=[("photos", ("g.png", photo_bytes(fmt="PNG"), "image/png"))],
    )
    assert again.json()["id"] == flyer["id"] and len(again.json()["photos"]) == 2
    assert (
        await ledger.post(f"/v1/flyer-numbers/{flyer['id']}/status", headers=CLERK, json={"status": "fined"})
    ).status_code == 422
    r = await ledger.post(
        f"/v1/flyer-numbers/{flyer['id']}/status", headers=CLERK, json={"status": "fined", "fine_fen": 50_000}
    )
    assert r.status_code == 200 and r.json()["status"] == "fined"
    back = await ledger.post(f"/v1/flyer-numbers/{flyer['id']}/status", headers=CLERK, json={"status": "stopped"})
    assert back.status_code == 422 and "cannot become" in back.text
    assert (await ledger.get("/v1/flyer-numbers", headers=RUHE)).status_code == 403
    figures = (await ledger.get("/v1/ledger/figures", headers=CLERK)).json()["district"]
    assert figures["flyer_numbers"] == {"tracked": 0, "stopped": 0, "fined": 1} and figures["flyer_fines_fen"] == 50_000

    await _merchant(ledger)
    csv_out = await ledger.get("/v1/merchants/export?format=csv", headers=CLERK)
    assert csv_out.status_code == 200 and csv_out.text.lstrip("\ufeff").startswith("name,sign,operator,phone")
    assert "13937112345" in csv_out.text
    xlsx = await ledger.get("/v1/merchants/export?format=xlsx&headers=zh", headers=SUPERVISOR)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:3] == ["店名", "门头", "经营者"] and sheet[2][0].value == "老王烩面馆"
    assert (await ledger.get("/v1/merchants/export", headers=RUHE)).status_code == 403
    # exported, it imports as the same register: nothing to change
    r = await ledger.post("/v1/merchants/import", headers=CLERK, files={"file": ("back.csv", csv_out.content)})
    assert r.json()["unchanged"] == 1 and r.json()["created"] == 0


async def test_the_yearly_reset_when_the_bureau_chooses_it(database_url, tmp_path):
    clock = FixedClock(datetime(2026, 12, 30, 2, tzinfo=UTC))
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=clock,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        colour_recovery="yearly",
        tick_interval_s=3600,
    )
    async with running(services, build_app(services)) as client:
        ledger = next(s for s in services if s.name == "ledger")
        m = (await client.post("/v1/merchants", json=NOODLES, headers=CLERK)).json()
        await eventually(
            lambda: client.get(f"/v1/merchants/{m['id']}", headers=CLERK),
            lambda r: r.json()["grid_id"] == "zy-ruhelu",
            what="placed once the grids are known",
        )
        async with ledger.uow() as uow:  # as if a violation had turned it orange this month
            row = await uow.session.get(Merchant, m["id"])
            row.colour, row.colour_since, row.last_violation_at = "orange", clock.now(), clock.now()
            uow.session.add(row)
            await uow.commit()
        clock.advance(timedelta(days=1))  # 31 December
        assert await ledger.tick() == 0
        clock.advance(timedelta(days=1))  # 1 January
        assert await ledger.tick() == 1
        page = (await client.get(f"/v1/merchants/{m['id']}", headers=CLERK)).json()
        assert page["colour"] == "blue" and page["colour_history"][0]["reason"] == "yearly_reset"
        assert datetime.fromisoformat(page["colour_since"]) == clock.now()
