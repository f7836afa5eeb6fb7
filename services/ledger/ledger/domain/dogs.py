"""养犬登记: the dog register's rules. Seed 004's bureau made 345 registrations and 895 annual
inspections in a year, captured 192 strays and recorded 78 walking violations; seed 002's city
registers online with the tag sent by post.

Rules of ours, each a setting (cities differ):
- a dog registers from `min_age_months` (3) old, the day it is exactly 3 months included;
- its rabies vaccination must be valid on the day: a vaccination is valid for
  `rabies_valid_months` (12), and lapses on the anniversary;
- a breed on the city's banned list is refused;
- in a key management zone (重点管理区, polygons): one dog per household, and no large dog;
- the size class by height at the withers: small under 35 cm, medium 35 to under 60, large 60 up;
- the licence is inspected every year on its date (年检); due within `inspection_notice_days` (30)
  it is listed and the owner reminded; overdue by more than `suspend_after_days` (90) it is
  suspended (an inspection reinstates it);
- walking violations: `violations_to_suspend` (3) within 12 months suspend the licence;
- a captured dog may be claimed within `claim_days` (7) after paying the costs, and is kept in
  quarantine `quarantine_days` (14) before it may be adopted."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from shapely.geometry import Point, shape

from common.refusals import Unprocessable
from ledger.domain.months import add_months, add_months_at


class DogRefused(Unprocessable):
    """A rule refuses: which one, and why, for the 422 (`rule`) and the person (`message`)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message, detail=[{"loc": ["body", rule], "msg": message, "type": "dog_rule", "rule": rule}])
        self.rule = rule


class Size(StrEnum):
    small = "small"  # 小型犬
    medium = "medium"  # 中型犬
    large = "large"  # 大型犬


def size_of(height_cm: float) -> Size:
    if height_cm < 35:
        return Size.small
    if height_cm < 60:
        return Size.medium
    return Size.large


class LicenceStatus(StrEnum):
    active = "active"  # 有效
    suspended = "suspended"  # 暂停 (年检逾期, 违规)
    lost = "lost"  # 走失
    dead = "dead"  # 死亡
    cancelled = "cancelled"  # 注销


IN_FORCE = frozenset({LicenceStatus.active, LicenceStatus.suspended, LicenceStatus.lost})
"""Licences that still count as a household's dog."""


class ViolationKind(StrEnum):
    no_lead = "no_lead"  # 未牵引
    outside_hours = "outside_hours"  # 非规定时间遛犬
    no_dog_place = "no_dog_place"  # 禁止犬只进入的场所
    nuisance = "nuisance"  # 犬只扰民 (from a closed case)
    stray = "stray"  # 被收容 (a licensed dog captured as a stray)


@dataclass(frozen=True)
class DogRules:
    min_age_months: int = 3
    rabies_valid_months: int = 12
    banned_breeds: frozenset[str] = frozenset()
    inspection_notice_days: int = 30
    suspend_after_days: int = 90
    violations_to_suspend: int = 3
    claim_days: int = 7
    quarantine_days: int = 14
    walk_hours: tuple[time, time] = (time(6, 0), time(22, 0))


def _breed(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def refuse_breed(breed: str, rules: DogRules) -> None:
    if _breed(breed) in {_breed(b) for b in rules.banned_breeds}:
        raise DogRefused("banned_breed", f"{breed} is on the city's list of banned breeds (禁养犬只)")


def old_enough(birth_date: date, today: date, rules: DogRules) -> None:
    if birth_date > today:
        raise DogRefused("birth_date", f"birth_date {birth_date} is in the future")
    from_day = add_months(birth_date, rules.min_age_months)
    if today < from_day:
        raise DogRefused(
            "too_young", f"a dog registers from {rules.min_age_months} months old; this one may from {from_day}"
        )


def rabies_valid_until(vaccinated_on: date, rules: DogRules) -> date:
    """The day the vaccination lapses."""
    return add_months(vaccinated_on, rules.rabies_valid_months)


def rabies_valid(vaccinated_on: date, today: date, rules: DogRules) -> None:
    if vaccinated_on > today:
        raise DogRefused("rabies", f"vaccinated_on {vaccinated_on} is in the future")
    until = rabies_valid_until(vaccinated_on, rules)
    if today >= until:
        raise DogRefused("rabies", f"the rabies vaccination of {vaccinated_on} lapsed on {until}: vaccinate again")


# -- 重点管理区 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyZone:
    id: str
    name: str
    geometry: dict
    _shape: Any = field(default=None, compare=False, repr=False)

    def contains(self, lon: float, lat: float) -> bool:
        polygon = self._shape or shape(self.geometry)
        return polygon.covers(Point(lon, lat))  # the boundary is in the zone


def zones_from(geojson: dict) -> list[KeyZone]:
    return [
        KeyZone(f["properties"]["id"], f["properties"]["name"], f["geometry"], shape(f["geometry"]))
        for f in geojson.get("features", [])
    ]


def zone_of(lon: float | None, lat: float | None, zones: list[KeyZone]) -> KeyZone | None:
    if lon is None or lat is None:
        return None
    return next((z for z in zones if z.contains(lon, lat)), None)


def refuse_in_zone(zone: KeyZone | None, size: Size, household_dogs: int) -> None:
    """In a key management zone: no large dog, and one dog per household."""
    if zone is None:
        return
    if size == Size.large:
        raise DogRefused("key_zone_large", f"no large dog in the key management zone {zone.name} (重点管理区)")
    if household_dogs >= 1:
        raise DogRefused(
            "key_zone_household",
            f"one dog per household in the key management zone {zone.name}; this "
            f"household has {household_dogs} already",
        )


# -- 年检, violations, strays ------------------------------------------------------------------


def first_inspection(issued_on: date) -> date:
    return add_months(issued_on, 12)


def next_inspection(due_on: date, today: date) -> date:
    """After an inspection for `due_on` (early, on time or late): the licence's next anniversary
    after that due date, and after today."""
    months = 12
    while add_months(due_on, months) <= today:
        months += 12
    return add_months(due_on, months)


class InspectionState(StrEnum):
    current = "current"
    due = "due"  # within the notice days
    overdue = "overdue"
    suspend = "suspend"  # overdue beyond the rule's days


def inspection_state(due_on: date, today: date, rules: DogRules) -> InspectionState:
    if today > due_on:
        return InspectionState.suspend if (today - due_on).days > rules.suspend_after_days else InspectionState.overdue
    if (due_on - today).days <= rules.inspection_notice_days:
        return InspectionState.due
    return InspectionState.current


def violations_within_a_year(moments: list[datetime], now: datetime) -> int:
    """Violations in the twelve months up to now (Beijing calendar)."""
    since = add_months_at(now, -12)
    return sum(1 for m in moments if since < m <= now)


def outside_walk_hours(local: time, rules: DogRules) -> bool:
    start, end = rules.walk_hours
    return not (start <= local < end)


def microchip(value: str) -> str:
    """A microchip number: 15 digits (ISO 11784/11785)."""
    v = value.strip().replace(" ", "")
    if not re.fullmatch(r"\d{15}", v):
        raise DogRefused("chip", f"chip {value!r}: a microchip number is 15 digits (ISO 11784)")
    return v


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number(value: str) -> str:
    """居民身份证号码, GB 11643: 18 characters, a valid birth date, the ISO 7064 MOD 11-2 check."""
    v = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        raise DogRefused("id_number", "an identity-card number is 18 characters: 17 digits and a digit or X")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise DogRefused("id_number", "the identity-card number's birth date (characters 7-14) is not a date") from None
    expected = ID_CHECK[sum(int(c) * w for c, w in zip(v[:17], ID_WEIGHTS, strict=False)) % 11]
    if v[17] != expected:
        raise DogRefused(
            "id_number", f"the identity-card number's check character is {v[17]}, but the first 17 give {expected}"
        )
    return v
