"""Reporting's read model, in the `reporting` schema: one row of facts per incident, filled in
from whichever event arrives first (the topics are not ordered against each other)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, DateTime, Index
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


class MonthlyCount(ReportingTable, table=True):
    """The month's counters (Beijing time): each event adds to the month it happened in, so the
    monthly report reads a few hundred rows however many cases the month had."""
    __tablename__ = "monthly_counts"
    month: date = Field(sa_column=Column(Date, primary_key=True))
    squad_id: str = Field(primary_key=True, max_length=64, description="'' until dispatched")
    category_code: str = Field(primary_key=True, max_length=64)
    squad_name: str = Field(default="", max_length=100)
    received: int = 0
    dispatched: int = 0
    closed: int = 0
    violations: int = 0
    reworked: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="返工")
    fines_collected_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"),
                                     description="罚没款 collected (paid or enforced), in fen")
    returned: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="退回: 准确派遣 misses")
    extended: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="延期")
    escalated: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="cases that ran overdue")
    joined: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="重复件: reports that joined "
                        "an open incident")
    rated: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="ratings given (评价)")
    satisfied: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="满意")
    basically_satisfied: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="基本满意")
    dissatisfied: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="不满意")
    joined_rated: int = Field(default=0, sa_column_kwargs={"server_default": "0"},
                              description="ratings by reports that joined a case: not its 评价")


class SquadInfo(ReportingTable, table=True):
    """The directory's squads as dispatch announces them (SquadChanged): the names, brigades and
    leaders that the squads' rankings print."""
    __tablename__ = "squads"
    squad_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    brigade_id: str | None = Field(default=None, max_length=64)
    brigade_name: str | None = Field(default=None, max_length=100)
    leader_id: str | None = Field(default=None, max_length=64)
    leader_name: str | None = Field(default=None, max_length=100)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ProjectionState(ReportingTable, table=True):
    """Which generation of the read model is current: a rebuild starts the next one from the
    first event on the topics, under a consumer group of its own."""
    __tablename__ = "projection_state"
    name: str = Field(primary_key=True, max_length=64)
    generation: int = 0


backbone = ServiceTables(registry.metadata, staff_pages=True)
