"""What intake tells: a complaint received from any channel, joined to or detached from another,
replied to, rated; and the 服务目录's categories as they stand."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from common.messaging.contracts.base import CaseOwner, FreeData, FreeText, IntegrationEvent, Location, Topics
from common.vocabulary import Channel, Rating, Urgency


class IncidentReported(IntegrationEvent, type="intake.incident.reported.v1", topic=Topics.incidents, key="incident_id"):
    """A complaint was received (受理) from any channel."""

    incident_id: str
    reported_at: datetime
    channel: Channel
    category_code: str
    category_known: bool = Field(description="false: not in the service catalogue; flagged")
    urgency: Urgency = Urgency.ordinary
    location: Location
    description: FreeText
    address: FreeText | None = Field(None, description="门牌地址 as the reporter gave it, when given")
    caller_phone_masked: str | None = Field(None, description="138****5678, never the number")
    source_reference: FreeText | None = Field(None, description="reference of a 12345/110 transfer")
    flags: list[str] = Field(default_factory=list)
    time_limit_hours: float | None = Field(
        None,
        description="处置时限 of the category for this urgency, as "
        "filed: working hours (ordinary) or clock hours (urgent)",
    )
    category_version: int | None = Field(None, description="the 服务目录 version the report was filed under")
    observed_at: datetime | None = Field(None, description="when the reporter saw it (photo taken, camera capture)")
    photo_ids: list[str] = Field(default_factory=list, description="photos kept by intake: GET /v1/photos/{id}")
    source_event_id: str | None = Field(None, description="a camera's or IoT platform's own event id")
    attributes: FreeData = Field(default_factory=dict, description="the category's attributes (车牌号, 犬牌号, 时段)")
    reporter_squad_id: str | None = Field(
        None, description="巡查发现: the squad of the officer who found it; the case goes straight to it"
    )
    reporter_officer_id: str | None = Field(None, description="巡查发现: the officer who found it (staff id)")
    source_deadline: datetime | None = Field(
        None,
        description="the upstream order's own deadline (a 12345 order's 办结时限), which wins when earlier than the "
        "category's; on 信访, 领导交办 and 舆情 the 化解时限, which replaces it",
    )
    owner: CaseOwner | None = Field(None, description="包案: 信访, 领导交办 and 舆情 only")
    origin: FreeData = Field(
        default_factory=dict,
        description="where it came from, by channel: 信访 {form, number}; 领导交办 {text, given_by, given_at}; "
        "舆情 {url, outlet, published_at}",
    )

    examples: ClassVar = tuple(
        (
            channel,
            summary,
            {
                "incident_id": f"0b7f6a52-1c1e-4c4e-9a7e-0000000000{n:02d}",
                "reported_at": "2026-11-23T01:00:00Z",
                "channel": channel,
                "category_known": True,
                "urgency": "ordinary",
                "location": {"lon": 113.62, "lat": 34.75},
                "flags": [],
                **payload,
            },
        )
        for n, (channel, summary, payload) in enumerate(
            (
                (
                    "hotline_12319",
                    "12319 热线: an operator takes a call (the caller's number masked)",
                    {
                        "category_code": "street_vending",
                        "description": "建设路与汝河路交叉口占道经营",
                        "caller_phone_masked": "138****5678",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                    },
                ),
                (
                    "transfer_12345",
                    "12345 转办: a transfer keeps the city hotline's reference",
                    {
                        "category_code": "noise",
                        "description": "夜间施工噪音扰民",
                        "source_reference": "ZZ12345-20261123-0417",
                        "source_deadline": "2026-11-25T10:00:00Z",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                        "attributes": {"period": "night"},
                    },
                ),
                (
                    "transfer_110",
                    "110 转办: the police's reference kept",
                    {
                        "category_code": "dog_nuisance",
                        "description": "小区内犬只伤人未拴绳",
                        "source_reference": "110-4101-88231",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                    },
                ),
                (
                    "field_monitor",
                    "监督员上报: GPS point, photos and the time they were taken",
                    {
                        "category_code": "roadside_waste",
                        "description": "沿街堆放建筑垃圾",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                        "observed_at": "2026-11-23T00:30:00Z",
                        "photo_ids": ["5d1c0c3e-7c55-4a8e-b1c2-6f0f4c1d2e01"],
                    },
                ),
                (
                    "patrol",
                    "巡查发现: an officer's find on patrol, given to the finder's own squad",
                    {
                        "category_code": "street_vending",
                        "description": "天河路巡查发现占道经营",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                        "observed_at": "2026-11-23T00:45:00Z",
                        "photo_ids": ["5d1c0c3e-7c55-4a8e-b1c2-6f0f4c1d2e02"],
                        "reporter_squad_id": "sq-ruhe",
                        "reporter_officer_id": "sq-ruhe-o1",
                    },
                ),
                (
                    "web",
                    "市民网上反映: the public report page, with the citizen's photos",
                    {
                        "category_code": "street_vending",
                        "description": "路口水果摊占道",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                        "photo_ids": ["5d1c0c3e-7c55-4a8e-b1c2-6f0f4c1d2e02"],
                    },
                ),
                (
                    "open311",
                    "Open311 GeoReport v2: a city app's service request",
                    {
                        "category_code": "illegal_parking",
                        "description": "人行道上长期停车",
                        "time_limit_hours": 8.0,
                        "category_version": 1,
                        "attributes": {"plate": "豫A12345", "vehicle": "car"},
                    },
                ),
                (
                    "camera",
                    "非现场执法: a sidewalk-parking capture, idempotent on the camera platform's event id",
                    {
                        "category_code": "illegal_parking",
                        "description": "违停抓拍 豫A8K2L1",
                        "time_limit_hours": 8.0,
                        "category_version": 1,
                        "observed_at": "2026-11-23T00:58:00Z",
                        "source_event_id": "hik-20261123-000417",
                        "attributes": {"plate": "豫A8K2L1"},
                        "photo_ids": ["5d1c0c3e-7c55-4a8e-b1c2-6f0f4c1d2e03"],
                    },
                ),
                (
                    "iot",
                    "智能犬牌: a smart dog-tag alarm",
                    {
                        "category_code": "dog_nuisance",
                        "description": "犬只进入禁入区域",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                        "observed_at": "2026-11-23T01:05:00Z",
                        "source_event_id": "tag-88120-17",
                        "attributes": {"tag": "ZY-2026-00831"},
                    },
                ),
                (
                    "letters_visits",
                    "信访: a letter, with the leader who owns it and its 化解时限",
                    {
                        "category_code": "noise",
                        "description": "来信反映夜间施工噪音长期扰民",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                        "source_deadline": "2026-12-20T10:00:00Z",
                        "owner": {
                            "leader_id": "lead-02",
                            "leader_name": "王副局长",
                            "unit": "二大队",
                            "person": "李队长",
                        },
                        "origin": {"form": "letter", "number": "XF-2026-0311"},
                    },
                ),
                (
                    "leadership",
                    "领导交办: a leader's written instruction",
                    {
                        "category_code": "roadside_waste",
                        "description": "区长批示: 汝河路沿线垃圾清理",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                        "source_deadline": "2026-11-27T10:00:00Z",
                        "owner": {"leader_id": "lead-01", "leader_name": "张局长"},
                        "origin": {
                            "text": "请城管局三日内清理完毕",
                            "given_by": "区长",
                            "given_at": "2026-11-23",
                        },
                    },
                ),
                (
                    "media",
                    "舆情: a post the bureau must answer",
                    {
                        "category_code": "street_vending",
                        "description": "网帖反映建设路夜市占道",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                        "owner": {"leader_id": "lead-02", "leader_name": "王副局长"},
                        "origin": {"url": "https://bbs.example.cn/t/88231", "outlet": "本地论坛"},
                    },
                ),
                (
                    "api",
                    "外部系统: another platform through the v1 API",
                    {
                        "category_code": "dust",
                        "description": "工地扬尘",
                        "time_limit_hours": 24.0,
                        "category_version": 1,
                    },
                ),
            )
        )
    )


class IncidentReplied(IntegrationEvent, type="intake.incident.replied.v1", topic=Topics.incidents, key="incident_id"):
    """The reporter was told the result (反馈, 回访): shown on the tracking page of a web or Open311 report when its
    case closed, or a hotline caller called back."""

    incident_id: str
    case_id: str | None = None
    channel: Channel
    how: Literal["tracking", "callback", "sms", "upstream"] = Field(
        description="tracking page, telephone, text message, or the upstream system's own 回访 (12345)"
    )
    at: datetime

    examples: ClassVar = (
        (
            "callback",
            "the 12319 operator called the caller back",
            {
                "incident_id": "0b7f6a52-1c1e-4c4e-9a7e-000000000001",
                "case_id": "4f1b7a9e-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
                "channel": "hotline_12319",
                "how": "callback",
                "at": "2026-11-24T07:30:00Z",
            },
        ),
    )


class IncidentJoined(
    IntegrationEvent, type="intake.incident.joined.v1", topic=Topics.incidents, key="joined_incident_id"
):
    """A new report repeats an open incident (重复件: the same category, within the category's radius and time window)
    and joined it instead of opening a case."""

    incident_id: str = Field(description="the new report")
    joined_incident_id: str = Field(description="the open incident it joined, whose case goes on")
    reported_at: datetime
    channel: Channel
    category_code: str
    distance_m: float = Field(description="how far the new report is from the open one")
    reporters: int = Field(description="reports of this problem so far, the first one included")
    photo_ids: list[str] = Field(default_factory=list)


class IncidentDetached(
    IntegrationEvent, type="intake.incident.detached.v1", topic=Topics.incidents, key="joined_incident_id"
):
    """A dispatcher split a wrong merge: the report leaves the incident it had joined and is reported again on its own
    (an IncidentReported follows)."""

    incident_id: str
    joined_incident_id: str
    detached_by: str
    detached_at: datetime
    reason: FreeText


class IncidentRated(IntegrationEvent, type="intake.incident.rated.v1", topic=Topics.incidents, key="incident_id"):
    """The reporter rated the result after closure (满意 / 基本满意 / 不满意); cases records it as 评价 and, by the
    bureau's rule, reopens the case on 不满意."""

    incident_id: str = Field(description="the report that was rated (a joined report rates the case it joined)")
    opening_report: bool = Field(
        True,
        description="the report that opened the case: only its rating evaluates "
        "the case, counts in 满意率 and may reopen it; a joined report's rating is kept in "
        "the trail and counted apart",
    )
    case_id: str
    case_number: str | None = None
    category_code: str
    squad_id: str | None = None
    rating: Rating
    comment: FreeText | None = None
    rated_at: datetime


class CaptureReviewed(IntegrationEvent, type="intake.capture.reviewed.v1", topic=Topics.incidents, key="incident_id"):
    """审核: a person reviewed a capture camera's record (行政处罚法 art. 41: true, clear, complete and
    accurate, from a device that meets the article); only an accepted record may serve as evidence of
    a violation, and the party is then told and may look it up and answer online."""

    incident_id: str
    case_id: str
    accepted: bool
    reason: FreeText | None = Field(None, description="why it was rejected, or a note on acceptance")
    reviewed_by: str = Field(description="the staff member who reviewed it")
    at: datetime


class CaptureAnswered(IntegrationEvent, type="intake.capture.answered.v1", topic=Topics.incidents, key="incident_id"):
    """陈述申辩: the party answered a reviewed capture record online (phone numbers and identity numbers
    masked); the case must weigh it before a decision."""

    incident_id: str
    case_id: str
    statement: FreeText
    at: datetime


class CategoryDefined(IntegrationEvent, type="intake.category.defined.v1", topic=Topics.catalogue, key="code"):
    """A category of the 服务目录 as it now stands (each version): what other services show for a code (占道经营 for
    street_vending), without reading intake's tables."""

    code: str
    name: str
    version: int
    kind: Literal["event", "component"]
    time_limit_hours: float
    urgent_time_limit_hours: float
    active: bool = True
    at: datetime

    examples: ClassVar = (
        (
            "street_vending",
            "占道经营, version 1",
            {
                "code": "street_vending",
                "name": "占道经营",
                "version": 1,
                "kind": "event",
                "time_limit_hours": 24,
                "urgent_time_limit_hours": 2,
                "active": True,
                "at": "2026-11-23T00:00:00Z",
            },
        ),
    )


class WorkOrderReturned(
    IntegrationEvent, type="intake.work_order.returned.v1", topic=Topics.incidents, key="incident_id"
):
    """The upstream hotline centre approved the bureau's 申请退回: the order goes elsewhere, and its case is
    cancelled (cases)."""

    incident_id: str
    case_id: str | None = None
    system: FreeText = Field(description="the upstream system: 12345, 110, ...")
    source_reference: FreeText
    reason: FreeText = Field(description="the bureau's 理由 and the centre's note")
    at: datetime


class WorkOrderExtended(
    IntegrationEvent, type="intake.work_order.extended.v1", topic=Topics.incidents, key="incident_id"
):
    """The upstream hotline centre granted the bureau's 申请延期: the order's deadline moves, and with it the
    assignment's where the order's deadline is the one that runs (dispatch)."""

    incident_id: str
    case_id: str | None = None
    system: FreeText
    source_reference: FreeText
    until: datetime = Field(description="the date granted")
    at: datetime


class WorkOrderChanged(
    IntegrationEvent, type="intake.work_order.changed.v1", topic=Topics.incidents, key="incident_id"
):
    """An upstream work order (12345, 110, the city platform) as it now stands, at each change: what the hotline
    centres assess a department on (及时签收率, 按时办结率, 回退率, 重办率, 满意率)."""

    incident_id: str
    system: FreeText
    kind: Literal["phone", "online"]
    origin: Literal["110"] | None = Field(None, description="110: a 非警务 order the police handed to 12345")
    state: Literal[
        "awaiting_sign", "signed", "in_progress", "return_requested", "returned", "replied", "archived", "redo"
    ] = Field(description="待签收, 已签收, 办理中, 退回申请中, 已退回, 已答复, 已归档, 重办")
    case_id: str | None = None
    squad_id: str | None = None
    received_at: datetime
    sign_due_at: datetime
    signed_at: datetime | None = None
    finish_due_at: datetime
    replied_at: datetime | None = None
    result: Literal["resolved", "partly_resolved", "unresolved", "declined"] | None = Field(
        None, description="办理结果: 解决, 部分解决, 未解决, 不办理退单"
    )
    returned: bool = Field(False, description="a 申请退回 was made")
    redo_count: int = Field(0, description="重办 rounds")
    satisfaction: Rating | None = Field(None, description="回访, on our scale")
    enforcement: bool = Field(
        False, description="执法办案: the case went into the penalty track; 满意率 is not its only measure"
    )
    at: datetime
