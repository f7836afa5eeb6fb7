"""Dispatch's rules: a point decides the grid, the grid decides the squad (网格化管理)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.geo import GridArea, GridMap  # noqa: F401 (the grid map is shared: ledger places merchants too)

# -- routing rules (派遣规则) ----------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingRule:
    """One row of the ordered rule table. Every condition that is set must hold; an empty
    condition matches anything. The target is a squad, or (None) the squad of the case's grid."""

    name: str
    squad_id: str | None = None
    grids: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()  # any of these words in the description
    hours: tuple[int, int] | None = None  # [from, to) in Beijing hours; from > to wraps past midnight
    queue: bool = False  # send to the command centre's queue for a dispatcher to decide

    def matches(self, case: CaseToRoute, grid: GridArea | None) -> bool:
        if self.grids and (grid is None or grid.grid_id not in self.grids):
            return False
        if self.categories and case.category_code not in self.categories:
            return False
        if self.channels and case.channel not in self.channels:
            return False
        if self.keywords and not any(k in case.description for k in self.keywords):
            return False
        if self.hours is not None:
            start, end = self.hours
            h = case.local_hour
            if not (start <= h < end if start <= end else h >= start or h < end):
                return False
        return True


@dataclass(frozen=True)
class CaseToRoute:
    category_code: str
    channel: str
    description: str
    lon: float
    lat: float
    local_hour: int


@dataclass(frozen=True)
class Route:
    squad_id: str | None  # None: to the command centre's queue
    grid: GridArea | None
    rule: str | None
    reason: str | None = None  # why it went to the queue


def route(case: CaseToRoute, rules: list[RoutingRule], grids: GridMap) -> Route:
    """The first rule that matches wins; with none, the grid's squad; outside every grid and with
    no rule naming a squad, the command centre decides."""
    grid = grids.grid_for(case.lon, case.lat)
    for rule in rules:
        if rule.matches(case, grid):
            if rule.queue:
                return Route(None, grid, rule.name, reason=f"rule:{rule.name}")
            squad = rule.squad_id or (grid.squad_id if grid else None)
            if squad is None:
                continue  # "the grid's squad" needs a grid; let a later rule decide
            return Route(squad, grid, rule.name)
    if grid is None:
        return Route(None, None, None, reason="outside_grid")
    return Route(grid.squad_id, grid, None)


@dataclass(frozen=True)
class OfficerLoad:
    officer_id: str
    on_duty: bool
    open_assignments: int


def suggest_officer(officers: list[OfficerLoad]) -> str | None:
    """Within a squad: the officer on duty with the fewest open assignments (ties by id)."""
    on_duty = [o for o in officers if o.on_duty]
    if not on_duty:
        return None
    return min(on_duty, key=lambda o: (o.open_assignments, o.officer_id)).officer_id


def escalation_step(level: int, chain: tuple) -> Any:
    """The next step after `level` (0 = warned, 1.. = overdue steps taken) of a squad's chain
    (dispatch.domain.directory.escalation_chain), or None at the top."""
    return chain[level] if level < len(chain) else None
