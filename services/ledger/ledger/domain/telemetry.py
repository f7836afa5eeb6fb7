"""Judging the devices' readings (issue 27), framework-free: the pure rules that turn a dog tag's
positions and a fume monitor's readings into alarms, one alarm per episode, never one per reading.

Each device's state is a small dict (what a stream processor keeps per key, or what `make run`
keeps in a table), passed in and returned with the alarms the reading raised; the same readings in
the same order always give the same state and the same alarms, so a judge that replays a reading it
already judged (after a crash) computes the same alarm id and intake takes it once.

Dog tags, per dog: entering a no-dog zone (禁犬区) raises `zone_entered`; the episode ends only once the
dog is farther than `rearm_margin_m` from the zone for `rearm_s`, so a dog hovering at a school's
gate raises one alarm, and one that leaves and comes back later raises a second. A walk outside the
hours its size class is allowed raises `outside_hours` once per such window. A tag not heard for
`silence_s` raises `tag_silent` once (checked by the judge's clock, `silent`).

Fume monitors, per merchant: the concentration over its limit for `consecutive` readings running
raises `exceedance` once per episode (a reading under every limit ends it); the fan on with the
purifier off for longer than `stopped_s` raises `purifier_off` (设施停运) once per episode; a monitor
not heard for `offline_s` raises `monitor_offline`. The day's 开机率 counts the readings with the fan
on in which the purifier was on too."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from common.clock import BEIJING

# -- dog tags -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    zone_id: str
    polygon: dict
    """GeoJSON Polygon, WGS84."""


@dataclass(frozen=True)
class TagRules:
    rearm_margin_m: float = 50.0
    rearm_s: float = 600.0
    silence_s: float = 6 * 3600.0
    allowed_hours: dict[str, tuple[tuple[time, time], ...]] = field(
        default_factory=lambda: {"large": ((time(19, 0), time(7, 0)),)}
    )
    """Per size class, the windows (Beijing time) a dog of it may be walked in; a class not named is
    walked in `default_hours`. The default is an example of a city's rule for large dogs (evening
    to morning); each city sets its own."""
    default_hours: tuple[tuple[time, time], ...] = ()
    """The windows of the classes not named (the city's 遛犬时段); empty: any hour."""


@dataclass(frozen=True)
class Alarm:
    alarm_id: str
    """The same reading judged again gives the same id: intake takes an alarm once."""
    kind: str
    device_id: str
    at: datetime
    detail: dict


def _metres(lon: float, lat: float, lon0: float, lat0: float) -> tuple[float, float]:
    return (lon - lon0) * 111_320 * math.cos(math.radians(lat0)), (lat - lat0) * 110_540


def _local(polygon: dict) -> tuple[float, float, BaseGeometry]:
    ring = polygon["coordinates"][0]
    lon0, lat0 = ring[0]
    local = {
        "type": "Polygon",
        "coordinates": [[_metres(x, y, lon0, lat0) for x, y in r] for r in polygon["coordinates"]],
    }
    return lon0, lat0, shape(local)


def distance_m(zone: Zone, lon: float, lat: float) -> float:
    """How far a point lies outside the zone, in metres (0 inside), on a local plane: zones are a few
    hundred metres across."""
    lon0, lat0, local = _local(zone.polygon)
    return float(local.distance(Point(_metres(lon, lat, lon0, lat0))))


class Zones:
    """The no-dog zones, indexed: which zone holds a point is a lookup in an R-tree (a city has
    hundreds of schools, parks and hospitals; a reading must not measure itself against each), and
    each zone's local plane is made once."""

    def __init__(self, zones: list[Zone]) -> None:
        self.zones = {z.zone_id: z for z in zones}
        self._ids = [z.zone_id for z in zones]
        self._shapes = [shape(z.polygon) for z in zones]
        self._tree = STRtree(self._shapes) if zones else None
        self._planes = {z.zone_id: _local(z.polygon) for z in zones}

    def __len__(self) -> int:
        return len(self._ids)

    def holding(self, lon: float, lat: float) -> Zone | None:
        if self._tree is None:
            return None
        hits = self._tree.query(Point(lon, lat), predicate="intersects")
        return self.zones[self._ids[min(hits)]] if len(hits) else None

    def distance_m(self, zone_id: str, lon: float, lat: float) -> float | None:
        """Metres from the zone (0 inside); None for a zone no longer defined."""
        plane = self._planes.get(zone_id)
        if plane is None:
            return None
        lon0, lat0, local = plane
        return float(local.distance(Point(_metres(lon, lat, lon0, lat0))))


def newer(state: dict, at: datetime) -> bool:
    """Whether a reading at `at` comes after the last one judged: a late or repeated reading is
    judged once only. Compared as instants, whatever offset each was written with."""
    last = state.get("last_at")
    return not last or at > datetime.fromisoformat(last)


def _within(now: time, windows: tuple[tuple[time, time], ...]) -> bool:
    for start, end in windows:
        if start <= end and start <= now < end:
            return True
        if start > end and (now >= start or now < end):  # across midnight
            return True
    return False


def _window_key(at: datetime, windows: tuple[tuple[time, time], ...]) -> str:
    """Which stretch of forbidden hours `at` falls in: the date it began on (Beijing)."""
    local = at.astimezone(BEIJING)
    allowed_ends = sorted(end for _, end in windows)
    # a forbidden stretch begins at an allowed window's end; before the first end of the day, it began yesterday
    began = local.date() if any(local.time() >= e for e in allowed_ends) else (local - timedelta(days=1)).date()
    return began.isoformat()


def judge_tag(
    state: dict, device_id: str, at: datetime, lon: float, lat: float, size: str, zones: Zones, rules: TagRules
) -> tuple[dict, list[Alarm]]:
    """One position of a tag: the state after it, and the alarms it raised."""
    state = dict(state)
    alarms: list[Alarm] = []
    if not newer(state, at):
        return state, alarms  # late or repeated: positions are judged in order, once
    state["last_at"], state["silent_alarmed"] = at.isoformat(), False
    inside = zones.holding(lon, lat)
    episode = state.get("zone")
    if inside is not None:
        if episode is None:
            episode = {"zone_id": inside.zone_id, "since": at.isoformat(), "outside_since": None}
            alarms.append(
                Alarm(
                    f"{device_id}:zone:{inside.zone_id}:{at.isoformat()}",
                    "zone_entered",
                    device_id,
                    at,
                    {"zone_id": inside.zone_id, "lon": lon, "lat": lat},
                )
            )
        else:
            episode = {**episode, "outside_since": None}
    elif episode is not None:
        away = zones.distance_m(episode["zone_id"], lon, lat)
        if away is None or away > rules.rearm_margin_m:
            since = episode["outside_since"] or at.isoformat()
            episode = {**episode, "outside_since": since}
            if (at - datetime.fromisoformat(since)).total_seconds() >= rules.rearm_s:
                episode = None  # left by the margin for long enough: the next entry is a new episode
        else:
            episode = {**episode, "outside_since": None}  # at the edge: still the same episode
    state["zone"] = episode
    windows = rules.allowed_hours.get(size) or rules.default_hours
    if windows and not _within(at.astimezone(BEIJING).time(), windows):
        key = _window_key(at, windows)
        if state.get("hours_alarmed") != key:
            state["hours_alarmed"] = key
            alarms.append(
                Alarm(
                    f"{device_id}:hours:{key}", "outside_hours", device_id, at, {"size": size, "lon": lon, "lat": lat}
                )
            )
    return state, alarms


def silent(
    state: dict, device_id: str, now: datetime, silence_s: float, kind: str = "tag_silent"
) -> tuple[dict, list[Alarm]]:
    """A device not heard for longer than `silence_s`: one alarm until it is heard again."""
    last = state.get("last_at")
    if not last or state.get("silent_alarmed") or (now - datetime.fromisoformat(last)).total_seconds() < silence_s:
        return state, []
    return {**state, "silent_alarmed": True}, [
        Alarm(f"{device_id}:{kind}:{last}", kind, device_id, now, {"last_at": last})
    ]


# -- fume monitors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FumeLimits:
    """mg/m³; `None`: not limited. GB 18483-2001 limits the fume alone (2.0)."""

    fume: float | None = 2.0
    pm: float | None = None
    nmhc: float | None = None
    consecutive: int = 3
    stopped_s: float = 600.0
    offline_s: float = 3600.0


GB_18483 = FumeLimits()
BEIJING_DB11_1488 = FumeLimits(fume=1.0, pm=5.0, nmhc=10.0)
"""北京 DB11/1488-2018: 油烟 1.0, 颗粒物 5.0, 非甲烷总烃 10.0 mg/m³."""


def _over(limits: FumeLimits, fume: float, pm: float | None, nmhc: float | None) -> list[str]:
    out = []
    for name, value, limit in (("fume", fume, limits.fume), ("pm", pm, limits.pm), ("nmhc", nmhc, limits.nmhc)):
        if limit is not None and value is not None and value > limit:
            out.append(name)
    return out


def judge_monitor(
    state: dict,
    device_id: str,
    at: datetime,
    fume: float,
    pm: float | None,
    nmhc: float | None,
    fan_on: bool,
    purifier_on: bool,
    limits: FumeLimits,
) -> tuple[dict, list[Alarm]]:
    """One reading of a fume monitor: the state after it, and the alarms it raised."""
    state = dict(state)
    alarms: list[Alarm] = []
    if not newer(state, at):
        return state, alarms
    state["last_at"], state["silent_alarmed"] = at.isoformat(), False
    over = _over(limits, fume, pm, nmhc)
    if over:
        run = state.get("over_run", 0) + 1
        state["over_run"] = run
        if run >= limits.consecutive and not state.get("over_alarmed"):
            state["over_alarmed"] = True
            alarms.append(
                Alarm(
                    f"{device_id}:exceedance:{at.isoformat()}",
                    "exceedance",
                    device_id,
                    at,
                    {"over": over, "fume": fume, "pm": pm, "nmhc": nmhc, "readings": run},
                )
            )
    else:
        state["over_run"], state["over_alarmed"] = 0, False
    if fan_on and not purifier_on:
        since = state.get("stopped_since") or at.isoformat()
        state["stopped_since"] = since
        if (at - datetime.fromisoformat(since)).total_seconds() >= limits.stopped_s and not state.get(
            "stopped_alarmed"
        ):
            state["stopped_alarmed"] = True
            alarms.append(Alarm(f"{device_id}:purifier_off:{since}", "purifier_off", device_id, at, {"since": since}))
    else:
        state["stopped_since"], state["stopped_alarmed"] = None, False
    day = at.astimezone(BEIJING).date().isoformat()
    if state.get("day") != day:
        if state.get("day"):  # the day just ended, whole: what is kept of it (开机率) is told once more
            state["closed"] = {
                "day": state["day"],
                "fan_readings": state.get("fan_readings", 0),
                "running_readings": state.get("running_readings", 0),
            }
        state["day"], state["fan_readings"], state["running_readings"] = day, 0, 0
    if fan_on:
        state["fan_readings"] += 1
        state["running_readings"] += 1 if purifier_on else 0
    return state, alarms


def running_rate(state: dict) -> float | None:
    """开机率 of the day so far: of the readings with the fan on, the share with the purifier on too."""
    fan = state.get("fan_readings") or 0
    return None if fan == 0 else state.get("running_readings", 0) / fan


# -- what is kept of the readings ----------------------------------------------------------------


@dataclass(frozen=True)
class Sampling:
    """A dog's track and a monitor's chart keep one reading every so often, not every reading."""

    tag_every_s: float = 60.0
    monitor_every_s: float = 300.0


def sample_due(state: dict, at: datetime, kind: str, sampling: Sampling, forced: bool = False) -> bool:
    """Whether this reading is kept (and the state says so): the first, one every `*_every_s`, and
    every one that raised an alarm or closed a day (`forced`)."""
    last = state.get("sampled_at")
    every = sampling.tag_every_s if kind == "dog_tag" else sampling.monitor_every_s
    if forced or not last or (at - datetime.fromisoformat(last)).total_seconds() >= every:
        state["sampled_at"] = at.isoformat()
        return True
    return False


@dataclass(frozen=True)
class Rules:
    """Every rule of the judge, as a bureau sets them (LedgerSettings.telemetry)."""

    tags: TagRules = field(default_factory=TagRules)
    fumes: FumeLimits = field(default_factory=FumeLimits)
    sampling: Sampling = field(default_factory=Sampling)
    future_s: float = 300.0
    """a reading dated further ahead of the bureau's clock is refused"""
    max_age_s: float = 7 * 86400.0
    """a reading older than this is refused"""
