"""What is kept of the devices' readings, read: a dog's track (轨迹), a merchant's fume chart and its
daily 开机率, and which tags and monitors a licence or a merchant has."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, func, select

from ledger.tables import Device, DeviceSample, MonitorDay


async def devices_of(session, *, licence_id: str | None = None, merchant_id: str | None = None) -> list[str]:
    q = select(Device.id).order_by(col(Device.id))
    q = q.where(Device.licence_id == licence_id) if licence_id else q.where(Device.merchant_id == merchant_id)
    return list((await session.exec(q)).all())


async def samples(session, devices: list[str], since: datetime, limit: int = 20_000) -> list[DeviceSample]:
    if not devices:
        return []
    q = (
        select(DeviceSample)
        .where(col(DeviceSample.device_id).in_(devices), col(DeviceSample.at) >= since)
        .order_by(col(DeviceSample.at))
        .limit(limit)
    )
    return list((await session.exec(q)).all())


async def running_days(session, devices: list[str], since: date) -> list[tuple[date, int, int]]:
    """开机率 by day, the merchant's monitors summed: (day, readings with the fan on, and the purifier too)."""
    if not devices:
        return []
    q = (
        select(col(MonitorDay.day), func.sum(MonitorDay.fan_readings), func.sum(MonitorDay.running_readings))
        .where(col(MonitorDay.device_id).in_(devices), col(MonitorDay.day) >= since)
        .group_by(col(MonitorDay.day))
        .order_by(col(MonitorDay.day))
    )
    return [(d, int(f), int(r)) for d, f, r in (await session.exec(q)).all()]
