"""The devices' streams (物联感知): the readings of smart dog tags and online fume monitors, what the
judge (ledger's stream processor) keeps of them, and the alarms it raises. A reading travels on its
own topic keyed by device, never into a table one row each; a vendor's platform may produce it
there itself with this same CloudEvents contract instead of posting it to `/v1/telemetry`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from common.messaging.contracts.base import FreeData, IntegrationEvent, Location, Topics

AlarmKind = Literal["zone_entered", "outside_hours", "tag_silent", "exceedance", "purifier_off", "monitor_offline"]


class DeviceReading(IntegrationEvent, type="ledger.device.reading.v1", topic=Topics.readings, key="device_id"):
    """A reading of a device of the register: a dog tag's position (WGS84; a GCJ-02 position is
    converted when it is taken) and battery, or a fume monitor's reading in the manner of HJ
    212-2017 (油烟, 颗粒物, 非甲烷总烃 in mg/m³, and whether the fan and the purifier run)."""

    device_id: str = Field(min_length=1, max_length=64)
    kind: Literal["dog_tag", "fume_monitor"]
    time: datetime = Field(description="when the device took it, with its offset")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    battery: float | None = Field(None, ge=0, le=100, description="a tag's battery, per cent")
    fume_mg_m3: float | None = Field(None, ge=0, le=1000, description="油烟浓度")
    pm_mg_m3: float | None = Field(None, ge=0, le=1000, description="颗粒物")
    nmhc_mg_m3: float | None = Field(None, ge=0, le=10000, description="非甲烷总烃")
    fan_on: bool | None = Field(None, description="风机 running (its current)")
    purifier_on: bool | None = Field(None, description="净化器 running (its current)")

    @model_validator(mode="after")
    def _whole(self) -> DeviceReading:
        if self.time.tzinfo is None:
            raise ValueError("time needs its offset")
        if self.kind == "dog_tag" and (self.lon is None or self.lat is None):
            raise ValueError("a dog tag's reading gives lon and lat")
        if self.kind == "fume_monitor" and (self.fume_mg_m3 is None or self.fan_on is None or self.purifier_on is None):
            raise ValueError("a fume monitor's reading gives fume_mg_m3, fan_on and purifier_on")
        return self


class DeviceAlarmRaised(IntegrationEvent, type="ledger.device.alarm.v1", topic=Topics.alarms, key="device_id"):
    """An alarm the judge raised from a device's readings, one per episode: a dog in a no-dog zone
    (禁犬区) or walked outside its hours, a tag silent; a fume monitor over its limit for N readings
    running, its purifier off while the fan runs (设施停运), or offline. `alarm_id` is the same
    however often the episode's readings are judged again: intake takes it once, as an incident of
    the machine channel naming the licence or the merchant."""

    alarm_id: str = Field(max_length=200)
    kind: AlarmKind
    device_id: str
    device_kind: Literal["dog_tag", "fume_monitor"]
    licence_id: str | None = Field(None, description="a dog tag's licence")
    merchant_id: str | None = Field(None, description="a fume monitor's merchant")
    zone_id: str | None = Field(None, description="the no-dog zone entered")
    at: datetime
    location: Location | None = Field(None, description="the dog's position, or where the monitor (its merchant) is")
    detail: FreeData = Field(default_factory=dict, description="what the rule saw (the readings over, the hours)")


class RunningDay(BaseModel):
    """开机率 of a day (Beijing): of a monitor's readings with the fan on, how many with the purifier on."""

    day: date
    fan_readings: int
    running_readings: int


class DeviceSampled(IntegrationEvent, type="ledger.device.sampled.v1", topic=Topics.samples, key="device_id"):
    """What is kept of a device's readings: one every so often (a setting), for a dog's track (轨迹,
    30 days) and a merchant's chart, with a monitor's day of 开机率 so far (and the day just ended,
    whole, on the first reading of the next)."""

    device_id: str
    device_kind: Literal["dog_tag", "fume_monitor"]
    at: datetime
    lon: float | None = None
    lat: float | None = None
    battery: float | None = None
    fume_mg_m3: float | None = None
    pm_mg_m3: float | None = None
    nmhc_mg_m3: float | None = None
    fan_on: bool | None = None
    purifier_on: bool | None = None
    running: list[RunningDay] = Field(default_factory=list)
