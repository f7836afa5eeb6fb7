"""Intake's tables, in the `intake` schema. Only this service stores a caller's phone."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from common.backbone import ServiceTables
from common.db import make_registry

registry = make_registry("intake")


class IntakeTable(SQLModel, registry=registry):
    pass


class CategoryRules(SQLModel):
    """What a category of the service catalogue says: the columns shared by the current
    catalogue and every version of it."""

    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    owner: str = Field(max_length=32)
    time_limit_hours: int
    urgent_time_limit_hours: int
    description: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    # sa_type, not sa_column: these columns are declared on two tables
    keywords: list[str] = Field(
        default_factory=list, sa_type=JSONB, nullable=False, sa_column_kwargs={"server_default": "[]"}
    )
    attributes: list[dict] = Field(
        default_factory=list,
        sa_type=JSONB,
        nullable=False,
        sa_column_kwargs={"server_default": "[]"},
        description="Open311 attributes the category asks for (a plate number, ...)",
    )
    dedup_radius_m: int = Field(
        default=50,
        sa_column_kwargs={"server_default": "50"},
        description="a report this close to an open one of the category joins it",
    )
    dedup_window_hours: int = Field(
        default=24,
        sa_column_kwargs={"server_default": "24"},
        description="... if that one was reported within these hours",
    )
    active: bool = Field(
        default=True,
        sa_column_kwargs={"server_default": "true"},
        description="false: retired; new reports of it are accepted and flagged",
    )


class Category(CategoryRules, IntakeTable, table=True):
    """服务目录: the current version of one category of 事件 (event) or 部件 (component)."""

    __tablename__ = "categories"
    code: str = Field(primary_key=True, max_length=64)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    announced_version: int | None = Field(
        default=None, description="the version last told to the other services (CategoryDefined)"
    )


class CategoryVersion(CategoryRules, IntakeTable, table=True):
    """Every version the catalogue has had: an incident names the version it was filed under."""

    __tablename__ = "category_versions"
    code: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    changed_by: str = Field(max_length=100)
    changed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reason: str = Field(default="", max_length=500)


class Incident(IntakeTable, table=True):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_reported_at", "reported_at"),
        Index("ix_incidents_category_code_reported_at", "category_code", "reported_at"),
        # a capture camera's records, which wait for a person's review (intake.domain.captures)
        Index("ix_incidents_captures", "reported_at", postgresql_where=text("attributes ? 'evidence_grade'")),
        Index("ix_incidents_submitter_reported_at", "submitter", "reported_at"),
        Index("ix_incidents_source_reference", "source_reference"),
    )
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
    replied_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True)), description="the reporter was told the result (反馈)"
    )
    source_reference: str | None = Field(default=None, max_length=64)
    source_deadline: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True)),
        description="the upstream order's 办结时限, or the 化解时限 of a 信访, 领导交办 or 舆情 case",
    )
    owner: dict | None = Field(default=None, sa_column=Column(JSONB), description="包案: leader, 责任单位, 责任人")
    origin: dict = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default="{}"),
        description="信访 form and number; the leader's instruction; the post's link and outlet",
    )
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
    public_notes: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    category_version: int | None = Field(default=None, description="the catalogue version it was filed under")
    observed_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True)),
        description="when the reporter saw it (a field monitor's photo, a camera)",
    )
    source_event_id: str | None = Field(default=None, max_length=200, description="a machine's own event id")
    submitter: str | None = Field(
        default=None, max_length=64, description="who sent it, for throttling: a key or a hash of the address"
    )
    duplicate_of: str | None = Field(
        default=None, max_length=36, index=True, description="the open incident this report joined (重复件)"
    )
    rating: str | None = Field(default=None, max_length=32)
    rating_comment: str | None = Field(default=None, max_length=500)
    rated_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class IncidentPhoto(IntakeTable, table=True):
    """A photo sent with a report: the original as evidence (staff only) and the copy shown,
    upright and without its metadata. `public` photos are shown to anyone who has the link."""

    __tablename__ = "incident_photos"
    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(max_length=36, index=True)
    position: int = Field(description="the order it was sent in, from 0")
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=32)
    size: int
    original_key: str = Field(max_length=200)
    shown_key: str = Field(max_length=200)
    shown_type: str = Field(max_length=32)
    public: bool
    taken_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    uploaded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ApiClient(IntakeTable, table=True):
    """An Open311 client app and its key. Only the key's SHA-256 is kept; the key is shown once."""

    __tablename__ = "api_clients"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    key_sha256: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=8)
    scope: str = Field(
        default="public",
        max_length=16,
        sa_column_kwargs={"server_default": "public"},
        description="public: reads what anyone reads; partner: every channel's requests",
    )
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


def _at(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class WorkOrder(IntakeTable, table=True):
    """工单: an incident that came from an upstream system (12345, 110, the city platform) with its
    reference, and its life as that system runs it (intake.domain.work_orders)."""

    __tablename__ = "work_orders"
    incident_id: str = Field(primary_key=True, max_length=36)
    system: str = Field(max_length=32, index=True, description="the upstream system's name (settings)")
    source_reference: str = Field(max_length=64)
    kind: str = Field(default="phone", max_length=16, description="phone or online: which limits run")
    origin: str | None = Field(default=None, max_length=16, description="110: a 非警务 order the police handed on")
    state: str = Field(max_length=32, index=True)
    received_at: datetime = Field(sa_column=_at(False))
    sign_due_at: datetime = Field(sa_column=_at(False))
    finish_due_at: datetime = Field(sa_column=_at(False))
    return_due_at: datetime = Field(sa_column=_at(False))
    signed_at: datetime | None = Field(default=None, sa_column=_at())
    replied_at: datetime | None = Field(default=None, sa_column=_at())
    case_id: str | None = Field(default=None, max_length=36, index=True)
    squad_id: str | None = Field(default=None, max_length=64)
    result: str | None = Field(default=None, max_length=32, description="办理结果 of the last reply")
    satisfaction: str | None = Field(default=None, max_length=32, description="回访: ours (satisfied, ...)")
    satisfaction_given: str | None = Field(default=None, max_length=32, description="回访: on its own scale")
    redo_count: int = Field(default=0, description="重办 rounds")
    returned: bool = Field(default=False, description="a 申请退回 was made (回退率 counts it)")
    extension_pending: bool = False
    last_seq: int = Field(default=0, description="the last message's number in this order")
    details: dict = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default="{}"),
        description="the requests and their reviews (延期, 退回), the reply's after-photos",
    )
    updated_at: datetime = Field(sa_column=_at(False))


class UpstreamMessage(IntakeTable, table=True):
    """The link's outbox: each step told to the upstream system, in order per order (`seq`), with
    a stable id the upstream system may deduplicate on; sent, retried with backoff, or dead."""

    __tablename__ = "upstream_messages"
    __table_args__ = (
        UniqueConstraint("incident_id", "seq"),
        Index("ix_upstream_messages_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )
    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(max_length=36)
    system: str = Field(max_length=32)
    source_reference: str = Field(max_length=64)
    seq: int
    step: str = Field(max_length=32)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    status: str = Field(default="pending", max_length=16, index=True, description="pending, sent, dead")
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_at(False))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=_at(False))
    sent_at: datetime | None = Field(default=None, sa_column=_at())


class Subscription(IntakeTable, table=True):
    """A city system's webhook: the events it receives over HTTPS, signed with its secret."""

    __tablename__ = "subscriptions"
    id: str = Field(primary_key=True, max_length=36)
    url: str = Field(max_length=500)
    types: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    filter: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))
    secret: str = Field(max_length=100, description="whsec_...: signs the deliveries (Standard Webhooks)")
    description: str = Field(default="", max_length=200)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=_at(False))
    ended_at: datetime | None = Field(default=None, sa_column=_at())


class Delivery(IntakeTable, table=True):
    """One event for one subscription: its CloudEvent as sent, and how its sending went."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_deliveries_subscription_id_event_time", "subscription_id", "event_time"),
    )
    id: str = Field(primary_key=True, max_length=36, description="webhook-id: the same for every try")
    subscription_id: str = Field(max_length=36)
    event_id: str = Field(max_length=64)
    event_type: str = Field(max_length=200)
    event_time: datetime = Field(sa_column=_at(False))
    body: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    status: str = Field(default="pending", max_length=16, description="pending, delivered, parked")
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_at(False))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=_at(False))
    delivered_at: datetime | None = Field(default=None, sa_column=_at())


class CalendarState(IntakeTable, table=True):
    """The bureau's working calendar as dispatch announces it (WorkCalendarChanged): the work
    orders' limits in working days are counted on it."""

    __tablename__ = "calendar"
    calendar_id: str = Field(primary_key=True, max_length=32)
    holidays: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    workdays: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    office_hours: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    at: datetime = Field(sa_column=_at(False))


class KnownDevice(IntakeTable, table=True):
    """The register of devices as ledger announces it (DeviceChanged): a machine event names one of
    them (intake.domain.devices); a newer version wins, an older announcement changes nothing."""

    __tablename__ = "known_devices"
    device_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    evidence_ready: bool = False
    calibration_valid_until: date | None = None
    licence_id: str | None = Field(default=None, max_length=36)
    merchant_id: str | None = Field(default=None, max_length=36)
    version: int
    at: datetime = Field(sa_column=_at(False))


class CaptureReview(IntakeTable, table=True):
    """审核 of a capture camera's record (intake.domain.captures, 行政处罚法 art. 41), the 告知码 the
    party looks it up with, and the party's answer (陈述申辩). A record with no row waits."""

    __tablename__ = "capture_reviews"
    incident_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36)
    status: str = Field(max_length=16, description="accepted, rejected")
    reason: str | None = Field(default=None, max_length=500)
    reviewer: str = Field(max_length=100)
    reviewed_at: datetime = Field(sa_column=_at(False))
    code: str | None = Field(default=None, max_length=8, unique=True, description="告知码, for an accepted record")
    statement: str | None = Field(default=None, max_length=2000, description="the party's 陈述申辩")
    answered_at: datetime | None = Field(default=None, sa_column=_at())


backbone = ServiceTables(registry.metadata, staff_pages=True, rate_limits=True)
