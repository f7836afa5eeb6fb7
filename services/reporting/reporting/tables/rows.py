"""A row per report and per case with every step's time, filled in from whichever event arrives
first (the topics are not ordered against each other)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, Index, text
from sqlmodel import Field

from reporting.tables.base import ReportingTable
from reporting.tables.base import at_column as _at


class IncidentRow(ReportingTable, table=True):
    """One report (受理), from intake's events."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_received_at", "received_at"),
        # a range's cases, or a campaign's, find their report's facts in the index alone (no visit to the row)
        Index(
            "ix_incidents_case_id", "case_id", postgresql_include=["has_contact", "replied_at", "received_at", "joined"]
        ),
    )
    incident_id: str = Field(primary_key=True, max_length=36)
    received_at: datetime | None = Field(default=None, sa_column=_at())
    channel: str | None = Field(default=None, max_length=32)
    category_code: str | None = Field(default=None, max_length=64)
    urgency: str | None = Field(default=None, max_length=16)
    has_contact: bool = Field(default=False, description="a phone given, or a tracked (web, Open311) report")
    joined: bool = Field(default=False, description="重复件: it joined an open incident")
    case_id: str | None = Field(default=None, max_length=36)
    replied_at: datetime | None = Field(default=None, sa_column=_at(), description="told the result (反馈)")


def _span_case(late: str, span: str, kind: str) -> str:
    """A span for the late, NULL for the others, written as PostgreSQL prints an index's
    expression back (so the models and the migrated schema compare equal, character for character)."""
    return f"(\nCASE\n    WHEN {late} THEN {span}\n    ELSE NULL::{kind}\nEND)"


def overdue_span(alias: str = "") -> str:
    """When a case stood 超期未处置: from its deadline (exclusive) to its first handling (inclusive;
    open while it is not handled), for the cases handled late or not yet (NULL for the others).
    The moments a range's end `b` lies in such a span are the cases overdue at `b`: a GiST index
    on the span finds them directly, however long the history before `b`."""
    deadline, handled = f"{alias}deadline_at", f"{alias}first_handled_at"
    late = f"{deadline} IS NOT NULL AND ({handled} IS NULL OR {handled} > {deadline})"
    return _span_case(late, f"tstzrange({deadline}, {handled}, '(]'::text)", "tstzrange")


class CaseRow(ReportingTable, table=True):
    """One case with every step's time, from the cases and dispatch events in whatever order they
    arrive (each column merges by its own rule: the first dispatch, the last handling, the latest
    deadline set, counters added, ...)."""

    __tablename__ = "cases"
    __table_args__ = (
        *(
            Index(f"ix_cases_{c}", c)
            for c in (
                "filed_at",
                "rejected_at",
                "dispatched_at",
                "deadline_at",
                "first_handled_at",
                "closed_at",
                "rated_at",
                "anchor_month",
                "squad_id",
                "opened_at",
            )
        ),
        # 超期未处置 at a range's end: the cases whose overdue span holds it, found by the span
        Index("ix_cases_overdue", text(overdue_span()), postgresql_using="gist"),
    )
    case_id: str = Field(primary_key=True, max_length=36)
    incident_id: str | None = Field(default=None, max_length=36)
    case_number: str | None = Field(default=None, max_length=32)
    category_code: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=32)
    urgency: str | None = Field(default=None, max_length=16)
    squad_id: str | None = Field(default=None, max_length=64)
    squad_name: str | None = Field(default=None, max_length=100)
    grid_id: str | None = Field(default=None, max_length=64)
    opened_at: datetime | None = Field(default=None, sa_column=_at())
    filed_at: datetime | None = Field(default=None, sa_column=_at())
    rejected_at: datetime | None = Field(default=None, sa_column=_at())
    dispatched_at: datetime | None = Field(default=None, sa_column=_at(), description="the first dispatch")
    accepted_at: datetime | None = Field(default=None, sa_column=_at())
    first_handled_at: datetime | None = Field(default=None, sa_column=_at())
    handled_at: datetime | None = Field(default=None, sa_column=_at(), description="the last handling")
    closed_at: datetime | None = Field(default=None, sa_column=_at())
    deadline_at: datetime | None = Field(default=None, sa_column=_at())
    deadline_set_at: datetime | None = Field(default=None, sa_column=_at())
    outcome: str | None = Field(default=None, max_length=32)
    returned: int = 0
    extended: int = 0
    reworked: int = 0
    escalated: bool = False
    suspended_at: datetime | None = Field(default=None, sa_column=_at(), description="缓办, the last time")
    resumed_at: datetime | None = Field(default=None, sa_column=_at())
    ended_at: datetime | None = Field(default=None, sa_column=_at(), description="cancelled, merged, not filed")
    rating: str | None = Field(default=None, max_length=32)
    rated_at: datetime | None = Field(default=None, sa_column=_at())
    handling_hours: float | None = Field(default=None, description="working hours, first dispatch to first handling")
    anchor_month: date | None = Field(
        default=None,
        sa_column=Column(Date),
        description="its deadline's month (else closing's, else dispatch's), Beijing",
    )
