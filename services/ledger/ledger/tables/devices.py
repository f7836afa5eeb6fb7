"""The register of devices (ledger.domain.devices): one row a device, its versions counted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date
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
