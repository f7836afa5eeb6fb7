"""A machine's record as evidence (行政处罚法 art. 41), framework-free: a case that came from a
camera or a device alleges a violation (告知, 当场处罚) only on a record a person reviewed and
accepted, or on what the squad found itself (a 现场检查 or 询问 of the case); a record not reviewed,
rejected, or from a device that did not meet the article is a lead, never evidence."""

from __future__ import annotations

from collections.abc import Iterable

from common.refusals import Conflict
from common.vocabulary import Channel

MACHINE_CHANNELS = frozenset({Channel.camera.value, Channel.iot.value})


def refuse_without_evidence(channel: str, reviews: Iterable[bool], investigated: bool) -> None:
    """`reviews`: the case's capture records as reviewed (accepted or not); `investigated`: a 现场检查
    or 询问 of the case is on record."""
    if channel not in MACHINE_CHANNELS or investigated or any(reviews):
        return
    raise Conflict(
        "this case came from a machine's record, which is no evidence until a person has reviewed and accepted it "
        "(行政处罚法 art. 41: POST /v1/captures/{incident_id}/review); or record an inspection or an inquiry "
        "(POST /v1/cases/{id}/investigations) first"
    )
