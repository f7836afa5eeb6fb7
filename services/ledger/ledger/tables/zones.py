"""The no-dog zones (禁犬区, ledger.domain.zones): one row a zone, its versions counted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from ledger.tables.base import LedgerTable, at_column


class DogZone(LedgerTable, table=True):
    __tablename__ = "dog_zones"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=16, description="school, park, hospital, square, market, other")
    polygon: dict = Field(sa_column=Column(JSONB, nullable=False), description="GeoJSON Polygon, WGS84")
    status: str = Field(default="active", max_length=16)
    version: int = 1
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(sa_column=at_column(False))
