"""A capture camera's records and 行政处罚法 art. 41: "电子技术监控设备记录违法事实应当真实、清晰、完整、准确。
行政机关应当审核记录内容是否符合要求; 未经审核或者经审核不符合要求的, 不得作为行政处罚的证据。行政机关应当及时告知当事人
违法事实, 并采取信息化手段或者其他措施, 为当事人查询、陈述和申辩提供便利。"

A record from a device that met the article on the day (intake.domain.devices: `evidence_grade`)
waits for a person's review; once accepted the party is told, with a code (告知码) that, with the
plate, finds the record online, where the party answers (陈述申辩) once; a rejected record, or one
from a device that did not meet the article, is never evidence (the case then needs its own)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from common.clock import BEIJING
from common.refusals import Conflict, Unprocessable

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed back
STATEMENT_MAX = 2000


@dataclass(frozen=True)
class Record:
    """What the review looks at: the record as intake keeps it."""

    incident_id: str
    evidence_grade: bool | None
    """None: not a capture camera's record; False: its device did not meet art. 41 that day."""
    photos: int
    vehicle: bool
    """about a vehicle (a parking capture): the plate names the party"""
    plate: str | None
    reviewed: str | None
    """accepted, rejected, or None while it waits."""


def reviewable(r: Record) -> None:
    """A record a person may review now, or the refusal that says why not."""
    if r.evidence_grade is None:
        raise Unprocessable(f"incident {r.incident_id} is not a capture camera's record (行政处罚法 art. 41)")
    if not r.evidence_grade:
        raise Conflict(
            f"incident {r.incident_id} came from a device that did not meet 行政处罚法 art. 41 on the day it saw it "
            "(approvals, published location, calibration): it is a lead for the squad, never evidence"
        )
    if r.reviewed is not None:
        raise Conflict(f"incident {r.incident_id} was reviewed already ({r.reviewed})")


def accept(r: Record) -> None:
    """An accepted record is whole: its picture, and, for a vehicle, the plate it is about."""
    checks = (("a photo", r.photos > 0), ("the plate", bool(r.plate) or not r.vehicle))
    missing = [what for what, ok in checks if not ok]
    if missing:
        raise Unprocessable(
            f"incident {r.incident_id} lacks {' and '.join(missing)}: a record that is not complete cannot be "
            "accepted as evidence (行政处罚法 art. 41); reject it with the reason"
        )


def notice_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def notice(bureau: str, what: str, plate: str | None, seen_at: datetime, place: str, code: str, lookup_url: str) -> str:
    """告知: what the party is told once the record is accepted (by the bureau's text message, by post
    or in person: the channel is the bureau's; the words are these). A vehicle's record is looked up
    with its plate and the code, any other with the code."""
    when = seen_at.astimezone(BEIJING).strftime("%Y年%m月%d日 %H:%M")
    who, key = (f"您的车辆{plate}", "号牌和告知码") if plate else ("您", "告知码")
    return (
        f"【{bureau}】{who}于{when}在{place}被电子技术监控设备记录涉嫌{what}, 记录已经审核。"
        f"您可凭{key} {code} 在 {lookup_url} 查询记录并进行陈述、申辩 (《中华人民共和国行政处罚法》第四十一条)。"
    )


def holder(record_plate: str | None, given_plate: str | None) -> bool:
    """Whoever holds the code holds the record; a vehicle's record also asks for its plate."""
    if not record_plate:
        return True
    return (given_plate or "").strip().upper() == record_plate.upper()


def answerable(reviewed: str | None, answered_at: datetime | None) -> None:
    if reviewed != "accepted":
        raise Conflict("该记录未经审核采纳, 无需陈述申辩 (this record is not an accepted record)")
    if answered_at is not None:
        raise Conflict("您已提交过陈述申辩, 执法部门将予以复核 (this record has been answered already)")
