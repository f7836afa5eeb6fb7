"""Integration events: the public, versioned contract between the services and with the
municipal systems that subscribe to them. One pydantic model per event type; the JSON Schemas
and the AsyncAPI document in docs/ are generated from these models (`make contracts`).

Rules of the contract: a type name ends in its version (`.v1`); a field may be added, never
removed or changed in meaning (that is a `.v2`); consumers ignore fields they do not know.

No event carries a phone number or an identity-card number. Every field that holds text a person
typed is a `FreeText` (or a `FreeData` of such text), and the model masks those numbers itself
when the event is made, whoever makes it; a test walks every contract's fields to keep it so."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from common.redaction import redact_private


def _redact_all(value: Any) -> Any:
    if isinstance(value, str):
        return redact_private(value)
    if isinstance(value, dict):
        return {k: _redact_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_all(v) for v in value]
    return value


FreeText = Annotated[str, AfterValidator(redact_private)]
"""Text a person typed (a description, a reason, a note): phone and identity-card numbers masked."""
FreeData = Annotated[dict, AfterValidator(_redact_all)]
"""Facts of a step or a report, whose strings may hold typed text: masked the same way."""

TYPE_PREFIX = "cn.gov.cgzf"


class Topics:
    incidents = "intake.incidents"
    cases = "cases.cases"
    assignments = "dispatch.assignments"
    grids = "dispatch.grids"
    directory = "dispatch.directory"
    calendar = "dispatch.calendar"
    catalogue = "intake.catalogue"
    sign_ins = "staff.sign-ins"
    merchants = "ledger.merchants"
    points = "ledger.points"
    ledger_figures = "ledger.figures"
    dogs = "ledger.dogs"
    rankings = "reporting.rankings"

    @staticmethod
    def dead_letter(group: str) -> str:
        return f"{group}.dlq"


class Location(BaseModel):
    """WGS84 longitude and latitude."""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


DESCRIPTION_MAX = 2000
"""The longest description (问题描述) anywhere in the platform: a report, a case's part, a note."""

Channel = Literal["hotline_12319", "transfer_12345", "transfer_110", "field_monitor", "web",
                  "open311", "camera", "iot", "api"]
Urgency = Literal["ordinary", "urgent"]


class IntegrationEvent(BaseModel):
    """Base of every contract. `event_type` names the event and its version; `topic` is where
    it travels; `key_field` is the aggregate id, which becomes the Kafka key and the
    CloudEvents `partitionkey`, so one aggregate's events stay in order on one partition."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str]
    producer: ClassVar[str]
    summary: ClassVar[str]
    examples: ClassVar[tuple[tuple[str, str, dict], ...]] = ()
    """(name, summary, payload) shown in the AsyncAPI document."""

    def key(self) -> str:
        return str(getattr(self, self.key_field))


# -- intake -----------------------------------------------------------------------------------

class IncidentReported(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.intake.incident.reported.v1"
    topic: ClassVar[str] = Topics.incidents
    key_field: ClassVar[str] = "incident_id"
    producer: ClassVar[str] = "intake"
    summary: ClassVar[str] = "A complaint was received (受理) from any channel."

    incident_id: str
    reported_at: datetime
    channel: Channel
    category_code: str
    category_known: bool = Field(description="false: not in the service catalogue; flagged")
    urgency: Urgency = "ordinary"
    location: Location
    description: FreeText
    address: FreeText | None = Field(None, description="门牌地址 as the reporter gave it, when given")
    caller_phone_masked: str | None = Field(None, description="138****5678, never the number")
    source_reference: FreeText | None = Field(None, description="reference of a 12345/110 transfer")
    flags: list[str] = Field(default_factory=list)
    time_limit_hours: float | None = Field(None, description="处置时限 of the category for this urgency, as "
                                           "filed: working hours (ordinary) or clock hours (urgent)")
    category_version: int | None = Field(None, description="the 服务目录 version the report was filed under")
    observed_at: datetime | None = Field(None, description="when the reporter saw it (photo taken, camera capture)")
    photo_ids: list[str] = Field(default_factory=list, description="photos kept by intake: GET /v1/photos/{id}")
    source_event_id: str | None = Field(None, description="a camera's or IoT platform's own event id")
    attributes: FreeData = Field(default_factory=dict, description="the category's attributes (车牌号, 犬牌号, "
                                 "时段)")

    examples: ClassVar = tuple((channel, summary, {
        "incident_id": f"0b7f6a52-1c1e-4c4e-9a7e-0000000000{n:02d}", "reported_at": "2026-11-23T01:00:00Z",
        "channel": channel, "category_known": True, "urgency": "ordinary", "location": {"lon": 113.62, "lat": 34.75},
        "flags": [], **payload}) for n, (channel, summary, payload) in enumerate((
            ("hotline_12319", "12319 热线: an operator takes a call (the caller's number masked)",
             {"category_code": "street_vending", "description": "建设路与汝河路交叉口占道经营",
              "caller_phone_masked": "138****5678", "time_limit_hours": 24.0, "category_version": 1}),
            ("transfer_12345", "12345 转办: a transfer keeps the city hotline's reference",
             {"category_code": "noise", "description": "夜间施工噪音扰民", "source_reference": "ZZ12345-20261123-0417",
              "time_limit_hours": 24.0, "category_version": 1, "attributes": {"period": "night"}}),
            ("transfer_110", "110 转办: the police's reference kept",
             {"category_code": "dog_nuisance", "description": "小区内犬只伤人未拴绳", "source_reference": "110-4101-88231",
              "time_limit_hours": 24.0, "category_version": 1}),
            ("field_monitor", "监督员上报: GPS point, photos and the time they were taken",
             {"category_code": "roadside_waste", "description": "沿街堆放建筑垃圾", "time_limit_hours": 24.0,
              "category_version": 1, "observed_at": "2026-11-23T00:30:00Z",
              "photo_ids": ["5d1c0c3e-7c55-4a8e-b1c2-6f0f4c1d2e01"]}),
            ("web", "市民网上反映: the public report page, with the citizen's photos",
             {"category_code": "street_vending", "description": "路口水果摊占道", "time_limit_hours": 24.0,
              "category_version": 1, "photo_ids": ["5d1c0c3e-7c55-4a8e-b1c2-6f0f4c1d2e02"]}),
            ("open311", "Open311 GeoReport v2: a city app's service request",
             {"category_code": "illegal_parking", "description": "人行道上长期停车", "time_limit_hours": 8.0,
              "category_version": 1, "attributes": {"plate": "豫A12345", "vehicle": "car"}}),
            ("camera", "非现场执法: a sidewalk-parking capture, idempotent on the camera platform's event id",
             {"category_code": "illegal_parking", "description": "违停抓拍 豫A8K2L1", "time_limit_hours": 8.0,
              "category_version": 1, "observed_at": "2026-11-23T00:58:00Z", "source_event_id": "hik-20261123-000417",
              "attributes": {"plate": "豫A8K2L1"}, "photo_ids": ["5d1c0c3e-7c55-4a8e-b1c2-6f0f4c1d2e03"]}),
            ("iot", "智能犬牌: a smart dog-tag alarm", {"category_code": "dog_nuisance", "description": "犬只进入禁入区域",
                                                   "time_limit_hours": 24.0, "category_version": 1,
                                                   "observed_at": "2026-11-23T01:05:00Z",
                                                   "source_event_id": "tag-88120-17", "attributes": {"tag": "ZY-2026-00831"}}),
            ("api", "外部系统: another platform through the v1 API", {"category_code": "dust", "description": "工地扬尘",
                                                             "time_limit_hours": 24.0, "category_version": 1}),
        )))


class IncidentReplied(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.intake.incident.replied.v1"
    topic: ClassVar[str] = Topics.incidents
    key_field: ClassVar[str] = "incident_id"
    producer: ClassVar[str] = "intake"
    summary: ClassVar[str] = ("The reporter was told the result (反馈, 回访): shown on the tracking page of a web or "
                              "Open311 report when its case closed, or a hotline caller called back.")

    incident_id: str
    case_id: str | None = None
    channel: Channel
    how: Literal["tracking", "callback", "sms"]
    at: datetime

    examples: ClassVar = (("callback", "the 12319 operator called the caller back", {
        "incident_id": "0b7f6a52-1c1e-4c4e-9a7e-000000000001", "case_id": "4f1b7a9e-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
        "channel": "hotline_12319", "how": "callback", "at": "2026-11-24T07:30:00Z"}),)


class IncidentJoined(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.intake.incident.joined.v1"
    topic: ClassVar[str] = Topics.incidents
    key_field: ClassVar[str] = "joined_incident_id"  # the open incident's partition: after its IncidentReported
    producer: ClassVar[str] = "intake"
    summary: ClassVar[str] = ("A new report repeats an open incident (重复件: the same category, within the "
                              "category's radius and time window) and joined it instead of opening a case.")

    incident_id: str = Field(description="the new report")
    joined_incident_id: str = Field(description="the open incident it joined, whose case goes on")
    reported_at: datetime
    channel: Channel
    category_code: str
    distance_m: float = Field(description="how far the new report is from the open one")
    reporters: int = Field(description="reports of this problem so far, the first one included")
    photo_ids: list[str] = Field(default_factory=list)


class IncidentDetached(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.intake.incident.detached.v1"
    topic: ClassVar[str] = Topics.incidents
    key_field: ClassVar[str] = "joined_incident_id"
    producer: ClassVar[str] = "intake"
    summary: ClassVar[str] = ("A dispatcher split a wrong merge: the report leaves the incident it had joined and "
                              "is reported again on its own (an IncidentReported follows).")

    incident_id: str
    joined_incident_id: str
    detached_by: str
    detached_at: datetime
    reason: FreeText


Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class IncidentRated(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.intake.incident.rated.v1"
    topic: ClassVar[str] = Topics.incidents
    key_field: ClassVar[str] = "incident_id"
    producer: ClassVar[str] = "intake"
    summary: ClassVar[str] = ("The reporter rated the result after closure (满意 / 基本满意 / 不满意); cases records "
                              "it as 评价 and, by the bureau's rule, reopens the case on 不满意.")

    incident_id: str = Field(description="the report that was rated (a joined report rates the case it joined)")
    opening_report: bool = Field(True, description="the report that opened the case: only its rating evaluates "
                                 "the case, counts in 满意率 and may reopen it; a joined report's rating is kept in "
                                 "the trail and counted apart")
    case_id: str
    case_number: str | None = None
    category_code: str
    squad_id: str | None = None
    rating: Rating
    comment: FreeText | None = None
    rated_at: datetime


# -- cases ------------------------------------------------------------------------------------

class CaseOpened(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.cases.case.opened.v1"
    topic: ClassVar[str] = Topics.cases
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "cases"
    summary: ClassVar[str] = "A case (案卷) was filed for an incident (立案)."

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
        "filed", description="filed 已立案 (dispatch routes it now) or reported 待核实 (waits for verification)")
    parent_case_id: str | None = Field(None, description="the case this one was split from (拆分)")
    time_limit_hours: float | None = Field(None, description="处置时限 the case was filed under")
    description: FreeText = Field("", description="the report's text (for routing rules)")
    address: FreeText | None = Field(None, description="门牌地址 of the report, when given")


class CaseFiled(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.cases.case.filed.v1"
    topic: ClassVar[str] = Topics.cases
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "cases"
    summary: ClassVar[str] = "A reported case was verified and filed (立案): dispatch routes it now."

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


class CaseTransitioned(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.cases.case.transitioned.v1"
    topic: ClassVar[str] = Topics.cases
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "cases"
    summary: ClassVar[str] = ("Any step of the case lifecycle (核实, 立案, 不予立案, 处置, 核查, 返工, 挂起, "
                              "撤销, 合并, 拆分, ...): who, when, the state before and after, and why. One event a "
                              "step: the step of 派遣 is told by CaseDispatched alone, which carries the same facts.")

    case_id: str
    case_number: str
    incident_id: str
    action: str
    from_status: str | None
    to_status: str
    actor: str = Field(description="the subject of the person's token, or system:<service>")
    actor_role: str
    at: datetime
    reason: FreeText | None = None
    squad_id: str | None = None
    category_code: str
    details: FreeData = Field(default_factory=dict, description="the step's facts (outcome, photo hashes, "
                              "rating, the case merged into, the cases split off, ...)")


EnforcementStepName = Literal["warn", "notify", "decide", "pay", "reconsider", "sue", "review_upheld",
                              "review_revoked", "apply_to_court", "court_grants", "court_refuses", "enforce",
                              "seize", "release"]


class EnforcementStepRecorded(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.cases.enforcement.step_recorded.v1"
    topic: ClassVar[str] = Topics.cases
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "cases"
    summary: ClassVar[str] = ("A step of the enforcement track (行政处罚): 警告, 告知, 处罚决定, 缴纳, 复议, 诉讼, "
                              "申请法院强制执行, 裁定, 执行, 暂扣 and its release.")

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
    deadlines: dict[str, datetime] = Field(default_factory=dict,
                                           description="payment, reconsideration, lawsuit, court application")
    at: datetime
    actor: str


class CaseDispatched(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.cases.case.dispatched.v1"
    topic: ClassVar[str] = Topics.cases
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "cases"
    summary: ClassVar[str] = ("The case was dispatched (派遣) to an enforcement squad: the lifecycle's step of 派遣 "
                              "(to_status dispatched), with who, when and the state before, as a CaseTransitioned "
                              "tells the other steps; it is not told twice.")

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
    from_status: str | None = Field(None, description="the state before (filed, awaiting_command_centre, dispatched "
                                    "when reassigned or rerouted)")
    to_status: Literal["dispatched"] = "dispatched"
    actor: str = Field("system:dispatch", description="who chose the squad: system:dispatch for a rule, else the "
                       "dispatcher")
    how: Literal["rule", "manual", "reassign", "reroute"] = Field(
        "rule", description="routed by a rule, dispatched by hand from the queue, reassigned, or routed again")
    previous_category_code: str | None = Field(None, description="the category before a dispatcher corrected it")


class CaseFlagged(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.cases.case.flagged.v1"
    topic: ClassVar[str] = Topics.cases
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "cases"
    summary: ClassVar[str] = "The case needs the command centre (指挥中心) by hand."

    case_id: str
    incident_id: str
    reason: FreeText
    flagged_at: datetime


CaseOutcome = Literal["resolved", "violation", "no_violation"]


class CasePublicNoteAdded(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.cases.case.public-note.v1"
    topic: ClassVar[str] = Topics.cases
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "cases"
    summary: ClassVar[str] = ("A note the public may read (公开说明): it becomes the Open311 status_notes and shows "
                              "on the citizen's tracking page. Internal notes stay in the trail.")

    case_id: str
    case_number: str
    incident_id: str
    text: FreeText
    at: datetime


class CaseClosed(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.cases.case.closed.v1"
    topic: ClassVar[str] = Topics.cases
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "cases"
    summary: ClassVar[str] = "The case was closed (结案), with its outcome."

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


# -- dispatch ---------------------------------------------------------------------------------

class AssignmentCreated(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.assignment.created.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = "A squad was chosen for a case by its grid (网格) and category."

    assignment_id: str
    case_id: str
    squad_id: str
    squad_name: str
    grid_id: str
    category_code: str
    assigned_at: datetime
    deadline_at: datetime | None = None
    warn_at: datetime | None = Field(None, description="when the officer is warned (a share of the time limit)")
    officer_id: str | None = Field(None, description="the officer suggested by workload and duty")
    urgency: Urgency = "ordinary"
    how: Literal["rule", "manual", "reassign", "reroute"] = Field(
        "rule", description="routed by a rule, dispatched by hand from the queue, reassigned, or routed again")
    rule: str | None = Field(None, description="the routing rule that matched")
    previous_assignment_id: str | None = None
    actor: str = "system:dispatch"


class AssignmentAccepted(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.assignment.accepted.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = "The squad accepted (签收) the assignment."

    assignment_id: str
    case_id: str
    squad_id: str
    officer_id: str | None
    accepted_at: datetime
    actor: str


class AssignmentReturned(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.assignment.returned.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = "The squad returned (退回) the assignment to the command centre, with a reason."

    assignment_id: str
    case_id: str
    squad_id: str
    category_code: str
    reason: Literal["wrong_jurisdiction", "not_ours", "wrong_category", "other"]
    note: FreeText | None = None
    returned_at: datetime
    actor: str


class DeadlineExtended(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.deadline.extended.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = "A dispatcher extended the assignment's deadline (延期), with a reason."

    assignment_id: str
    case_id: str
    squad_id: str
    category_code: str
    previous_deadline_at: datetime
    deadline_at: datetime
    hours: float
    reason: FreeText
    extended_at: datetime
    actor: str


class AssignmentEscalated(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.assignment.escalated.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = ("逐级负责制: the officer is warned near the deadline (level 0); once overdue the "
                              "case climbs to the squad leader, the brigade, the bureau leader.")

    assignment_id: str
    case_id: str
    squad_id: str
    category_code: str
    level: int
    notify_role: str = Field(description="officer, squad_leader, brigade_leader, bureau_leader, ...")
    notify_person_id: str | None = Field(None, description="who is told, from the directory (逐级负责制)")
    notify_person_name: str | None = None
    kind: Literal["warning", "overdue", "supervision_overdue"]
    deadline_at: datetime
    at: datetime


class SupervisionOrderIssued(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.supervision.issued.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = "A supervisor issued a supervision order (督办) with its own deadline."

    order_id: str
    case_id: str
    squad_id: str
    instruction: FreeText
    due_at: datetime
    issued_at: datetime
    actor: str


class SupervisionOrderAnswered(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.supervision.answered.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = "The squad answered a supervision order (督办回复)."

    order_id: str
    case_id: str
    squad_id: str
    on_time: bool
    answered_at: datetime
    actor: str


class PatrolCheckedIn(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.patrol.checked-in.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "post_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = "An officer checked in at a strict-zone patrol post (严管区定岗到岗), on time or late."

    shift_id: str
    post_id: str
    post_name: str
    squad_id: str
    officer_id: str
    starts_at: datetime
    checked_in_at: datetime
    distance_m: float = Field(description="from the post, as reported by the officer's device")
    late: bool


class PatrolPostMissed(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.patrol.missed.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "post_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = ("A rostered officer had not checked in at a strict-zone post when the grace period "
                              "ended (空岗): an alert to the squad leader.")

    shift_id: str
    post_id: str
    post_name: str
    squad_id: str
    officer_id: str
    starts_at: datetime
    notify_role: str = "squad_leader"
    at: datetime


class CaseUnroutable(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.case.unroutable.v1"
    topic: ClassVar[str] = Topics.assignments
    key_field: ClassVar[str] = "case_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = "No squad could be chosen (outside every grid): the command centre decides."

    case_id: str
    reason: FreeText
    location: Location
    detected_at: datetime


class GridDefined(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.grid.defined.v1"
    topic: ClassVar[str] = Topics.grids
    key_field: ClassVar[str] = "grid_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = ("A grid (网格) of the district, its area and the squad responsible for it: published "
                              "when dispatch first holds it and whenever it changes, so that other services place "
                              "a point in its grid without reading dispatch's tables.")

    grid_id: str
    name: str
    squad_id: str
    squad_name: str
    geometry: dict = Field(description="GeoJSON Polygon or MultiPolygon, WGS84")
    defined_at: datetime

    examples: ClassVar = (("ruhe", "汝河路网格 and its squad", {
        "grid_id": "zy-ruhelu", "name": "汝河路网格", "squad_id": "sq-ruhe", "squad_name": "汝河中队",
        "geometry": {"type": "Polygon", "coordinates": [[[113.60, 34.74], [113.64, 34.74], [113.64, 34.76],
                                                         [113.60, 34.76], [113.60, 34.74]]]},
        "defined_at": "2026-11-23T00:00:00Z"}),)


class WorkCalendarChanged(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.calendar.changed.v1"
    topic: ClassVar[str] = Topics.calendar
    key_field: ClassVar[str] = "calendar_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = ("The bureau's working calendar, whole, whenever it changes: the holidays and the weekend "
                              "days worked (调休), and the office hours. Deadlines in working hours are counted on it; "
                              "reporting counts handling time in working hours on it.")

    calendar_id: str = "bureau"
    holidays: list[date]
    workdays: list[date] = Field(description="weekend days worked in exchange (调休上班)")
    office_hours: list[tuple[time, time]] = Field(description="the periods of a working day, Beijing time")
    at: datetime

    examples: ClassVar = (("2026", "the 2026 calendar (excerpt)", {
        "calendar_id": "bureau", "holidays": ["2026-10-01", "2026-10-02"], "workdays": ["2026-09-27"],
        "office_hours": [["08:30", "12:00"], ["14:00", "17:30"]], "at": "2026-11-23T00:00:00Z"}),)


class SquadChanged(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.squad.changed.v1"
    topic: ClassVar[str] = Topics.directory
    key_field: ClassVar[str] = "squad_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = ("The directory of the organisation: a squad (中队), its brigade (大队) and its leader, "
                              "as the admin keeps them; published when first known and on every change.")

    squad_id: str
    name: str
    brigade_id: str | None = None
    brigade_name: str | None = None
    leader_id: str | None = Field(None, description="the 中队长")
    leader_name: str | None = None
    at: datetime

    examples: ClassVar = (("ruhe", "汝河中队 in the second brigade", {
        "squad_id": "sq-ruhe", "name": "汝河中队", "brigade_id": "bd-2", "brigade_name": "第二执法大队",
        "leader_id": "sq-ruhe-leader", "leader_name": "马超", "at": "2026-11-23T00:00:00Z"}),)


class PersonChanged(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.dispatch.person.changed.v1"
    topic: ClassVar[str] = Topics.directory
    key_field: ClassVar[str] = "person_id"
    producer: ClassVar[str] = "dispatch"
    summary: ClassVar[str] = ("The directory of the organisation: a person (their position, squad or unit, role "
                              "and whether on duty), as the admin keeps it or as they first signed in.")

    person_id: str = Field(description="as the identity provider names them (the subject of their tokens)")
    name: str
    position: str = Field(description="局长, 大队长, 中队长, 副中队长, 队员, 派遣员, ...")
    role: str = Field(description="their role on the platform")
    squad_id: str | None = None
    unit_id: str | None = Field(None, description="a brigade, the bureau or the command centre, when not in a squad")
    on_duty: bool = True
    at: datetime


class StaffSignedIn(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.staff.signed-in.v1"
    topic: ClassVar[str] = Topics.sign_ins
    key_field: ClassVar[str] = "subject"
    producer: ClassVar[str] = "the service of the page (dispatch, ledger, reporting)"
    summary: ClassVar[str] = ("A person signed in to a staff page with the identity provider's claims: the "
                              "directory creates or updates them from it.")

    subject: str
    name: str
    role: str
    squad_id: str | None = None
    page: str = Field(description="/console, /ledger, /reports")
    at: datetime


class StaffSignedOut(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.staff.signed-out.v1"
    topic: ClassVar[str] = Topics.sign_ins
    key_field: ClassVar[str] = "subject"
    producer: ClassVar[str] = "the service of the page (dispatch, ledger, reporting)"
    summary: ClassVar[str] = ("A person signed out, or the identity provider ended their session (back-channel "
                              "logout, a disabled account): every page's service ends that person's sessions, or "
                              "the sessions of that provider session.")

    subject: str = Field(description="the person ('' when the provider named only its session)")
    provider_session_id: str | None = Field(None, description="the identity provider's session (its `sid`)")
    reason: Literal["signed_out", "provider_logout", "provider_refused"]
    at: datetime

    examples: ClassVar = (("signed-out", "A dispatcher signed out of the console", {
        "subject": "disp-0001", "provider_session_id": None, "reason": "signed_out", "at": "2026-12-02T09:30:00Z"}),)


class CategoryDefined(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.intake.category.defined.v1"
    topic: ClassVar[str] = Topics.catalogue
    key_field: ClassVar[str] = "code"
    producer: ClassVar[str] = "intake"
    summary: ClassVar[str] = ("A category of the 服务目录 as it now stands (each version): what other services "
                              "show for a code (占道经营 for street_vending), without reading intake's tables.")

    code: str
    name: str
    version: int
    kind: Literal["event", "component"]
    time_limit_hours: float
    urgent_time_limit_hours: float
    active: bool = True
    at: datetime

    examples: ClassVar = (("street_vending", "占道经营, version 1", {
        "code": "street_vending", "name": "占道经营", "version": 1, "kind": "event", "time_limit_hours": 24,
        "urgent_time_limit_hours": 2, "active": True, "at": "2026-11-23T00:00:00Z"}),)


# -- ledger -----------------------------------------------------------------------------------

Colour = Literal["blue", "yellow", "orange", "red"]


class MerchantGradeChanged(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.merchant.grade_changed.v1"
    topic: ClassVar[str] = Topics.merchants
    key_field: ClassVar[str] = "merchant_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = "A merchant's 一卡四色 colour moved after a case."

    merchant_id: str
    previous: Colour
    current: Colour
    case_id: str
    category_code: str
    changed_at: datetime


class _MerchantState(IntegrationEvent):
    """What other services know of a merchant: enough to name it on a case and place it in a
    grid, never its operator's name or contact details."""
    topic: ClassVar[str] = Topics.merchants
    key_field: ClassVar[str] = "merchant_id"
    producer: ClassVar[str] = "ledger"

    merchant_id: str
    name: str = Field(description="店名")
    sign: FreeText | None = Field(None, description="门头: the words on the storefront sign")
    address: FreeText
    location: Location | None = None
    grid_id: str | None = Field(None, description="the grid it lies in, from the district's grids")
    squad_id: str | None = Field(None, description="the squad responsible for that grid")
    business_nature: FreeText = Field(description="catering 餐饮, retail 零售, repair 维修, market_stall 市场摊位, "
                                                  "services 生活服务, hotel 住宿, entertainment 文化娱乐, wholesale 批发, "
                                                  "other 其他")
    stall: bool = Field(False, description="a vendor without a shop (摊贩)")
    assisted: bool = Field(False, description="帮扶对象: a hardship household (its details stay in the ledger), "
                                              "so enforcement can come with help")
    colour: Colour = "blue"
    at: datetime


_MERCHANT = {"merchant_id": "7c1e3f0a-5b7d-4c1e-9a51-2f0c9d1e8a11", "name": "老王烩面馆", "sign": "老王烩面",
             "address": "汝河路 88 号", "location": {"lon": 113.6185, "lat": 34.7432}, "grid_id": "zy-ruhelu",
             "squad_id": "sq-ruhe", "business_nature": "catering", "stall": False, "assisted": False,
             "colour": "blue", "at": "2026-11-23T02:15:00Z"}


class MerchantRegistered(_MerchantState):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.merchant.registered.v1"
    summary: ClassVar[str] = "A shop or stall entered the merchant register (商户台账)."
    examples: ClassVar = (("noodle_shop", "a noodle shop from the 摸底 survey, placed in 汝河路网格", _MERCHANT),)


class MerchantChanged(_MerchantState):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.merchant.changed.v1"
    summary: ClassVar[str] = ("A merchant's record changed (name, place, grid, business) or it left the register "
                              "(closed): the merchant's whole public state after the change.")

    closed: bool = Field(False, description="no longer trading (注销)")

    examples: ClassVar = (("yellow", "its card turned yellow after a violation", {**_MERCHANT, "colour": "yellow",
                                                                                   "at": "2026-12-02T07:40:00Z"}),)


class MerchantColourRecovered(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.merchant.colour_recovered.v1"
    topic: ClassVar[str] = Topics.merchants
    key_field: ClassVar[str] = "merchant_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("一卡四色: a merchant's colour stepped down after months with no new violation "
                              "(recovery), or went back to blue at the new year (yearly_reset), as the bureau chose.")

    merchant_id: str
    previous: Colour
    current: Colour
    reason: Literal["recovery", "yearly_reset"]
    clean_since: datetime = Field(description="the last violation or change of colour the months are counted from")
    at: datetime

    examples: ClassVar = (("six_months", "six months without a violation: orange to yellow", {
        "merchant_id": _MERCHANT["merchant_id"], "previous": "orange", "current": "yellow", "reason": "recovery",
        "clean_since": "2026-05-20T03:00:00Z", "at": "2026-11-20T03:00:05Z"}),)


class MerchantCardIssued(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.merchant.card_issued.v1"
    topic: ClassVar[str] = Topics.merchants
    key_field: ClassVar[str] = "merchant_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("告知卡: a card was issued to the merchant (on registration and on every change of "
                              "colour); its code is what the card's QR code opens, the public page /m/{card_code}.")

    merchant_id: str
    card_code: str
    colour: Colour
    superseded_code: str | None = Field(None, description="the card it replaces")
    issued_at: datetime

    examples: ClassVar = (("new_colour", "a yellow card replaces the blue one", {
        "merchant_id": _MERCHANT["merchant_id"], "card_code": "K7Q2M9XW4T", "colour": "yellow",
        "superseded_code": "B3N8R2PL6D", "issued_at": "2026-12-02T07:40:00Z"}),)


class ResponsibilityLetterSigned(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.letter.signed.v1"
    topic: ClassVar[str] = Topics.merchants
    key_field: ClassVar[str] = "merchant_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = "门前三包责任书: a merchant signed a front-of-shop responsibility letter (or renewed it)."

    merchant_id: str
    letter_id: str
    grid_id: str | None
    office: FreeText = Field(description="the other party: the street office or the bureau")
    signed_on: date
    valid_until: date = Field(description="the day it lapses")
    at: datetime

    examples: ClassVar = (("signed", "signed for a year", {
        "merchant_id": _MERCHANT["merchant_id"], "letter_id": "0d5b8c3e-1f0a-4e7b-8f1d-3a6c2b9e4d70",
        "grid_id": "zy-ruhelu", "office": "汝河路街道办事处", "signed_on": "2026-03-02", "valid_until": "2027-03-02",
        "at": "2026-03-02T06:00:00Z"}),)


class DesignatedPointDecided(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.point.decided.v1"
    topic: ClassVar[str] = Topics.points
    key_field: ClassVar[str] = "point_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("便民疏导点: an application for a designated point was approved after the joint survey, "
                              "or refused with the reason, or an approved point was withdrawn.")

    point_id: str
    number: str
    kind: Literal["breakfast", "shoe_repair", "loading", "night_market", "farmers"]
    name: str
    grid_id: str | None
    location: Location = Field(description="the centre of its place")
    stalls: int
    hours: FreeText
    status: Literal["approved", "refused", "withdrawn"]
    reason: FreeText | None = None
    at: datetime

    examples: ClassVar = (("breakfast", "a breakfast point approved", {
        "point_id": "3f9a2c1e-7b6d-4e5f-8a9b-0c1d2e3f4a5b", "number": "ZY-ZC-001", "kind": "breakfast",
        "name": "汝河路早餐点", "grid_id": "zy-ruhelu", "location": {"lon": 113.6201, "lat": 34.7418}, "stalls": 6,
        "hours": "06:00-09:30", "status": "approved", "reason": None, "at": "2026-04-01T02:00:00Z"}),)


DogStatus = Literal["active", "suspended", "lost", "dead", "cancelled"]
_LICENCE = {"licence_id": "5b0e6c1a-2d3f-4e8b-9c7a-1f2e3d4c5b6a", "number": "D410102-2026-000345"}


class DogLicenceIssued(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.dog_licence.issued.v1"
    topic: ClassVar[str] = Topics.dogs
    key_field: ClassVar[str] = "licence_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("养犬登记: a dog licence (犬证) was issued: at the counter, online (no trip needed, the "
                              "tag posted), or to the adopter of a sheltered dog. No owner's details.")

    licence_id: str
    number: str
    via: Literal["counter", "online", "adoption"]
    grid_id: str | None = None
    squad_id: str | None = Field(None, description="the squad of the household's grid")
    zone_id: str | None = Field(None, description="the key management zone (重点管理区) of the household")
    breed: FreeText
    size: Literal["small", "medium", "large"]
    issued_on: date
    inspection_due_on: date
    at: datetime

    examples: ClassVar = (("online", "registered online, the tag posted", {
        **_LICENCE, "via": "online", "grid_id": "zy-ruhelu", "zone_id": None, "breed": "柯基犬", "size": "small",
        "issued_on": "2026-11-23", "inspection_due_on": "2027-11-23", "at": "2026-11-23T02:30:00Z"}),)


class DogLicenceChanged(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.dog_licence.changed.v1"
    topic: ClassVar[str] = Topics.dogs
    key_field: ClassVar[str] = "licence_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("A licence's status changed: suspended (inspection overdue, three violations in twelve "
                              "months), reinstated, lost, found, dead, cancelled, or passed to a new owner.")

    licence_id: str
    number: str
    status: DogStatus
    action: Literal["suspended", "reinstated", "lost", "found", "died", "cancelled", "transferred"]
    reason: FreeText | None = None
    at: datetime

    examples: ClassVar = (("suspended", "three walking violations within twelve months", {
        **_LICENCE, "status": "suspended", "action": "suspended", "reason": "violations", "at": "2026-12-01T08:00:00Z"}),)


class DogLicencePlaced(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.dog_licence.placed.v1"
    topic: ClassVar[str] = Topics.dogs
    key_field: ClassVar[str] = "licence_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("The grid that holds a licence's household changed: the owner moved (a transfer), the "
                              "grids were drawn again, or they became known after the licence was issued. A case "
                              "may name only a licence of its own grid or squad's area.")

    licence_id: str
    number: str
    grid_id: str | None
    squad_id: str | None
    at: datetime

    examples: ClassVar = (("placed", "a licence issued before the grids were known, placed in its grid", {
        **_LICENCE, "grid_id": "zy-ruhelu", "squad_id": "sq-ruhe", "at": "2026-11-23T02:31:00Z"}),)


class DogInspected(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.dog_licence.inspected.v1"
    topic: ClassVar[str] = Topics.dogs
    key_field: ClassVar[str] = "licence_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = "年检: the licence's annual inspection (the immunisation checked), renewing it."

    licence_id: str
    number: str
    due_on: date
    next_due_on: date
    reinstated: bool = Field(False, description="it had been suspended for an overdue inspection")
    at: datetime

    examples: ClassVar = (("on_time", "inspected a week before its date", {
        **_LICENCE, "due_on": "2027-11-23", "next_due_on": "2028-11-23", "reinstated": False,
        "at": "2027-11-16T03:00:00Z"}),)


class DogInspectionDue(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.dog_licence.inspection_due.v1"
    topic: ClassVar[str] = Topics.dogs
    key_field: ClassVar[str] = "licence_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("A reminder to the owner, for an SMS gateway to send: the annual inspection is due "
                              "within the notice days. Once per due date. The gateway reads the owner's phone "
                              "with GET /v1/dog-licences/{id}/contact (its own role); the event carries none.")

    licence_id: str
    number: str
    due_on: date
    at: datetime

    examples: ClassVar = (("due", "due in 30 days", {**_LICENCE, "due_on": "2027-11-23",
                                                       "at": "2027-10-24T01:00:00Z"}),)


class DogViolationRecorded(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.dog_licence.violation_recorded.v1"
    topic: ClassVar[str] = Topics.dogs
    key_field: ClassVar[str] = "licence_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("违规遛犬 and the like against a licence: by an officer, from a closed 犬只扰民 case, or "
                              "a licensed dog captured as a stray; with the count in the last twelve months.")

    licence_id: str
    number: str
    kind: Literal["no_lead", "outside_hours", "no_dog_place", "nuisance", "stray"]
    source: Literal["officer", "case", "capture"]
    case_id: str | None = None
    grid_id: str | None = None
    in_twelve_months: int
    at: datetime

    examples: ClassVar = (("no_lead", "an officer saw the dog without a lead", {
        **_LICENCE, "kind": "no_lead", "source": "officer", "case_id": None, "grid_id": "zy-ruhelu",
        "in_twelve_months": 1, "at": "2026-12-01T12:10:00Z"}),)


class StrayCaptured(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.stray.captured.v1"
    topic: ClassVar[str] = Topics.dogs
    key_field: ClassVar[str] = "stray_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("抓捕流浪犬: a dog was captured and taken to the shelter; when its chip or tag finds "
                              "a licence, the owner is to be told (licence_id; an SMS gateway reads the contact) and "
                              "may claim it until claim_until.")

    stray_id: str
    number: str
    location: Location
    grid_id: str | None = None
    licence_id: str | None = Field(None, description="the licence its chip or tag found")
    claim_until: date
    quarantine_until: date
    at: datetime

    examples: ClassVar = (("chipped", "a chipped dog, its owner to be told", {
        "stray_id": "9d1f0e2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f", "number": "S410102-2026-000192",
        "location": {"lon": 113.6188, "lat": 34.7466}, "grid_id": "zy-ruhelu", "licence_id": _LICENCE["licence_id"],
        "claim_until": "2026-12-08", "quarantine_until": "2026-12-15", "at": "2026-12-01T01:20:00Z"}),)


class StrayLeft(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.stray.left.v1"
    topic: ClassVar[str] = Topics.dogs
    key_field: ClassVar[str] = "stray_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("A dog left the shelter: claimed by its owner (the costs paid), adopted (with the "
                              "adopter's new licence), or died.")

    stray_id: str
    number: str
    outcome: Literal["claimed", "adopted", "dead"]
    licence_id: str | None = Field(None, description="the owner's licence (claimed) or the adopter's new one")
    costs_fen: int = 0
    at: datetime

    examples: ClassVar = (("adopted", "adopted, with a new licence", {
        "stray_id": "9d1f0e2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f", "number": "S410102-2026-000192", "outcome": "adopted",
        "licence_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "costs_fen": 0, "at": "2026-12-20T06:00:00Z"}),)


class LedgerFigures(BaseModel):
    """One area's figures (the district, or one grid): what the registers hold today."""
    merchants: int = Field(description="in the register, not closed")
    by_colour: dict[str, int] = Field(description="一卡四色: blue, yellow, orange, red")
    catering_places: int = Field(description="餐饮 merchants")
    purifiers_installed: int
    purifiers_below_required: int = Field(description="rated below what GB 18483 requires of the place's size")
    cleaning_overdue: int
    letters_valid: int = Field(description="merchants with a 门前三包 letter in force")
    letters_due_for_renewal: int
    letters_expired: int
    sign_records: int
    sign_problems: int
    sign_problems_fixed: int
    points_approved: dict[str, int] = Field(description="便民疏导点 by kind")
    stalls: int
    stalls_held: int
    assisted: int = Field(description="帮扶对象")
    flyer_numbers: dict[str, int] = Field(description="小广告号码: tracked, stopped, fined")
    flyer_fines_fen: int
    dogs_licensed: int = Field(0, description="licences in force (active, suspended, lost)")
    dogs_suspended: int = 0
    dog_inspections_overdue: int = 0
    shelter_in_use: int = Field(0, description="dogs at the shelter now")
    shelter_capacity: int = 0


class LedgerFiguresReported(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.ledger.figures.reported.v1"
    topic: ClassVar[str] = Topics.ledger_figures
    key_field: ClassVar[str] = "area_id"
    producer: ClassVar[str] = "ledger"
    summary: ClassVar[str] = ("The registers' figures for the bureau's indicators (coverage of letters, purifiers "
                              "installed, cleaning overdue, colours, points): the district's and each grid's, as of "
                              "now, told whenever they change (at most once a tick).")

    area_id: str = Field(description="district, or a grid id")
    as_of: datetime
    figures: LedgerFigures

    examples: ClassVar = (("district", "the district today", {
        "area_id": "district", "as_of": "2026-11-30T16:00:00Z", "figures": {
            "merchants": 20310, "by_colour": {"blue": 19544, "yellow": 612, "orange": 131, "red": 23},
            "catering_places": 1031, "purifiers_installed": 988, "purifiers_below_required": 12,
            "cleaning_overdue": 57, "letters_valid": 19804, "letters_due_for_renewal": 402, "letters_expired": 104,
            "sign_records": 1033, "sign_problems": 521, "sign_problems_fixed": 507,
            "points_approved": {"breakfast": 182, "shoe_repair": 27, "loading": 190},
            "stalls": 1240, "stalls_held": 1188, "assisted": 46,
            "flyer_numbers": {"tracked": 368, "stopped": 454, "fined": 164}, "flyer_fines_fen": 6_700_000}}),)


# -- reporting ----------------------------------------------------------------------------------------

class RankedSquad(BaseModel):
    squad_id: str
    squad_name: str
    rank: int | None = Field(description="None: fewer cases than the minimum, listed but not ranked")
    score: float = Field(description="out of the weights' sum (100 by default)")
    cases: int = Field(description="应处置 cases in the month")
    movement: int | None = Field(None, description="places gained since last month (+ up, − down)")
    red_flag: bool = Field(False, description="流动红旗: the month's first")


class Weight(BaseModel):
    indicator: str = Field(description="disposal_rate, on_time_disposal_rate, rework_rate, ...")
    points: float


class SquadRankingPublished(IntegrationEvent):
    event_type: ClassVar[str] = f"{TYPE_PREFIX}.reporting.ranking.published.v1"
    topic: ClassVar[str] = Topics.rankings
    key_field: ClassVar[str] = "month"
    producer: ClassVar[str] = "reporting"
    summary: ClassVar[str] = ("中队排位赛: a month's squad ranking, published when the month closes: each squad's score "
                              "and movement since last month, and who holds the red flag (流动红旗).")

    month: date = Field(description="the month ranked: its first day (Beijing calendar)")
    weights: list[Weight] = Field(description="points per indicator (a lower-is-better rate counts as 1 − rate)")
    min_cases: int
    squads: list[RankedSquad]
    red_flag_squad_id: str | None
    district_score: float | None = Field(description="the ranked squads' mean score")
    at: datetime

    examples: ClassVar = (("november", "November's ranking", {
        "month": "2026-11-01", "weights": [{"indicator": k, "points": v} for k, v in (
            ("disposal_rate", 30), ("on_time_disposal_rate", 20), ("rework_rate", 20), ("overdue_rate", 20),
            ("extension_rate", 10))],
        "min_cases": 20, "red_flag_squad_id": "sq-ruhe", "district_score": 93.4, "at": "2026-12-01T02:00:00Z",
        "squads": [{"squad_id": "sq-ruhe", "squad_name": "汝河中队", "rank": 1, "score": 97.2, "cases": 812,
                    "movement": 2, "red_flag": True},
                   {"squad_id": "sq-zhishu", "squad_name": "直属执法大队", "rank": None, "score": 88.0, "cases": 9,
                    "movement": None, "red_flag": False}]}),)


EVENT_CLASSES: tuple[type[IntegrationEvent], ...] = (
    IncidentReported, IncidentJoined, IncidentDetached, IncidentRated, IncidentReplied,
    CaseOpened, CaseFiled, CaseDispatched, CaseFlagged, CaseClosed, CaseTransitioned,
    EnforcementStepRecorded, CasePublicNoteAdded, AssignmentAccepted, AssignmentReturned, DeadlineExtended, AssignmentEscalated,
    SupervisionOrderIssued, SupervisionOrderAnswered, PatrolCheckedIn, PatrolPostMissed,
    AssignmentCreated, CaseUnroutable, GridDefined, WorkCalendarChanged, SquadChanged, PersonChanged, StaffSignedIn, StaffSignedOut,
    CategoryDefined,
    MerchantGradeChanged, MerchantRegistered, MerchantChanged, MerchantColourRecovered, MerchantCardIssued,
    ResponsibilityLetterSigned, DesignatedPointDecided, LedgerFiguresReported,
    DogLicenceIssued, DogLicenceChanged, DogLicencePlaced, DogInspected, DogInspectionDue, DogViolationRecorded, StrayCaptured, StrayLeft,
    SquadRankingPublished,
)
EVENT_TYPES: dict[str, type[IntegrationEvent]] = {c.event_type: c for c in EVENT_CLASSES}
