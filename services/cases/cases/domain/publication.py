"""行政处罚结果公示, framework-free: what of a decision the public reads, for how long, and when not.

A decision in force is published within 7 working days (国办发〔2018〕118号; some catalogues say 20:
a setting), for the period the bureau sets (a year by default), and withdrawn within 3 days of a
court or a reconsideration changing it (住建部令第55号). What is shown: the party (a natural
person's name masked), the violation, the legal basis and the decision; never an address, a phone
or identity number, a bank account or a health detail, nor the names of other people, so nothing
typed by a person (the facts, the reasons for departing from the band) is shown at all. A minor's
case, and one of state or trade secrets or of personal privacy, is not published (浙江
《行政处罚结果信息网上公开暂行办法》)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from cases.domain.enforcement import Track, required
from common.printing import yuan
from common.redaction import mask_name, redact_personal


class Withheld(StrEnum):
    minor = "minor"  # 当事人为未成年人
    secret = "secret"  # 涉及国家秘密、商业秘密
    privacy = "privacy"  # 涉及个人隐私


WITHHELD_NAMES = {
    Withheld.minor: "当事人为未成年人",
    Withheld.secret: "涉及国家秘密或商业秘密",
    Withheld.privacy: "涉及个人隐私",
}
WITHDRAW_DAYS = 3


@dataclass(frozen=True)
class Notice:
    """A published decision, as the public reads it."""

    decision_number: str
    party: str
    violation: str
    basis: str
    decision: str
    decided_on: date


def shown_party(track: Track) -> str:
    """A natural person by the family name alone (王**); an organisation by its name."""
    party = required(track.party, "party")
    return redact_personal(party) if track.party_kind == "organisation" else mask_name(party)


def notice_of(track: Track, violation: str, decided_on: date) -> Notice:
    amount = track.amount_fen or 0
    decision = f"罚款 {yuan(amount)}" if amount else "警告"
    return Notice(
        decision_number=required(track.decision_number, "decision number"),
        party=shown_party(track),
        violation=violation,
        basis=track.legal_basis or "—",
        decision=decision,
        decided_on=decided_on,
    )


def due_by(decided_on: date, working_days: int, is_working_day: Callable[[date], bool]) -> date:
    """The last day the publication is on time: `working_days` working days after the decision."""
    day, left = decided_on, working_days
    while left > 0:
        day += timedelta(days=1)
        left -= bool(is_working_day(day))
    return day


def shown_until(published_at: datetime, days: int) -> datetime:
    return published_at + timedelta(days=days)
