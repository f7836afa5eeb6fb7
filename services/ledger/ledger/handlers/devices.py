"""The register of devices as kept: a device written whole (its kind's rules are
ledger.domain.devices'), placed in its grid when it stands somewhere, checked against the
registers it names (a tag's licence, a monitor's merchant), its version counted and told
(DeviceChanged) in the same transaction."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from common.clock import BEIJING
from common.messaging.contracts import DeviceChanged, Location
from common.refusals import Unprocessable
from common.uow import UnitOfWork
from ledger.domain import devices as dev
from ledger.handlers.merchants import grid_map
from ledger.tables import Device, DogLicence, Merchant


async def put_device(uow: UnitOfWork, device_id: str, fields: dict, actor: str) -> Device:
    kind = dev.Kind(fields["kind"])
    dev.check(kind, fields)
    if fields.get("licence_id") and await uow.session.get(DogLicence, fields["licence_id"]) is None:
        raise Unprocessable.field("licence_id", f"{fields['licence_id']} is not a licence of the dog register")
    if fields.get("merchant_id"):
        merchant = await uow.session.get(Merchant, fields["merchant_id"])
        if merchant is None or merchant.closed:
            raise Unprocessable.field("merchant_id", f"{fields['merchant_id']} is not a merchant of the register")
    row = await uow.session.get(Device, device_id, with_for_update=True)
    now = uow.clock.now()
    location = fields.pop("location", None)
    approval = fields.get("art41")
    values = {
        **fields,
        "lon": location["lon"] if location else None,
        "lat": location["lat"] if location else None,
        "calibration_valid_until": date.fromisoformat(str(approval["calibration_valid_until"]))
        if approval and approval.get("calibration_valid_until")
        else None,
    }
    if location:
        area = (await grid_map(uow.session)).grid_for(location["lon"], location["lat"])
        values["grid_id"], values["squad_id"] = (area.grid_id, area.squad_id) if area else (None, None)
    elif kind == dev.Kind.dog_tag and fields.get("licence_id"):
        licence = await uow.session.get(DogLicence, fields["licence_id"])
        values["grid_id"], values["squad_id"] = (licence.grid_id if licence else None), None  # the household's
    else:
        values["grid_id"] = values["squad_id"] = None
    if row is None:
        row = Device(id=device_id, updated_by=actor, updated_at=now, **values)
    elif all(getattr(row, k) == v for k, v in values.items()):
        await uow.commit()  # the same device sent again: nothing changes, nothing is told
        return row
    else:
        for k, v in values.items():
            setattr(row, k, v)
        row.version, row.updated_by, row.updated_at = row.version + 1, actor, now
    uow.session.add(row)
    uow.publish(told(row, now.astimezone(BEIJING).date(), now))
    await uow.commit()
    return row


async def register_tag(uow: UnitOfWork, tag_id: str, licence: DogLicence, actor: str) -> None:
    """A licence issued with its smart tag (电子智能犬牌) registers the tag as a device of the register,
    in the licence's transaction, unless the register holds that id already (PUT /v1/devices/{id})."""
    if await uow.session.get(Device, tag_id) is not None:
        return
    now = uow.clock.now()
    row = Device(
        id=tag_id,
        kind=dev.Kind.dog_tag.value,
        licence_id=licence.id,
        grid_id=licence.grid_id,
        updated_by=actor,
        updated_at=now,
    )
    uow.session.add(row)
    uow.publish(told(row, now.astimezone(BEIJING).date(), now))


def told(d: Device, today: date, at) -> DeviceChanged:
    kind = dev.Kind(d.kind)
    return DeviceChanged(
        device_id=d.id,
        kind=kind.value,
        status=d.status,
        serial_number=d.serial_number,
        officer_id=d.officer_id,
        licence_id=d.licence_id,
        merchant_id=d.merchant_id,
        location=Location(lon=d.lon, lat=d.lat) if d.lon is not None and d.lat is not None else None,
        grid_id=d.grid_id,
        squad_id=d.squad_id,
        evidence_ready=dev.evidence_ready(kind, d.art41, d.status == "active", today),
        calibration_valid_until=d.calibration_valid_until,
        version=d.version,
        at=at,
    )


async def devices(session, kind: str | None, officer_id: str | None) -> list[Device]:
    query = select(Device).order_by(col(Device.id))
    if kind:
        query = query.where(Device.kind == kind)
    if officer_id:
        query = query.where(Device.officer_id == officer_id)
    return list((await session.exec(query)).all())


async def device(session, device_id: str) -> Device | None:
    return await session.get(Device, device_id)
