"""The case lifecycle, written once (the national digital city-management model: 信息收集 → 案卷建立
→ 任务派遣 → 任务处理 → 处理反馈 → 核查结案 → 综合评价):

    reported 待核实 → verified 已核实 → filed 已立案 (or not_filed 不予立案, with a reason)
    → dispatched 已派遣 → handled 已处置 (before and after photos) → closed 已结案 after an
    on-site check by a field monitor who is not the handler (监管分离), or back to dispatched
    for rework 返工, as many rounds as it takes → evaluated 已评价 (the citizen's rating).

Beside the main line: suspend 挂起 / resume 恢复 (waiting for another department), cancel 撤销,
reopen 重新办理 (after a dissatisfied rating or by a supervisor), split 拆分 and merge 合并.

Every rule about which action may move a case from which state to which, and who may take it,
is in the two tables below; the service layer asks `plan()` and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from common.principal import Role
from common.refusals import Conflict, Refused, Unprocessable
from common.vocabulary import ANSWER_NAMES, ANSWER_NEEDED, CHANNEL_NAMES, CaseAction, CaseStatus

S = CaseStatus
"""The statuses themselves are shared words (common.vocabulary): intake, dispatch and reporting
read them from the events."""
TERMINAL = frozenset({S.not_filed, S.cancelled, S.merged, S.split_})
OPEN_BEFORE_DISPATCH = frozenset({S.reported, S.verified, S.filed, S.awaiting_command_centre})
ACTIVE = OPEN_BEFORE_DISPATCH | {S.dispatched}

Action = CaseAction

RESUME_TO_PREVIOUS = None
"""The target of `resume`: the state the case was suspended from."""

TRANSITIONS: dict[Action, tuple[frozenset[CaseStatus], CaseStatus | None]] = {
    Action.verify: (frozenset({S.reported}), S.verified),
    Action.file: (frozenset({S.reported, S.verified}), S.filed),
    Action.reject: (frozenset({S.reported, S.verified}), S.not_filed),
    Action.flag: (frozenset({S.filed}), S.awaiting_command_centre),
    Action.dispatch: (frozenset({S.filed, S.awaiting_command_centre, S.dispatched}), S.dispatched),
    Action.return_: (frozenset({S.dispatched}), S.awaiting_command_centre),
    Action.handle: (frozenset({S.dispatched}), S.handled),
    Action.check: (frozenset({S.handled}), S.closed),
    Action.rework: (frozenset({S.handled}), S.dispatched),
    Action.evaluate: (frozenset({S.closed}), S.evaluated),
    Action.reopen: (frozenset({S.closed, S.evaluated}), S.dispatched),
    Action.suspend: (frozenset({S.filed, S.awaiting_command_centre, S.dispatched}), S.suspended),
    Action.resume: (frozenset({S.suspended}), RESUME_TO_PREVIOUS),
    Action.cancel: (frozenset(ACTIVE | {S.suspended}), S.cancelled),
    Action.merge: (frozenset(ACTIVE), S.merged),
    Action.split_: (frozenset(ACTIVE), S.split_),
}

SYSTEM = "system"
"""Actions taken on an event from another service rather than by a person."""

WHO: dict[Action, frozenset[Role | str]] = {
    Action.verify: frozenset({Role.field_monitor}),
    Action.file: frozenset({Role.dispatcher}),
    Action.reject: frozenset({Role.dispatcher}),
    Action.flag: frozenset({SYSTEM}),
    Action.dispatch: frozenset({SYSTEM}),
    Action.return_: frozenset({SYSTEM}),
    Action.handle: frozenset({Role.squad_officer, Role.squad_leader}),
    Action.check: frozenset({Role.field_monitor}),
    Action.rework: frozenset({Role.field_monitor}),
    Action.evaluate: frozenset({SYSTEM, Role.dispatcher}),
    Action.reopen: frozenset({SYSTEM, Role.supervisor}),
    Action.suspend: frozenset({Role.dispatcher, Role.squad_leader}),
    Action.resume: frozenset({Role.dispatcher, Role.squad_leader}),
    Action.cancel: frozenset({Role.dispatcher, Role.supervisor, SYSTEM}),  # SYSTEM: 12345 approved a 退回
    Action.merge: frozenset({Role.dispatcher}),
    Action.split_: frozenset({Role.dispatcher}),
}

NEEDS_REASON = frozenset(
    {Action.reject, Action.rework, Action.reopen, Action.suspend, Action.cancel, Action.merge, Action.split_}
)


class TransitionNotAllowed(Conflict):
    """The action is not allowed from the case's state."""

    def __init__(self, action: Action, current: str, detail: str | None = None) -> None:
        allowed = sorted(s.value for s in TRANSITIONS[action][0]) if action in TRANSITIONS else []
        super().__init__(detail or f"cannot {action.value} a case that is {current}; allowed from {allowed}")
        self.action, self.current = action, current


class NotYourStep(Refused):
    """The caller may not take this step on this case."""


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a person with a role (and squad), or SYSTEM for another service."""

    subject: str
    role: Role | str
    squad_id: str | None = None


def next_status(current: str, action: Action, *, suspended_from: str | None = None) -> CaseStatus:
    sources, target = TRANSITIONS[action]
    if CaseStatus(current) not in sources:
        raise TransitionNotAllowed(action, current)
    if target is RESUME_TO_PREVIOUS:
        return CaseStatus(suspended_from or S.filed)
    return target


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case, beyond its state."""

    status: str
    squad_id: str | None
    handled_by: str | None = None
    suspended_from: str | None = None
    channel: str = ""
    answered: frozenset[str] = frozenset()
    """The answers on record (common.vocabulary.ANSWER_NEEDED's kinds)."""


class AnswerMissing(Conflict):
    """A 信访 case closes only with its 答复意见 on record, a 舆情 case only with the bureau's public response."""


def plan(case: CaseFacts, action: Action, actor: Actor, reason: str | None = None) -> CaseStatus:
    """Check that `actor` may take `action` on `case` now, and return the state it leads to.
    Raises NotYourStep (wrong role, another squad's case, 监管分离) or TransitionNotAllowed."""
    if actor.role != Role.admin and actor.role not in WHO[action]:
        allowed = sorted(str(r) for r in WHO[action])
        raise NotYourStep(f"{action.value} is taken by {allowed}, not {actor.role}")
    if actor.role in (Role.squad_officer, Role.squad_leader) and (
        actor.squad_id is None or actor.squad_id != case.squad_id
    ):
        raise NotYourStep(f"{action.value}: the case is not with squad {actor.squad_id}")
    if action in NEEDS_REASON and not (reason and reason.strip()):
        raise Unprocessable.field("reason", f"{action.value} needs a reason")
    target = next_status(case.status, action, suspended_from=case.suspended_from)
    if action in (Action.check, Action.rework) and case.handled_by == actor.subject:
        # 监管分离: whoever handled the case cannot be the one who checks it.
        raise NotYourStep(f"{actor.subject} handled this case and cannot also check it (监管分离)")
    needed = ANSWER_NEEDED.get(case.channel)
    if target == S.closed and needed is not None and needed not in case.answered:
        raise AnswerMissing(
            f"a {CHANNEL_NAMES[case.channel]} case closes only with its {ANSWER_NAMES[needed]} on record: "
            f"POST /v1/cases/{{id}}/answers with kind {needed}",
            detail=[{"loc": ["case", "answers"], "msg": f"{needed} missing", "type": "answer_missing"}],
        )
    return target


def answer_kind_for(channel: str, kind: str) -> str:
    """The answer a case of `channel` takes: its channel's own kind, nothing else."""
    needed = ANSWER_NEEDED.get(channel)
    if needed is None:
        raise Unprocessable.field("kind", f"a case from {channel} takes no {kind}: only 信访 and 舆情 cases do")
    if kind != needed:
        raise Unprocessable.field("kind", f"a {CHANNEL_NAMES[channel]} case takes {needed}, not {kind}")
    return kind


def initial_status(channel: str, verify_channels: frozenset[str]) -> CaseStatus:
    """Reports from `verify_channels` wait for on-site verification before filing (rule of ours,
    default: citizens' web and Open311 reports). A 12319 operator works in the command centre
    (四位一体), so the hotline's record is filed directly, as are field monitors' and machines'."""
    return S.reported if channel in verify_channels else S.filed


def case_number(district_code: str, year: int, sequence: int) -> str:
    """案卷号 that can be read out on the phone: 410102-2026-000123."""
    return f"{district_code}-{year}-{sequence:06d}"


class RatingFollowUp(StrEnum):
    none = "none"
    reopen = "reopen"  # 重新办理, by the rating itself
    review = "review"  # a supervisor decides whether to reopen


@dataclass(frozen=True)
class RatingEffect:
    evaluates: bool  # it is the case's 评价 (counts in 满意率)
    follow_up: RatingFollowUp


def rating_effect(
    *, opening_report: bool, status: str, rating: str, reopen_on_dissatisfied: bool, reopened_by_rating: int
) -> RatingEffect:
    """What a citizen's rating does (rule of ours, after a stranger could reopen any case by
    joining it). Only the rating of the report that opened the case evaluates it, counts in
    满意率 and may reopen it; a joined report's rating is kept in the trail. A case is reopened
    by a rating at most once: a later 不满意 asks a supervisor to review it instead."""
    if not opening_report:
        return RatingEffect(False, RatingFollowUp.none)
    evaluates = status == S.closed
    if rating != "dissatisfied" or not reopen_on_dissatisfied or status not in (S.closed, S.evaluated):
        return RatingEffect(evaluates, RatingFollowUp.none)
    return RatingEffect(evaluates, RatingFollowUp.reopen if reopened_by_rating == 0 else RatingFollowUp.review)
