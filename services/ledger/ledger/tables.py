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
    grid_id: str | None = Field(default=None, max_length=64)
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


backbone = ServiceTables(registry.metadata)
