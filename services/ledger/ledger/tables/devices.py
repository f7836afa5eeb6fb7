"""The register of devices (ledger.domain.devices): one row a device, its versions counted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from ledger.tables.base import LedgerTable, at_column


class Device(LedgerTable, table=True):
    __tablename__ = "devices"
    id: str = Field(primary_key=True, max_length=64, description="as the vendor's platform names it")
    kind: str = Field(max_length=16, index=True)
    status: str = Field(default="active", max_length=8)
    serial_number: str | None = Field(default=None, max_length=64)
    vendor: str | None = Field(default=None, max_length=100)
    reported_by: str | None = Field(
        default=None, max_length=64, description="the vendor platform's client that may send its readings"
    )
    model: str | None = Field(default=None, max_length=100)
    officer_id: str | None = Field(default=None, max_length=64, index=True)
    licence_id: str | None = Field(default=None, max_length=36, index=True)
    merchant_id: str | None = Field(default=None, max_length=36, index=True)
    lon: float | None = None
    lat: float | None = None
    grid_id: str | None = Field(default=None, max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    art41: dict | None = Field(default=None, sa_column=Column(JSONB), description="行政处罚法 art. 41's approvals")
    calibration_valid_until: date | None = Field(default=None, sa_column=Column(Date))
    note: str | None = Field(default=None, max_length=500)
    version: int = 1
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(sa_column=at_column())


class DeviceState(LedgerTable, table=True):
    """`make run`'s judge: each device's state (what the stream processor keeps in RocksDB)."""

    __tablename__ = "device_states"
    device_id: str = Field(primary_key=True, max_length=64)
    state: dict = Field(sa_column=Column(JSONB, nullable=False))
    updated_at: datetime = Field(sa_column=at_column())


class DeviceSample(LedgerTable, table=True):
    """What is kept of a device's readings: one every so often, for `track_days` (a dog's 轨迹, a
    merchant's chart)."""

    __tablename__ = "device_samples"
    device_id: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    lon: float | None = None
    lat: float | None = None
    battery: float | None = None
    fume: float | None = None
    pm: float | None = None
    nmhc: float | None = None
    fan_on: bool | None = None
    purifier_on: bool | None = None


class DeviceHeard(LedgerTable, table=True):
    """When each tag and monitor was last heard, and whether its silence has raised its alarm."""

    __tablename__ = "device_heard"
    device_id: str = Field(primary_key=True, max_length=64)
    last_at: datetime = Field(sa_column=at_column())
    silent_alarmed: bool = False


class MonitorDay(LedgerTable, table=True):
    """开机率 of a fume monitor's day (Beijing): of its readings with the fan on, those with the purifier on."""

    __tablename__ = "monitor_days"
    device_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    fan_readings: int = 0
    running_readings: int = 0
