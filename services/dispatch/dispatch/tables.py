"""Dispatch's tables, in the `dispatch` schema."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from common.db import make_registry
from common.service import ServiceTables

registry = make_registry("dispatch")


class DispatchTable(SQLModel, registry=registry):
    pass


class Squad(DispatchTable, table=True):
    """执法中队 (or the directly-run brigade)."""
    __tablename__ = "squads"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    office: str = Field(max_length=100)
    specialisations: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))


class Grid(DispatchTable, table=True):
    """网格: a polygon (GeoJSON, WGS84) and the squad responsible for it."""
    __tablename__ = "grids"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    squad_id: str = Field(foreign_key="squads.id", max_length=64)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))


class Assignment(DispatchTable, table=True):
    """派遣单: one case handed to one squad."""
    __tablename__ = "assignments"
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, unique=True)
    squad_id: str = Field(foreign_key="squads.id", max_length=64, index=True)
    grid_id: str = Field(max_length=64)
    category_code: str = Field(max_length=64)
    status: str = Field(max_length=32)
    assigned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    deadline_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


backbone = ServiceTables(registry.metadata)
