"""The register of illegal buildings (违法建设): each building's stage, moved forward by its case's steps
and by the officers' records ("立即停, 坚决拆, 严格管, 综合治"): 发现 when its case is dispatched, 制止 when
the squad handles it on site, 责令停止 with the warning, 限期拆除 with the decision, 强制拆除 when it is
enforced; 补办手续 (the owner obtains the permits) ends it too. Pure rules."""

from __future__ import annotations

from enum import StrEnum

CATEGORY = "illegal_construction"
"""The 服务目录 category whose cases open a register entry."""


class Stage(StrEnum):
    found = "found"  # 发现
    stopped = "stopped"  # 制止: stopped on site
    ordered_to_stop = "ordered_to_stop"  # 责令停止 (改正) 通知
    demolition_ordered = "demolition_ordered"  # 限期拆除 决定
    demolished = "demolished"  # 强制拆除 (or pulled down by its owner within the limit)
    legalised = "legalised"  # 补办手续: the permits obtained, it stays


STAGE_NAMES: dict[str, str] = {
    Stage.found: "发现",
    Stage.stopped: "制止",
    Stage.ordered_to_stop: "责令停止",
    Stage.demolition_ordered: "限期拆除",
    Stage.demolished: "强制拆除",
    Stage.legalised: "补办手续",
}
ORDER = (Stage.found, Stage.stopped, Stage.ordered_to_stop, Stage.demolition_ordered, Stage.demolished)
ENDS = frozenset({Stage.demolished, Stage.legalised})

BY_CASE_STEP: dict[str, Stage] = {
    "handle": Stage.stopped,
    "warn": Stage.ordered_to_stop,
    "order_correction": Stage.ordered_to_stop,
    "decide": Stage.demolition_ordered,
    "enforce": Stage.demolished,
}
"""A case's lifecycle step or enforcement step, and the stage it puts the building in."""


def moves(current: Stage, to: Stage) -> bool:
    """A stage only moves forward (a step taken again, or one behind, changes nothing); an ended
    building moves no more."""
    if current in ENDS:
        return False
    if to is Stage.legalised:
        return True
    return ORDER.index(to) > ORDER.index(current)


def stage_problem(current: Stage, to: Stage, area_m2: float | None, demolished_m2: float | None) -> str | None:
    """Why an officer's record of a stage is refused, or None."""
    if current in ENDS:
        return f"the building is {STAGE_NAMES[current]} already: its register entry is closed"
    if not moves(current, to):
        return f"it is at {STAGE_NAMES[current]}; {STAGE_NAMES[to]} is not a step forward"
    if to is Stage.demolished and not (demolished_m2 or area_m2):
        return "demolished_m2: a demolition records the area pulled down (m²)"
    if area_m2 is not None and demolished_m2 is not None and demolished_m2 > area_m2:
        return f"demolished_m2 {demolished_m2} is more than the building's area {area_m2}"
    return None
