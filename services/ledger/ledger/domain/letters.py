"""门前三包责任书 (front-of-shop responsibility letters): the shop keeps the area before it clean
(卫生), green (绿化) and in order (秩序), from the wall base to the kerb (3 m out where there is
no kerb), along its front to the neighbour. Rule of ours: a letter is valid for
`LEDGER_LETTER_VALID_MONTHS` (12) from signing; it is due for renewal in its last
`LEDGER_LETTER_RENEWAL_DAYS` (30)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ledger.domain.months import add_months

DEFAULT_AREA = "东西向自门店两侧至相邻单位分界, 南北向自门店墙基至人行道路缘石 (无路缘石的, 自墙基向外 3 米)"
DUTIES = (
    ("卫生", "责任区内无乱扔乱倒、无污水外流、无积存垃圾, 雨雪天气及时清扫"),
    ("绿化", "爱护责任区内的树木花草和绿化设施, 不得损毁、擅自占用"),
    ("秩序", "责任区内无占道经营、突店经营、乱堆乱放, 车辆停放整齐, 不乱贴乱画"),
)


class LetterStatus(StrEnum):
    valid = "valid"
    renewal_due = "renewal_due"
    expired = "expired"


@dataclass(frozen=True)
class LetterRule:
    valid_months: int = 12
    renewal_days: int = 30


def valid_until(signed_on: date, rule: LetterRule) -> date:
    """The day the letter lapses (the same day of the month, `valid_months` on)."""
    return add_months(signed_on, rule.valid_months)


def status(until: date, today: date, rule: LetterRule) -> LetterStatus:
    if today >= until:
        return LetterStatus.expired
    if (until - today).days <= rule.renewal_days:
        return LetterStatus.renewal_due
    return LetterStatus.valid
