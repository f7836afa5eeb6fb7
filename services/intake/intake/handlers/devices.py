"""The register of devices as ledger announces it: what a machine event's device is checked against
(intake.domain.devices); and the judge's alarms (ledger.judge), each an incident of the machine channel."""

from __future__ import annotations

import logging

from common.db import keep_newer
from common.messaging.contracts import DeviceAlarmRaised, DeviceChanged
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from intake.handlers.catalogue import Catalogue
from intake.handlers.incidents import ReportIncident, ReportPolicy, report_incident
from intake.tables import KnownDevice

log = logging.getLogger(__name__)


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


ALARM_WORDS = {
    "zone_entered": "智能犬牌告警: 犬只进入禁犬区",
    "outside_hours": "智能犬牌告警: 非允许时段遛犬",
    "exceedance": "油烟在线监测告警: 油烟超标排放",
    "purifier_off": "油烟在线监测告警: 风机运行而净化设施停运",
    "monitor_offline": "油烟在线监测告警: 监测设备离线",
}
"""The alarms that become incidents, and how they read to the dispatcher. A tag gone quiet
(tag_silent) is the register's matter (the owner is reminded), not a violation on the street."""
CATEGORY = {"dog_tag": "dog_nuisance", "fume_monitor": "cooking_fumes"}


async def alarm_reported(
    event: DeviceAlarmRaised, env: Envelope, uow: UnitOfWork, *, catalogue: Catalogue, policy: ReportPolicy
) -> None:
    """物联感知: the judge's alarm becomes an incident of the machine channel, naming the licence or the
    merchant, once: the alarm's id is its idempotency key, however often the alarm comes again."""
    words = ALARM_WORDS.get(event.kind)
    if words is None:
        log.info("alarm %s (%s) of device %s is not a case", event.alarm_id, event.kind, event.device_id)
        return
    if event.location is None:
        log.warning("alarm %s of device %s says nowhere: no incident", event.alarm_id, event.device_id)
        return
    named = {"dog_licence_id": event.licence_id} if event.licence_id else {"merchant_id": event.merchant_id}
    detail = event.detail
    if event.kind == "exceedance":
        words += f" (连续{detail.get('readings')}次, 油烟 {detail.get('fume')} mg/m³)"
    await report_incident(
        uow,
        ReportIncident(
            category_code=CATEGORY[event.device_kind],
            location=event.location,
            channel="iot",
            urgency="ordinary",
            description=words,
            reported_by="machine:ledger.judge",
            device_id=event.device_id,
            attributes={
                "device_kind": event.device_kind,
                "alarm_kind": event.kind,
                **({"zone_id": event.zone_id} if event.zone_id else {}),
                **{k: v for k, v in named.items() if v},
            },
            observed_at=event.at,
            source_event_id=event.alarm_id,
            idempotency_key=event.alarm_id,
        ),
        catalogue,
        policy,
        commit=False,
    )
