"""What other services announce and cases keeps: merchants, dog licences, people, grids."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field

from cases.tables.base import CasesTable


class KnownMerchant(CasesTable, table=True):
    """The merchants in the ledger, as ledger announces them (MerchantRegistered, MerchantChanged):
    a case may name only a merchant that exists and lies where the case or its squad works."""

    __tablename__ = "merchants"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    grid_id: str | None = Field(default=None, max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    closed: bool = False
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class KnownDogLicence(CasesTable, table=True):
    """The dog register's licences, as ledger announces them (DogLicenceIssued, DogLicenceChanged,
    DogLicencePlaced): a 犬只扰民 case may name only a licence that exists, is in force, and whose
    household lies in the case's grid or its squad's area."""

    __tablename__ = "dog_licences"
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32)
    status: str = Field(max_length=16)
    grid_id: str | None = Field(default=None, max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class KnownPerson(CasesTable, table=True):
    """The directory's people, as dispatch announces them (PersonChanged): the trail names who took
    each step, not only their id."""

    __tablename__ = "people"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    position: str = Field(max_length=16)
    squad_id: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=32)
    certificate_number: str | None = Field(default=None, max_length=32, description="执法证号")
    certificate_valid_until: date | None = Field(default=None, description="执法证有效期至")
    legal_qualified: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class KnownGrid(CasesTable, table=True):
    """The grids' 办事处, as dispatch announces them (GridDefined)."""

    __tablename__ = "known_grids"
    grid_id: str = Field(primary_key=True, max_length=64)
    office: str | None = Field(default=None, max_length=100)
    office_id: str | None = Field(default=None, max_length=64, index=True)
    version: int = 1


class KnownDevice(CasesTable, table=True):
    """The register of devices as ledger announces it (DeviceChanged): whose body camera a docking
    station's file came from."""

    __tablename__ = "known_devices"
    device_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    officer_id: str | None = Field(default=None, max_length=64)
    version: int
