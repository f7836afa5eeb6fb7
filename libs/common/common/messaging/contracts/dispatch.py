"""What dispatch tells: assignments and their deadlines, escalations and supervision orders, patrol
posts, the district's grids, the working calendar and the directory of squads and people."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import ClassVar, Literal

from pydantic import Field

from common.messaging.contracts.base import FreeText, IntegrationEvent, Location, Topics
from common.vocabulary import Urgency


class AssignmentCreated(
    IntegrationEvent, type="dispatch.assignment.created.v1", topic=Topics.assignments, key="case_id"
):
    """A squad was chosen for a case by its grid (网格) and category."""

    assignment_id: str
    case_id: str
    squad_id: str
    squad_name: str
    grid_id: str
    grid_version: int | None = Field(None, description="the version of the grid the case was routed by")
    category_code: str
    assigned_at: datetime
    deadline_at: datetime | None = None
    warn_at: datetime | None = Field(None, description="when the officer is warned (a share of the time limit)")
    officer_id: str | None = Field(None, description="the officer suggested by workload and duty")
    urgency: Urgency = Urgency.ordinary
    how: Literal["rule", "manual", "reassign", "reroute", "patrol"] = Field(
        "rule",
        description="routed by a rule, dispatched by hand from the queue, reassigned, routed again, or "
        "given to the squad whose officer found it on patrol (巡查发现)",
    )
    rule: str | None = Field(None, description="the routing rule that matched")
    previous_assignment_id: str | None = None
    actor: str = "system:dispatch"


class AssignmentAccepted(
    IntegrationEvent, type="dispatch.assignment.accepted.v1", topic=Topics.assignments, key="case_id"
):
    """The squad accepted (签收) the assignment."""

    assignment_id: str
    case_id: str
    squad_id: str
    officer_id: str | None
    accepted_at: datetime
    actor: str


class AssignmentGiven(IntegrationEvent, type="dispatch.assignment.given.v1", topic=Topics.assignments, key="case_id"):
    """The squad leader gave the assignment to one of the squad's officers (分派到人)."""

    assignment_id: str
    case_id: str
    squad_id: str
    officer_id: str
    previous_officer_id: str | None = None
    given_at: datetime
    actor: str


class ExtensionRequested(
    IntegrationEvent, type="dispatch.extension.requested.v1", topic=Topics.assignments, key="case_id"
):
    """The squad asked for more time (申请延期), with its reason; the command centre grants it
    (DeadlineExtended) or declines it (ExtensionDeclined)."""

    assignment_id: str
    case_id: str
    squad_id: str
    hours: float = Field(description="working hours asked for (clock hours for an urgent case)")
    reason: FreeText
    requested_at: datetime
    actor: str


class ExtensionDeclined(
    IntegrationEvent, type="dispatch.extension.declined.v1", topic=Topics.assignments, key="case_id"
):
    """The command centre declined the squad's request for more time; the deadline stands."""

    assignment_id: str
    case_id: str
    squad_id: str
    reason: FreeText
    declined_at: datetime
    actor: str


class OfficerAlerted(IntegrationEvent, type="dispatch.alert.raised.v1", topic=Topics.alerts, key="case_id"):
    """A task that cannot wait for someone to open the app: an urgent case given to a squad, a case
    overdue, or a 信访, 领导交办 or 舆情 case nearing its 化解时限 (owner_warning, to its 包案领导).
    Sent on as a message by the bureau's SMS platform or 政务钉钉 (dispatch's notifier
    adapter); no phone number here: the platform finds the person by their staff id."""

    alert_id: str
    kind: Literal["urgent", "overdue", "owner_warning"]
    case_id: str
    case_number: str
    squad_id: str
    person_id: str | None = Field(None, description="who is told: the officer, or the one the chain names")
    notify_role: str = Field(description="squad_officer, squad_leader, brigade_leader, bureau_leader")
    category_code: str
    deadline_at: datetime | None = None
    text: FreeText = Field(description="the message, in Chinese, as it is sent")
    raised_at: datetime


class AssignmentReturned(
    IntegrationEvent, type="dispatch.assignment.returned.v1", topic=Topics.assignments, key="case_id"
):
    """The squad returned (退回) the assignment to the command centre, with a reason."""

    assignment_id: str
    case_id: str
    squad_id: str
    category_code: str
    reason: Literal["wrong_jurisdiction", "not_ours", "wrong_category", "other"]
    note: FreeText | None = None
    returned_at: datetime
    actor: str


class DeadlineExtended(IntegrationEvent, type="dispatch.deadline.extended.v1", topic=Topics.assignments, key="case_id"):
    """A dispatcher extended the assignment's deadline (延期), with a reason."""

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


class AssignmentEscalated(
    IntegrationEvent, type="dispatch.assignment.escalated.v1", topic=Topics.assignments, key="case_id"
):
    """逐级负责制: the officer is warned near the deadline (level 0); once overdue the case climbs to the squad leader,
    the brigade, the bureau leader."""

    assignment_id: str
    case_id: str
    squad_id: str
    category_code: str
    level: int
    notify_role: str = Field(
        description="officer, squad_leader, brigade_leader, bureau_leader, ...; owner_leader: the 包案领导 of a "
        "信访, 领导交办 or 舆情 case, told at warning time and when overdue instead of the chain"
    )
    notify_person_id: str | None = Field(None, description="who is told, from the directory (逐级负责制)")
    notify_person_name: str | None = None
    kind: Literal[
        "warning",
        "overdue",
        "supervision_overdue",
        "owner_warning",
        "decision_warning",
        "decision_overdue",
        "filing_overdue",
    ] = Field(
        description="warning, overdue: the handling deadline; supervision_overdue: a 督办 not answered; owner_warning: "
        "the 包案领导 told; decision_warning, decision_overdue: the 90 days from 立案 to a penalty decision "
        "(行政处罚法 art. 60); filing_overdue: an on-the-spot decision not filed within 3 days"
    )
    deadline_at: datetime = Field(description="the deadline warned of or missed")
    at: datetime


class SupervisionOrderIssued(
    IntegrationEvent, type="dispatch.supervision.issued.v1", topic=Topics.assignments, key="case_id"
):
    """A supervisor issued a supervision order (督办) with its own deadline, to the squad that has the case or to the
    办事处 of its grid."""

    order_id: str
    case_id: str
    squad_id: str
    office_id: str | None = Field(None, description="the office it was sent to, which answers it (else the squad)")
    instruction: FreeText
    due_at: datetime
    issued_at: datetime
    actor: str


class SupervisionOrderAnswered(
    IntegrationEvent, type="dispatch.supervision.answered.v1", topic=Topics.assignments, key="case_id"
):
    """The squad answered a supervision order (督办回复)."""

    order_id: str
    case_id: str
    squad_id: str
    on_time: bool
    answered_at: datetime
    actor: str


class RectificationNoticeIssued(
    IntegrationEvent, type="dispatch.rectification.issued.v1", topic=Topics.assignments, key="unit_id"
):
    """责改通知书: the bureau told an office (办事处) or a squad in writing to put something right by a deadline."""

    notice_id: str
    number: str = Field(description="文号")
    unit_kind: Literal["office", "squad"]
    unit_id: str
    unit_name: str
    subject: FreeText
    case_ids: list[str] = Field(default_factory=list)
    due_at: datetime
    issued_by: str
    issued_at: datetime


class RectificationNoticeAnswered(
    IntegrationEvent, type="dispatch.rectification.answered.v1", topic=Topics.assignments, key="unit_id"
):
    """The office or squad answered a 责改通知书 in writing: on time or late (the assessment counts both)."""

    notice_id: str
    number: str
    unit_kind: Literal["office", "squad"]
    unit_id: str
    on_time: bool
    answered_at: datetime
    actor: str


class PatrolCheckedIn(IntegrationEvent, type="dispatch.patrol.checked-in.v1", topic=Topics.assignments, key="post_id"):
    """An officer checked in at a strict-zone patrol post (严管区定岗到岗), on time or late."""

    shift_id: str
    post_id: str
    post_name: str
    squad_id: str
    officer_id: str
    starts_at: datetime
    checked_in_at: datetime
    distance_m: float = Field(description="from the post, as reported by the officer's device")
    late: bool


class PatrolPostMissed(IntegrationEvent, type="dispatch.patrol.missed.v1", topic=Topics.assignments, key="post_id"):
    """A rostered officer had not checked in at a strict-zone post when the grace period ended (空岗): an alert to the
    squad leader."""

    shift_id: str
    post_id: str
    post_name: str
    squad_id: str
    officer_id: str
    starts_at: datetime
    notify_role: str = "squad_leader"
    at: datetime


class CaseUnroutable(IntegrationEvent, type="dispatch.case.unroutable.v1", topic=Topics.assignments, key="case_id"):
    """No squad could be chosen (outside every grid): the command centre decides."""

    case_id: str
    reason: FreeText
    location: Location
    detected_at: datetime


class GridDefined(IntegrationEvent, type="dispatch.grid.defined.v1", topic=Topics.grids, key="grid_id"):
    """A grid (网格) of the district, its area and the squad responsible for it: published when dispatch first holds it
    and whenever a version of it comes into force (a bureau redraws grids: PUT /v1/grids/{id}), so that other services
    place things in grids again from it without reading dispatch's tables. A version older than one held changes
    nothing."""

    grid_id: str
    name: str
    squad_id: str
    squad_name: str
    geometry: dict = Field(description="GeoJSON Polygon or MultiPolygon, WGS84")
    version: int = Field(1, description="the grid's version in force from now; cases routed by it name it")
    office_name: str | None = Field(None, description="the 办事处 (sub-district office) the grid belongs to")
    office_id: str | None = Field(None, description="that office, a unit of the directory (its staff see its grids)")
    keeper_name: str | None = Field(None, description="the grid's 责任人")
    defined_at: datetime

    examples: ClassVar = (
        (
            "ruhe",
            "汝河路网格 and its squad",
            {
                "grid_id": "zy-ruhelu",
                "name": "汝河路网格",
                "squad_id": "sq-ruhe",
                "squad_name": "汝河中队",
                "version": 2,
                "office_name": "汝河路街道办事处",
                "office_id": "of-ruhelu",
                "keeper_name": "张伟",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[113.60, 34.74], [113.64, 34.74], [113.64, 34.76], [113.60, 34.76], [113.60, 34.74]]
                    ],
                },
                "defined_at": "2026-11-23T00:00:00Z",
            },
        ),
    )


class WorkCalendarChanged(
    IntegrationEvent, type="dispatch.calendar.changed.v1", topic=Topics.calendar, key="calendar_id"
):
    """The bureau's working calendar, whole, whenever it changes: the holidays and the weekend days worked (调休), and
    the office hours. Deadlines in working hours are counted on it; reporting counts handling time in working hours
    on it."""

    calendar_id: str = "bureau"
    holidays: list[date]
    workdays: list[date] = Field(description="weekend days worked in exchange (调休上班)")
    office_hours: list[tuple[time, time]] = Field(description="the periods of a working day, Beijing time")
    at: datetime

    examples: ClassVar = (
        (
            "2026",
            "the 2026 calendar (excerpt)",
            {
                "calendar_id": "bureau",
                "holidays": ["2026-10-01", "2026-10-02"],
                "workdays": ["2026-09-27"],
                "office_hours": [["08:30", "12:00"], ["14:00", "17:30"]],
                "at": "2026-11-23T00:00:00Z",
            },
        ),
    )


class SquadChanged(IntegrationEvent, type="dispatch.squad.changed.v1", topic=Topics.directory, key="squad_id"):
    """The directory of the organisation: a squad (中队), its brigade (大队) and its leader, as the admin keeps them;
    published when first known and on every change."""

    squad_id: str
    name: str
    brigade_id: str | None = None
    brigade_name: str | None = None
    leader_id: str | None = Field(None, description="the 中队长")
    leader_name: str | None = None
    at: datetime

    examples: ClassVar = (
        (
            "ruhe",
            "汝河中队 in the second brigade",
            {
                "squad_id": "sq-ruhe",
                "name": "汝河中队",
                "brigade_id": "bd-2",
                "brigade_name": "第二执法大队",
                "leader_id": "sq-ruhe-leader",
                "leader_name": "马超",
                "at": "2026-11-23T00:00:00Z",
            },
        ),
    )


class PersonChanged(IntegrationEvent, type="dispatch.person.changed.v1", topic=Topics.directory, key="person_id"):
    """The directory of the organisation: a person (their position, squad or unit, role and whether on duty), as the
    admin keeps it or as they first signed in."""

    person_id: str = Field(description="as the identity provider names them (the subject of their tokens)")
    name: str
    position: str = Field(description="局长, 大队长, 中队长, 副中队长, 队员, 派遣员, ...")
    role: str = Field(description="their role on the platform")
    squad_id: str | None = None
    unit_id: str | None = Field(None, description="a brigade, the bureau or the command centre, when not in a squad")
    on_duty: bool = True
    certificate_number: str | None = Field(None, description="执法证号: an officer's enforcement certificate")
    certificate_valid_until: date | None = Field(None, description="执法证有效期至: named in no step after this day")
    legal_qualified: bool = Field(False, description="holds the 法律职业资格 (may do a 法制审核)")
    at: datetime
