"""The no-dog zones as kept: a zone written whole, its version counted and told (DogZoneDefined) in
the same transaction; the same zone sent again changes nothing and tells nothing."""

from __future__ import annotations

from sqlmodel import col, select

from common.messaging.contracts import DogZoneDefined
from common.uow import UnitOfWork
from ledger.domain.zones import check_polygon
from ledger.tables import DogZone


async def put_zone(uow: UnitOfWork, zone_id: str, fields: dict, actor: str) -> DogZone:
    check_polygon(fields["polygon"])
    row = await uow.session.get(DogZone, zone_id, with_for_update=True)
    now = uow.clock.now()
    if row is None:
        row = DogZone(id=zone_id, updated_by=actor, updated_at=now, **fields)
    elif all(getattr(row, k) == v for k, v in fields.items()):
        await uow.commit()
        return row
    else:
        for k, v in fields.items():
            setattr(row, k, v)
        row.version, row.updated_by, row.updated_at = row.version + 1, actor, now
    uow.session.add(row)
    uow.publish(
        DogZoneDefined(
            zone_id=row.id,
            name=row.name,
            kind=row.kind,
            polygon=row.polygon,
            status=row.status,
            version=row.version,
            at=now,
        )
    )
    await uow.commit()
    return row


async def zones(session, kind: str | None) -> list[DogZone]:
    query = select(DogZone).order_by(col(DogZone.id))
    if kind:
        query = query.where(DogZone.kind == kind)
    return list((await session.exec(query)).all())


async def zone(session, zone_id: str) -> DogZone | None:
    return await session.get(DogZone, zone_id)
