"""The merchant register on the real PostgreSQL and Apache Kafka, the five services in one process
each with its own Kafka client: a 摸底 survey imported (2,000 rows, 50 bad, twice), a squad
officer picking the shop a case is about by `near=`, the case closed as a violation, the colour
moving, a new card whose QR code (decoded here) opens the public page, recovery six months on
with the clock, and the events other services and municipal systems read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pypdfium2
import pytest
import zxingcpp
from sqlalchemy import func, select

from cases.tables import KnownMerchant
from common.clock import FixedClock
from common.messaging.contracts import LedgerFiguresReported, MerchantCardIssued, MerchantColourRecovered
from common.messaging.envelope import decode
from devstack.survey import as_csv, as_xlsx
from devstack.survey import rows as survey_rows
from ledger.domain.months import add_months_at
from ledger.tables import DistrictGrid, Merchant
from tests.conftest import auth
from tests.helpers import INCIDENT, district_on_kafka, eventually, handle_and_close

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CLERK = auth("ledger_clerk", "clerk-0001")
OFFICER = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
SHOP = {
    "name": "老王烩面馆",
    "sign": "老王烩面",
    "operator": "王建国",
    "phone": "13937112345",
    "address": "汝河路 88 号",
    "lon": 113.6202,
    "lat": 34.7501,
    "business_nature": "餐饮",
    "credit_code": "91350100M000100Y43",
}


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    async with district_on_kafka(database_url, kafka, namespace, tmp_path, FixedClock(MONDAY_9AM)) as client:
        ledger = client.services["ledger"]

        async def grids():
            async with ledger.session_factory() as session:
                return (await session.execute(select(func.count()).select_from(DistrictGrid))).scalar_one()

        await eventually(grids, lambda n: n >= 6, timeout_s=30, what="ledger knows the district's grids")
        yield client


def _import(client, data: bytes, name: str):
    return client.post("/v1/merchants/import", headers=CLERK, files={"file": (name, data, "text/csv")})


async def test_a_merchant_from_the_survey_through_a_violation_its_card_and_its_recovery(district):
    client, ledger = district, district.services["ledger"]
    data, bad = survey_rows(2000, bad=50)
    data[1000] = {**data[1000], **SHOP}  # our shop, on 汝河路, where the incident below is

    # -- the survey: 2,000 rows, 50 bad; each bad row named, none stopping the good ones ----------
    r = await _import(client, as_csv(data), "摸底.csv")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["accepted"] == 1950 and report["created"] == 1950
    assert [x["row"] for x in report["rejected"]] == bad
    kinds = [x["errors"][0].split(":")[0] for x in report["rejected"][:6]]
    assert kinds == ["name", "credit_code", "phone", "business_nature", "lon/lat", "lon/lat"], report["rejected"][:6]
    assert "position 18" in report["rejected"][1]["errors"][0]

    # the same survey again (as XLSX this time): nothing changes, nothing is told again
    async def outbox_size():
        async with ledger.session_factory() as session:
            return (await session.execute(select(func.count()).select_from(ledger.tables.outbox))).scalar_one()

    told = await outbox_size()
    r = await client.post(
        "/v1/merchants/import", headers=CLERK, files={"file": ("摸底.xlsx", as_xlsx(data), "application/octet-stream")}
    )
    assert r.status_code == 200, r.text
    again = r.json()
    assert (again["accepted"], again["created"], again["updated"], again["unchanged"]) == (1950, 0, 0, 1950)
    assert [x["row"] for x in again["rejected"]] == bad
    assert await outbox_size() == told
    async with ledger.session_factory() as session:
        assert (await session.execute(select(func.count()).select_from(Merchant))).scalar_one() == 1950

    # -- on the street: the squad officer picks the shop by near= --------------------------------
    here = INCIDENT["location"]
    r = await client.get(f"/v1/merchants?near={here['lon']},{here['lat']}&radius_m=60", headers=OFFICER)
    assert r.status_code == 200, r.text
    near = r.json()
    shop = next(m for m in near if m["name"] == SHOP["name"])
    assert shop["grid_id"] and shop["squad_id"] == "sq-ruhe" and shop["distance_m"] < 60
    assert [m["distance_m"] for m in near] == sorted(m["distance_m"] for m in near)
    assert all(m["squad_id"] == "sq-ruhe" for m in near)  # a squad sees its own area
    assert shop["phone"] == "139****2345"  # masked for an officer; whole for the clerk
    assert (await client.get(f"/v1/merchants/{shop['id']}", headers=CLERK)).json()["phone"] == SHOP["phone"]
    first_card = shop["card_code"]

    # -- a case about it, closed as a violation ----------------------------------------------------
    r = await client.post("/v1/incidents", json=INCIDENT, headers=auth("hotline_operator"))
    assert r.status_code == 201, r.text

    async def incident():
        return (await client.get(f"/v1/incidents/{r.json()['id']}", headers=auth("hotline_operator"))).json()

    case_id = (await eventually(incident, lambda i: i["status"] == "dispatched", timeout_s=30, what="dispatched"))[
        "case_id"
    ]

    cases = client.services["cases"]

    async def known_to_cases():  # cases learns of the merchant from ledger's events only
        async with cases.session_factory() as session:
            return await session.get(KnownMerchant, shop["id"])

    await eventually(known_to_cases, lambda m: m is not None, timeout_s=30, what="cases knows the shop")
    assert (await handle_and_close(client, case_id, "violation", shop["id"]))["status"] == "closed"

    async def merchant():
        return (await client.get(f"/v1/merchants/{shop['id']}", headers=CLERK)).json()

    page = await eventually(merchant, lambda m: m["colour"] == "yellow", timeout_s=30, what="yellow")
    assert page["colour_history"][0] | {"at": None} == {
        "previous": "blue",
        "current": "yellow",
        "reason": "violation",
        "case_id": case_id,
        "category_code": "street_vending",
        "at": None,
    }
    assert [(c["case_id"], c["outcome"], c["squad_id"]) for c in page["cases"]] == [(case_id, "violation", "sq-ruhe")]
    assert page["card_code"] != first_card

    # -- the new card: its QR code opens the public page, which shows the colour, never the phone ---
    r = await client.get(f"/v1/merchants/{shop['id']}/card.pdf", headers=OFFICER)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    image = pypdfium2.PdfDocument(r.content)[0].render(scale=4).to_pil()
    decoded = [b.text for b in zxingcpp.read_barcodes(image)]
    assert decoded == [f"http://test/m/{page['card_code']}"], decoded
    async with httpx.AsyncClient(transport=client._transport, base_url="http://test") as public:
        shown = await public.get(decoded[0].removeprefix("http://test"))
        assert shown.status_code == 200 and "黄卡" in shown.text and SHOP["name"] in shown.text
        for private in (SHOP["phone"], "139****2345", SHOP["operator"]):
            assert private not in shown.text
        old = await public.get(f"/m/{first_card}")
        assert "此卡已换发" in old.text and "黄卡" in old.text
        assert (await public.get("/m/NOTACARD22")).status_code == 404

    # -- six months without a violation: one step down, a new card, told on Kafka ----------------
    yellow_since = datetime.fromisoformat(page["colour_since"])
    client.clock._at = add_months_at(yellow_since, 6) - timedelta(minutes=1)
    assert await ledger.tick() == 0
    client.clock._at = add_months_at(yellow_since, 6) + timedelta(minutes=1)
    assert await ledger.tick() == 1
    page = await merchant()
    assert page["colour"] == "blue" and page["violations"] == {}
    assert page["colour_history"][0]["reason"] == "recovery"

    async def recovered_events():
        return [decode(r).data for r in await client.topic("ledger.merchants")]

    events = await eventually(
        recovered_events,
        lambda es: any(isinstance(e, MerchantColourRecovered) for e in es),
        timeout_s=20,
        what="MerchantColourRecovered on Kafka",
    )
    recovered = [e for e in events if isinstance(e, MerchantColourRecovered)]
    assert [(e.merchant_id, e.previous, e.current, e.reason) for e in recovered] == [
        (shop["id"], "yellow", "blue", "recovery")
    ]
    cards = [e for e in events if isinstance(e, MerchantCardIssued) and e.merchant_id == shop["id"]]
    assert [c.colour for c in cards] == ["blue", "yellow", "blue"] and cards[-1].card_code == page["card_code"]
    assert all("13937112345" not in str(e.model_dump()) for e in events)

    # -- the registers' figures, told to reporting ------------------------------------------------
    async def figures():
        return [decode(r).data for r in await client.topic("ledger.figures")]

    told = await eventually(
        figures, lambda es: any(e.area_id == "district" for e in es), timeout_s=20, what="LedgerFiguresReported"
    )
    district_figures = [e for e in told if isinstance(e, LedgerFiguresReported) and e.area_id == "district"][-1]
    assert district_figures.figures.merchants == 1950
    assert district_figures.figures.catering_places == sum(
        1 for i, row in enumerate(data) if i + 2 not in bad and row["business_nature"] in ("catering", "餐饮")
    )
    await asyncio.sleep(0)
