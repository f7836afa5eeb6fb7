from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")

INCIDENT = {
    "category": "street_vending",
    "location": {"lon": 113.62, "lat": 34.75},
    "description": "建设路与汝河路交叉口占道经营",
    "caller": {"name": "张先生", "phone": "13812345678"},
}

DOG_LICENCE = {
    "owner": {
        "name": "李建华",
        "id_number": "410102199001011234",
        "phone": "13903711234",
        "address": "汝河路 12 号院 3 号楼",
        "location": {"lon": 113.6150, "lat": 34.7420},
    },
    "dog": {
        "name": "豆豆",
        "breed": "柯基犬",
        "size": "small",
        "sex": "female",
        "birth_date": "2026-01-10",
        "chip": "156100000765432",
    },
    "rabies": {"certificate": "ZY-2026-88123", "vaccinated_on": "2026-11-01"},
}
"""A licence the register issues (POST /v1/dog-licences): a small dog of a household in 汝河路网格."""


async def eventually(
    probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], timeout_s: float = 15, what: str = "condition"
) -> T:
    """Poll until `until(value)` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout_s
    value = await probe()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s}s; last value: {value!r}")
        await asyncio.sleep(0.05)
        value = await probe()
    return value


def photo_bytes(colour: tuple[int, int, int] = (200, 40, 40), fmt: str = "JPEG", size=(64, 48), exif=None) -> bytes:
    """A small real image (JPEG, PNG or HEIC), optionally with EXIF (e.g. a GPS position)."""
    import io

    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format=fmt, **({"exif": exif} if exif is not None else {}))
    return buf.getvalue()


SQUAD_LEADER = ("squad_leader", "leader-ruhe", "sq-ruhe")
MONITOR = ("field_monitor", "monitor-3", None)


async def handle(
    client,
    case_id: str,
    outcome: str = "resolved",
    merchant_id: str | None = None,
    who=SQUAD_LEADER,
    before: int = 1,
    after: int = 1,
):
    """处置反馈 by the squad, with before and after photos."""
    from tests.conftest import auth

    files = [("before", (f"b{i}.jpg", photo_bytes((10 * i, 80, 80)), "image/jpeg")) for i in range(before)]
    files += [("after", (f"a{i}.jpg", photo_bytes((80, 10 * i, 200)), "image/jpeg")) for i in range(after)]
    data = {"outcome": outcome, **({"merchant_id": merchant_id} if merchant_id else {})}
    return await client.post(f"/v1/cases/{case_id}/handle", data=data, files=files or None, headers=auth(*who))


async def handle_and_close(client, case_id: str, outcome: str = "resolved", merchant_id: str | None = None):
    """The squad handles the case, a field monitor checks it on site and it closes."""
    from tests.conftest import auth

    r = await handle(client, case_id, outcome, merchant_id)
    assert r.status_code == 200, r.text
    r = await client.post(f"/v1/cases/{case_id}/check", json={"passed": True}, headers=auth(*MONITOR))
    assert r.status_code == 200, r.text
    return r.json()


@contextlib.asynccontextmanager
async def served(app, port: int | None = None):
    """The app served by uvicorn on a spare port of loopback (or `port`), in this event loop; yields
    its URL."""
    import uvicorn

    from devstack.ports import free_port

    port = port or free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(srv.serve())
    deadline = time.monotonic() + 60
    while not srv.started:
        assert not task.done(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        await asyncio.wait_for(task, 30)


async def register_merchant(client, name: str, lon: float, lat: float, grid_id: str | None, **fields) -> dict:
    """A merchant in the ledger, once the ledger has placed it in its grid (it learns the grids
    from dispatch's events, so right after start it may place it a moment later)."""
    from tests.conftest import auth

    clerk = auth("ledger_clerk")
    body = {
        "name": name,
        "operator": "王某",
        "address": "汝河路 88 号",
        "business_nature": "餐饮",
        "location": {"lon": lon, "lat": lat},
        **fields,
    }
    r = await client.post("/v1/merchants", headers=clerk, json=body)
    assert r.status_code == 201, r.text
    placed = await eventually(
        lambda: client.get(f"/v1/merchants/{r.json()['id']}", headers=clerk),
        lambda m: m.json()["grid_id"] == grid_id,
        what=f"{name} placed in {grid_id}",
    )
    return placed.json()


async def register_device(client, services, device_id: str, body: dict) -> dict:
    """A device in the register of devices (ledger), once intake has been told of it (a machine
    event names one): `services`, the running services by name."""
    from tests.conftest import auth

    r = await client.put(f"/v1/devices/{device_id}", headers=auth("ledger_clerk", "clerk-0001"), json=body)
    assert r.status_code == 200, r.text
    version = r.json()["version"]

    async def known():
        from intake.tables import KnownDevice

        async with services["intake"].session_factory() as session:
            return await session.get(KnownDevice, device_id)

    await eventually(known, lambda d: d is not None and d.version == version, what=f"intake told of {device_id}")
    return r.json()


class ShiftedClock:
    """A clock for tests that runs at the wall clock's pace from a chosen moment: the day, the hour
    and the month are the test's, whenever it runs (a month's last evening in Beijing is already
    the next month in UTC), and time still passes for timeouts, sessions and ticks."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


MID_MONTH_MORNING = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
"""Wednesday 18 November 2026, 10:00 in Beijing: a working day, far from a month's ends."""


@contextlib.asynccontextmanager
async def district_on_kafka(database_url: str, kafka, namespace: str, tmp_path, clock, **settings):
    """The five services in one process, each with its own Kafka client on the real broker, and an
    HTTP client onto them carrying `clock`, `services` by name and `topic(name)` (the records of one
    of this namespace's topics); `settings` for the services that take them."""
    from monolith.app import build_app, build_services
    from tests.conftest import running
    from tests.kafka_tools import read_topic

    services = build_services(
        database_url,
        None,
        clock=clock,
        bus="kafka",
        kafka_bootstrap=kafka.bootstrap,
        kafka_namespace=namespace,
        relay_poll_interval_s=0.2,
        consumer_backoff_s=0.01,
        object_store_url=f"file:{tmp_path}/objects",
        tick_interval_s=3600,
        **settings,
    )
    async with running(services, build_app(services)) as client:
        client.clock = clock
        client.services = {s.name: s for s in services}
        client.topic = lambda t: read_topic(kafka.bootstrap, namespace + t)
        yield client


async def report_dispatched(client, category: str, where: dict, headers: dict) -> str:
    """A report of `category` at `where`, posted with `headers`: its case's id once dispatched."""
    from tests.conftest import auth

    r = await client.post("/v1/incidents", json={**INCIDENT, "category": category, "location": where}, headers=headers)
    assert r.status_code == 201, r.text

    async def dispatched():
        incident = (await client.get(f"/v1/incidents/{r.json()['id']}", headers=auth("dispatcher"))).json()
        return incident.get("case_id") if incident.get("status") == "dispatched" else None

    return await eventually(dispatched, bool, timeout_s=30, what="the case dispatched")
