"""Which device may send which machine event (intake.domain.devices)."""

from __future__ import annotations

from datetime import date

import pytest

from common.refusals import Unprocessable
from intake.domain.devices import Device, admit

DAY = date(2026, 11, 23)


def capture(**kw) -> Device:
    base = {
        "device_id": "cap-1",
        "kind": "fixed_capture",
        "status": "active",
        "evidence_ready": True,
        "calibration_valid_until": date(2027, 5, 31),
    }
    return Device(**{**base, **kw})


def test_an_unknown_or_retired_device_or_one_of_the_wrong_kind_is_refused_by_name():
    with pytest.raises(Unprocessable, match="cap-9 is not in the register of devices"):
        admit("parking_capture", "cap-9", None, DAY)
    with pytest.raises(Unprocessable, match="cap-1 is retired"):
        admit("parking_capture", "cap-1", capture(status="retired"), DAY)
    with pytest.raises(Unprocessable, match="a dog_tag_alarm comes from a dog_tag"):
        admit("dog_tag_alarm", "cap-1", capture(), DAY)


def test_a_capture_is_evidence_grade_only_while_art_41_and_its_calibration_hold():
    assert admit("parking_capture", "cap-1", capture(), DAY) == {"device_kind": "fixed_capture", "evidence_grade": True}
    assert admit("parking_capture", "cap-1", capture(), date(2027, 6, 1))["evidence_grade"] is False
    assert admit("parking_capture", "cap-1", capture(evidence_ready=False), DAY)["evidence_grade"] is False
    assert admit("parking_capture", "cap-1", capture(calibration_valid_until=None), DAY)["evidence_grade"] is False
    plain = capture(kind="fixed_camera", evidence_ready=False, calibration_valid_until=None)
    assert admit("camera_detection", "cam-1", plain, DAY) == {"device_kind": "fixed_camera"}  # a lead, no grade


def test_a_tag_names_its_licence_and_a_monitor_its_merchant_and_a_bike_needs_no_device():
    tag = Device("tag-1", "dog_tag", "active", False, None, licence_id="lic-1")
    assert admit("dog_tag_alarm", "tag-1", tag, DAY) == {"device_kind": "dog_tag", "dog_licence_id": "lic-1"}
    monitor = Device("fm-1", "fume_monitor", "active", False, None, merchant_id="m-1")
    assert admit("iot_alarm", "fm-1", monitor, DAY)["merchant_id"] == "m-1"
    assert admit("shared_bike_parking", "fence-1", None, DAY) == {}
