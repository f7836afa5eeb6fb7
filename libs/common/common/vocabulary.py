"""The words the services share, written once: how a complaint came in (channel), how urgent it is,
the states and steps of a case, how it ended, and how the citizen rated it. Plain enumerations
(no framework): the contracts carry them, the domains decide with them, the AsyncAPI document lists
their values, and reporting prints their Chinese names from here."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    hotline_12319 = "hotline_12319"  # 12319 城管热线: an operator takes a call
    transfer_12345 = "transfer_12345"  # 12345 市长热线 转办
    transfer_110 = "transfer_110"  # 110 非警务警情 转办
    field_monitor = "field_monitor"  # 监督员上报: GPS, photos
    patrol = "patrol"  # 巡查发现: a squad officer finds it on patrol; dispatched to the officer's own squad
    web = "web"  # 市民网上反映: the public report page
    open311 = "open311"  # Open311 GeoReport v2 clients
    camera = "camera"  # 视频监控 AI alarms
    iot = "iot"  # 物联感知 devices
    api = "api"  # another system through the API
    letters_visits = "letters_visits"  # 信访: a letter, a visit, or the 信访 system's case
    leadership = "leadership"  # 领导交办: a leader's written instruction (批示), 管委交办
    media = "media"  # 舆情: a post or an article the bureau must answer


CHANNEL_NAMES: dict[str, str] = {
    Channel.hotline_12319: "12319热线",
    Channel.transfer_12345: "12345转办",
    Channel.transfer_110: "110转办",
    Channel.field_monitor: "监督员上报",
    Channel.patrol: "巡查发现",
    Channel.web: "网上投诉",
    Channel.open311: "Open311",
    Channel.camera: "视频监控",
    Channel.iot: "物联感知",
    Channel.api: "系统对接",
    Channel.letters_visits: "信访",
    Channel.leadership: "领导交办",
    Channel.media: "舆情",
}

HOTLINE_CHANNELS = frozenset({Channel.hotline_12319, Channel.transfer_12345, Channel.transfer_110})
"""What a hotline operator may file under: the bureau's own line and the transfers it receives."""


OWNED_CHANNELS = frozenset({Channel.letters_visits, Channel.leadership, Channel.media})
"""包案: a case from these may name the leader who owns it (包案领导), its 责任单位 and 责任人; its
化解时限 replaces the category's limit, and its warning goes straight to that leader."""

ANSWER_NEEDED: dict[str, str] = {
    Channel.letters_visits: "petition_reply",  # 答复意见 to the petitioner
    Channel.media: "public_response",  # the bureau's public response (回应)
}
"""What must be on record before a case from the channel closes (the answer's kind)."""

ANSWER_NAMES: dict[str, str] = {"petition_reply": "信访答复意见", "public_response": "舆情回应"}


class Urgency(StrEnum):
    ordinary = "ordinary"  # 一般: a time limit in working hours
    urgent = "urgent"  # 紧急: a time limit in clock hours


URGENCY_NAMES: dict[str, str] = {Urgency.ordinary: "一般", Urgency.urgent: "紧急"}


class Rating(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


RATING_NAMES: dict[str, str] = {
    Rating.satisfied: "满意",
    Rating.basically_satisfied: "基本满意",
    Rating.dissatisfied: "不满意",
}


class CaseStatus(StrEnum):
    reported = "reported"  # 待核实: a public or hotline report waiting for on-site verification
    verified = "verified"  # 已核实: a field monitor confirmed (or could not confirm) it on site
    filed = "filed"  # 已立案
    not_filed = "not_filed"  # 不予立案
    awaiting_command_centre = "awaiting_command_centre"  # 待指挥中心处理 (no squad could be chosen, or returned)
    dispatched = "dispatched"  # 已派遣
    handled = "handled"  # 已处置, waiting for the on-site check 核查
    closed = "closed"  # 已结案
    evaluated = "evaluated"  # 已评价
    suspended = "suspended"  # 已挂起
    cancelled = "cancelled"  # 已撤销
    merged = "merged"  # 已合并 into another case
    split_ = "split"  # 已拆分 into several cases (split_: str.split is taken)


CASE_ENDED = frozenset(
    {
        CaseStatus.closed,
        CaseStatus.evaluated,
        CaseStatus.cancelled,
        CaseStatus.merged,
        CaseStatus.split_,
        CaseStatus.not_filed,
    }
)
"""A case in one of these is over: nothing more is dispatched or counted as open for it."""


class CaseAction(StrEnum):
    open = "open"
    verify = "verify"  # 核实
    file = "file"  # 立案
    reject = "reject"  # 不予立案
    flag = "flag"  # to the command centre
    dispatch = "dispatch"  # 派遣 (again, when reassigned)
    return_ = "return"  # 退回 by the squad to the command centre
    handle = "handle"  # 处置反馈
    check = "check"  # 核查 passed: 结案
    rework = "rework"  # 核查 failed: 返工
    evaluate = "evaluate"  # 评价
    reopen = "reopen"
    suspend = "suspend"
    resume = "resume"
    cancel = "cancel"
    merge = "merge"
    split_ = "split"


class CaseOutcome(StrEnum):
    """How the squad found it (处置反馈): a violation counts against the merchant's colour or the dog
    licence named on the case."""

    resolved = "resolved"  # 已处理
    violation = "violation"  # 违法属实
    no_violation = "no_violation"  # 无违法行为


class CampaignKind(StrEnum):
    special = "special"  # 专项整治: a campaign on some categories over a period (占道经营专项整治)
    joint = "joint"  # 联合行动: with partner departments (公安, 交警, 市场监管, 生态环境)
    model = "model"  # 示范创建: a model street or road, in sections and phases, each accepted (验收)


CAMPAIGN_KIND_NAMES: dict[str, str] = {
    CampaignKind.special: "专项整治",
    CampaignKind.joint: "联合行动",
    CampaignKind.model: "示范创建",
}

CAMPAIGN_COUNTS: dict[str, str] = {
    "persuaded": "劝导",
    "banned": "取缔",
    "seized": "暂扣",
    "destroyed": "销毁",
    "demolished_m2": "拆除面积(m²)",
    "filed": "立案",
}
"""What a campaign's operations achieve, in the campaign's own counts (a 劝导 recorded on the field
app during a campaign, in its area, counts as `persuaded` too)."""

CAMPAIGN_EFFORT: dict[str, str] = {
    "operations": "行动次数",
    "officer_trips": "出动人次",
    "vehicle_trips": "出动车次",
    "cases": "案件数",
    "sections_accepted": "验收通过路段",
}
"""The other counts a campaign may set a target on: its effort, its cases, its accepted sections."""

CAMPAIGN_RATES: dict[str, tuple[str, bool]] = {
    "closing_rate": ("结案率", True),
    "on_time_closing_rate": ("按期结案率", True),
    "disposal_rate": ("处置率", True),
    "on_time_disposal_rate": ("按期处置率", True),
    "satisfaction_rate": ("满意率", True),
    "feedback_rate": ("反馈率", True),
    "rework_rate": ("返工率", False),
    "overdue_rate": ("超期率", False),
}
"""The indicators (reporting.domain.indicators) a campaign may hold at a level, with their names and
whether higher is better (a rate to hold at least, or at most)."""
