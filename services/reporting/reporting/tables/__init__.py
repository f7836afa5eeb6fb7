"""Reporting's read model, in the `reporting` schema, built from events alone: `rows` (a row per
report and per case with every step's time), `sums` (the month and day cubes and pairs derived
from them for fast periods), and here the monthly event counters and what other services
announce (grids, categories, squads, the calendar, the registers' figures, the dog register's
work, campaigns, 考评). Every table is importable from `reporting.tables`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, DateTime, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from common.backbone import ServiceTables
from reporting.tables.base import ReportingTable, registry
from reporting.tables.base import at_column as _at
from reporting.tables.rows import CaseRow, IncidentRow, overdue_span
from reporting.tables.sums import (
    NO_DAY,
    VALUE_LENGTH,
    DayCube,
    DayPair,
    DirtyMonth,
    DuePair,
    MonthCube,
    day_overdue_span,
)

__all__ = [
    "NO_DAY",
    "VALUE_LENGTH",
    "CaseRow",
    "DayCube",
    "DayPair",
    "DirtyMonth",
    "DuePair",
    "IncidentRow",
    "MonthCube",
    "ReportingTable",
    "day_overdue_span",
    "overdue_span",
    "registry",
]


class CalendarState(ReportingTable, table=True):
    """The bureau's working calendar, as dispatch announces it (WorkCalendarChanged)."""

    __tablename__ = "calendar"
    calendar_id: str = Field(primary_key=True, max_length=32)
    holidays: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    workdays: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    office_hours: list = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    at: datetime = Field(sa_column=_at(False))


class GridInfo(ReportingTable, table=True):
    """The district's grids as dispatch announces them (GridDefined): names, shapes for the map, and
    the version in force (a case keeps the grid it was routed by)."""

    __tablename__ = "grids"
    grid_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    squad_id: str = Field(max_length=64)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))
    defined_at: datetime = Field(sa_column=_at(False))
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    office_name: str | None = Field(default=None, max_length=100)
    office_id: str | None = Field(default=None, max_length=64)
    keeper_name: str | None = Field(default=None, max_length=100)


class CategoryInfo(ReportingTable, table=True):
    """The 服务目录's names, as intake announces them (CategoryDefined)."""

    __tablename__ = "categories"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    version: int


class LedgerFigure(ReportingTable, table=True):
    """The registers' figures as ledger last told them (LedgerFiguresReported), per area."""

    __tablename__ = "ledger_figures"
    area_id: str = Field(primary_key=True, max_length=64)
    as_of: datetime = Field(sa_column=_at(False))
    figures: dict = Field(sa_column=Column(JSONB, nullable=False))


class DogMonth(ReportingTable, table=True):
    """The dog register's work per month and grid (seed 004's rows), from ledger's dog events."""

    __tablename__ = "dog_months"
    month: date = Field(sa_column=Column(Date, primary_key=True))
    grid_id: str = Field(primary_key=True, max_length=64, description="'' when not known")
    registrations: int = 0
    inspections: int = 0
    strays_captured: int = 0
    adoptions: int = 0
    claims: int = 0
    walking_violations: int = 0


class PersuasionDay(ReportingTable, table=True):
    """劝导 per day, squad and category (the street's work that opens no case), from MerchantPersuaded."""

    __tablename__ = "persuasion_days"
    day: date = Field(sa_column=Column(Date, primary_key=True))
    squad_id: str = Field(primary_key=True, max_length=64, description="'' when not known")
    category_code: str = Field(primary_key=True, max_length=64)
    persuasions: int = 0


class DecisionDay(ReportingTable, table=True):
    """Penalty decisions per day, power (权责清单) and band (裁量基准), from EnforcementStepRecorded
    (decide, on_the_spot): how many, of them on the spot and departing from the band, and the fines."""

    __tablename__ = "decision_days"
    day: date = Field(sa_column=Column(Date, primary_key=True))
    power_code: str = Field(primary_key=True, max_length=32, description="'' for a free-text basis")
    band: str = Field(primary_key=True, max_length=16, description="'' when none")
    squad_id: str = Field(primary_key=True, max_length=64, description="'' when not known")
    power_name: str | None = Field(default=None, max_length=200)
    decisions: int = 0
    on_the_spot: int = 0
    departures: int = 0
    fines_decided_fen: int = Field(default=0, sa_type=BigInteger)


class CampaignInfo(ReportingTable, table=True):
    """A campaign as cases tells it (CampaignLaunched, CampaignChanged, CampaignClosed): whole, the
    newest version kept."""

    __tablename__ = "campaigns"
    campaign_id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=16)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    state: dict = Field(sa_column=Column(JSONB, nullable=False), description="the contract's Campaign, whole")
    status: str = Field(max_length=16)
    version: int


class CampaignCase(ReportingTable, table=True):
    """The cases that fall in a campaign (CampaignCasesTagged): its indicators are read over these."""

    __tablename__ = "campaign_cases"
    campaign_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(primary_key=True, max_length=36)


class CampaignOperationRow(ReportingTable, table=True):
    """A campaign's action (CampaignOperationRecorded): effort and what it achieved."""

    __tablename__ = "campaign_operations"
    operation_id: str = Field(primary_key=True, max_length=36)
    campaign_id: str = Field(max_length=36, index=True)
    day: date = Field(sa_column=Column(Date, nullable=False))
    squad_id: str | None = Field(default=None, max_length=64)
    office_name: str | None = Field(default=None, max_length=100)
    officer_trips: int = 0
    vehicle_trips: int = 0
    counts: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))


class CampaignPersuasion(ReportingTable, table=True):
    """劝导 recorded on the field app (MerchantPersuaded) that fall in a campaign (common.campaigns'
    rule), per day and squad."""

    __tablename__ = "campaign_persuasions"
    campaign_id: str = Field(primary_key=True, max_length=36)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    squad_id: str = Field(primary_key=True, max_length=64, description="'' when not known")
    persuasions: int = 0


class BuildingRow(ReportingTable, table=True):
    """An illegal building of the register (IllegalBuildingChanged): its stage, areas, office, and the
    day it reached each stage."""

    __tablename__ = "illegal_buildings"
    building_id: str = Field(primary_key=True, max_length=36)
    stage: str = Field(max_length=32)
    area_m2: float | None = None
    demolished_m2: float = 0
    office_name: str | None = Field(default=None, max_length=100)
    squad_id: str | None = Field(default=None, max_length=64)
    reached: dict = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False), description="stage -> the day (Beijing)"
    )
    version: int


class NoticeRow(ReportingTable, table=True):
    """A 责改通知书 (RectificationNoticeIssued, RectificationNoticeAnswered): the assessment deducts for it."""

    __tablename__ = "notices"
    notice_id: str = Field(primary_key=True, max_length=36)
    unit_kind: str = Field(max_length=16)
    unit_id: str = Field(max_length=64, index=True)
    issued_at: datetime | None = Field(default=None, sa_column=_at())
    due_at: datetime | None = Field(default=None, sa_column=_at())
    answered_at: datetime | None = Field(default=None, sa_column=_at())


class AssessmentRow(ReportingTable, table=True):
    """A published assessment (考评通报): one row per unit of a scheme's period."""

    __tablename__ = "assessments"
    scheme: str = Field(primary_key=True, max_length=64)
    start: date = Field(sa_column=Column(Date, primary_key=True))
    unit_kind: str = Field(primary_key=True, max_length=16)
    unit_id: str = Field(primary_key=True, max_length=64)
    end: date = Field(sa_column=Column(Date, nullable=False))
    unit_name: str = Field(max_length=100)
    score: float
    cases: int
    rank: int | None = None
    notices: int = 0
    notices_late: int = 0
    values: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    published_at: datetime = Field(sa_column=_at(False))


class HotlineOrder(ReportingTable, table=True):
    """An upstream work order (12345, 110, the city platform) as intake last told it
    (WorkOrderChanged): what the hotline centres assess the bureau's squads on."""

    __tablename__ = "hotline_orders"
    __table_args__ = (Index("ix_hotline_orders_received_at", "received_at"),)
    incident_id: str = Field(primary_key=True, max_length=36)
    system: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    origin: str | None = Field(default=None, max_length=16)
    state: str = Field(max_length=32)
    squad_id: str = Field(default="", max_length=64, description="'' before it is dispatched")
    received_at: datetime = Field(sa_column=_at(False))
    sign_due_at: datetime = Field(sa_column=_at(False))
    signed_at: datetime | None = Field(default=None, sa_column=_at())
    finish_due_at: datetime = Field(sa_column=_at(False))
    replied_at: datetime | None = Field(default=None, sa_column=_at())
    result: str | None = Field(default=None, max_length=32)
    returned: bool = False
    redo_count: int = 0
    satisfaction: str | None = Field(default=None, max_length=32)
    enforcement: bool = False
    at: datetime = Field(sa_column=_at(False))


class Ranking(ReportingTable, table=True):
    """中队排位赛: a published month's table."""

    __tablename__ = "rankings"
    month: date = Field(sa_column=Column(Date, primary_key=True))
    squad_id: str = Field(primary_key=True, max_length=64)
    squad_name: str = Field(max_length=100)
    score: float
    cases: int
    rank: int | None = None
    movement: int | None = None
    red_flag: bool = False
    values: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    published_at: datetime = Field(sa_column=_at(False))


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
    fines_collected_fen: int = Field(
        default=0,
        sa_column=Column(BigInteger, nullable=False, server_default="0"),
        description="罚没款 collected (paid or enforced), in fen",
    )
    returned: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="退回: 准确派遣 misses")
    extended: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="延期")
    escalated: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="cases that ran overdue")
    joined: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"}, description="重复件: reports that joined an open incident"
    )
    rated: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="ratings given (评价)")
    satisfied: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="满意")
    basically_satisfied: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="基本满意")
    dissatisfied: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="不满意")
    joined_rated: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="ratings by reports that joined a case: not its 评价",
    )


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
    replaying: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "false"},
        description="the generation's replay has not finished: a start empties and replays again",
    )


backbone = ServiceTables(registry.metadata, staff_pages=True)
