"""The list of powers (权责清单) and the discretion standards (裁量基准), framework-free.

A power is what the bureau may punish and under which provision (law, article, clause); its
bands (轻微, 一般, 较重, 严重) say which facts put a case in which band and what the penalty may be
there: a warning, a fine between two amounts, or a fine between two shares of a base the law
names (违法建设: 建设工程造价的百分之五以上百分之十以下, 城乡规划法 art. 64). A decision's amount
must fall in the band chosen for it; outside it, only with the reason for departing recorded, and
then the case goes to the collective discussion (see `cases.domain.approvals`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from common.refusals import Unprocessable


class Level(StrEnum):
    minor = "minor"  # 轻微
    ordinary = "ordinary"  # 一般
    serious = "serious"  # 较重
    grave = "grave"  # 严重


NO_LIMIT = 10**15
"""A band with a lower amount only ("¥1,000 以上")."""
LEVEL_NAMES = {Level.minor: "轻微", Level.ordinary: "一般", Level.serious: "较重", Level.grave: "严重"}


class PartyKind(StrEnum):
    person = "person"  # 自然人
    organisation = "organisation"  # 法人或者其他组织 (个体工商户 counted with them where a law says so)


@dataclass(frozen=True)
class Band:
    level: Level
    facts: str
    """The facts that put a case in this band (情节)."""
    min_fen: int | None = None
    max_fen: int | None = None
    min_pct: float | None = None
    max_pct: float | None = None
    """A fine between these shares of the base the power names (in %), when the law counts so."""
    warning: bool = False
    """A warning (警告) is a penalty of this band; with no amounts, the only one."""
    party: PartyKind | None = None
    """The band is for this kind of party only (a law with different amounts for each); None: both."""

    def describe(self) -> str:
        parts = ["警告"] if self.warning else []
        if self.min_pct is not None or self.max_pct is not None:
            parts.append(f"罚款 {self.min_pct or 0:g}%–{self.max_pct or 0:g}% of the base")
        elif self.min_fen is not None or self.max_fen is not None:
            top = "" if self.max_fen is None else f"¥{self.max_fen / 100:,.2f}"
            parts.append(f"罚款 ¥{(self.min_fen or 0) / 100:,.2f}–{top}")
        return " or ".join(parts) or "no penalty"

    def limits(self, base_fen: int | None) -> tuple[int, int] | None:
        """The fine's limits in fen, or None for a band with no fine (a warning alone)."""
        if self.min_pct is not None or self.max_pct is not None:
            if base_fen is None:
                raise Unprocessable.field(
                    "base_fen", "this band's fine is a share of a base (建设工程造价): give base_fen"
                )
            return round(base_fen * (self.min_pct or 0) / 100), round(base_fen * (self.max_pct or 0) / 100)
        if self.min_fen is None and self.max_fen is None:
            return None
        return self.min_fen or 0, self.max_fen if self.max_fen is not None else NO_LIMIT

    def admits(self, amount_fen: int, base_fen: int | None) -> bool:
        limits = self.limits(base_fen)
        if amount_fen == 0:
            return self.warning or (limits is not None and limits[0] == 0)
        return limits is not None and limits[0] <= amount_fen <= limits[1]


@dataclass(frozen=True)
class Basis:
    law: str
    article: str
    clause: str | None = None
    text: str | None = None

    def cite(self) -> str:
        return f"《{self.law}》{self.article}{self.clause or ''}"


@dataclass(frozen=True)
class Power:
    code: str
    name: str
    violation: str
    """The violation it punishes (违法行为)."""
    basis: Basis
    """The provision that sets the penalty (处罚依据)."""
    bands: tuple[Band, ...]
    categories: tuple[str, ...] = ()
    """The catalogue's categories whose cases it commonly serves."""
    prohibition: Basis | None = None
    """The provision the party broke (违法依据), when not the same as the penalty's."""
    major: bool = False
    """In the bureau's 重大执法决定法制审核目录: every decision under it is reviewed."""

    def band(self, level: Level | str, party: PartyKind | str) -> Band:
        for b in self.bands:
            if b.level == level and (b.party is None or b.party == party):
                return b
        levels = sorted({f"{b.level.value}" + (f" ({b.party.value})" if b.party else "") for b in self.bands})
        raise Unprocessable.field(
            "band", f"power {self.code} has no band {level} for a {party}; its bands: {', '.join(levels)}"
        )

    def cite(self) -> str:
        return (f"违反{self.prohibition.cite()}, 依据" if self.prohibition else "依据") + self.basis.cite()


@dataclass(frozen=True)
class Placement:
    """Where a proposed penalty stands against the discretion standard."""

    band: Band
    within: bool
    """The amount is in the band; if not, a departure (with its reason) it is."""


def place(
    power: Power,
    level: Level | str,
    party: PartyKind | str,
    amount_fen: int,
    base_fen: int | None = None,
    departure_reason: str | None = None,
) -> Placement:
    """The band a penalty falls in; an amount outside it is refused unless the reason for departing
    from the standard is recorded (行政处罚法 art. 34: 裁量基准; a departure is a decision the
    collective discussion takes)."""
    band = power.band(level, party)
    if band.admits(amount_fen, base_fen):
        return Placement(band, True)
    if not (departure_reason or "").strip():
        raise Unprocessable.field(
            "amount_fen",
            f"¥{amount_fen / 100:,.2f} is outside band {band.level.value} ({LEVEL_NAMES[band.level]}) of power "
            f"{power.code}: {band.describe()}; keep to it, or record departure_reason "
            "(the decision then goes to the collective discussion)",
            "outside_band",
        )
    return Placement(band, False)
