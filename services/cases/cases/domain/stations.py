"""A body camera's docking station (采集站), framework-free: it uploads the day's files, each tagged
with the camera and when it recorded; a file is offered to the cases its officer worked on while it
recorded (a step of theirs in the case's trail, or an investigation they were present at, within
the bureau's margin either side), and an officer of the case attaches it in one step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from common.refusals import Unprocessable


@dataclass(frozen=True)
class Camera:
    device_id: str
    kind: str
    status: str
    officer_id: str | None


def check_camera(device_id: str, camera: Camera | None) -> str:
    """The officer a station's file is from: the camera is a body camera of the register, in service,
    carried by someone; else the upload is refused by name."""
    if camera is None:
        raise Unprocessable.field(
            "Upload-Metadata", f"device_id {device_id} is not in the register of devices (设备台账)"
        )
    if camera.kind != "body_camera" or camera.status != "active" or not camera.officer_id:
        raise Unprocessable.field(
            "Upload-Metadata",
            f"device {device_id} is a {camera.kind} ({camera.status}): a docking station uploads the files of a "
            "body camera in service, carried by an officer",
        )
    return camera.officer_id


def window(recorded_at: datetime, duration_s: float | None, margin: timedelta) -> tuple[datetime, datetime]:
    """When the file may show the officer's work on a case: its recording, widened by the margin."""
    return recorded_at - margin, recorded_at + timedelta(seconds=duration_s or 0) + margin
