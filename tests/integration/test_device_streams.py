"""The devices' streams (issue 27) on the real Apache Kafka and PostgreSQL: readings posted by a vendor's
platform travel on `ledger.readings`, the judge (`python -m ledger.judge`, Quix Streams, its own
process) raises one alarm an episode, intake turns each into an incident and a case; a kill -9 of the
judge in the middle of an episode, and a second replica taking its partitions over, neither lose nor
double an alarm."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from common.clock import FixedClock
from common.messaging.contracts import DeviceReading
from common.messaging.envelope import decode, encode
from devstack.judge import LocalJudge
from tests.conftest import auth, token
from tests.helpers import DOG_LICENCE, district_on_kafka, eventually, register_device, register_merchant
from tests.kafka_tools import produce, read_topic

pytestmark = pytest.mark.integration
MONDAY_9AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CLERK = auth("ledger_clerk", "clerk-0001")
VENDOR = {"Authorization": f"Bearer {token('external_system', 'tags-vendor', scopes=('device-vendor',))}"}
SCHOOL = {
    "name": "汝河路小学",
    "kind": "school",
    "polygon": {
        "type": "Polygon",
        "coordinates": [
            [[113.611, 34.741], [113.613, 34.741], [113.613, 34.743], [113.611, 34.743], [113.611, 34.741]]
        ],
    },
}
INSIDE, AWAY = (113.612, 34.742), (113.620, 34.742)
LICENCE = {**DOG_LICENCE, "dog": {**DOG_LICENCE["dog"], "tag_id": "ZYTAG-00001"}}


@pytest.fixture
async def district(database_url, kafka, namespace, tmp_path):
    clock = FixedClock(MONDAY_9AM + timedelta(hours=1))  # the readings below are of the last hour
    async with district_on_kafka(database_url, kafka, namespace, tmp_path, clock) as client:
        client.alarms = lambda: _alarms(kafka.bootstrap, namespace)
        client.namespace, client.bootstrap = namespace, kafka.bootstrap
        yield client


def kafka_of(client) -> str:
    return client.bootstrap


def judge_env(database_url: str, kafka, namespace: str) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "LEDGER_ENVIRONMENT": "development",
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "LEDGER_KAFKA_NAMESPACE": namespace,
        "LEDGER_BUS": "kafka",
        "LEDGER_JUDGE_REFERENCE_REFRESH_S": "2",
    }


@pytest.fixture
def judges(database_url, kafka, namespace, tmp_path):
    made: list[LocalJudge] = []

    def start(name: str) -> LocalJudge:
        judge = LocalJudge(tmp_path / name, judge_env(database_url, kafka, namespace))
        judge.start()
        made.append(judge)
        return judge

    yield start
    for j in made:
        j.stop(timeout_s=10)


async def _alarms(bootstrap: str, namespace: str) -> list:
    """The alarms on Kafka, as a read_committed consumer (intake) is given them."""
    return [decode(r).data for r in await read_topic(bootstrap, namespace + "ledger.alarms", committed=True)]


def at(minutes: float) -> str:
    return (MONDAY_9AM + timedelta(minutes=minutes)).isoformat()


def tag(device: str, minutes: float, where: tuple[float, float]) -> dict:
    return {"device_id": device, "time": at(minutes), "lon": where[0], "lat": where[1], "battery": 81}


def fume(device: str, minutes: float, value: float, purifier_on: bool = True) -> dict:
    return {
        "device_id": device,
        "time": at(minutes),
        "fume_mg_m3": value,
        "pm_mg_m3": 0.8,
        "nmhc_mg_m3": 3.1,
        "fan_on": True,
        "purifier_on": purifier_on,
    }


async def post(client, readings: list[dict]) -> dict:
    r = await client.post("/v1/telemetry", json={"readings": readings}, headers=VENDOR)
    assert r.status_code == 200, r.text
    return r.json()


async def licence_and_shop(client) -> tuple[str, str]:
    shop = await register_merchant(client, "老王烧烤", 113.621, 34.751, "zy-ruhelu")
    issued = await eventually(
        lambda: client.post("/v1/dog-licences", headers=CLERK, json=LICENCE),
        lambda r: r.status_code == 201,
        what="a dog licence issued",
    )
    return issued.json()["id"], shop["id"]


async def iot_incidents(client) -> list[dict]:
    listed = (await client.get("/v1/incidents?limit=200", headers=auth("dispatcher"))).json()
    rows = listed["items"] if isinstance(listed, dict) else listed
    return [i for i in rows if i.get("channel") == "iot"]


async def test_a_dog_in_a_school_zone_and_a_fuming_kitchen_raise_one_alarm_an_episode_and_become_cases(
    district, judges
):
    client = district
    licence_id, shop_id = await licence_and_shop(client)
    admin = auth("admin", "admin-1")
    assert (await client.put("/v1/dog-zones/school-ruhe", json=SCHOOL, headers=admin)).status_code == 200
    registered = (await client.get("/v1/devices/ZYTAG-00001", headers=CLERK)).json()  # the licence's own tag
    assert (registered["kind"], registered["licence_id"]) == ("dog_tag", licence_id)
    await register_device(client, client.services, "tag-1", {"kind": "dog_tag", "licence_id": licence_id})
    await register_device(client, client.services, "fume-1", {"kind": "fume_monitor", "merchant_id": shop_id})
    judges("judge-a")

    # a batch: what is wrong is refused by index and name, the rest is taken
    first = await post(
        client,
        [
            tag("tag-1", 0, AWAY),
            {"device_id": "tag-1", "time": at(0.5)},  # no position
            tag("tag-9", 0.5, INSIDE),  # not in the register
            {**tag("tag-1", 0.5, INSIDE), "time": (MONDAY_9AM + timedelta(hours=3)).isoformat()},  # clock ahead
            {**fume("tag-1", 0.5, 1.0)},  # a tag sending a monitor's reading
            *(tag("tag-1", 1 + n * 0.5, INSIDE) for n in range(6)),  # in the school's zone: one alarm
            fume("fume-1", 0, 3.0),
            fume("fume-1", 1, 3.1),
            fume("fume-1", 2, 1.2),  # over twice, then under: no alarm
        ],
    )
    reasons = {r["index"]: r["reason"] for r in first["refused"]}
    assert first["accepted"] == 10 and sorted(reasons) == [1, 2, 3, 4]
    assert (
        "lon and lat" in reasons[1] and "设备台账" in reasons[2] and "ahead" in reasons[3] and "dog_tag" in reasons[4]
    )

    entered = await eventually(
        client.alarms, lambda a: len(a) >= 1, timeout_s=90, what="the zone alarm on ledger.alarms"
    )
    assert [(a.kind, a.device_id, a.licence_id, a.zone_id) for a in entered] == [
        ("zone_entered", "tag-1", licence_id, "school-ruhe")
    ]

    # the monitor three times over: an exceedance; the fan on and the purifier off 11 minutes: 设施停运
    await post(client, [fume("fume-1", 3 + n, 3.0) for n in range(4)])
    await post(client, [fume("fume-1", 10 + n, 1.0, purifier_on=False) for n in range(12)])
    # the dog leaves by the margin for 12 minutes, comes back: a second episode
    await post(client, [tag("tag-1", 5 + n * 3, AWAY) for n in range(5)] + [tag("tag-1", 40, INSIDE)])

    alarms = await eventually(client.alarms, lambda a: len(a) >= 4, timeout_s=60, what="four alarms")
    await asyncio.sleep(3)  # nothing more comes
    alarms = await client.alarms()
    kinds = Counter((a.device_id, a.kind) for a in alarms)
    assert kinds == {("tag-1", "zone_entered"): 2, ("fume-1", "exceedance"): 1, ("fume-1", "purifier_off"): 1}
    assert all(a.merchant_id == shop_id for a in alarms if a.device_id == "fume-1")

    # each alarm an incident of the machine channel, naming the licence or the merchant, and a case
    incidents = await eventually(
        lambda: iot_incidents(client), lambda rows: len(rows) == 4, timeout_s=60, what="four iot incidents"
    )
    by_kind = Counter((i["category"], i["attributes"]["alarm_kind"]) for i in incidents)
    assert by_kind == {
        ("dog_nuisance", "zone_entered"): 2,
        ("cooking_fumes", "exceedance"): 1,
        ("cooking_fumes", "purifier_off"): 1,
    }
    exceeded = next(i for i in incidents if i["attributes"]["alarm_kind"] == "exceedance")
    assert exceeded["attributes"]["merchant_id"] == shop_id and exceeded["attributes"]["device_kind"] == "fume_monitor"
    dog = [i for i in incidents if i["category"] == "dog_nuisance"]
    assert all(i["attributes"]["dog_licence_id"] == licence_id for i in dog)
    case = await eventually(
        lambda: client.get(f"/v1/incidents/{exceeded['id']}", headers=auth("dispatcher")),
        lambda r: r.json().get("case_id"),
        timeout_s=30,
        what="the exceedance's case",
    )
    seen = (await client.get(f"/v1/cases/{case.json()['case_id']}", headers=auth("dispatcher"))).json()
    assert (seen["category"], seen["merchant_id"]) == ("cooking_fumes", shop_id)  # the case names its merchant

    # what is kept: the dog's track, the merchant's chart and 开机率
    reader = auth("ledger_clerk", "clerk-0001")
    track = await eventually(
        lambda: client.get(f"/v1/dog-licences/{licence_id}/track?days=30", headers=reader),
        lambda r: r.status_code == 200 and len(r.json()["points"]) >= 3,
        timeout_s=30,
        what="the dog's track",
    )
    assert track.json()["devices"] == ["ZYTAG-00001", "tag-1"]  # its own tag, and the one put in the register
    assert all(p["lon"] in (INSIDE[0], AWAY[0]) for p in track.json()["points"])
    fumes = await eventually(
        lambda: client.get(f"/v1/merchants/{shop_id}/fumes?hours=720", headers=reader),
        lambda r: r.status_code == 200 and r.json()["days"] and r.json()["days"][-1]["fan_readings"] >= 17,
        timeout_s=30,
        what="the merchant's chart and 开机率",
    )
    day = fumes.json()["days"][-1]
    assert fumes.json()["limit_mg_m3"] == 2.0 and day["running_readings"] < day["fan_readings"]
    squad_elsewhere = auth("squad_officer", "o-x", "sq-xushui")
    assert (await client.get(f"/v1/merchants/{shop_id}/fumes", headers=squad_elsewhere)).status_code == 404
    assert (
        await client.post(
            "/v1/telemetry", json={"readings": [tag("tag-1", 50, AWAY)]}, headers=auth("external_system", "cams")
        )
    ).status_code == 403

    # a vendor producing onto the topic itself (last: its reading is of now, after every reading above):
    # what is wrong goes to the dead-letter topic, with why
    now = datetime.now(UTC)
    direct = DeviceReading(device_id="tag-1", kind="dog_tag", time=now, lon=AWAY[0], lat=AWAY[1])
    good = encode(direct, source="urn:vendor:tags", time=now, correlation_id=None)
    stranger = encode(
        direct.model_copy(update={"device_id": "tag-x"}), source="urn:vendor:tags", time=now, correlation_id=None
    )
    await produce(
        kafka_of(client),
        client.namespace + "ledger.readings",
        [
            (b"tag-1", b"{not json", list(good.headers)),
            (stranger.key, stranger.value, list(stranger.headers)),
            (b"fume-1", good.value, list(good.headers)),  # keyed by another device: its state is not this one's
            (good.key, good.value, list(good.headers)),
        ],
    )
    refused = await eventually(
        lambda: read_topic(kafka_of(client), client.namespace + "ledger.judge.dlq"),
        lambda rs: len(rs) == 3,
        timeout_s=60,
        what="three refused readings on the judge's dead-letter topic",
    )
    reasons = sorted(dict(r.headers)["x-refused-reason"].decode() for r in refused)
    assert any("does not match" in r for r in reasons)
    assert any("tag-x" in r and "设备台账" in r for r in reasons)
    assert any("key is not its device_id tag-1" in r for r in reasons)
    await eventually(  # and the good one was judged: it is the track's newest point
        lambda: client.get(f"/v1/dog-licences/{licence_id}/track?days=30", headers=reader),
        lambda r: r.json()["points"][-1]["at"][:19] == now.isoformat()[:19],
        timeout_s=30,
        what="the vendor's own reading judged",
    )


async def test_a_judge_killed_mid_episode_and_a_replica_taking_over_neither_lose_nor_double_an_alarm(district, judges):
    client = district
    _, shop_id = await licence_and_shop(client)
    monitors = [f"fume-{n:02d}" for n in range(12)]  # spread over the topic's partitions
    for m in monitors:
        await register_device(client, client.services, m, {"kind": "fume_monitor", "merchant_id": shop_id})
    a, b = judges("judge-a"), judges("judge-b")  # two replicas share the devices

    minute = 0

    async def round_of(value: float) -> None:
        nonlocal minute
        assert (await post(client, [fume(m, minute, value) for m in monitors]))["accepted"] == len(monitors)
        minute += 1

    async def judged(n: int) -> None:  # every monitor's reading of this minute judged: its sample kept
        from sqlalchemy import text

        async def kept():
            async with client.services["ledger"].session_factory() as s:
                return await s.scalar(text("SELECT count(*) FROM ledger.device_samples"))

        await eventually(kept, lambda c: c >= n, timeout_s=120, what=f"{n} samples kept")

    await round_of(3.0)  # every monitor's first reading is kept: both replicas are judging
    await judged(len(monitors))
    await round_of(3.0)  # over twice: the episode half-way
    await round_of(3.0)  # the third reading: the alarms, in the judges' open transactions...
    a.kill()  # ...when one is killed with -9: its uncommitted alarms are aborted, and judged again by b
    await round_of(3.0)  # still over: the same episode
    alarms = await eventually(
        client.alarms, lambda x: len(x) >= len(monitors), timeout_s=120, what="one exceedance a monitor"
    )
    await asyncio.sleep(3)
    alarms = await client.alarms()
    assert Counter(x.device_id for x in alarms) == dict.fromkeys(monitors, 1), b.log_tail()

    # the killed replica comes back; partitions move again, states restored from the changelog
    a.start()
    await round_of(1.0)  # under: the episode ends
    for _ in range(3):
        await round_of(3.2)  # a new episode: its own alarm
    alarms = await eventually(
        client.alarms, lambda x: len(x) >= 2 * len(monitors), timeout_s=120, what="a second exceedance a monitor"
    )
    await asyncio.sleep(3)
    alarms = await client.alarms()
    assert Counter(x.device_id for x in alarms) == dict.fromkeys(monitors, 2), a.log_tail() + b.log_tail()
    assert len({x.alarm_id for x in alarms}) == 2 * len(monitors)
    incidents = await eventually(
        lambda: iot_incidents(client),
        lambda rows: len(rows) >= 2 * len(monitors),
        timeout_s=60,
        what="an incident an alarm",
    )
    assert len(incidents) == 2 * len(monitors)
    assert Counter(i["attributes"]["alarm_kind"] for i in incidents) == {"exceedance": 2 * len(monitors)}
    assert len({i["source_event_id"] for i in incidents}) == 2 * len(monitors)


async def test_make_run_judges_in_its_one_process_and_a_restart_mid_episode_neither_loses_nor_repeats(
    database_url, tmp_path
):
    """`make run` has no Kafka: the same rule judges each batch in the request's transaction, the
    state per device in a table, so a restart in the middle of an episode continues it."""
    from common.messaging.memory import InMemoryTransport
    from monolith.app import build_app, build_services
    from tests.conftest import running

    clock = FixedClock(MONDAY_9AM + timedelta(hours=1))

    def platform():
        services = build_services(
            database_url,
            InMemoryTransport(),
            clock=clock,
            relay_poll_interval_s=0.2,
            object_store_url=f"file:{tmp_path}/objects",
            tick_interval_s=3600,
        )
        platform.services = {s.name: s for s in services}
        return running(services, build_app(services))

    async with platform() as client:
        _, shop_id = await licence_and_shop(client)
        monitor = {"kind": "fume_monitor", "merchant_id": shop_id}
        await register_device(client, platform.services, "fume-1", monitor)
        theirs = {**monitor, "reported_by": "another-vendor"}  # reported by another vendor's platform
        await register_device(client, platform.services, "fume-9", theirs)
        r = await client.post("/v1/telemetry", json={"readings": [fume("fume-9", 0, 1.0)]}, headers=VENDOR)
        assert r.json()["accepted"] == 0 and "another vendor's platform" in r.json()["refused"][0]["reason"]
        answer = await post(client, [fume("fume-1", 0, 3.0), fume("fume-1", 1, 3.0)])
        assert (answer["accepted"], answer["alarms"]) == (2, 0)  # over twice: the episode half-way
    async with platform() as client:  # restarted
        again = await post(client, [fume("fume-1", 1, 3.0)])  # the same reading sent again: judged once
        assert (again["accepted"], again["alarms"]) == (1, 0)
        third = await post(client, [fume("fume-1", 2, 3.0), fume("fume-1", 3, 3.0)])
        assert third["alarms"] == 1  # the third reading over, counted across the restart: one alarm
        incidents = await eventually(
            lambda: iot_incidents(client), lambda rows: len(rows) == 1, timeout_s=30, what="the alarm's incident"
        )
        assert incidents[0]["attributes"]["merchant_id"] == shop_id
        assert incidents[0]["category"] == "cooking_fumes"
        # not heard for longer than LEDGER_MONITOR_OFFLINE_MINUTES: offline, once
        clock.advance(timedelta(hours=2))
        assert await platform.services["ledger"].watch_devices() == 1
        assert await platform.services["ledger"].watch_devices() == 0
        offline = await eventually(
            lambda: iot_incidents(client), lambda rows: len(rows) == 2, timeout_s=30, what="the offline monitor's"
        )
        assert {i["attributes"]["alarm_kind"] for i in offline} == {"exceedance", "monitor_offline"}
