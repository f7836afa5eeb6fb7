"""Which device may send which machine event (非现场执法, 物联感知): every machine event names a
device of the register of devices (设备台账, kept by ledger and announced as DeviceChanged), one
in service and of a kind that makes such events. A capture camera's record may serve as evidence
of a violation only while the device meets 行政处罚法 art. 41 (its legal and technical review, its
published location, its calibration in force), and then only once a person has reviewed the record;
a record that may not is a lead (线索) for a squad to verify on site, never evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from common.refusals import Unprocessable

CAMERAS = frozenset({"fixed_camera", "fixed_capture", "mobile_capture", "drone"})
CAPTURE = frozenset({"fixed_capture", "mobile_capture"})
"""The devices whose records may serve as evidence of a violation (电子技术监控设备, art. 41)."""

SENDERS: dict[str, frozenset[str] | None] = {
    "parking_capture": CAMERAS,
    "camera_detection": CAMERAS,
    "dog_tag_alarm": frozenset({"dog_tag"}),
    "iot_alarm": frozenset({"dog_tag", "fume_monitor"}),
    "shared_bike_parking": None,
}
"""The kinds of device each kind of machine event may come from. A shared bike parked outside its
电子围栏 is reported by the bike operator's own platform about its own bike: no device of the
bureau's is involved, so none is asked for (the event names the operator and the bike)."""


@dataclass(frozen=True)
class Device:
    """What intake knows of a registered device (from DeviceChanged)."""

    device_id: str
    kind: str
    status: str
    evidence_ready: bool
    calibration_valid_until: date | None
    licence_id: str | None = None
    merchant_id: str | None = None


def admit(event_kind: str, device_id: str, device: Device | None, seen_on: date) -> dict[str, str | bool]:
    """What the incident records of the device that sent the event, or the refusal that names why
    the event is not taken."""
    kinds = SENDERS[event_kind]
    if kinds is None:
        return {}
    if device is None:
        raise Unprocessable.field(
            "device_id",
            f"device_id {device_id} is not in the register of devices (设备台账): register it first "
            "(PUT /v1/devices/{id})",
        )
    if device.status != "active":
        raise Unprocessable.field("device_id", f"device {device_id} is {device.status} in the register of devices")
    if device.kind not in kinds:
        raise Unprocessable.field(
            "device_id",
            f"device {device_id} is a {device.kind}; a {event_kind} comes from a {' or '.join(sorted(kinds))}",
        )
    recorded: dict[str, str | bool] = {"device_kind": device.kind}
    if device.kind in CAPTURE:
        calibrated = device.calibration_valid_until is not None and seen_on <= device.calibration_valid_until
        recorded["evidence_grade"] = bool(device.evidence_ready and calibrated)
    if device.licence_id:
        recorded["dog_licence_id"] = device.licence_id
    if device.merchant_id:
        recorded["merchant_id"] = device.merchant_id
    return recorded
