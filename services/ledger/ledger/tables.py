"""Ledger's tables, in the `ledger` schema."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from common.db import make_registry
from common.service import ServiceTables

registry = make_registry("ledger")


class LedgerTable(SQLModel, registry=registry):
    pass


class Merchant(LedgerTable, table=True):
    """商户台账: one street-facing shop or stall."""
    __tablename__ = "merchants"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    operator: str = Field(max_length=100)
    address: str = Field(max_length=300)
    business_nature: str = Field(max_length=100)
    lon: float | None = None
    lat: float | None = None
    grid_id: str | None = Field(default=None, max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    announced: bool = Field(default=False, sa_column_kwargs={"server_default": "false"},
                            description="MerchantRegistered published (merchants from before it existed are "
                                        "announced at start)")
    colour: str = Field(max_length=16, default="blue")
    violations: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class GradeChange(LedgerTable, table=True):
    """The history of a merchant's colour."""
    __tablename__ = "grade_changes"
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=36, index=True)
    case_id: str = Field(max_length=36)
    category_code: str = Field(max_length=64)
    previous: str = Field(max_length=16)
    current: str = Field(max_length=16)
    changed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class DistrictGrid(LedgerTable, table=True):
    """The district's grids as dispatch announces them (GridDefined): ledger places a merchant in
    its grid from these, never from dispatch's tables."""
    __tablename__ = "grids"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    squad_id: str = Field(max_length=64)
    squad_name: str = Field(max_length=100)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))
    defined_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


backbone = ServiceTables(registry.metadata, staff_pages=True)
