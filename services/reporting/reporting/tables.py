"""Reporting's read model, in the `reporting` schema: one row of facts per incident, filled in
from whichever event arrives first (the topics are not ordered against each other)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel

from common.db import make_registry
from common.service import ServiceTables

registry = make_registry("reporting")


class ReportingTable(SQLModel, registry=registry):
    pass


class CaseFact(ReportingTable, table=True):
    __tablename__ = "case_facts"
    __table_args__ = (Index("ix_case_facts_received_at", "received_at"),)
    incident_id: str = Field(primary_key=True, max_length=36)
    case_id: str | None = Field(default=None, max_length=36)
    category_code: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=32)
    squad_id: str | None = Field(default=None, max_length=64)
    squad_name: str | None = Field(default=None, max_length=100)
    outcome: str | None = Field(default=None, max_length=32)
    received_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


backbone = ServiceTables(registry.metadata)
