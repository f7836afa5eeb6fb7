"""An assignment's life, as data: which step moves it from which state to which (签收 accept, 退回
return, 改派 supersede, 延期 extend), and what a step of its case does to it. The handlers ask
`plan` and never test a state themselves; a step that is not allowed now is refused naming the
states it is allowed from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from common.refusals import Conflict
from common.vocabulary import CASE_ENDED, CaseAction, CaseStatus


class AssignmentStatus(StrEnum):
    dispatched = "dispatched"  # 已派遣, waiting for the squad to accept
    accepted = "accepted"  # 已签收: in progress
    returned = "returned"  # 已退回 to the command centre
    reassigned = "reassigned"  # 已改派: superseded by another assignment
    suspended = "suspended"  # the case is suspended: the clock stops
    handled = "handled"  # 已处置: the squad reported back; the clock stops
    closed = "closed"  # the case closed, or was cancelled, merged or split


S = AssignmentStatus
OPEN = (S.dispatched, S.accepted)
"""An assignment the squad still has to work: it counts in an officer's workload and its deadline
runs (the officers' workload counter, dispatch.tables.OFFICER_LOAD_TRIGGER, counts these)."""


class StepRefused(Conflict):
    """Not now: the assignment's state (or the case's) does not allow the step; says why."""


@dataclass(frozen=True)
class Step:
    words: str  # what the console calls it
    allowed_from: tuple[AssignmentStatus, ...]
    to: AssignmentStatus | None  # None: the state stays (the deadline moves)
    why: str  # what the refusal adds


STEPS: dict[str, Step] = {
    "accept": Step("签收", (S.dispatched,), S.accepted, "only a dispatched one can be accepted"),
    "return": Step(
        "退回", (S.dispatched,), S.returned, "only a dispatched, not yet accepted assignment can be returned"
    ),
    "supersede": Step("改派", (*OPEN, S.suspended), S.reassigned, "no open assignment to change"),
    "extend": Step("延期", OPEN, None, "no open assignment to extend"),
    "give": Step("分派到人", OPEN, None, "only an open assignment can be given to an officer"),
    "ask_extension": Step("申请延期", OPEN, None, "only an open assignment can ask for more time"),
    "decline_extension": Step("驳回延期", OPEN, None, "no open assignment to answer"),
}


def plan(step: str, status: AssignmentStatus | str | None, *, current: bool, what: str) -> AssignmentStatus | None:
    """The state `step` leads to from `status` (None: the same state), or StepRefused. `what`
    names the assignment or the case in the refusal."""
    rule = STEPS[step]
    if status is None or not current or status not in rule.allowed_from:
        state = "not with a squad" if status is None else f"{status}" + ("" if current else ", no longer current")
        raise StepRefused(
            f"{what} is {state}; {rule.why} ({rule.words}: from {', '.join(s.value for s in rule.allowed_from)})"
        )
    return rule.to


def refuse_outside_squad(officer_squad: str | None, squad_id: str, officer_id: str) -> None:
    """分派到人: to an officer of the assignment's own squad only."""
    if officer_squad != squad_id:
        raise StepRefused(f"officer {officer_id} is not in squad {squad_id}; give it to one of the squad's officers")


def refuse_no_request(asked_at: datetime | None, what: str) -> None:
    """驳回延期: only a request that waits for an answer."""
    if asked_at is None:
        raise StepRefused(f"{what} has no request for more time waiting for an answer")


def refuse_late_return(now: datetime, window_end: datetime, hours: float) -> None:
    """退回 only within the return window (working hours from the assignment)."""
    if now > window_end:
        raise StepRefused(
            f"the return window ({hours:g} working hours) ended {window_end.isoformat()}; ask a dispatcher to reassign"
        )


# -- what a step of the case does to its assignment -----------------------------------------------------

CASE_STOPS = {CaseStatus.handled: S.handled, CaseStatus.suspended: S.suspended}
"""The clock stops while the case is handled (waiting for its check) or suspended."""


@dataclass(frozen=True)
class AfterCase:
    status: AssignmentStatus
    current: bool  # False: the case ended, the assignment closes
    restart_clock: bool  # look at the deadline again now (rework, reopen, resume)


def after_case(
    action: str, to_status: CaseStatus | str, status: AssignmentStatus | str, accepted: bool
) -> AfterCase | None:
    """What the case's step (to `to_status`) does to its current assignment; None: nothing."""
    if action == CaseAction.dispatch:
        return None
    if to_status in CASE_STOPS:
        return AfterCase(CASE_STOPS[CaseStatus(to_status)], True, False)
    if to_status in CASE_ENDED:
        return AfterCase(S.closed, False, False)
    if to_status == CaseStatus.dispatched and status in (S.handled, S.suspended):
        return AfterCase(S.accepted if accepted else S.dispatched, True, True)
    return None
