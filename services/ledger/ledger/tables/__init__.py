"""Ledger's tables, in the `ledger` schema, one module per register: `merchants` (the merchant
register and what hangs on it), `points` (designated points and stalls), `dogs` (the dog register
and the shelter), `devices` (the register of devices), `zones` (the no-dog zones); here, the
district's grids as ledger learns them, the counters and what was last announced. Every table is
importable from `ledger.tables`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from common.backbone import ServiceTables
from ledger.tables.base import LedgerTable, at_column, registry
from ledger.tables.devices import Device, DeviceHeard, DeviceSample, DeviceState, MonitorDay
from ledger.tables.dogs import DogApplication, DogLicence, DogLicenceStep, DogViolation, Stray, StrayCare
from ledger.tables.merchants import (
    Card,
    FlyerNumber,
    GradeChange,
    HardshipRecord,
    InspectionRound,
    Letter,
    Merchant,
    MerchantCase,
    Persuasion,
    Purifier,
    PurifierCleaning,
    RoundVisit,
    SignRecord,
)
from ledger.tables.points import DesignatedPoint, SchoolGate, Stall, StallChange, SurveyOpinion
from ledger.tables.zones import DogZone

__all__ = [
    "Announcement",
    "Card",
    "Counter",
    "Device",
    "DeviceHeard",
    "DeviceSample",
    "DeviceState",
    "MonitorDay",
    "DogZone",
    "DesignatedPoint",
    "DistrictGrid",
    "DogApplication",
    "DogLicence",
    "DogLicenceStep",
    "DogViolation",
    "FlyerNumber",
    "GradeChange",
    "HardshipRecord",
    "InspectionRound",
    "LedgerTable",
    "Letter",
    "Merchant",
    "MerchantCase",
    "Persuasion",
    "Purifier",
    "PurifierCleaning",
    "RoundVisit",
    "SchoolGate",
    "SignRecord",
    "Stall",
    "StallChange",
    "Stray",
    "StrayCare",
    "SurveyOpinion",
    "backbone",
    "registry",
]


class DistrictGrid(LedgerTable, table=True):
    """The district's grids as dispatch announces them (GridDefined): ledger places a merchant in
    its grid from these, never from dispatch's tables."""

    __tablename__ = "grids"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    squad_id: str = Field(max_length=64)
    squad_name: str = Field(max_length=100)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))
    defined_at: datetime = Field(sa_column=at_column())
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class Counter(LedgerTable, table=True):
    """Numbers handed out in order (犬证号, 收容编号), one counter per kind and year."""

    __tablename__ = "counters"
    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


class Announcement(LedgerTable, table=True):
    """What was last told of a figure set (LedgerFiguresReported), so a tick tells only a change."""

    __tablename__ = "announcements"
    name: str = Field(primary_key=True, max_length=64)
    digest: str = Field(max_length=64)
    at: datetime = Field(sa_column=at_column())


backbone = ServiceTables(registry.metadata, staff_pages=True, rate_limits=True, idempotency=True)
