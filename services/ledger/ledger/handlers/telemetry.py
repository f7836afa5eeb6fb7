"""The devices' readings judged (issue 27): one step, `judge`, shared by the stream processor
(`ledger.judge`, Quix Streams on Kafka, its state per device in RocksDB) and by `make run`'s one
process (`judge_inline`, its state per device in a table, in the same transaction as the alarms it
raises); what each reading may be (`refusal`); and what is kept of the readings (`keep_samples`:
the track, the chart, the day's 开机率, when each device was last heard) with the silence watch."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from common.messaging.contracts import DeviceAlarmRaised, DeviceReading, DeviceSampled, Location, RunningDay
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from ledger.domain.telemetry import (
    Alarm,
    Rules,
    Zone,
    Zones,
    judge_monitor,
    judge_tag,
    newer,
    sample_due,
    silent,
)

ALARM_NAMESPACE = uuid.UUID("6f1d2c0e-27a1-4d0b-9a57-d3f5e1c0a027")


@dataclass(frozen=True)
class Watched:
    """A device as the judge sees it: its licence and the dog's size class, or its merchant and where
    the merchant is."""

    device_id: str
    kind: str
    status: str
    licence_id: str | None = None
    size: str | None = None
    merchant_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    reported_by: str | None = None
    """the vendor platform's client that may send its readings (None: any with the scope)"""


@dataclass(frozen=True)
class Reference:
    devices: dict[str, Watched]
    zones: Zones


def refusal(
    reading: DeviceReading, device: Watched | None, now: datetime, rules: Rules, sender: str | None = None
) -> str | None:
    """Why a reading is not taken, or None: a device not in the register, retired, of another kind or
    reported by another vendor's platform than `sender` (the client posting it, when known); a time
    far ahead of the bureau's clock (the device's clock is wrong) or too old to judge."""
    if device is None:
        return f"device_id {reading.device_id} is not in the register of devices (设备台账)"
    if sender is not None and device.reported_by is not None and device.reported_by != sender:
        return f"device {reading.device_id} is reported by another vendor's platform, not by {sender}"
    if device.status != "active":
        return f"device {reading.device_id} is {device.status} in the register of devices"
    if device.kind != reading.kind:
        return f"device {reading.device_id} is a {device.kind}, and this is a {reading.kind}'s reading"
    ahead = (reading.time - now).total_seconds()
    if ahead > rules.future_s:
        return f"time is {ahead:.0f} s ahead of the bureau's clock: check the device's clock"
    if -ahead > rules.max_age_s:
        return f"time is older than {rules.max_age_s / 86400:.0f} days: too late to judge"
    return None


def judge(
    reading: DeviceReading, device: Watched, state: dict, ref: Reference, rules: Rules
) -> tuple[dict, list[DeviceAlarmRaised | DeviceSampled]]:
    """One reading of a device: its state after it, and the events it makes (alarms, and the sample
    kept of it). Deterministic: the same readings from the same state make the same events, whatever
    offset a vendor writes its times with (they are judged, compared and named in UTC)."""
    if reading.time.utcoffset():
        reading = reading.model_copy(update={"time": reading.time.astimezone(UTC)})
    if not newer(state, reading.time):
        return state, []  # late or repeated: judged once already
    if reading.kind == "dog_tag":
        assert reading.lon is not None and reading.lat is not None
        state, alarms = judge_tag(
            state,
            device.device_id,
            reading.time,
            reading.lon,
            reading.lat,
            device.size or "",
            ref.zones,
            rules.tags,
        )
    else:
        assert reading.fume_mg_m3 is not None and reading.fan_on is not None and reading.purifier_on is not None
        state, alarms = judge_monitor(
            state,
            device.device_id,
            reading.time,
            reading.fume_mg_m3,
            reading.pm_mg_m3,
            reading.nmhc_mg_m3,
            reading.fan_on,
            reading.purifier_on,
            rules.fumes,
        )
    events: list[DeviceAlarmRaised | DeviceSampled] = [alarm_event(a, device, reading) for a in alarms]
    closed = state.pop("closed", None)
    if sample_due(state, reading.time, reading.kind, rules.sampling, forced=bool(alarms or closed)):
        events.append(sample_event(reading, state, closed))
    return state, events


def alarm_event(alarm: Alarm, device: Watched, reading: DeviceReading | None) -> DeviceAlarmRaised:
    if reading is not None and reading.lon is not None and reading.lat is not None:
        where: Location | None = Location(lon=reading.lon, lat=reading.lat)
    elif device.lon is not None and device.lat is not None:
        where = Location(lon=device.lon, lat=device.lat)
    else:
        where = None
    return DeviceAlarmRaised(
        alarm_id=alarm.alarm_id,
        kind=alarm.kind,
        device_id=device.device_id,
        device_kind=device.kind,
        licence_id=device.licence_id,
        merchant_id=device.merchant_id,
        zone_id=alarm.detail.get("zone_id"),
        at=alarm.at,
        location=where,
        detail={k: v for k, v in alarm.detail.items() if k not in ("zone_id", "lon", "lat")},
    )


def sample_event(reading: DeviceReading, state: dict, closed: dict | None) -> DeviceSampled:
    running = []
    if reading.kind == "fume_monitor":
        running = [RunningDay(**closed)] if closed else []
        running.append(
            RunningDay(day=state["day"], fan_readings=state["fan_readings"], running_readings=state["running_readings"])
        )
    return DeviceSampled(
        device_id=reading.device_id,
        device_kind=reading.kind,
        at=reading.time,
        lon=reading.lon,
        lat=reading.lat,
        battery=reading.battery,
        fume_mg_m3=reading.fume_mg_m3,
        pm_mg_m3=reading.pm_mg_m3,
        nmhc_mg_m3=reading.nmhc_mg_m3,
        fan_on=reading.fan_on,
        purifier_on=reading.purifier_on,
        running=running,
    )


def event_id(event: DeviceAlarmRaised | DeviceSampled) -> str:
    """The CloudEvent id of an event the judge makes: the same whenever the reading is judged again,
    so an inbox takes it once whatever the judge repeats."""
    name = event.alarm_id if isinstance(event, DeviceAlarmRaised) else f"{event.device_id}:{event.at.isoformat()}"
    return str(uuid.uuid5(ALARM_NAMESPACE, f"{event.event_type}:{name}"))


# -- the reference: devices and zones, read from the register -------------------------------------

_DEVICES = """
    SELECT d.id, d.kind, d.status, d.licence_id, l.size, d.merchant_id,
           coalesce(d.lon, m.lon) AS lon, coalesce(d.lat, m.lat) AS lat, d.reported_by
      FROM ledger.devices d
      LEFT JOIN ledger.dog_licences l ON l.id = d.licence_id
      LEFT JOIN ledger.merchants m ON m.id = d.merchant_id
     WHERE d.kind IN ('dog_tag', 'fume_monitor')"""
_ALL_DEVICES = text(_DEVICES)
_SOME_DEVICES = text(_DEVICES + " AND d.id = ANY(CAST(:ids AS text[]))")
_ZONES = text("SELECT id, polygon FROM ledger.dog_zones WHERE status = 'active' ORDER BY id")


def _watched(rows) -> dict[str, Watched]:
    return {
        r.id: Watched(r.id, r.kind, r.status, r.licence_id, r.size, r.merchant_id, r.lon, r.lat, r.reported_by)
        for r in rows
    }


async def load_reference(conn, ids: list[str] | None = None) -> Reference:
    """The register's tags and monitors and its zones; with `ids`, only those devices (no zones)."""
    if ids is not None:
        return Reference(_watched((await conn.execute(_SOME_DEVICES, {"ids": ids})).all()), Zones([]))
    devices = _watched((await conn.execute(_ALL_DEVICES)).all())
    zones = Zones([Zone(r.id, r.polygon) for r in (await conn.execute(_ZONES)).all()])
    return Reference(devices, zones)


# -- make run: judged in the request's transaction ---------------------------------------------------

_CLAIM_STATES = text("""
    INSERT INTO ledger.device_states (device_id, state, updated_at)
    SELECT unnest(CAST(:ids AS text[])), '{}'::jsonb, :at ON CONFLICT (device_id) DO NOTHING""")
"""Every device of the batch has its row before the rows are locked: two batches of one device's
readings, posted at once, are judged one after the other, never both from an empty state."""
_LOCK_STATES = text(
    "SELECT device_id, state FROM ledger.device_states WHERE device_id = ANY(:ids) ORDER BY device_id FOR UPDATE"
)
_SAVE_STATES = text("""
    INSERT INTO ledger.device_states (device_id, state, updated_at)
    SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:states AS jsonb[]), CAST(:ats AS timestamptz[]))
    ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at""")


async def judge_inline(uow: UnitOfWork, readings: list[DeviceReading], ref: Reference, rules: Rules) -> int:
    """`make run`'s judge: the same rule as the stream processor's, each device's state kept in a
    table and locked, the alarms in the outbox and the samples kept, all in one transaction, so a
    restart neither loses nor repeats an episode. Returns the alarms raised."""
    conn = uow.session
    ids = sorted({r.device_id for r in readings})
    await conn.execute(_CLAIM_STATES, {"ids": ids, "at": uow.clock.now()})
    states = {row.device_id: dict(row.state) for row in (await conn.execute(_LOCK_STATES, {"ids": ids})).all()}
    samples: list[DeviceSampled] = []
    alarms = 0
    for reading in sorted(readings, key=lambda r: (r.device_id, r.time)):
        state, events = judge(reading, ref.devices[reading.device_id], states.get(reading.device_id, {}), ref, rules)
        states[reading.device_id] = state
        for e in events:
            if isinstance(e, DeviceAlarmRaised):
                uow.publish(e)
                alarms += 1
            else:
                samples.append(e)
    now = uow.clock.now()
    await conn.execute(
        _SAVE_STATES, {"ids": ids, "states": [json.dumps(states[i]) for i in ids], "ats": [now] * len(ids)}
    )
    await keep_samples(conn, samples)
    return alarms


# -- what is kept: the track, the chart, the day's 开机率, when each device was last heard ------------------

_KEEP = text("""
    INSERT INTO ledger.device_samples (device_id, at, lon, lat, battery, fume, pm, nmhc, fan_on, purifier_on)
    SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[]), CAST(:lons AS float8[]),
                         CAST(:lats AS float8[]), CAST(:batteries AS float8[]), CAST(:fumes AS float8[]),
                         CAST(:pms AS float8[]), CAST(:nmhcs AS float8[]), CAST(:fans AS boolean[]),
                         CAST(:purifiers AS boolean[]))
    ON CONFLICT (device_id, at) DO NOTHING""")
_HEARD = text("""
    INSERT INTO ledger.device_heard (device_id, last_at, silent_alarmed)
    SELECT d, a, false FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[])) AS u(d, a)
    ON CONFLICT (device_id) DO UPDATE SET last_at = greatest(device_heard.last_at, excluded.last_at),
           silent_alarmed = device_heard.silent_alarmed AND excluded.last_at <= device_heard.last_at""")
_DAYS = text("""
    INSERT INTO ledger.monitor_days (device_id, day, fan_readings, running_readings)
    SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:days AS date[]), CAST(:fans AS int[]), CAST(:runs AS int[]))
    ON CONFLICT (device_id, day) DO UPDATE
       SET fan_readings = greatest(monitor_days.fan_readings, excluded.fan_readings),
           running_readings = greatest(monitor_days.running_readings, excluded.running_readings)""")


async def keep_samples(conn, samples: list[DeviceSampled]) -> None:
    if not samples:
        return
    samples = sorted(samples, key=lambda s: (s.device_id, s.at))
    await conn.execute(
        _KEEP,
        {
            "ids": [s.device_id for s in samples],
            "ats": [s.at for s in samples],
            "lons": [s.lon for s in samples],
            "lats": [s.lat for s in samples],
            "batteries": [s.battery for s in samples],
            "fumes": [s.fume_mg_m3 for s in samples],
            "pms": [s.pm_mg_m3 for s in samples],
            "nmhcs": [s.nmhc_mg_m3 for s in samples],
            "fans": [s.fan_on for s in samples],
            "purifiers": [s.purifier_on for s in samples],
        },
    )
    last: dict[str, datetime] = {}
    for s in samples:
        last[s.device_id] = max(s.at, last.get(s.device_id, s.at))
    heard = sorted(last)
    await conn.execute(_HEARD, {"ids": heard, "ats": [last[i] for i in heard]})
    days: dict[tuple[str, object], RunningDay] = {}
    for s in samples:
        for d in s.running:
            held = days.get((s.device_id, d.day))
            if held is None or d.fan_readings >= held.fan_readings:
                days[(s.device_id, d.day)] = d
    if days:
        keys = sorted(days, key=lambda k: (k[0], str(k[1])))
        await conn.execute(
            _DAYS,
            {
                "ids": [k[0] for k in keys],
                "days": [days[k].day for k in keys],
                "fans": [days[k].fan_readings for k in keys],
                "runs": [days[k].running_readings for k in keys],
            },
        )


async def samples_kept(envelopes: list[Envelope[DeviceSampled]], uow: UnitOfWork) -> None:
    """The stream processor's samples, kept by ledger (the Batched handler of DeviceSampled)."""
    await keep_samples(uow.session, [e.data for e in envelopes])


# -- silence: a tag or a monitor not heard ---------------------------------------------------------------

_QUIET = text("""
    SELECT h.device_id, h.last_at FROM ledger.device_heard h
      JOIN ledger.devices d ON d.id = h.device_id AND d.status = 'active' AND d.kind = :kind
     WHERE NOT h.silent_alarmed AND h.last_at < :before
     ORDER BY h.device_id LIMIT 500 FOR UPDATE OF h SKIP LOCKED""")
_ALARMED = text("UPDATE ledger.device_heard SET silent_alarmed = true WHERE device_id = ANY(:ids)")


async def watch_silence(uow: UnitOfWork, ref: Reference, rules: Rules) -> int:
    """A tag not heard for `silence_s`, a monitor for `offline_s`: one alarm each until heard again
    (the rule is `silent`; the time it was last heard is the alarm's id, so it is raised once)."""
    conn = uow.session
    now = uow.clock.now()
    raised: list[str] = []
    for kind, quiet_s, alarm in (
        ("dog_tag", rules.tags.silence_s, "tag_silent"),
        ("fume_monitor", rules.fumes.offline_s, "monitor_offline"),
    ):
        rows = (await conn.execute(_QUIET, {"kind": kind, "before": now - timedelta(seconds=quiet_s)})).all()
        for row in rows:
            device = ref.devices.get(row.device_id)
            if device is None:
                continue
            _, alarms = silent({"last_at": row.last_at.isoformat()}, row.device_id, now, quiet_s, alarm)
            for a in alarms:
                uow.publish(alarm_event(a, device, None))
            raised.append(row.device_id)
    if raised:
        await conn.execute(_ALARMED, {"ids": raised})
    await uow.commit()
    return len(raised)


class ReferenceCache:
    """The register's devices and zones as the judge reads them: all of it again every `refresh_s`;
    a device not seen yet (registered a moment ago, perhaps on another replica) is read at once, alone."""

    def __init__(self, load, refresh_s: float, monotonic) -> None:
        """`load(ids)`: the whole reference (`ids` None), or only those devices."""
        self._load, self._refresh_s, self._monotonic = load, refresh_s, monotonic
        self._ref: Reference | None = None
        self._at = -1e18

    async def get(self, needed: Iterable[str] = ()) -> Reference:
        now = self._monotonic()
        if self._ref is None or now - self._at >= self._refresh_s:
            self._ref, self._at = await self._load(None), now
        missing = sorted({d for d in needed if d not in self._ref.devices})
        if missing:
            found = await self._load(missing)
            if found.devices:
                self._ref = replace(self._ref, devices={**self._ref.devices, **found.devices})
        return self._ref

    def fresh(self, device_id: str) -> Reference | None:
        """The reference, without waiting, when it is fresh and holds the device (nearly always)."""
        ref = self._ref
        if ref is not None and device_id in ref.devices and self._monotonic() - self._at < self._refresh_s:
            return ref
        return None

    def forget(self) -> None:
        """A device or a zone changed here: read the register again on the next reading."""
        self._at = -1e18


_FORGET = text("""
    DELETE FROM ledger.device_samples WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM ledger.device_samples WHERE at < :before LIMIT 50000))""")


async def forget_old_samples(uow: UnitOfWork, keep_days: int) -> int:
    """The tracks and charts older than `keep_days` (LEDGER_TRACK_DAYS) go, a slice at a time."""
    conn = uow.session
    before = uow.clock.now() - timedelta(days=keep_days)
    gone = getattr(await conn.execute(_FORGET, {"before": before}), "rowcount", 0)
    await uow.commit()
    return gone
