"""餐饮油烟: a catering place's size by its number of 基准灶头 (standard cooking heads), and the
fume purifier efficiency GB 18483-2001 requires of that size: small (1 to under 3 heads) 60 %,
medium (3 to under 6) 75 %, large (6 or more) 85 %. Rule of ours: a purifier is cleaned every
`LEDGER_PURIFIER_CLEANING_MONTHS` (3); one not cleaned for longer is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from common.refusals import Unprocessable
from ledger.domain.months import add_months


class SizeClass(StrEnum):
    small = "small"  # 小型
    medium = "medium"  # 中型
    large = "large"  # 大型


REQUIRED_EFFICIENCY = {SizeClass.small: 60.0, SizeClass.medium: 75.0, SizeClass.large: 85.0}
LABELS = {SizeClass.small: "小型", SizeClass.medium: "中型", SizeClass.large: "大型"}


def size_class(cooking_heads: float) -> SizeClass:
    if cooking_heads < 1:
        raise Unprocessable(f"{cooking_heads} 基准灶头: a catering place has at least 1")
    if cooking_heads < 3:
        return SizeClass.small
    if cooking_heads < 6:
        return SizeClass.medium
    return SizeClass.large


def required_efficiency(cooking_heads: float) -> float:
    return REQUIRED_EFFICIENCY[size_class(cooking_heads)]


def below_required(rated_efficiency: float, cooking_heads: float) -> bool:
    return rated_efficiency < required_efficiency(cooking_heads)


@dataclass(frozen=True)
class CleaningRule:
    months: int = 3


def cleaning_due(last_cleaned: date | None, installed_on: date, rule: CleaningRule) -> date:
    """When the purifier must next be cleaned: `months` after the last cleaning, or after it was installed."""
    return add_months(last_cleaned or installed_on, rule.months)


def cleaning_overdue(last_cleaned: date | None, installed_on: date, today: date, rule: CleaningRule) -> bool:
    return today > cleaning_due(last_cleaned, installed_on, rule)
