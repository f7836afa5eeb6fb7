"""Intake's rules, free of any framework: what an incident is, how it is flagged, and how the
case's progress shows on it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from common.geo import distance_m
from common.principal import Role
from common.refusals import Unprocessable
from common.vocabulary import CHANNEL_NAMES, HOTLINE_CHANNELS, OWNED_CHANNELS, RATING_NAMES, CaseStatus, Channel


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
C = CaseStatus
STATUS_OF_CASE: dict[str, IncidentStatus] = {
    C.reported: S.received,
    C.verified: S.received,
    C.filed: S.filed,
    C.not_filed: S.not_filed,
    C.awaiting_command_centre: S.awaiting_command_centre,
    C.dispatched: S.dispatched,
    C.handled: S.handled,
    C.closed: S.closed,
    C.evaluated: S.closed,
    C.suspended: S.suspended,
    C.cancelled: S.cancelled,
    C.merged: S.merged,
    C.split_: S.closed,
}
"""The case lifecycle (common.vocabulary.CaseStatus) as the reporter sees it."""
FINISHED = frozenset({S.closed, S.not_filed, S.cancelled, S.merged})
"""Nothing more will be done under this report: Open311 `closed`."""

LABEL: dict[str, str] = {
    S.received: "已受理",
    S.filed: "已立案",
    S.not_filed: "不予立案",
    S.dispatched: "处置中",
    S.awaiting_command_centre: "指挥中心处理中",
    S.handled: "已处置, 待核查",
    S.suspended: "已挂起",
    S.closed: "已办结",
    S.cancelled: "已撤销",
    S.merged: "已并入其他案件",
}
"""What the citizen's tracking page says."""


def may_rate(status: str, case_id: str | None, rating: str | None) -> str | None:
    """Why the reporter may not rate now, or None: only a closed case is rated, once per closure
    (a reopened case closes again and may be rated again)."""
    if case_id is None or status != S.closed:
        return f"the case is {LABEL.get(status, status)} ({status}); it can be rated once it is closed (已办结)"
    if rating is not None:
        return f"this report was already rated ({RATING_NAMES[rating]})"
    return None


# -- duplicates (重复件) and floods -------------------------------------------------------------------


@dataclass(frozen=True)
class Nearby:
    """What to look for around a new report: the same category within `radius_m`, reported
    since `since`."""

    lon: float
    lat: float
    radius_m: float
    since: datetime

    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lon, max_lon, min_lat, max_lat) of a box holding the circle, for the index."""
        dlat = self.radius_m / 111_320
        dlon = self.radius_m / (111_320 * max(math.cos(math.radians(self.lat)), 0.01))
        return self.lon - dlon, self.lon + dlon, self.lat - dlat, self.lat + dlat

    def cells(self, size_deg: float = 0.01) -> list[tuple[int, int]]:
        """The ~1 km cells the box touches: the locks that keep two simultaneous reports of one
        spot from both opening a case (sorted, so two reports never wait on each other in a ring)."""
        x0, x1, y0, y1 = self.bounds()
        return sorted({(math.floor(x / size_deg), math.floor(y / size_deg)) for x in (x0, x1) for y in (y0, y1)})

    def distance(self, lon: float, lat: float) -> float:
        return distance_m(self.lon, self.lat, lon, lat)


def duplicate_search(lon: float, lat: float, now: datetime, radius_m: int, window_hours: int) -> Nearby | None:
    """Where a report of a category with this radius and window could repeat an open one; None
    when the category does not merge (radius or window 0)."""
    if radius_m <= 0 or window_hours <= 0:
        return None
    return Nearby(lon, lat, float(radius_m), now - timedelta(hours=window_hours))


def nearest_within(search: Nearby, candidates: list[tuple[str, float, float]]) -> tuple[str, float] | None:
    """The closest candidate (id, lon, lat) inside the radius, with its distance."""
    best = min(((cid, search.distance(lon, lat)) for cid, lon, lat in candidates), key=lambda c: c[1], default=None)
    return best if best is not None and best[1] <= search.radius_m else None


class Flag(StrEnum):
    unknown_category = "unknown_category"
    outside_grid = "outside_grid"


CHANNEL_BY_ROLE = {
    Role.hotline_operator: Channel.hotline_12319,
    Role.field_monitor: Channel.field_monitor,
    Role.external_system: Channel.api,
    Role.dispatcher: Channel.api,
    Role.admin: Channel.api,
}


OWNED_RECORDERS = frozenset({Role.dispatcher, Role.supervisor})
"""Who records 信访, 领导交办 and 舆情 by hand: the command centre (its 信访 desk) and 督查 (who receives the
leaders' instructions and watches opinion). The 信访 system or an opinion-monitoring platform posts them as
external systems."""


def channel_for(role: Role, requested: str | None) -> str:
    """The channel an incident is recorded under: a role's own, or a transfer it declares."""
    own = CHANNEL_BY_ROLE.get(role)
    if requested is None and own is not None:
        return own
    if requested is not None and requested == own:
        return own
    if role == Role.hotline_operator and requested in HOTLINE_CHANNELS:
        return requested
    if role in OWNED_RECORDERS and requested in OWNED_CHANNELS:
        return requested
    if role in (Role.external_system, Role.admin) and requested is not None:
        return requested
    if requested is None:
        names = ", ".join(sorted(OWNED_CHANNELS))
        raise Unprocessable.field("channel", f"role {role.value} names the channel it records: one of {names}")
    raise Unprocessable.field("channel", f"role {role.value} cannot report on channel {requested}")


ORIGIN_OF = {Channel.letters_visits: "petition", Channel.leadership: "instruction", Channel.media: "post"}
"""The part of a report that says where a 信访, 领导交办 or 舆情 case came from."""


def check_owned(channel: str, origins: dict[str, dict | None], owner: dict | None) -> dict:
    """A 信访, 领导交办 or 舆情 report carries its own origin (the letter or visit, the instruction, the
    post) and may name its 包案领导; other channels carry none of these. Returns the origin kept."""
    wanted = ORIGIN_OF.get(Channel(channel)) if channel in set(Channel) else None
    for name, value in origins.items():
        if value is not None and name != wanted:
            raise Unprocessable.field(name, f"{name} belongs to another channel, not to {channel}")
    if wanted is not None and origins.get(wanted) is None:
        raise Unprocessable.field(wanted, f"a {CHANNEL_NAMES[channel]} report carries its {wanted}")
    if owner is not None and channel not in OWNED_CHANNELS:
        raise Unprocessable.field("owner", f"only 信访, 领导交办 and 舆情 name a 包案领导, not {channel}")
    return dict(origins[wanted] or {}) if wanted else {}


def initial_flags(category_known: bool) -> list[str]:
    return [] if category_known else [Flag.unknown_category.value]


def with_flag(flags: list[str], flag: str) -> list[str]:
    return flags if flag in flags else [*flags, flag]


MAX_MACHINE_IMAGES = 3
"""Images a camera or an IoT alarm may send with its event."""
