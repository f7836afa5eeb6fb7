"""便民疏导点: the designated points, their joint survey, stalls and the school gates the distance
rule measures from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from ledger.tables.base import LedgerTable, at_column

__all__ = ["SchoolGate", "DesignatedPoint", "SurveyOpinion", "Stall", "StallChange"]


class SchoolGate(LedgerTable, table=True):
    """School gates, for the designated points' distance rule (seeded; an admin keeps them)."""

    __tablename__ = "school_gates"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    lon: float
    lat: float


class DesignatedPoint(LedgerTable, table=True):
    """便民疏导点."""

    __tablename__ = "designated_points"
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32, unique=True, description="编号")
    kind: str = Field(max_length=32)
    name: str = Field(max_length=200)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))
    lon: float = Field(description="the polygon's centre")
    lat: float
    grid_id: str | None = Field(default=None, max_length=64)
    stalls: int
    hours: str = Field(max_length=100, description="06:00-09:30")
    season: str = Field(default="全年", max_length=100)
    goods: str = Field(max_length=500, description="what may be sold")
    office: str = Field(max_length=100, description="the managing office")
    applicant: str = Field(max_length=200)
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    applied_at: datetime = Field(sa_column=at_column())
    applied_by: str = Field(max_length=100)
    decided_at: datetime | None = Field(default=None, sa_column=at_column(True))
    decided_by: str | None = Field(default=None, max_length=100)


class SurveyOpinion(LedgerTable, table=True):
    """联合踏勘: one department's opinion on an application."""

    __tablename__ = "survey_opinions"
    point_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(primary_key=True, max_length=100)
    agree: bool
    note: str | None = Field(default=None, max_length=500)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(sa_column=at_column())


class Stall(LedgerTable, table=True):
    """A stall of an approved point, held by one registered vendor at most (one stall each)."""

    __tablename__ = "stalls"
    __table_args__ = (
        Index("ux_stalls_merchant", "merchant_id", unique=True, postgresql_where=text("merchant_id IS NOT NULL")),
    )
    point_id: str = Field(primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    merchant_id: str | None = Field(default=None, max_length=36)
    assigned_at: datetime | None = Field(default=None, sa_column=at_column(True))


class StallChange(LedgerTable, table=True):
    """Each assignment and release of a stall, with who and why."""

    __tablename__ = "stall_changes"
    id: int | None = Field(default=None, primary_key=True)
    point_id: str = Field(max_length=36, index=True)
    number: int
    merchant_id: str = Field(max_length=36)
    action: str = Field(max_length=16, description="assigned, released")
    reason: str | None = Field(default=None, max_length=500)
    by: str = Field(max_length=100)
    at: datetime = Field(sa_column=at_column())
