"""Intake's rules, free of any framework: what an incident is, how it is flagged, and how the
case's progress shows on it."""
from __future__ import annotations

from enum import StrEnum

from common.auth import Role


class IncidentStatus(StrEnum):
    """What the reporter and the public see of the case's progress."""
    received = "received"  # 已受理 (and 待核实 / 已核实)
    filed = "filed"  # 已立案
    not_filed = "not_filed"  # 不予立案
    dispatched = "dispatched"  # 已派遣, 处置中 (and 返工)
    awaiting_command_centre = "awaiting_command_centre"  # 待指挥中心处理
    handled = "handled"  # 已处置, 待核查
    suspended = "suspended"  # 已挂起
    closed = "closed"  # 已办结 (closed, evaluated, or split into cases of their own)
    cancelled = "cancelled"  # 已撤销
    merged = "merged"  # 已并入另一案件


S = IncidentStatus
STATUS_OF_CASE = {
    "reported": S.received, "verified": S.received, "filed": S.filed, "not_filed": S.not_filed,
    "awaiting_command_centre": S.awaiting_command_centre, "dispatched": S.dispatched, "handled": S.handled,
    "closed": S.closed, "evaluated": S.closed, "suspended": S.suspended, "cancelled": S.cancelled,
    "merged": S.merged, "split": S.closed,
}
"""The case lifecycle (cases.domain.CaseStatus) as the reporter sees it."""
FINISHED = frozenset({S.closed, S.not_filed, S.cancelled, S.merged})
"""Nothing more will be done under this report: Open311 `closed`."""


class Flag(StrEnum):
    unknown_category = "unknown_category"
    outside_grid = "outside_grid"


CHANNEL_BY_ROLE = {
    Role.hotline_operator: "hotline_12319",
    Role.field_monitor: "field_monitor",
    Role.external_system: "api",
    Role.dispatcher: "api",
    Role.admin: "api",
}

# Channels a hotline operator may name for a call: a 12319 call or a transfer.
HOTLINE_CHANNELS = {"hotline_12319", "transfer_12345", "transfer_110"}


def channel_for(role: Role, requested: str | None) -> str:
    """The channel an incident is recorded under: a role's own, or a transfer it declares."""
    own = CHANNEL_BY_ROLE[role]
    if requested is None or requested == own:
        return own
    if role == Role.hotline_operator and requested in HOTLINE_CHANNELS:
        return requested
    if role in (Role.external_system, Role.admin):
        return requested
    raise ValueError(f"role {role.value} cannot report on channel {requested}")


def initial_flags(category_known: bool) -> list[str]:
    return [] if category_known else [Flag.unknown_category.value]


def with_flag(flags: list[str], flag: str) -> list[str]:
    return flags if flag in flags else [*flags, flag]
