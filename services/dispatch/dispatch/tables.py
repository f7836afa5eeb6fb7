"""Dispatch's tables, in the `dispatch` schema."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from common.backbone import ServiceTables
from common.db import make_registry

registry = make_registry("dispatch")


class DispatchTable(SQLModel, registry=registry):
    pass


class Unit(DispatchTable, table=True):
    """The directory above the squads: the bureau (局), its brigades (大队), the command centre
    (指挥中心). A unit's escalation offset is when its leader is told of an overdue case."""

    __tablename__ = "units"
    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=16, description="bureau, brigade, centre")
    name: str = Field(max_length=100)
    parent_id: str | None = Field(default=None, max_length=64)
    escalate_after_hours: float | None = Field(
        default=None, description="working hours after the deadline at which this unit's leader is told (逐级负责制)"
    )


class Squad(DispatchTable, table=True):
    """执法中队 (or the directly-run brigade's squad), in its brigade."""

    __tablename__ = "squads"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    office: str = Field(max_length=100)
    specialisations: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    brigade_id: str | None = Field(default=None, max_length=64)
    announced: str | None = Field(default=None, max_length=64, description="digest of the last SquadChanged")


class Grid(DispatchTable, table=True):
    """网格: the version in force of each grid (a polygon, GeoJSON WGS84), the squad responsible
    for it, its 办事处 and its 责任人. Routing reads these; every version, in force, past or still to
    come, is in `grid_versions`."""

    __tablename__ = "grids"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    squad_id: str = Field(foreign_key="squads.id", max_length=64)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    office: str | None = Field(default=None, max_length=100, description="the 办事处's name")
    office_id: str | None = Field(default=None, max_length=64, description="the 办事处, a unit of the directory")
    keeper_id: str | None = Field(default=None, max_length=64, description="责任人, a person of the directory")
    keeper_name: str | None = Field(default=None, max_length=100)
    seed_digest: str | None = Field(
        default=None, max_length=64, description="what the seed file said of this grid when it was last loaded"
    )
    edited: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "false"},
        description="a bureau's edit since the seed: a changed seed no longer redraws it",
    )
    announced: str | None = Field(
        default=None, max_length=64, description="digest of what the last GridDefined said; a change publishes another"
    )


class GridVersion(DispatchTable, table=True):
    """Every version of every grid (the seed's, and each redrawing, PUT /v1/grids/{id}), with the
    time it takes effect: a grid's history, and the versions still to come."""

    __tablename__ = "grid_versions"
    __table_args__ = (Index("ix_grid_versions_pending", "effective_from", postgresql_where=text("NOT applied")),)
    grid_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    name: str = Field(max_length=100)
    squad_id: str = Field(foreign_key="squads.id", max_length=64)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))
    office: str | None = Field(default=None, max_length=100)
    office_id: str | None = Field(default=None, max_length=64)
    keeper_id: str | None = Field(default=None, max_length=64)
    keeper_name: str | None = Field(default=None, max_length=100)
    effective_from: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    defined_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    defined_by: str = Field(max_length=64, description="the admin, or `seed`")
    applied: bool = Field(default=False, description="put in force (copied into `grids` and announced)")


class Officer(DispatchTable, table=True):
    """A person of the directory: their position (dispatch.domain.directory.POSITIONS), their squad or unit,
    their role on the platform, whether they are on duty (在岗) now, and how many open assignments
    name them (kept by the officer_load_trigger, never by hand). The squads' 队员 are the officers
    routing suggests."""

    __tablename__ = "officers"
    id: str = Field(primary_key=True, max_length=64, description="as the identity provider names them")
    name: str = Field(max_length=100)
    squad_id: str | None = Field(default=None, foreign_key="squads.id", max_length=64, index=True)
    unit_id: str | None = Field(default=None, max_length=64, description="when not in a squad")
    position: str = Field(default="队员", max_length=16, sa_column_kwargs={"server_default": "队员"})
    platform_role: str | None = Field(default=None, max_length=32)
    on_duty: bool = True
    certificate_number: str | None = Field(default=None, max_length=32, description="执法证号")
    certificate_valid_until: date | None = Field(default=None, description="执法证有效期至")
    legal_qualified: bool = Field(
        default=False, sa_column_kwargs={"server_default": "false"}, description="法律职业资格 (法制审核)"
    )
    open_assignments: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    announced: str | None = Field(default=None, max_length=64, description="digest of the last PersonChanged")


def officer_load_trigger(schema: str = "dispatch") -> list[str]:
    """The workload counter for the suggestion (the officer on duty with the fewest open cases),
    kept by PostgreSQL on every change of an assignment, whoever makes it, instead of a GROUP
    BY over the squad's assignments for each new one. Open is dispatch.domain.routing.OPEN."""
    from dispatch.domain.assignments import OPEN

    is_open = "({r}.current AND {r}.status IN (" + ", ".join(f"'{s}'" for s in OPEN) + "))"
    old, new = is_open.format(r="OLD"), is_open.format(r="NEW")
    return [
        f"""
CREATE OR REPLACE FUNCTION {schema}.count_officer_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.officer_id IS NOT NULL AND {old}
     AND NOT (TG_OP = 'UPDATE' AND NEW.officer_id IS NOT DISTINCT FROM OLD.officer_id AND {new}) THEN
    UPDATE {schema}.officers SET open_assignments = open_assignments - 1 WHERE id = OLD.officer_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.officer_id IS NOT NULL AND {new}
     AND NOT (TG_OP = 'UPDATE' AND NEW.officer_id IS NOT DISTINCT FROM OLD.officer_id AND {old}) THEN
    UPDATE {schema}.officers SET open_assignments = open_assignments + 1 WHERE id = NEW.officer_id;
  END IF;
  RETURN NULL;
END $$""",
        f"DROP TRIGGER IF EXISTS count_officer_load ON {schema}.assignments",
        f"""CREATE TRIGGER count_officer_load AFTER INSERT OR DELETE OR UPDATE OF officer_id, current, status
  ON {schema}.assignments FOR EACH ROW EXECUTE FUNCTION {schema}.count_officer_load()""",
        f"""UPDATE {schema}.officers o SET open_assignments = (
  SELECT count(*) FROM {schema}.assignments a WHERE a.officer_id = o.id AND {is_open.format(r="a")})""",
    ]


class RoutingRuleRow(DispatchTable, table=True):
    """派遣规则, in order: the first that matches wins (dispatch.domain.routing.route)."""

    __tablename__ = "routing_rules"
    position: int = Field(primary_key=True)
    name: str = Field(max_length=100)
    squad_id: str | None = Field(default=None, max_length=64)
    grids: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    hours_from: int | None = None
    hours_to: int | None = None
    queue: bool = False
    version: int = Field(default=1, description="the rule table's version when this row was written")


class CategoryName(DispatchTable, table=True):
    """The 服务目录's names, as intake announces them (CategoryDefined): what the console shows."""

    __tablename__ = "categories"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    version: int
    active: bool = True


class Announcement(DispatchTable, table=True):
    """What was last told of a whole (the calendar: WorkCalendarChanged), so it is told on change only."""

    __tablename__ = "announcements"
    name: str = Field(primary_key=True, max_length=64)
    digest: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CalendarDay(DispatchTable, table=True):
    """The bureau's calendar: a public holiday (节假日) or a weekend day worked (调休上班)."""

    __tablename__ = "calendar_days"
    day: date = Field(sa_column=Column(Date, primary_key=True))
    kind: str = Field(max_length=16)  # holiday | workday
    name: str = Field(max_length=50)


class QueueItem(DispatchTable, table=True):
    """待派遣: a case waiting for a dispatcher (outside every grid, returned, or held by a rule)."""

    __tablename__ = "dispatch_queue"
    case_id: str = Field(primary_key=True, max_length=36)
    case_number: str = Field(max_length=32)
    category_code: str = Field(max_length=64)
    channel: str = Field(max_length=32)
    urgency: str = Field(max_length=16)
    description: str = Field(default="", max_length=2000)
    address: str | None = Field(default=None, max_length=200)
    lon: float
    lat: float
    time_limit_hours: float | None = None
    reason: str = Field(max_length=64)
    since: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    source_deadline: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    owner_id: str | None = Field(default=None, max_length=64, description="包案领导 (staff id)")
    owner_name: str | None = Field(default=None, max_length=50)


class Assignment(DispatchTable, table=True):
    """派遣单: one case handed to one squad. A case has one current assignment; reassigning or
    routing it again closes the current one and opens another."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("uq_assignments_current_case", "case_id", unique=True, postgresql_where=text("current")),
        Index("ix_assignments_due", "next_check_at", postgresql_where=text("current")),
    )
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    case_number: str = Field(default="", max_length=32)
    squad_id: str = Field(foreign_key="squads.id", max_length=64, index=True)
    officer_id: str | None = Field(default=None, max_length=64, index=True)
    grid_id: str = Field(max_length=64)
    grid_version: int | None = Field(default=None, description="the version of its grid the case was routed by")
    category_code: str = Field(max_length=64)
    channel: str = Field(default="", max_length=32)
    description: str = Field(default="", max_length=2000)
    address: str | None = Field(default=None, max_length=200)
    lon: float = 0.0
    lat: float = 0.0
    urgency: str = Field(default="ordinary", max_length=16)
    status: str = Field(max_length=32)
    current: bool = True
    how: str = Field(default="rule", max_length=16)
    rule: str | None = Field(default=None, max_length=100)
    time_limit_hours: float = 24.0
    assigned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    warn_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    deadline_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    escalation_level: int = Field(default=-1, description="-1 none, 0 warned, 1.. overdue steps taken")
    next_check_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    extensions: int = 0
    accepted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    returned_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    return_reason: str | None = Field(default=None, max_length=32)
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    extension_asked_hours: float | None = Field(default=None, description="申请延期: the hours the squad asks for")
    extension_asked_reason: str | None = Field(default=None, max_length=500)
    extension_asked_by: str | None = Field(default=None, max_length=64)
    extension_asked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    source_deadline: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True)),
        description="the upstream order's deadline, or the 化解时限 of a 信访, 领导交办 or 舆情 case",
    )
    deadline_basis: str = Field(
        default="category",
        max_length=16,
        sa_column_kwargs={"server_default": "category"},
        description="which limit runs: category (服务目录), source (the upstream order's), resolution (化解时限)",
    )
    owner_id: str | None = Field(default=None, max_length=64, description="包案领导 (staff id): warned directly")
    owner_name: str | None = Field(default=None, max_length=50)


class Escalation(DispatchTable, table=True):
    """A step of 逐级负责制 taken, and the notification it sent."""

    __tablename__ = "escalations"
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: str = Field(max_length=36, index=True)
    case_id: str = Field(max_length=36, index=True)
    squad_id: str = Field(max_length=64, index=True)
    level: int
    kind: str = Field(max_length=32)
    notify_role: str = Field(max_length=32)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class LegalDeadline(DispatchTable, table=True):
    """A penalty case's deadline in law, as cases announces it (EnforcementStepRecorded.deadlines):
    the 90 days from 立案 to decision (行政处罚法 art. 60) and the 3 days to file an on-the-spot
    decision (art. 52), warned ahead and escalated up the chain when missed, like a handling
    deadline (dispatch.domain.deadlines.legal_warning)."""

    __tablename__ = "legal_deadlines"
    __table_args__ = (Index("ix_dispatch_legal_deadlines_next", "next_check_at"),)
    case_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(primary_key=True, max_length=16, description="decision, summary_filing")
    case_number: str = Field(max_length=32)
    squad_id: str | None = Field(default=None, max_length=64)
    category_code: str = Field(max_length=64)
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    level: int = Field(default=-1, description="-1 none, 0 warned, 1.. overdue steps taken")
    next_check_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    as_of: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SupervisionOrder(DispatchTable, table=True):
    """督办单: a supervisor's order with its own deadline, which the squad must answer."""

    __tablename__ = "supervision_orders"
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    squad_id: str = Field(max_length=64, index=True)
    office_id: str | None = Field(
        default=None, max_length=64, index=True, description="督办 to the 办事处 of the case's grid: it answers"
    )
    instruction: str = Field(max_length=1000)
    issued_by: str = Field(max_length=100)
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    answer: str | None = Field(default=None, max_length=2000)
    answered_by: str | None = Field(default=None, max_length=100)
    answered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    overdue_notified: bool = False


class RectificationNotice(DispatchTable, table=True):
    """责改通知书: a notice to an office (办事处) or a squad to put something right by a deadline, and its
    written answer."""

    __tablename__ = "rectification_notices"
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=64, unique=True)
    unit_kind: str = Field(max_length=16, description="office or squad")
    unit_id: str = Field(max_length=64, index=True)
    unit_name: str = Field(max_length=100)
    subject: str = Field(max_length=200)
    text: str = Field(max_length=4000)
    case_ids: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    issued_by: str = Field(max_length=100)
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    answer: str | None = Field(default=None, max_length=4000)
    answered_by: str | None = Field(default=None, max_length=100)
    answered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class CampaignCase(DispatchTable, table=True):
    """The cases that fall in a campaign, as cases tells (CampaignCasesTagged): the console filters by them."""

    __tablename__ = "campaign_cases"
    campaign_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(primary_key=True, max_length=36, index=True)


class KnownCampaign(DispatchTable, table=True):
    """The campaigns' names and states, as cases tells them (CampaignLaunched, CampaignChanged, CampaignClosed)."""

    __tablename__ = "campaigns"
    campaign_id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    status: str = Field(max_length=16)
    version: int


class PatrolPost(DispatchTable, table=True):
    """严管区岗点: a school gate or a night market, with its time windows (dispatch.domain.patrol.PostWindow)."""

    __tablename__ = "patrol_posts"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=32)  # school | night_market | other
    squad_id: str = Field(foreign_key="squads.id", max_length=64, index=True)
    lon: float
    lat: float
    radius_m: float = 200.0
    windows: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    active: bool = True


class PatrolShift(DispatchTable, table=True):
    """排班: one officer at one post for one window of one day, and whether he checked in."""

    __tablename__ = "patrol_shifts"
    __table_args__ = (
        Index("uq_patrol_shift", "post_id", "officer_id", "starts_at", unique=True),
        Index(
            "ix_patrol_shifts_unchecked",
            "starts_at",
            postgresql_where=text("checked_in_at IS NULL AND missed_at IS NULL"),
        ),
    )
    id: str = Field(primary_key=True, max_length=36)
    post_id: str = Field(foreign_key="patrol_posts.id", max_length=64, index=True)
    squad_id: str = Field(max_length=64, index=True)
    officer_id: str = Field(max_length=64, index=True)
    day: date = Field(sa_column=Column(Date, nullable=False))
    starts_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ends_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    rostered_by: str = Field(max_length=100)
    checked_in_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    check_in_distance_m: float | None = None
    late: bool = False
    missed_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True)),
        description="when the missed-post alert went to the squad leader",
    )


backbone = ServiceTables(registry.metadata, staff_pages=True, idempotency=True)
