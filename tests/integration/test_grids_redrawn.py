"""Grids a bureau redraws, on the real PostgreSQL and Apache Kafka: an admin's new polygon for two
neighbouring grids moves a merchant into the other grid (ledger places it again from GridDefined),
routes the next case by the new polygon and names the version it was routed by; a version with a
later effective time waits for it; a changed seed file redraws a grid nobody edited and leaves
an edited one as the bureau drew it."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from common.clock import FixedClock
from dispatch.handlers.grids import seed_grids
from reporting.tables import GridInfo
from tests.conftest import auth
from tests.helpers import INCIDENT, district_on_kafka, eventually, register_merchant

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ADMIN = auth("admin", "admin-1")
DISPATCHER = auth("dispatcher", "dispatcher-1")
SEED = json.loads((Path(__file__).resolve().parents[2] / "services/dispatch/dispatch/seed/zhongyuan.json").read_text())


def _box(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    async with district_on_kafka(database_url, kafka, namespace, tmp_path, FixedClock(MONDAY_9AM)) as client:
        yield client


async def _grid(client, grid_id: str) -> dict:
    grids = (await client.get("/v1/grids", headers=DISPATCHER)).json()["features"]
    return next(f["properties"] for f in grids if f["properties"]["grid_id"] == grid_id)


async def _assignment(client, incident_id: str) -> dict:
    async def case_id():
        return (await client.get(f"/v1/incidents/{incident_id}", headers=DISPATCHER)).json().get("case_id")

    cid = await eventually(case_id, bool, timeout_s=30, what="the case")

    async def current():
        rows = (await client.get("/v1/assignments?limit=500", headers=DISPATCHER)).json()
        return [a for a in rows if a["case_id"] == cid and a["current"]]

    return (await eventually(current, bool, timeout_s=30, what="the assignment"))[0]


async def test_a_redrawn_grid_moves_a_merchant_and_routes_the_next_case(district):
    shop = await register_merchant(district, "老李烧烤", 113.62, 34.74, "zy-ruhelu")
    before = await district.post(
        "/v1/incidents", json={**INCIDENT, "location": {"lon": 113.62, "lat": 34.74}}, headers=auth("hotline_operator")
    )
    first = await _assignment(district, before.json()["id"])
    assert (first["squad_id"], first["grid_id"], first["grid_version"]) == ("sq-ruhe", "zy-ruhelu", 1)

    # who may, and what a polygon must be
    body = {"name": "汝河路网格", "squad_id": "sq-ruhe", "polygon": _box(113.595, 34.72, 113.615, 34.7525)}
    assert (await district.put("/v1/grids/zy-ruhelu", json=body, headers=DISPATCHER)).status_code == 403
    open_ring = {
        **body,
        "polygon": {
            "type": "Polygon",
            "coordinates": [[[113.595, 34.72], [113.615, 34.72], [113.6, 34.75], [113.59, 34.75]]],
        },
    }
    refused = await district.put("/v1/grids/zy-ruhelu", json=open_ring, headers=ADMIN)
    assert refused.status_code == 422 and "not closed" in refused.text
    no_squad = await district.put("/v1/grids/zy-ruhelu", json={**body, "squad_id": "sq-nowhere"}, headers=ADMIN)
    assert no_squad.status_code == 422 and "squad_id" in no_squad.text

    # 汝河路 gives its eastern strip to 建设路, whose new polygon takes it (two edits, the first warns)
    shrunk = await district.put("/v1/grids/zy-ruhelu", json={**body, "keeper_id": "sq-ruhe-o2"}, headers=ADMIN)
    assert shrunk.status_code == 200, shrunk.text
    assert shrunk.json()["version"] == 2 and shrunk.json()["keeper_name"] == "胡斌"
    grown = await district.put(
        "/v1/grids/zy-jianshelu",
        json={"name": "建设路网格", "squad_id": "sq-jianshelu", "polygon": _box(113.615, 34.72, 113.66, 34.7525)},
        headers=ADMIN,
    )
    assert grown.status_code == 200 and grown.json()["overlaps"] == []
    overlapping = _box(113.60, 34.72, 113.62, 34.7525)
    warned = await district.put(
        "/v1/grids/zy-ruhelu", json={**body, "polygon": overlapping, "keeper_id": "sq-ruhe-o2"}, headers=ADMIN
    )
    assert warned.json()["overlaps"] == ["zy-jianshelu"]
    back = await district.put("/v1/grids/zy-ruhelu", json={**body, "keeper_id": "sq-ruhe-o2"}, headers=ADMIN)
    assert back.json()["version"] == 4

    # ledger places the merchant again from GridDefined, and says so
    clerk = auth("ledger_clerk")
    moved = await eventually(
        lambda: district.get(f"/v1/merchants/{shop['id']}", headers=clerk),
        lambda r: r.json()["grid_id"] == "zy-jianshelu",
        timeout_s=30,
        what="the merchant placed in 建设路网格",
    )
    assert moved.json()["squad_id"] == "sq-jianshelu"

    # the next case is routed by the new polygon, and names the version
    after = await district.post(
        "/v1/incidents", json={**INCIDENT, "location": {"lon": 113.62, "lat": 34.74}}, headers=auth("hotline_operator")
    )
    second = await _assignment(district, after.json()["id"])
    assert (second["squad_id"], second["grid_id"], second["grid_version"]) == ("sq-jianshelu", "zy-jianshelu", 2)
    ruhe = await _grid(district, "zy-ruhelu")
    assert ruhe["version"] == 4 and ruhe["keeper_name"] == "胡斌" and ruhe["office"] is None
    history = (await district.get("/v1/grids/zy-ruhelu/history", headers=DISPATCHER)).json()["versions"]
    assert [(v["version"], v["defined_by"], v["cases_routed"]) for v in history] == [
        (1, "seed", 1),
        (2, "admin-1", 0),
        (3, "admin-1", 0),
        (4, "admin-1", 0),
    ]

    # reporting holds the version in force too
    reporting = district.services["reporting"]

    async def held():
        async with reporting.session_factory() as session:
            return (await session.get(GridInfo, "zy-jianshelu")).version

    await eventually(held, lambda v: v == 2, timeout_s=30, what="reporting holds 建设路网格 v2")

    # a version with a later time waits for it
    tomorrow = MONDAY_9AM + timedelta(days=1)
    later = await district.put(
        "/v1/grids/zy-ruhelu",
        json={**body, "name": "汝河路网格(新)", "effective_from": tomorrow.isoformat()},
        headers=ADMIN,
    )
    assert later.json()["version"] == 5 and later.json()["in_force_since"] is None
    assert (await _grid(district, "zy-ruhelu"))["name"] == "汝河路网格"
    naive = await district.put(
        "/v1/grids/zy-ruhelu", json={**body, "effective_from": "2026-11-24T00:00:00"}, headers=ADMIN
    )
    assert naive.status_code == 422 and "effective_from" in naive.text
    district.clock.advance(timedelta(days=1, minutes=1))
    await district.services["dispatch"].tick()
    assert (await _grid(district, "zy-ruhelu"))["name"] == "汝河路网格(新)"


async def test_a_changed_seed_redraws_only_the_grids_nobody_edited(district):
    dispatch = district.services["dispatch"]
    edited = await district.put(
        "/v1/grids/zy-xushui",
        json={"name": "须水网格", "squad_id": "sq-xushui", "polygon": _box(113.5, 34.72, 113.565, 34.79)},
        headers=ADMIN,
    )
    assert edited.status_code == 200
    seed = copy.deepcopy(SEED["grids"]["features"])
    for f in seed:
        if f["properties"]["grid_id"] in ("zy-xushui", "zy-tongbailu"):
            f["properties"]["name"] += "(2027)"
    async with dispatch.uow() as uow:
        await seed_grids(uow, seed)
    async with dispatch.uow() as uow:  # the same seed again changes nothing
        await seed_grids(uow, seed)
    await dispatch.load_grids()
    assert (await _grid(district, "zy-tongbailu"))["name"] == "桐柏路网格(2027)"
    assert (await _grid(district, "zy-xushui"))["name"] == "须水网格"  # the bureau's edit stands
    tongbai = (await district.get("/v1/grids/zy-tongbailu/history", headers=DISPATCHER)).json()["versions"]
    assert [(v["version"], v["defined_by"]) for v in tongbai] == [(1, "seed"), (2, "seed")]
    xushui = (await district.get("/v1/grids/zy-xushui/history", headers=DISPATCHER)).json()["versions"]
    assert [v["version"] for v in xushui] == [1, 2]
    assert (await district.get("/v1/grids/zy-nowhere/history", headers=DISPATCHER)).status_code == 404

    reporting = district.services["reporting"]

    async def names():
        async with reporting.session_factory() as session:
            return {g.grid_id: g.name for g in (await session.execute(select(GridInfo))).scalars()}

    await eventually(names, lambda n: n.get("zy-tongbailu") == "桐柏路网格(2027)", timeout_s=30, what="reporting told")
