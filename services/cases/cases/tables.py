"""Cases' tables, in the `cases` schema."""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from cases.trail import TrailEntry
from common.db import make_registry
from common.service import ServiceTables

registry = make_registry("cases")


class CasesTable(SQLModel, registry=registry):
    pass


class Case(CasesTable, table=True):
    __tablename__ = "cases"
    id: str = Field(primary_key=True, max_length=36)
    case_number: str = Field(max_length=32, unique=True)
    incident_id: str = Field(max_length=36, unique=True)
    status: str = Field(max_length=32, index=True)
    channel: str = Field(max_length=32)
    category_code: str = Field(max_length=64)
    urgency: str = Field(max_length=16)
    lon: float
    lat: float
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    squad_id: str | None = Field(default=None, max_length=64, index=True)
    squad_name: str | None = Field(default=None, max_length=100)
    grid_id: str | None = Field(default=None, max_length=64)
    assignment_id: str | None = Field(default=None, max_length=36)
    outcome: str | None = Field(default=None, max_length=32)
    merchant_id: str | None = Field(default=None, max_length=36)
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    deadline_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class CaseNumberCounter(CasesTable, table=True):
    """Gapless case numbers per year: the row lock makes two replicas take turns."""
    __tablename__ = "case_number_counters"
    year: int = Field(primary_key=True)
    last: int = 0


class CaseTrailEntry(CasesTable, table=True):
    """痕迹化: append-only and hash-chained (see cases.trail); a trigger refuses UPDATE and DELETE."""
    __tablename__ = "case_trail"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=36, index=True)
    seq: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=100)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=500)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def to_entry(self) -> TrailEntry:
        return TrailEntry(**{f.name: getattr(self, f.name) for f in fields(TrailEntry)})


backbone = ServiceTables(registry.metadata)
