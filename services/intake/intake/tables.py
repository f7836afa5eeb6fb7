"""Intake's tables, in the `intake` schema. Only this service stores a caller's phone."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from common.db import make_registry
from common.service import ServiceTables

registry = make_registry("intake")


class IntakeTable(SQLModel, registry=registry):
    pass


class Category(IntakeTable, table=True):
    """服务目录: one category of 事件 (event) or 部件 (component)."""
    __tablename__ = "categories"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    owner: str = Field(max_length=32)
    time_limit_hours: int
    urgent_time_limit_hours: int
    description: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    attributes: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"),
                                   description="Open311 attributes the category asks for (a plate number, ...)")


class Incident(IntakeTable, table=True):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_reported_at", "reported_at"),)
    id: str = Field(primary_key=True, max_length=36)
    channel: str = Field(max_length=32)
    category_code: str = Field(max_length=64)
    category_known: bool
    urgency: str = Field(max_length=16)
    lon: float
    lat: float
    description: str
    caller_name: str | None = Field(default=None, max_length=100)
    caller_phone: str | None = Field(default=None, max_length=32)
    source_reference: str | None = Field(default=None, max_length=64)
    reported_by: str = Field(max_length=100)
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    status: str = Field(max_length=32)
    case_id: str | None = Field(default=None, max_length=36, index=True)
    case_number: str | None = Field(default=None, max_length=32)
    squad_id: str | None = Field(default=None, max_length=64)
    squad_name: str | None = Field(default=None, max_length=100)
    reported_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Open311 and the public: what the reporter gave, what the public may read
    address_string: str | None = Field(default=None, max_length=200)
    attributes: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))
    media_urls: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    contact_email: str | None = Field(default=None, max_length=254)
    device_id: str | None = Field(default=None, max_length=100)
    account_id: str | None = Field(default=None, max_length=100)
    client_id: str | None = Field(default=None, max_length=36, index=True, description="the Open311 client app")
    open311_token: str | None = Field(default=None, max_length=36, unique=True)
    expected_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    public_notes: list[dict] = Field(default_factory=list,
                                     sa_column=Column(JSONB, nullable=False, server_default="[]"))


class ApiClient(IntakeTable, table=True):
    """An Open311 client app and its key. Only the key's SHA-256 is kept; the key is shown once."""
    __tablename__ = "api_clients"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    key_sha256: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=8)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Address(IntakeTable, table=True):
    """门牌地址库: the district's addresses, for reports that give an address and no point (WGS84)."""
    __tablename__ = "addresses"
    address: str = Field(primary_key=True, max_length=200)
    lon: float
    lat: float


class IdempotencyKey(IntakeTable, table=True):
    """A client's `Idempotency-Key`: a retried POST gets the incident the first one made."""
    __tablename__ = "idempotency_keys"
    principal: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    incident_id: str = Field(max_length=36)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


backbone = ServiceTables(registry.metadata)
