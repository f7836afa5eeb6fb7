"""A case, its photos, its number and its trail (痕迹化)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from sqlalchemy import Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from cases.domain.trail import TrailEntry
from cases.tables.base import CasesTable

TAGGED = "campaigns <> '[]'::jsonb"
"""The predicate of the campaigns index: a query over a campaign's cases repeats it."""


class Case(CasesTable, table=True):
    __tablename__ = "cases"
    # One case per incident; the cases split from it (拆分) share its incident.
    __table_args__ = (
        Index("uq_cases_incident_root", "incident_id", unique=True, postgresql_where=text("parent_case_id IS NULL")),
        # the few cases in campaigns (a case outside every campaign costs the index nothing)
        Index(
            "ix_cases_campaigns",
            "campaigns",
            postgresql_using="gin",
            postgresql_where=text(TAGGED),
        ),
    )
    id: str = Field(primary_key=True, max_length=36)
    case_number: str = Field(max_length=32, unique=True)
    incident_id: str = Field(max_length=36)
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
    dog_licence_id: str | None = Field(default=None, max_length=36, description="the licence a dog case names")
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    deadline_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    description: str | None = Field(default=None, max_length=2000)
    address: str | None = Field(default=None, max_length=200, description="门牌地址 of the report, when given")
    handled_by: str | None = Field(default=None, max_length=100)
    handled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    suspended_from: str | None = Field(default=None, max_length=32)
    rework_rounds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    parent_case_id: str | None = Field(default=None, max_length=36, index=True)
    merged_into: str | None = Field(default=None, max_length=36)
    rating: str | None = Field(default=None, max_length=32)
    time_limit_hours: float | None = Field(default=None, description="处置时限 as filed")
    rating_reopens: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="times a citizen's 不满意 reopened it (at most once)",
    )
    review_requested_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True)),
        description="a later 不满意 waits for a supervisor's review",
    )
    source_deadline: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True)),
        description="the upstream order's deadline, or the 化解时限 of a 信访, 领导交办 or 舆情 case",
    )
    owner: dict | None = Field(default=None, sa_column=Column(JSONB), description="包案: leader, 责任单位, 责任人")
    answers: dict = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default="{}"),
        description="the answers on record by kind (信访答复意见, 舆情回应): text, by, at",
    )
    campaigns: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default="[]"),
        description="the campaigns it falls in (their categories, area and period)",
    )


class CasePhoto(CasesTable, table=True):
    """Evidence photos (before/after handling, verification, seizure), kept as they came in the
    object store under their SHA-256; the hash is also in the trail entry of the step."""

    __tablename__ = "case_photos"
    __table_args__ = (UniqueConstraint("case_id", "sha256", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=16)  # before | after | verify | seizure
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=32)
    size: int
    object_key: str = Field(max_length=200)
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CaseNumberCounter(CasesTable, table=True):
    """Gapless case numbers per year: the row lock makes two replicas take turns."""

    __tablename__ = "case_number_counters"
    year: int = Field(primary_key=True)
    last: int = 0


class CaseTrailEntry(CasesTable, table=True):
    """痕迹化: append-only and hash-chained (see cases.domain.trail); a trigger refuses UPDATE and DELETE."""

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
