"""Intake's rules, free of any framework: what an incident is, how it is flagged, and how the
case's progress shows on it."""
from __future__ import annotations

from enum import StrEnum

from common.auth import Role


class IncidentStatus(StrEnum):
    received = "received"  # 已受理
    filed = "filed"  # 已立案
    dispatched = "dispatched"  # 已派遣
    awaiting_command_centre = "awaiting_command_centre"  # 待指挥中心处理
    closed = "closed"  # 已结案


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
