"""A 12345 (or 110, or the city platform's) work order as the hotline centres run it (国办发〔2020〕53号;
蚌埠's and 濮阳's rules), free of any framework:

    待签收 → 已签收 (the bureau filed it: 立案) → 办理中 (dispatched to a squad)
    → 已答复 (办结: the case closed, or not filed) → 回访: 满意 → 已归档, 不满意 → 重办 (the case reopens) → ...

beside it, 申请退回 (with 理由, 依据 and a 转办建议) that the hotline centre approves (已退回: the order
goes elsewhere and the case is cancelled) or refuses (it stays), and 申请延期 that it grants (the
order's deadline moves) or declines. Each step the bureau takes is told to the upstream system,
in order per order (intake.adapters.upstream)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from common.refusals import Conflict
from common.vocabulary import CaseOutcome


class OrderState(StrEnum):
    awaiting_sign = "awaiting_sign"  # 待签收
    signed = "signed"  # 已签收
    in_progress = "in_progress"  # 办理中
    return_requested = "return_requested"  # 退回申请中
    returned = "returned"  # 已退回
    replied = "replied"  # 已答复 (办结), waiting for the 回访
    archived = "archived"  # 已归档 (满意)
    redo = "redo"  # 重办 (不满意): the case reopened


STATE_NAMES = {
    OrderState.awaiting_sign: "待签收",
    OrderState.signed: "已签收",
    OrderState.in_progress: "办理中",
    OrderState.return_requested: "退回申请中",
    OrderState.returned: "已退回",
    OrderState.replied: "已答复",
    OrderState.archived: "已归档",
    OrderState.redo: "重办",
}


class Step(StrEnum):
    """What the bureau tells the upstream system, one message each."""

    sign = "sign"  # 签收
    process = "process"  # 办理中: the squad that handles it
    extension_request = "extension_request"  # 申请延期
    return_request = "return_request"  # 申请退回
    reply = "reply"  # 答复 (办结): 办理结果, text, who, unit, when, after-photos


class Result(StrEnum):
    """办理结果 of a reply."""

    resolved = "resolved"  # 解决
    partly_resolved = "partly_resolved"  # 部分解决
    unresolved = "unresolved"  # 未解决
    declined = "declined"  # 不办理退单


RESULT_NAMES = {
    Result.resolved: "解决",
    Result.partly_resolved: "部分解决",
    Result.unresolved: "未解决",
    Result.declined: "不办理退单",
}

RESULT_OF_OUTCOME: dict[str, Result] = {
    CaseOutcome.resolved: Result.resolved,
    CaseOutcome.violation: Result.resolved,
    CaseOutcome.no_violation: Result.resolved,
}
"""A closed case's outcome as a reply's result; what it found is in the reply's text."""

OUTCOME_TEXT: dict[str, str] = {
    CaseOutcome.resolved: "已处置完毕",
    CaseOutcome.violation: "经查违法属实, 已依法处理",
    CaseOutcome.no_violation: "经现场核查, 未发现违法行为",
}


class OrderRefused(Conflict):
    """The step is not open to the order now."""


SIGNS_FROM = frozenset({OrderState.awaiting_sign})
PROCESSES_FROM = frozenset({OrderState.signed, OrderState.awaiting_sign, OrderState.redo})
REPLIES_FROM = frozenset({OrderState.awaiting_sign, OrderState.signed, OrderState.in_progress, OrderState.redo})
RETURNS_FROM = frozenset({OrderState.awaiting_sign, OrderState.signed, OrderState.in_progress})
EXTENDS_FROM = frozenset({OrderState.signed, OrderState.in_progress, OrderState.redo})


@dataclass(frozen=True)
class Limits:
    """An upstream system's limits for one kind of order, in working days on the bureau's calendar
    (defaults: 蚌埠's 签收 1, 办结 5 for phone orders and 3 for online ones, 回退 2)."""

    sign_days: float = 1
    finish_days: float = 5
    return_days: float = 2


def may_request_return(state: str, now: datetime, return_due_at: datetime | None) -> None:
    if state not in RETURNS_FROM:
        raise OrderRefused(f"an order that is {STATE_NAMES[OrderState(state)]} cannot be returned (申请退回)")
    if return_due_at is not None and now > return_due_at:
        raise OrderRefused(f"申请退回 was due by {return_due_at.isoformat()}: the order stays with the bureau")


def may_request_extension(state: str, pending: bool, until: datetime, due_at: datetime | None) -> None:
    if state not in EXTENDS_FROM:
        raise OrderRefused(f"an order that is {STATE_NAMES[OrderState(state)]} takes no 申请延期")
    if pending:
        raise OrderRefused("an extension request is already waiting for the hotline centre's answer")
    if due_at is not None and until <= due_at:
        raise OrderRefused(f"申请延期 asks for a date after the order's deadline ({due_at.isoformat()})")


def after_rating(rating: str) -> OrderState:
    """回访: 满意 or 基本满意 archives the order; 不满意 sends it back to be done again (重办)."""
    return OrderState.redo if rating == "dissatisfied" else OrderState.archived
