"""Campaigns, their operations, and the register of illegal buildings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from cases.tables.base import CasesTable, json_column


class CampaignRow(CasesTable, table=True):
    """专项整治, 联合行动, 示范创建: a campaign whole (its sections with their acceptance in `sections`)."""

    __tablename__ = "campaigns"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=16)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=json_column())
    grids: list[str] = Field(default_factory=list, sa_column=json_column())
    area: dict | None = Field(default=None, sa_column=Column(JSONB), description="a GeoJSON polygon")
    streets: list[str] = Field(default_factory=list, sa_column=json_column())
    squads: list[str] = Field(default_factory=list, sa_column=json_column())
    offices: list[str] = Field(default_factory=list, sa_column=json_column())
    partners: list[str] = Field(default_factory=list, sa_column=json_column())
    targets: dict = Field(default_factory=dict, sa_column=json_column("{}"))
    sections: list[dict] = Field(default_factory=list, sa_column=json_column())
    status: str = Field(default="running", max_length=16)
    version: int = 1
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    summary: str | None = Field(default=None, max_length=2000)


class CampaignOperation(CasesTable, table=True):
    """A day's action of a campaign (一次行动), with what it achieved and its photos."""

    __tablename__ = "campaign_operations"
    id: str = Field(primary_key=True, max_length=36)
    campaign_id: str = Field(foreign_key="campaigns.id", max_length=36, index=True)
    on: date = Field(sa_column=Column(Date, nullable=False))
    place: str = Field(max_length=200)
    squad_id: str | None = Field(default=None, max_length=64)
    office: str | None = Field(default=None, max_length=100)
    officer_trips: int = 0
    vehicle_trips: int = 0
    partners: list[str] = Field(default_factory=list, sa_column=json_column())
    counts: dict = Field(default_factory=dict, sa_column=json_column("{}"))
    photos: list[dict] = Field(
        default_factory=list, sa_column=json_column(), description="sha256 and content type each"
    )
    note: str | None = Field(default=None, max_length=2000)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IllegalBuilding(CasesTable, table=True):
    """违法建设台账: a building its case found, its stage and the dates and photos of each."""

    __tablename__ = "illegal_buildings"
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, unique=True)
    case_number: str = Field(max_length=32)
    stage: str = Field(max_length=32, index=True)
    area_m2: float | None = Field(default=None, description="its area, as measured")
    demolished_m2: float = Field(default=0, description="pulled down")
    grid_id: str | None = Field(default=None, max_length=64, index=True)
    squad_id: str | None = Field(default=None, max_length=64, index=True)
    office: str | None = Field(default=None, max_length=100, description="the 办事处 of its grid")
    lon: float
    lat: float
    address: str | None = Field(default=None, max_length=200)
    stages: dict = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default="{}"),
        description="each stage reached: at, by, note, photos",
    )
    found_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    version: int = 1
