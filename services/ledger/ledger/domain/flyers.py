"""小广告号码追呼: the phone numbers printed on illegal flyers (seed 004: 986 numbers tracked, 454
stopped, 164 fined, ¥67,000). A number is tracked (追呼: called again and again until the
advertiser stops), then stopped, or fined (with the amount); a step never goes back."""

from __future__ import annotations

from enum import StrEnum

from common.refusals import Unprocessable


class FlyerStatus(StrEnum):
    tracked = "tracked"  # 追呼中
    stopped = "stopped"  # 已停止
    fined = "fined"  # 已处罚


NEXT = {
    FlyerStatus.tracked: {FlyerStatus.stopped, FlyerStatus.fined},
    FlyerStatus.stopped: {FlyerStatus.fined},
    FlyerStatus.fined: set(),
}


def next_status(current: FlyerStatus, to: FlyerStatus, fine_fen: int | None) -> FlyerStatus:
    if to not in NEXT[current]:
        raise Unprocessable(f"a number {current.value} cannot become {to.value}")
    if to == FlyerStatus.fined and not fine_fen:
        raise Unprocessable("a fine needs its amount (fine_fen, in fen)")
    return to
