"""What cases tells: a case opened, filed, dispatched, flagged, moved through its lifecycle, closed;
the penalty track's steps; the public notes on a case."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from common.messaging.contracts.base import CaseOwner, FreeData, FreeText, IntegrationEvent, Location, Topics
from common.vocabulary import CaseAction, CaseOutcome, CaseStatus, Channel, Urgency


class CaseOpened(IntegrationEvent, type="cases.case.opened.v1", topic=Topics.cases, key="case_id"):
    """A case (案卷) was filed for an incident (立案)."""

    case_id: str
    case_number: str
    incident_id: str
    opened_at: datetime
    channel: Channel
    category_code: str
    urgency: Urgency
    location: Location
    flags: list[str] = Field(default_factory=list)
    status: Literal["reported", "filed"] = Field(
        "filed", description="filed 已立案 (dispatch routes it now) or reported 待核实 (waits for verification)"
    )
    parent_case_id: str | None = Field(None, description="the case this one was split from (拆分)")
    time_limit_hours: float | None = Field(None, description="处置时限 the case was filed under")
    description: FreeText = Field("", description="the report's text (for routing rules)")
    address: FreeText | None = Field(None, description="门牌地址 of the report, when given")
    reporter_squad_id: str | None = Field(
        None, description="巡查发现: the finder's squad; dispatch gives the case to it, not by the rules"
    )
    reporter_officer_id: str | None = Field(None, description="巡查发现: the officer who found it, given the case")
    source_deadline: datetime | None = Field(
        None, description="the upstream order's deadline, or the 化解时限 of a 信访, 领导交办 or 舆情 case"
    )
    owner: CaseOwner | None = Field(None, description="包案: the leader who owns it, 责任单位, 责任人")


class CaseFiled(IntegrationEvent, type="cases.case.filed.v1", topic=Topics.cases, key="case_id"):
    """A reported case was verified and filed (立案): dispatch routes it now."""

    case_id: str
    case_number: str
    incident_id: str
    filed_at: datetime
    filed_by: str
    channel: Channel
    category_code: str
    urgency: Urgency
    location: Location
    time_limit_hours: float | None = None
    description: FreeText = ""
    address: FreeText | None = None
    source_deadline: datetime | None = None
    owner: CaseOwner | None = None


class CaseTransitioned(IntegrationEvent, type="cases.case.transitioned.v1", topic=Topics.cases, key="case_id"):
    """Any step of the case lifecycle (核实, 立案, 不予立案, 处置, 核查, 返工, 挂起, 撤销, 合并, 拆分, ...): who, when,
    the state before and after, and why. One event a step: the step of 派遣 is told by CaseDispatched alone, which
    carries the same facts."""

    case_id: str
    case_number: str
    incident_id: str
    action: CaseAction
    from_status: CaseStatus | None
    to_status: CaseStatus
    actor: str = Field(description="the subject of the person's token, or system:<service>")
    actor_role: str
    at: datetime
    reason: FreeText | None = None
    squad_id: str | None = None
    category_code: str
    details: FreeData = Field(
        default_factory=dict,
        description="the step's facts (outcome, photo hashes, rating, the case merged into, the cases split off, ...)",
    )


EnforcementStepName = Literal[
    "open",
    "on_the_spot",
    "file_summary",
    "order_correction",
    "request_hearing",
    "schedule_hearing",
    "hold_hearing",
    "warn",
    "notify",
    "decide",
    "pay",
    "reconsider",
    "sue",
    "review_upheld",
    "review_revoked",
    "apply_to_court",
    "court_grants",
    "court_refuses",
    "enforce",
    "seize",
    "release",
]


class EnforcementStepRecorded(
    IntegrationEvent, type="cases.enforcement.step_recorded.v1", topic=Topics.cases, key="case_id"
):
    """A step of the enforcement track (行政处罚): 警告, 告知, 处罚决定, 缴纳, 复议, 诉讼, 申请法院强制执行, 裁定,
    执行, 暂扣 and its release."""

    case_id: str
    case_number: str
    step: EnforcementStepName
    stage: str = Field(description="the track's stage after the step")
    category_code: str
    squad_id: str | None = None
    merchant_id: str | None = Field(None, description="the party in the merchant ledger, if it is one")
    amount_fen: int | None = Field(None, description="the fine, in fen")
    collected_fen: int = Field(0, description="collected by this step (pay, enforce), in fen")
    decision_number: str | None = None
    power_code: str | None = Field(None, description="the power of the 权责清单 the penalty is under")
    power_name: str | None = Field(None, description="its name in the 权责清单")
    band: Literal["minor", "ordinary", "serious", "grave"] | None = Field(
        None, description="its discretion band: 轻微, 一般, 较重, 严重"
    )
    departed: bool = Field(False, description="the penalty departs from the list or its band (a reason recorded)")
    summary_procedure: bool = Field(False, description="decided on the spot (简易程序, 当场处罚)")
    deadlines: dict[str, datetime] = Field(
        default_factory=dict,
        description="hearing request, payment, reconsideration, lawsuit, court application; decision (90 days "
        "from 立案, art. 60) while undecided; summary_filing (3 days) for an on-the-spot decision not yet filed",
    )
    at: datetime
    actor: str


class CaseDispatched(IntegrationEvent, type="cases.case.dispatched.v1", topic=Topics.cases, key="case_id"):
    """The case was dispatched (派遣) to an enforcement squad: the lifecycle's step of 派遣 (to_status dispatched), with
    who, when and the state before, as a CaseTransitioned tells the other steps; it is not told twice."""

    case_id: str
    case_number: str
    incident_id: str
    assignment_id: str
    squad_id: str
    squad_name: str
    grid_id: str
    category_code: str
    dispatched_at: datetime
    deadline_at: datetime | None = None
    action: Literal["dispatch"] = "dispatch"
    from_status: CaseStatus | None = Field(
        None, description="the state before (filed, awaiting_command_centre, dispatched when reassigned or rerouted)"
    )
    to_status: Literal["dispatched"] = "dispatched"
    actor: str = Field(
        "system:dispatch", description="who chose the squad: system:dispatch for a rule, else the dispatcher"
    )
    how: Literal["rule", "manual", "reassign", "reroute", "patrol"] = Field(
        "rule", description="routed by a rule, dispatched by hand from the queue, reassigned, or routed again"
    )
    previous_category_code: str | None = Field(None, description="the category before a dispatcher corrected it")


class CaseFlagged(IntegrationEvent, type="cases.case.flagged.v1", topic=Topics.cases, key="case_id"):
    """The case needs the command centre (指挥中心) by hand."""

    case_id: str
    incident_id: str
    reason: FreeText
    flagged_at: datetime


class CasePublicNoteAdded(IntegrationEvent, type="cases.case.public-note.v1", topic=Topics.cases, key="case_id"):
    """A note the public may read (公开说明): it becomes the Open311 status_notes and shows on the citizen's tracking
    page. Internal notes stay in the trail."""

    case_id: str
    case_number: str
    incident_id: str
    text: FreeText
    at: datetime


class CaseClosed(IntegrationEvent, type="cases.case.closed.v1", topic=Topics.cases, key="case_id"):
    """The case was closed (结案), with its outcome."""

    case_id: str
    case_number: str
    incident_id: str
    category_code: str
    squad_id: str | None
    outcome: CaseOutcome
    merchant_id: str | None = Field(None, description="the merchant in the ledger, if any")
    dog_licence_id: str | None = Field(None, description="the dog licence a 犬只扰民 or 违规遛犬 case names, if any")
    closed_at: datetime
    closed_by: str


class BuildingStageReached(BaseModel):
    stage: str
    at: datetime
    by: str


class IllegalBuildingChanged(
    IntegrationEvent, type="cases.illegal_building.changed.v1", topic=Topics.cases, key="case_id"
):
    """违法建设台账: an illegal building's register entry, whole, whenever it changes: opened when its case is
    dispatched (发现), moved by the case's steps and the officers' records (制止, 责令停止, 限期拆除, 强制拆除,
    or 补办手续), with its area and the area pulled down. A version older than one held changes nothing."""

    building_id: str
    case_id: str
    case_number: str
    stage: Literal["found", "stopped", "ordered_to_stop", "demolition_ordered", "demolished", "legalised"]
    area_m2: float | None = None
    demolished_m2: float = 0
    grid_id: str | None = None
    squad_id: str | None = None
    office_name: str | None = Field(None, description="the 办事处 of its grid")
    location: Location
    history: list[BuildingStageReached] = Field(description="each stage reached, when and by whom")
    version: int
    at: datetime
