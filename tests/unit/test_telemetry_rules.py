"""The pure rules that judge the devices' readings (ledger.domain.telemetry, issue 27): one alarm per
episode, not per reading; the same reading judged again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ledger.domain.telemetry import (
    BEIJING_DB11_1488,
    GB_18483,
    TagRules,
    Zone,
    Zones,
    distance_m,
    judge_monitor,
    judge_tag,
    running_rate,
    silent,
)

SCHOOL = Zone(
    "zone-1",
    {
        "type": "Polygon",
        "coordinates": [
            [[113.611, 34.741], [113.613, 34.741], [113.613, 34.743], [113.611, 34.743], [113.611, 34.741]]
        ],
    },
)
INSIDE = (113.612, 34.742)
AT_GATE = (113.6135, 34.742)  # about 46 m east of the zone's edge: within the re-arm margin
AWAY = (113.620, 34.742)  # about 640 m east
T0 = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # 08:30 in Beijing
RULES = TagRules()
ZONES = Zones([SCHOOL])


def walk(state, points, start=T0, size="small", step=timedelta(seconds=30)):
    alarms = []
    for n, (lon, lat) in enumerate(points):
        state, raised = judge_tag(state, "tag-1", start + n * step, lon, lat, size, ZONES, RULES)
        alarms += raised
    return state, alarms


def test_distance_is_zero_inside_and_in_metres_outside():
    assert distance_m(SCHOOL, *INSIDE) == 0.0
    assert 40 < distance_m(SCHOOL, *AT_GATE) < 50
    assert 600 < distance_m(SCHOOL, *AWAY) < 700


def test_a_dog_in_a_school_zone_raises_one_alarm_however_many_readings_and_hovering_at_the_gate():
    state, alarms = walk({}, [AWAY, INSIDE, INSIDE, AT_GATE, INSIDE, AT_GATE, INSIDE])
    assert [a.kind for a in alarms] == ["zone_entered"]
    assert alarms[0].detail["zone_id"] == "zone-1" and alarms[0].alarm_id.startswith("tag-1:zone:zone-1:")


def test_leaving_by_the_margin_for_long_enough_re_arms_and_a_later_return_is_a_second_episode():
    state, first = walk({}, [INSIDE])
    state, none = walk(state, [AWAY] * 5, start=T0 + timedelta(minutes=1))  # 2 minutes away: not yet re-armed
    state, again = walk(state, [INSIDE], start=T0 + timedelta(minutes=4))
    assert len(first) == 1 and none == [] and again == []  # came back within the re-arm time: the same episode
    state, _ = walk(state, [AWAY] * 2, start=T0 + timedelta(minutes=5), step=timedelta(minutes=11))
    state, second = walk(state, [INSIDE], start=T0 + timedelta(minutes=40))
    assert [a.kind for a in second] == ["zone_entered"] and second[0].alarm_id != first[0].alarm_id


def test_a_reading_judged_again_changes_nothing_and_raises_nothing():
    state, alarms = judge_tag({}, "tag-1", T0, *INSIDE, "small", ZONES, RULES)
    again, more = judge_tag(state, "tag-1", T0, *INSIDE, "small", ZONES, RULES)
    assert len(alarms) == 1 and more == [] and again == state
    # the same readings from the same state: the same alarm id (intake takes it once)
    replay, same = judge_tag({}, "tag-1", T0, *INSIDE, "small", ZONES, RULES)
    assert replay == state and same[0].alarm_id == alarms[0].alarm_id


def test_a_large_dog_walked_in_forbidden_hours_raises_one_alarm_a_stretch():
    morning = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing: large dogs walk 19:00–07:00
    state, alarms = walk({}, [AWAY] * 3, start=morning, size="large", step=timedelta(minutes=30))
    assert [a.kind for a in alarms] == ["outside_hours"]
    state, evening = walk(state, [AWAY], start=datetime(2026, 11, 23, 12, 0, tzinfo=UTC), size="large")  # 20:00
    assert evening == []
    state, next_day = walk(state, [AWAY], start=morning + timedelta(days=1), size="large")
    assert [a.kind for a in next_day] == ["outside_hours"] and next_day[0].alarm_id != alarms[0].alarm_id
    _, small = walk({}, [AWAY], start=morning, size="small")
    assert small == []


def test_a_silent_tag_is_told_once_until_heard_again():
    state, _ = walk({}, [AWAY])
    assert silent(state, "tag-1", T0 + timedelta(hours=1), RULES.silence_s) == (state, [])
    quiet, [alarm] = silent(state, "tag-1", T0 + timedelta(hours=7), RULES.silence_s)
    assert alarm.kind == "tag_silent" and silent(quiet, "tag-1", T0 + timedelta(hours=8), RULES.silence_s)[1] == []
    heard, _ = walk(quiet, [AWAY], start=T0 + timedelta(hours=9))
    assert silent(heard, "tag-1", T0 + timedelta(hours=16), RULES.silence_s)[1] != []


def readings(state, values, limits=GB_18483, fan=True, purifier=True, start=T0, step=timedelta(minutes=1), **extra):
    alarms = []
    for n, fume in enumerate(values):
        state, raised = judge_monitor(
            state, "fm-1", start + n * step, fume, extra.get("pm"), extra.get("nmhc"), fan, purifier, limits
        )
        alarms += raised
    return state, alarms


def test_a_monitor_over_its_limit_twice_then_under_does_not_alarm_three_times_running_does_once():
    state, alarms = readings({}, [2.5, 2.6, 1.0])
    assert alarms == []
    state, alarms = readings(state, [2.5, 2.6, 2.7, 3.0, 2.9], start=T0 + timedelta(minutes=10))
    assert [a.kind for a in alarms] == ["exceedance"] and alarms[0].detail["readings"] == 3
    state, rearmed = readings(state, [1.0, 2.5, 2.5, 2.5], start=T0 + timedelta(minutes=20))
    assert [a.kind for a in rearmed] == ["exceedance"]  # under once: the next run is a new episode


def test_beijing_limits_the_particles_and_hydrocarbons_too():
    _, alarms = readings({}, [0.5, 0.5, 0.5], limits=BEIJING_DB11_1488, pm=6.0)
    assert [a.detail["over"] for a in alarms] == [["pm"]]
    _, none = readings({}, [1.5, 1.5, 1.5], pm=6.0)  # GB 18483 limits the fume alone, at 2.0
    assert none == []


def test_the_fan_on_with_the_purifier_off_for_ten_minutes_alarms_once_and_counts_against_the_running_rate():
    state, alarms = readings({}, [0.5] * 12, purifier=False)
    assert [a.kind for a in alarms] == ["purifier_off"]
    state, _ = readings(state, [0.5] * 12, start=T0 + timedelta(minutes=30))
    assert running_rate(state) == 0.5
    assert running_rate({}) is None


def test_a_vendor_s_offset_changes_nothing_the_judge_compares_and_names_in_utc():
    from common.messaging.contracts import DeviceReading
    from ledger.domain.telemetry import Rules
    from ledger.handlers.telemetry import Reference, Watched, judge

    tag = Watched("tag-1", "dog_tag", "active", licence_id="lic-1", size="small")
    ref = Reference({"tag-1": tag}, ZONES)
    plus8 = timezone(timedelta(hours=8))
    first = DeviceReading(device_id="tag-1", kind="dog_tag", time=T0.astimezone(plus8), lon=AWAY[0], lat=AWAY[1])
    state, _ = judge(first, tag, {}, ref, Rules())
    # ten minutes later, written in UTC: later, though its text ("00:40+00:00") sorts before "08:30+08:00"
    at = T0 + timedelta(minutes=10)
    later = DeviceReading(device_id="tag-1", kind="dog_tag", time=at, lon=INSIDE[0], lat=INSIDE[1])
    state, events = judge(later, tag, state, ref, Rules())
    alarms = [e for e in events if e.event_type.endswith("alarm.v1")]
    assert [a.kind for a in alarms] == ["zone_entered"] and alarms[0].alarm_id.endswith(at.isoformat())
    same = later.model_copy(update={"time": at.astimezone(plus8)})  # the same reading again, at +08:00
    again, none = judge(same, tag, state, ref, Rules())
    assert none == [] and again == state
