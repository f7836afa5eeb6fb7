"""The register of devices as ledger announces it: what a machine event's device is checked against
(intake.domain.devices)."""

from __future__ import annotations

from common.db import keep_newer
from common.messaging.contracts import DeviceChanged
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from intake.tables import KnownDevice


async def record_device(event: DeviceChanged, env: Envelope, uow: UnitOfWork) -> None:
    """A device, whole; an older version changes nothing (the register's announcements may arrive
    late or twice)."""
    values = {
        "kind": event.kind,
        "status": event.status,
        "evidence_ready": event.evidence_ready,
        "calibration_valid_until": event.calibration_valid_until,
        "licence_id": event.licence_id,
        "merchant_id": event.merchant_id,
        "version": event.version,
        "at": event.at,
    }
    await uow.session.execute(keep_newer(KnownDevice, {"device_id": event.device_id}, values))
