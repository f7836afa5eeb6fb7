"""物联感知 over HTTP: the readings of smart dog tags and online fume monitors, taken in batches from
the devices' vendor platforms and judged (on Kafka by the stream processor `ledger.judge`; in
`make run`'s one process at once); a dog's track (轨迹) and a merchant's fume chart and 开机率."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, ValidationError

from common.audiences import DeviceVendor, RegisterReader
from common.clock import bureau_date
from common.geo import gcj02_to_wgs84
from common.messaging.contracts import DeviceReading
from common.messaging.envelope import encode
from common.metrics import READINGS
from ledger.api.deps import ServiceDep, visible_merchant
from ledger.api.licences import _licence
from ledger.domain.catering import cleaning_overdue
from ledger.handlers.telemetry import judge_inline, refusal
from ledger.queries import catering as cq
from ledger.queries import telemetry as tq

router = APIRouter(tags=["devices 设备台账"])
MAX_READINGS = 1000


class TelemetryIn(BaseModel):
    readings: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_READINGS,
        description="up to 1,000 readings, each `{device_id, time, lon, lat, battery}` (a dog tag) or "
        "`{device_id, time, fume_mg_m3, pm_mg_m3, nmhc_mg_m3, fan_on, purifier_on}` (a fume monitor); "
        "`kind` may be given, else it is read from the fields",
    )
    coordinate_system: Literal["wgs84", "gcj02"] = Field(
        "wgs84", description="the tags' positions: WGS84, or GCJ-02 (高德/腾讯), converted here"
    )


class Refused(BaseModel):
    index: int
    reason: str


class TelemetryOut(BaseModel):
    accepted: int
    refused: list[Refused]
    alarms: int | None = Field(None, description="alarms raised at once (make run's judge); on Kafka, the judge's")


def _reading(raw: dict[str, Any], gcj02: bool) -> DeviceReading:
    given = dict(raw)
    if "kind" not in given:
        given["kind"] = "fume_monitor" if "fume_mg_m3" in given else "dog_tag"
    reading = DeviceReading.model_validate(given)
    if gcj02 and reading.lon is not None and reading.lat is not None:
        lon, lat = gcj02_to_wgs84(reading.lon, reading.lat)
        reading = reading.model_copy(update={"lon": lon, "lat": lat})
    return reading


def _why(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "reading"
    return f"{where}: {first['msg']}"


@router.post(
    "/v1/telemetry",
    response_model=TelemetryOut,
    summary="物联感知: a batch of readings from dog tags or fume monitors (a device vendor's platform)",
    description="Each reading is taken or refused on its own, by index and reason: a device not in the "
    "register of devices (设备台账), retired or of another kind, a time ahead of the bureau's clock or too old, "
    "a malformed reading. Taken readings travel on Kafka (`ledger.readings`, keyed by device) to the judge; "
    "the answer comes once Kafka holds them.",
)
async def telemetry(body: TelemetryIn, principal: DeviceVendor, service: ServiceDep) -> TelemetryOut:
    s = service.settings
    await service.limiter.hit(f"telemetry:{principal.subject}", s.telemetry_requests_per_minute, "telemetry batches")
    rules = s.telemetry
    taken: list[DeviceReading] = []
    refused: list[Refused] = []
    parsed: list[tuple[int, DeviceReading]] = []
    for index, raw in enumerate(body.readings):
        try:
            parsed.append((index, _reading(raw, body.coordinate_system == "gcj02")))
        except ValidationError as exc:
            refused.append(Refused(index=index, reason=_why(exc)))
        except (TypeError, ValueError) as exc:
            refused.append(Refused(index=index, reason=str(exc)))
    ref = await service.watched.get(r.device_id for _, r in parsed)
    now = service.clock.now()
    for index, reading in parsed:
        why = refusal(reading, ref.devices.get(reading.device_id), now, rules, principal.subject)
        if why is None:
            taken.append(reading)
        else:
            refused.append(Refused(index=index, reason=why))
    refused.sort(key=lambda r: r.index)
    READINGS.labels("ingest", "refused").inc(len(refused))
    if not taken:
        return TelemetryOut(accepted=0, refused=refused)
    READINGS.labels("ingest", "accepted").inc(len(taken))
    if service.settings.bus == "memory":
        async with service.uow() as uow:
            alarms = await judge_inline(uow, taken, ref, rules)
            await uow.commit()
        return TelemetryOut(accepted=len(taken), refused=refused, alarms=alarms)
    records = [encode(r, source="/cgzf/ledger", time=now, correlation_id=None) for r in taken]
    await service.transport.send(records)  # returns once Kafka holds every one (acks=all)
    return TelemetryOut(accepted=len(taken), refused=refused)


# -- what is kept: a dog's track, a merchant's chart and 开机率 ------------------------------------------


class TrackPoint(BaseModel):
    at: datetime
    lon: float
    lat: float
    battery: float | None


class Track(BaseModel):
    licence_id: str
    devices: list[str]
    points: list[TrackPoint]


@router.get(
    "/v1/dog-licences/{licence_id}/track",
    response_model=Track,
    summary="轨迹: where the licence's dog was walked (its smart tag's kept positions), up to 30 days",
)
async def track(
    licence_id: str,
    principal: RegisterReader,
    service: ServiceDep,
    days: Annotated[float, Query(gt=0, le=30, description="how far back")] = 1,
) -> Track:
    await _licence(service, licence_id, principal)  # 404 for a licence this person may not see
    since = service.clock.now() - timedelta(days=days)
    async with service.session_factory() as session:
        tags = await tq.devices_of(session, licence_id=licence_id)
        rows = await tq.samples(session, tags, since)
    return Track(
        licence_id=licence_id,
        devices=tags,
        points=[
            TrackPoint(at=r.at, lon=r.lon, lat=r.lat, battery=r.battery)
            for r in rows
            if r.lon is not None and r.lat is not None
        ],
    )


class FumePoint(BaseModel):
    at: datetime
    fume_mg_m3: float | None
    pm_mg_m3: float | None
    nmhc_mg_m3: float | None
    fan_on: bool | None
    purifier_on: bool | None


class RunningRate(BaseModel):
    day: date
    fan_readings: int
    running_readings: int
    rate: float | None = Field(description="开机率: of the readings with the fan on, the share with the purifier on")


class Fumes(BaseModel):
    merchant_id: str
    devices: list[str]
    limit_mg_m3: float | None = Field(description="the 油烟 limit in force (GB 18483-2001 or the city's standard)")
    readings: list[FumePoint]
    days: list[RunningRate]
    cleaning_overdue: bool = Field(description="油烟净化器 not cleaned within the rule (the register's own figure)")


@router.get(
    "/v1/merchants/{merchant_id}/fumes",
    response_model=Fumes,
    summary="油烟在线监测: a catering merchant's readings (the last day by default), its daily 开机率 and cleaning",
)
async def fumes(
    merchant_id: str,
    principal: RegisterReader,
    service: ServiceDep,
    hours: Annotated[float, Query(gt=0, le=720, description="the readings of the last hours")] = 24,
    days: Annotated[int, Query(ge=1, le=90, description="开机率 of the last days")] = 30,
) -> Fumes:
    merchant = await visible_merchant(service, merchant_id, principal)
    now = service.clock.now()
    async with service.session_factory() as session:
        monitors = await tq.devices_of(session, merchant_id=merchant.id)
        rows = await tq.samples(session, monitors, now - timedelta(hours=hours))
        day_rows = await tq.running_days(session, monitors, bureau_date(now) - timedelta(days=days - 1))
        purifier = await cq.purifier(session, merchant.id)
    overdue = purifier is not None and cleaning_overdue(
        purifier.last_cleaned_on, purifier.installed_on, bureau_date(now), service.settings.cleaning
    )
    return Fumes(
        merchant_id=merchant.id,
        devices=monitors,
        limit_mg_m3=service.settings.telemetry.fumes.fume,
        readings=[
            FumePoint(
                at=r.at, fume_mg_m3=r.fume, pm_mg_m3=r.pm, nmhc_mg_m3=r.nmhc, fan_on=r.fan_on, purifier_on=r.purifier_on
            )
            for r in rows
        ],
        days=[
            RunningRate(day=d, fan_readings=fan, running_readings=run, rate=round(run / fan, 4) if fan else None)
            for d, fan, run in day_rows
        ],
        cleaning_overdue=overdue,
    )
