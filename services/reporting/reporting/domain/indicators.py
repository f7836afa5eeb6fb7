"""The bureau's indicators (考核指标) of the national digital city-management model, each a pure
function over the counts of a period, each formula written once here. The API describes them
from `INDICATORS`, the circular prints each one's Chinese 口径 (`Indicator.printed`) as its footnotes.

Where published local rules differ (the denominators of 按期结案率 and 按期处置率: some use
应结案数 − 缓办数 / 应处置数, some 结案数 / 处置数), the choice is a setting
(`REPORTING_ON_TIME_DENOMINATOR`: `due`, the default, or `done`)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import StrEnum

# -- the counts a period has ------------------------------------------------------------------------


@dataclass
class Counts:
    """What the read model counts for a period and one group (a squad, a grid, ...). Each field's
    definition is the reporting adapter's SQL, written to these words:"""

    received: int = 0  # reports received (受理) in the period, 重复件 included
    joined: int = 0  # of those, 重复件 that joined an open incident
    filed: int = 0  # cases filed (立案) in the period
    rejected: int = 0  # 不予立案 in the period
    # The rest count cases that are due: filed, and not cancelled, merged into another or split.
    dispatched: int = 0  # cases first dispatched (派遣) in the period
    returned: int = 0  # of those, cases a squad returned (退回) at least once
    due_close: int = 0  # 应结案: cases whose deadline fell in the period, or closed in it (each once)
    closed: int = 0  # cases closed (结案) in the period
    closed_on_time: int = 0  # of those, closed by their deadline (as last extended)
    suspended: int = 0  # 缓办: of 应结案 by deadline, cases in suspension (挂起) at the period's end
    due_handle: int = 0  # 应处置: dispatched cases whose deadline fell in the period, or first handled in it
    handled: int = 0  # cases first handled (处置) in the period
    handled_on_time: int = 0  # of those, handled by their deadline (as last extended)
    extended: int = 0  # of 应处置, cases given more time (延期) at least once
    reworked: int = 0  # of 应结案, cases sent back (返工) after a failed check at least once
    overdue_open: int = 0  # 超期未处置: dispatched, deadline passed, not yet handled, at the period's end
    escalated: int = 0  # of 应处置, cases that ran overdue and climbed the chain (逐级负责制)
    rated: int = 0  # 评价: cases rated in the period (the case's own rating, one per case: its latest)
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    with_contact: int = 0  # cases closed in the period whose report left a contact (a phone, a tracking page)
    replied: int = 0  # of those, the reporter told the result (反馈)
    handling_hours: list[float] = field(default_factory=list, repr=False)
    """Working hours from first dispatch to first handling, of the cases handled in the period (or
    their histogram's bucket midpoints, from the monthly tables)."""

    def __add__(self, other: Counts) -> Counts:
        out = Counts()
        for f in fields(Counts):
            if f.name == "handling_hours":
                out.handling_hours = self.handling_hours + other.handling_hours
            else:
                setattr(out, f.name, getattr(self, f.name) + getattr(other, f.name))
        return out


COUNT_FIELDS = tuple(f.name for f in fields(Counts) if f.name != "handling_hours")


# -- the indicators ------------------------------------------------------------------------------------


class OnTime(StrEnum):
    due = "due"  # 按期结案率 over 应结案数 − 缓办数; 按期处置率 over 应处置数 (default)
    done = "done"  # over 结案数; over 处置数


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 6) if denominator > 0 else None


def received(c: Counts, _: OnTime) -> int:
    """受理数 = reports received in the period (all channels, 重复件 included)."""
    return c.received


def filed(c: Counts, _: OnTime) -> int:
    """立案数 = cases filed (立案) in the period."""
    return c.filed


def filing_rate(c: Counts, _: OnTime) -> float | None:
    """立案率 = 立案数 / 受理数."""
    return _ratio(c.filed, c.received)


def dispatched(c: Counts, _: OnTime) -> int:
    """派遣数 = cases first dispatched in the period."""
    return c.dispatched


def dispatch_rate(c: Counts, _: OnTime) -> float | None:
    """派遣率 = 派遣数 / 立案数."""
    return _ratio(c.dispatched, c.filed)


def accurate_dispatch_rate(c: Counts, _: OnTime) -> float | None:
    """准确派遣率 = 1 − 退回数 / 派遣数 (退回: returned by the squad as not theirs)."""
    r = _ratio(c.returned, c.dispatched)
    return None if r is None else round(1 - r, 6)


def due_close(c: Counts, _: OnTime) -> int:
    """应结案数 = cases whose deadline fell in the period, plus those closed in it (each once)."""
    return c.due_close


def closed(c: Counts, _: OnTime) -> int:
    """结案数 = cases closed (核查结案) in the period."""
    return c.closed


def closing_rate(c: Counts, _: OnTime) -> float | None:
    """结案率 = 结案数 / (应结案数 − 缓办数)."""
    return _ratio(c.closed, c.due_close - c.suspended)


def on_time_closing_rate(c: Counts, rule: OnTime) -> float | None:
    """按期结案率 = 按期结案数 / (应结案数 − 缓办数) (setting `done`: / 结案数)."""
    return _ratio(c.closed_on_time, c.closed if rule == OnTime.done else c.due_close - c.suspended)


def handled(c: Counts, _: OnTime) -> int:
    """处置数 = cases handled (处置反馈) in the period, the first time."""
    return c.handled


def disposal_rate(c: Counts, _: OnTime) -> float | None:
    """处置率 = 处置数 / 应处置数 (应处置: dispatched cases whose deadline fell in the period, or handled in it)."""
    return _ratio(c.handled, c.due_handle)


def on_time_disposal_rate(c: Counts, rule: OnTime) -> float | None:
    """按期处置率 = 按期处置数 / 应处置数 (setting `done`: / 处置数)."""
    return _ratio(c.handled_on_time, c.handled if rule == OnTime.done else c.due_handle)


def rework_rate(c: Counts, _: OnTime) -> float | None:
    """返工率 = 返工数 / 应结案数."""
    return _ratio(c.reworked, c.due_close)


def extension_rate(c: Counts, _: OnTime) -> float | None:
    """延期率 = 延期数 (cases given more time) / 应处置数."""
    return _ratio(c.extended, c.due_handle)


def overdue_open(c: Counts, _: OnTime) -> int:
    """超期未处置 = dispatched cases past their deadline and not handled at the period's end (what a
    closed-on-time ratio alone hides)."""
    return c.overdue_open


def overdue_rate(c: Counts, _: OnTime) -> float | None:
    """超期率 = 超期未处置 / 应处置数."""
    return _ratio(c.overdue_open, c.due_handle)


def handling_median_hours(c: Counts, _: OnTime) -> float | None:
    """处置用时中位数 = the median of the working hours from first dispatch to first handling, of the
    cases handled in the period (the bureau's calendar; over whole months read from a histogram
    of quarter-hour buckets)."""
    return round(statistics.median(c.handling_hours), 2) if c.handling_hours else None


def handling_p90_hours(c: Counts, _: OnTime) -> float | None:
    """处置用时 P90 = the 90th percentile of the same working hours."""
    if not c.handling_hours:
        return None
    ordered = sorted(c.handling_hours)
    return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2)


def feedback_rate(c: Counts, _: OnTime) -> float | None:
    """反馈率 = reports told the result / reports with a contact whose case closed in the period (a
    web or Open311 report is told on its tracking page; a caller by the hotline's 回访)."""
    return _ratio(c.replied, c.with_contact)


def satisfaction_rate(c: Counts, _: OnTime) -> float | None:
    """满意率 = (满意 + 基本满意) / 评价数 (one 评价 per case, its latest: the reporter's on the tracking page
    or at the hotline's 回访)."""
    return _ratio(c.satisfied + c.basically_satisfied, c.rated)


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    fn: Callable[[Counts, OnTime], float | int | None]
    rate: bool

    @property
    def formula(self) -> str:
        """The formula as the API describes it (its function's docstring)."""
        return (self.fn.__doc__ or "").strip()

    @property
    def printed(self) -> str:
        """The formula as the bureau prints it (指标口径, the circular's footnotes): in Chinese."""
        return PRINTED[self.key]


PRINTED = {
    "received": "受理数 = 统计期内受理的群众诉求件数 (各渠道合计, 含重复件)。",
    "filed": "立案数 = 统计期内立案的案件数。",
    "filing_rate": "立案率 = 立案数 ÷ 受理数。",
    "dispatched": "派遣数 = 统计期内首次派遣的案件数。",
    "dispatch_rate": "派遣率 = 派遣数 ÷ 立案数。",
    "accurate_dispatch_rate": "准确派遣率 = 1 − 退回数 ÷ 派遣数 (退回: 中队以非本单位职责退回)。",
    "due_close": "应结案数 = 处置时限届满于统计期内的案件数, 加上统计期内结案的案件数 (每件只计一次)。",
    "closed": "结案数 = 统计期内核查结案的案件数。",
    "closing_rate": "结案率 = 结案数 ÷ (应结案数 − 缓办数)。",
    "on_time_closing_rate": "按期结案率 = 按期结案数 ÷ (应结案数 − 缓办数) (按本局设定, 亦可为 ÷ 结案数)。",
    "handled": "处置数 = 统计期内首次处置反馈的案件数。",
    "disposal_rate": "处置率 = 处置数 ÷ 应处置数 (应处置数: 已派遣且处置时限届满于统计期内, "
    "或于统计期内处置的案件数)。",
    "on_time_disposal_rate": "按期处置率 = 按期处置数 ÷ 应处置数 (按本局设定, 亦可为 ÷ 处置数)。",
    "rework_rate": "返工率 = 返工数 ÷ 应结案数。",
    "extension_rate": "延期率 = 延期数 (获批延长处置时限的案件数) ÷ 应处置数。",
    "overdue_open": "超期未处置 = 统计期末已超过处置时限仍未处置的已派遣案件数 (仅看按期率会掩盖这部分案件)。",
    "overdue_rate": "超期率 = 超期未处置数 ÷ 应处置数。",
    "handling_median_hours": "处置用时中位数 = 统计期内处置案件从首次派遣到首次处置所用工作小时的中位数 "
    "(按本局工作日历计算)。",
    "handling_p90_hours": "处置用时P90 = 上述工作小时的第90百分位数。",
    "feedback_rate": "反馈率 = 已告知办理结果的诉求数 ÷ 留有联系方式且案件于统计期内结案的诉求数 "
    "(网上诉求在查询页告知, 热线来电由回访告知)。",
    "satisfaction_rate": "满意率 = (满意数 + 基本满意数) ÷ 评价数 (每件案件计一次评价, 以最近一次为准)。",
}


INDICATORS: tuple[Indicator, ...] = (
    Indicator("received", "受理数", received, False),
    Indicator("filed", "立案数", filed, False),
    Indicator("filing_rate", "立案率", filing_rate, True),
    Indicator("dispatched", "派遣数", dispatched, False),
    Indicator("dispatch_rate", "派遣率", dispatch_rate, True),
    Indicator("accurate_dispatch_rate", "准确派遣率", accurate_dispatch_rate, True),
    Indicator("due_close", "应结案数", due_close, False),
    Indicator("closed", "结案数", closed, False),
    Indicator("closing_rate", "结案率", closing_rate, True),
    Indicator("on_time_closing_rate", "按期结案率", on_time_closing_rate, True),
    Indicator("handled", "处置数", handled, False),
    Indicator("disposal_rate", "处置率", disposal_rate, True),
    Indicator("on_time_disposal_rate", "按期处置率", on_time_disposal_rate, True),
    Indicator("rework_rate", "返工率", rework_rate, True),
    Indicator("extension_rate", "延期率", extension_rate, True),
    Indicator("overdue_open", "超期未处置", overdue_open, False),
    Indicator("overdue_rate", "超期率", overdue_rate, True),
    Indicator("handling_median_hours", "处置用时中位数 (工作小时)", handling_median_hours, False),
    Indicator("handling_p90_hours", "处置用时P90 (工作小时)", handling_p90_hours, False),
    Indicator("feedback_rate", "反馈率", feedback_rate, True),
    Indicator("satisfaction_rate", "满意率", satisfaction_rate, True),
)
BY_KEY = {i.key: i for i in INDICATORS}


def indicators(c: Counts, rule: OnTime = OnTime.due) -> dict[str, float | int | None]:
    return {i.key: i.fn(c, rule) for i in INDICATORS}


def change(now: float | int | None, before: float | int | None, rate: bool) -> float | None:
    """环比 / 同比: for a rate, the difference in points (0.012 = 1.2 points); for a count, the
    relative change (0.05 = +5 %)."""
    if now is None or before is None:
        return None
    if rate:
        return round(now - before, 6)
    return round((now - before) / before, 6) if before else None


DOG_COUNTERS = ("registrations", "inspections", "strays_captured", "adoptions", "claims", "walking_violations")
"""What the dog register's month counts, per grid: licences issued, inspections, strays taken in,
adoptions, claims by owners, and violations recorded while walking."""
