"""设备台账 over HTTP: the register of devices, kept by the clerks (and the admin), read by those who
read the registers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from common.audiences import Clerk, RegisterReader
from common.clock import BEIJING
from common.messaging.contracts import Location
from common.refusals import NotFound
from ledger.api.deps import ServiceDep
from ledger.domain import devices as dev
from ledger.handlers.devices import device, devices, put_device

router = APIRouter(tags=["devices 设备台账"])
Id = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", description="as the vendor's platform names it")
]


class Art41(BaseModel):
    authorised_by: str = Field(min_length=2, max_length=200, description="the law or regulation that authorises it")
    legal_review: str = Field(min_length=2, max_length=100, description="法制审核: its reference")
    technical_review: str = Field(min_length=2, max_length=100, description="技术审核: its reference")
    published_location: str = Field(min_length=2, max_length=300, description="where its location was made public")
    calibration_valid_until: date = Field(description="计量检定 valid until")


class DeviceIn(BaseModel):
    kind: dev.Kind = Field(
        description="body_camera 执法记录仪, fixed_camera, fixed_capture 固定抓拍, mobile_capture, drone, "
        "dog_tag 智能犬牌, fume_monitor 油烟在线监测仪"
    )
    status: Literal["active", "retired"] = "active"
    serial_number: str | None = Field(None, min_length=1, max_length=64)
    vendor: str | None = Field(None, max_length=100)
    reported_by: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="the vendor platform's client id that sends this device's readings (POST /v1/telemetry): "
        "another client's readings of it are refused; unset, any client with the device-vendor scope",
    )
    model: str | None = Field(None, max_length=100)
    officer_id: str | None = Field(None, min_length=1, max_length=64, description="the officer who carries it")
    licence_id: str | None = Field(None, min_length=1, max_length=36, description="a dog tag's licence")
    merchant_id: str | None = Field(None, min_length=1, max_length=36, description="a fume monitor's merchant")
    location: Location | None = Field(None, description="where it stands (a fixed device)")
    art41: Art41 | None = Field(None, description="行政处罚法 art. 41: a capture device's approvals")
    note: str | None = Field(None, max_length=500)


class DeviceOut(DeviceIn):
    id: str
    name: str = Field(description="the kind in Chinese")
    grid_id: str | None
    squad_id: str | None
    evidence_ready: bool = Field(description="its records may serve as evidence today (art. 41)")
    version: int
    updated_by: str
    updated_at: datetime


def _today(service) -> date:
    return service.clock.now().astimezone(BEIJING).date()


def _out(d, today: date) -> DeviceOut:
    kind = dev.Kind(d.kind)
    return DeviceOut(
        id=d.id,
        kind=kind,
        name=dev.NAMES[kind],
        status=d.status,
        serial_number=d.serial_number,
        vendor=d.vendor,
        reported_by=d.reported_by,
        model=d.model,
        officer_id=d.officer_id,
        licence_id=d.licence_id,
        merchant_id=d.merchant_id,
        location=Location(lon=d.lon, lat=d.lat) if d.lon is not None and d.lat is not None else None,
        art41=Art41(**d.art41) if d.art41 else None,
        note=d.note,
        grid_id=d.grid_id,
        squad_id=d.squad_id,
        evidence_ready=dev.evidence_ready(kind, d.art41, d.status == "active", today),
        version=d.version,
        updated_by=d.updated_by,
        updated_at=d.updated_at,
    )


@router.put("/v1/devices/{device_id}", response_model=DeviceOut, summary="a device of the register, whole (clerks)")
async def define_device(device_id: Id, body: DeviceIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        row = await put_device(uow, device_id, body.model_dump(mode="json"), principal.subject)
    service.watched.forget()  # the readings are judged by the register as it is now
    return _out(row, _today(service))


@router.get("/v1/devices", response_model=list[DeviceOut], summary="设备台账: the devices, by kind or officer")
async def list_devices(
    principal: RegisterReader, service: ServiceDep, kind: dev.Kind | None = None, officer_id: str | None = None
):
    async with service.session_factory() as session:
        rows = await devices(session, kind.value if kind else None, officer_id)
    return [_out(r, _today(service)) for r in rows]


@router.get("/v1/devices/{device_id}", response_model=DeviceOut, summary="a device of the register")
async def one_device(device_id: Id, principal: RegisterReader, service: ServiceDep):
    async with service.session_factory() as session:
        row = await device(session, device_id)
    if row is None:
        raise NotFound(f"no device {device_id} in the register")
    return _out(row, _today(service))
