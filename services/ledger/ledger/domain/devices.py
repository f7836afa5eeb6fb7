"""The register of devices (设备台账), framework-free: every device the bureau owns or watches, and
what each kind must name. One register for body cameras (执法记录仪, with the officer who carries
them), fixed and mobile capture cameras, drones, smart dog tags (with their licence) and online fume
monitors (with their catering merchant).

A device whose records serve as evidence of a violation (a fixed or mobile capture camera) carries
what 行政处罚法 art. 41 asks: the law or regulation that authorises it, its legal review (法制审核)
and technical review (技术审核), its published location (向社会公布) and the validity of its
calibration (计量检定); its records serve as evidence only while all of it holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from common.refusals import Unprocessable


class Kind(StrEnum):
    body_camera = "body_camera"  # 执法记录仪
    fixed_camera = "fixed_camera"  # 固定摄像头 (watching, not capturing violations)
    fixed_capture = "fixed_capture"  # 固定抓拍设备 (电子技术监控设备, art. 41)
    mobile_capture = "mobile_capture"  # 移动抓拍 (巡查车载), art. 41
    drone = "drone"  # 无人机
    dog_tag = "dog_tag"  # 智能犬牌
    fume_monitor = "fume_monitor"  # 油烟在线监测仪


NAMES = {
    Kind.body_camera: "执法记录仪",
    Kind.fixed_camera: "固定摄像头",
    Kind.fixed_capture: "固定抓拍设备",
    Kind.mobile_capture: "移动抓拍设备",
    Kind.drone: "无人机",
    Kind.dog_tag: "智能犬牌",
    Kind.fume_monitor: "油烟在线监测仪",
}
NEEDS: dict[Kind, tuple[str, ...]] = {
    Kind.body_camera: ("serial_number", "officer_id"),
    Kind.fixed_camera: ("location",),
    Kind.fixed_capture: ("serial_number", "location"),
    Kind.mobile_capture: ("serial_number",),
    Kind.drone: ("serial_number",),
    Kind.dog_tag: ("licence_id",),
    Kind.fume_monitor: ("merchant_id",),
}
"""What each kind names, besides its id."""
EVIDENCE = frozenset({Kind.fixed_capture, Kind.mobile_capture})
"""The kinds whose records serve as evidence of a violation (art. 41)."""
ART41 = ("authorised_by", "legal_review", "technical_review", "published_location", "calibration_valid_until")


@dataclass(frozen=True)
class Approval41:
    """What art. 41 asks of a device whose records are evidence."""

    authorised_by: str  # the law or regulation that authorises it
    legal_review: str  # the 法制审核's reference
    technical_review: str  # the 技术审核's reference
    published_location: str  # where its location was published (a notice, a page)
    calibration_valid_until: date


def check(kind: Kind, given: dict) -> None:
    """The device names what its kind must; a capture device carries art. 41's approvals whole."""
    missing = [f for f in NEEDS[kind] if given.get(f) in (None, "")]
    if missing:
        raise Unprocessable.field(missing[0], f"a {kind.value} ({NAMES[kind]}) names {', '.join(missing)}")
    if kind in EVIDENCE:
        approval = given.get("art41") or {}
        absent = [f for f in ART41 if not approval.get(f)]
        if absent:
            raise Unprocessable.field(
                ["art41", absent[0]],
                f"a {NAMES[kind]}'s records are evidence only with what 行政处罚法 art. 41 asks: "
                f"{', '.join(absent)} missing",
            )


def evidence_ready(kind: Kind, approval: dict | None, active: bool, today: date) -> bool:
    """Its records may serve as evidence today: in service, art. 41's approvals whole, calibrated."""
    if kind not in EVIDENCE or not active or not approval:
        return False
    until = approval.get("calibration_valid_until")
    return all(approval.get(f) for f in ART41) and until is not None and date.fromisoformat(str(until)) >= today
