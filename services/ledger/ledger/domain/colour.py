"""一卡四色 (one card, four colours), seed 001: blue no violation; yellow first violation,
warned; orange the same violation again, penalised; red repeated and still not rectified.

Rules of ours, read from that:
- A violation never lowers the colour: the first of a category makes it at least yellow, the
  second of the same category at least orange, the third or later red. The enforcement track
  moves it too: a warning at least yellow, a penalty decision at least orange, a seizure or a
  court-enforced penalty red.
- Recovery (the bureau chooses, `LEDGER_COLOUR_RECOVERY`): `stepwise`, one level down after
  `LEDGER_COLOUR_RECOVERY_MONTHS` (6) with no new violation, counted from the later of the last
  violation and the last change of colour; or `yearly`, back to blue at the first tick of a new
  year (Beijing time) for a merchant with no violation in that new year.
- The "same violation again" counts only violations since the merchant was last blue: back to
  blue, it starts afresh; one step down from red, a new violation of the same kind is red again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

from common.clock import BEIJING
from ledger.domain.months import add_months_at


class Colour(IntEnum):
    blue = 0  # 蓝: 无违规
    yellow = 1  # 黄: 首次违规, 警告
    orange = 2  # 橙: 同类再犯, 处罚
    red = 3  # 红: 屡犯不改, 暂扣工具并从重处罚

    @classmethod
    def named(cls, name: str) -> Colour:
        return cls[name]

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {Colour.blue: "蓝卡", Colour.yellow: "黄卡", Colour.orange: "橙卡", Colour.red: "红卡"}
MEANING = {
    Colour.blue: "无违规记录",
    Colour.yellow: "首次违规, 已警告",
    Colour.orange: "同类违规再犯, 已处罚",
    Colour.red: "屡犯不改, 暂扣工具并从重处罚",
}


def colour_after_violation(current: Colour, prior_same_category: int) -> Colour:
    floor = (Colour.yellow, Colour.orange)[prior_same_category] if prior_same_category < 2 else Colour.red
    return max(current, floor)


ENFORCEMENT_FLOOR = {
    "warn": Colour.yellow,
    "decide": Colour.orange,
    "on_the_spot": Colour.orange,
    "seize": Colour.red,
    "enforce": Colour.red,
}
"""Other steps (payment, release, ...) leave the colour alone. A decision on the spot (当场处罚)
that is a warning alone counts as a warning."""


def colour_after_enforcement(current: Colour, step: str, amount_fen: int | None = None) -> Colour:
    floor = Colour.yellow if step == "on_the_spot" and not amount_fen else ENFORCEMENT_FLOOR.get(step)
    return max(current, floor) if floor is not None else current


class RecoveryMode(StrEnum):
    stepwise = "stepwise"
    yearly = "yearly"


@dataclass(frozen=True)
class RecoveryRule:
    mode: RecoveryMode = RecoveryMode.stepwise
    months: int = 6


@dataclass(frozen=True)
class Recovered:
    colour: Colour
    reason: str  # recovery | yearly_reset


def recovery(
    colour: Colour, *, colour_since: datetime, last_violation_at: datetime | None, now: datetime, rule: RecoveryRule
) -> Recovered | None:
    """The colour the merchant recovers to now, if it does (one step, or back to blue)."""
    if colour == Colour.blue:
        return None
    if rule.mode == RecoveryMode.yearly:
        this_year = now.astimezone(BEIJING).year
        quiet = last_violation_at is None or last_violation_at.astimezone(BEIJING).year < this_year
        if colour_since.astimezone(BEIJING).year < this_year and quiet:
            return Recovered(Colour.blue, "yearly_reset")
        return None
    clean_since = max(colour_since, last_violation_at) if last_violation_at else colour_since
    if now >= add_months_at(clean_since, rule.months):
        return Recovered(Colour(colour - 1), "recovery")
    return None
