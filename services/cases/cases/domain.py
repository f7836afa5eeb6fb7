"""The case lifecycle, written once: which action moves a case from which state to which.
(The full national model, with verification, rework and the enforcement track, grows here.)"""
from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    filed = "filed"  # 已立案
    awaiting_command_centre = "awaiting_command_centre"  # 待指挥中心处理
    dispatched = "dispatched"  # 已派遣
    closed = "closed"  # 已结案


class Action(StrEnum):
    dispatch = "dispatch"
    flag = "flag"
    close = "close"


TRANSITIONS: dict[Action, tuple[frozenset[CaseStatus], CaseStatus]] = {
    Action.dispatch: (frozenset({CaseStatus.filed, CaseStatus.awaiting_command_centre}), CaseStatus.dispatched),
    Action.flag: (frozenset({CaseStatus.filed}), CaseStatus.awaiting_command_centre),
    Action.close: (frozenset({CaseStatus.dispatched}), CaseStatus.closed),
}


class TransitionNotAllowed(Exception):
    def __init__(self, action: Action, current: str) -> None:
        allowed = sorted(s.value for s in TRANSITIONS[action][0])
        super().__init__(f"cannot {action.value} a case that is {current}; allowed from {allowed}")
        self.action, self.current = action, current


def next_status(current: str, action: Action) -> CaseStatus:
    sources, target = TRANSITIONS[action]
    if CaseStatus(current) not in sources:
        raise TransitionNotAllowed(action, current)
    return target


def case_number(district_code: str, year: int, sequence: int) -> str:
    """案卷号 that can be read out on the phone: 410102-2026-000123."""
    return f"{district_code}-{year}-{sequence:06d}"
