"""一卡四色 (one card, four colours), seed 001: blue no violation; yellow first violation,
warned; orange the same violation again, penalised; red repeated and still not rectified.

Rule of ours, read from that: a merchant's colour never goes down on a violation; the first
violation of a category makes it at least yellow, the second of the same category at least
orange, the third or later of the same category red."""
from __future__ import annotations

from enum import IntEnum


class Colour(IntEnum):
    blue = 0  # 蓝: 无违规
    yellow = 1  # 黄: 首次违规, 警告
    orange = 2  # 橙: 同类再犯, 处罚
    red = 3  # 红: 屡犯不改, 暂扣工具并从重处罚

    @classmethod
    def named(cls, name: str) -> "Colour":
        return cls[name]


def colour_after_violation(current: Colour, prior_same_category: int) -> Colour:
    floor = (Colour.yellow, Colour.orange)[prior_same_category] if prior_same_category < 2 else Colour.red
    return max(current, floor)


ENFORCEMENT_FLOOR = {"warn": Colour.yellow, "decide": Colour.orange, "seize": Colour.red, "enforce": Colour.red}
"""The enforcement track moves the card too (rule of ours, from the same definitions): a warning
is at least yellow, a penalty decision at least orange, a seizure of tools or a court-enforced
penalty red. Other steps (payment, release, ...) leave the colour alone: it never goes down."""


def colour_after_enforcement(current: Colour, step: str) -> Colour:
    floor = ENFORCEMENT_FLOOR.get(step)
    return max(current, floor) if floor is not None else current
