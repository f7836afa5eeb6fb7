"""Intake's read side: what the routes read, each a query written once (the routes reach the
tables through here and through the handlers, never themselves)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, text
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from intake.domain.devices import Device
from intake.domain.incidents import FINISHED
from intake.tables import (
    Address,
    ApiClient,
    CaptureReview,
    Category,
    CategoryVersion,
    Delivery,
    Incident,
    IncidentPhoto,
    KnownDevice,
    Subscription,
    UpstreamMessage,
    WorkOrder,
)


async def incident(session, incident_id: str) -> Incident | None:
    return await session.get(Incident, incident_id) if len(incident_id) <= 36 else None


async def incidents(
    session,
    *,
    status: str | None = None,
    duplicate_of: str | None = None,
    squad_scope: str | None = None,
    source_reference: str | None = None,
    updated_since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Incident]:
    """Newest first, filtered; `squad_scope`: a squad's own only. With `updated_since`, the oldest
    change first, so a partner polling from its last answer's newest `updated_at` misses nothing."""
    order = (
        (col(Incident.updated_at), col(Incident.id))
        if updated_since is not None
        else (col(Incident.reported_at).desc(), col(Incident.id))
    )
    query = select(Incident).order_by(*order).limit(limit).offset(offset)
    for column, value in (
        (Incident.status, status),
        (Incident.duplicate_of, duplicate_of),
        (Incident.squad_id, squad_scope),
        (Incident.source_reference, source_reference),
    ):
        if value is not None:
            query = query.where(column == value)
    if updated_since is not None:
        query = query.where(Incident.updated_at >= updated_since)
    return list((await session.exec(query)).all())


async def photos_of(session, incident_ids: list[str]) -> list[IncidentPhoto]:
    if not incident_ids:
        return []
    return list(
        (
            await session.exec(
                select(IncidentPhoto)
                .where(col(IncidentPhoto.incident_id).in_(incident_ids))
                .order_by(col(IncidentPhoto.incident_id), col(IncidentPhoto.position))
            )
        ).all()
    )


async def photo_ids(session, incident_id: str, *, public_only: bool = False) -> list[str]:
    query = select(IncidentPhoto.id).where(IncidentPhoto.incident_id == incident_id)
    if public_only:
        query = query.where(IncidentPhoto.public)
    return list((await session.exec(query.order_by(col(IncidentPhoto.incident_id), col(IncidentPhoto.position)))).all())


async def public_photos(session, incident_ids: list[str]) -> list[tuple[str, str]]:
    """(incident id, photo id) of the photos citizens sent publicly."""
    return list(
        (
            await session.exec(
                select(IncidentPhoto.incident_id, IncidentPhoto.id)
                .where(col(IncidentPhoto.incident_id).in_(incident_ids), IncidentPhoto.public)
                .order_by(col(IncidentPhoto.incident_id), col(IncidentPhoto.position))
            )
        ).all()
    )


async def photo_with_incident(session, photo_id: str) -> tuple[IncidentPhoto | None, Incident | None]:
    photo = await session.get(IncidentPhoto, photo_id[:36])
    return photo, (await session.get(Incident, photo.incident_id) if photo else None)


async def by_token(session, token: str) -> Incident | None:
    return (await session.exec(select(Incident).where(Incident.open311_token == token[:36]))).first()


async def holders(session, ids: set[str]) -> dict[str, Incident]:
    """The open incidents that reports joined (重复件), by id."""
    if not ids:
        return {}
    return {h.id: h for h in (await session.exec(select(Incident).where(col(Incident.id).in_(ids)))).all()}


async def categories(session, *, active_only: bool = False) -> list[Category]:
    query = select(Category).order_by(col(Category.code))
    if active_only:
        query = query.where(Category.active)
    return list((await session.exec(query)).all())


async def category(session, code: str) -> Category | None:
    return await session.get(Category, code)


async def category_names(session) -> dict[str, str]:
    return dict((await session.exec(select(Category.code, Category.name))).all())


async def category_versions(session, code: str) -> list[CategoryVersion]:
    return list(
        (
            await session.exec(
                select(CategoryVersion).where(CategoryVersion.code == code).order_by(col(CategoryVersion.version))
            )
        ).all()
    )


async def addresses(session) -> list[tuple[str, float, float]]:
    return list((await session.exec(select(Address.address, Address.lon, Address.lat))).all())


async def api_client(session, key_sha256: str) -> ApiClient | None:
    return (await session.exec(select(ApiClient).where(ApiClient.key_sha256 == key_sha256))).first()


async def api_clients(session) -> list[ApiClient]:
    return list((await session.exec(select(ApiClient).order_by(col(ApiClient.created_at)))).all())


async def open311_requests(
    session,
    *,
    channels: frozenset[str] | None,
    ids: list[str],
    start: datetime | None,
    end: datetime | None,
    codes: list[str],
    state: str | None,
    limit: int,
    offset: int,
) -> list[Incident]:
    """GeoReport v2's listing: by id (the other filters ignored), or in a window of time by
    service and by open/closed (a joined report is as open as the one it joined)."""
    query = select(Incident)
    if channels is not None:
        query = query.where(col(Incident.channel).in_(channels))
    if ids:
        query = query.where(col(Incident.id).in_(ids))
    else:
        if start is not None:
            query = query.where(Incident.reported_at >= start)
        if end is not None:
            query = query.where(Incident.reported_at <= end)
        if codes:
            query = query.where(col(Incident.category_code).in_(codes))
        if state is not None:
            finished = [s.value for s in FINISHED]
            holder = aliased(Incident)
            shown = func.coalesce(
                select(holder.status).where(holder.id == Incident.duplicate_of).scalar_subquery(), Incident.status
            )
            query = query.where(shown.in_(finished) if state == "closed" else shown.not_in(finished))
    query = query.order_by(col(Incident.reported_at).desc(), col(Incident.id)).limit(limit).offset(offset)
    return list((await session.exec(query)).all())


async def work_order(session, incident_id: str) -> tuple[WorkOrder | None, list[UpstreamMessage]]:
    """An upstream order and its messages in their order."""
    order = await session.get(WorkOrder, incident_id)
    if order is None:
        return None, []
    messages = await session.exec(
        select(UpstreamMessage).where(UpstreamMessage.incident_id == incident_id).order_by(col(UpstreamMessage.seq))
    )
    return order, list(messages.all())


async def work_orders(session, *, state: str | None, system: str | None, limit: int, offset: int) -> list[WorkOrder]:
    query = select(WorkOrder).order_by(col(WorkOrder.received_at).desc()).limit(limit).offset(offset)
    if state is not None:
        query = query.where(WorkOrder.state == state)
    if system is not None:
        query = query.where(WorkOrder.system == system)
    return list((await session.exec(query)).all())


async def upstream_messages(session, *, status: str | None, limit: int) -> list[UpstreamMessage]:
    query = select(UpstreamMessage).order_by(col(UpstreamMessage.created_at).desc()).limit(limit)
    if status is not None:
        query = query.where(UpstreamMessage.status == status)
    return list((await session.exec(query)).all())


async def live_subscriptions(session) -> list[Subscription]:
    return list((await session.exec(select(Subscription).where(col(Subscription.ended_at).is_(None)))).all())


async def subscription(session, subscription_id: str) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def deliveries(session, subscription_id: str, *, status: str | None, limit: int) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.subscription_id == subscription_id)
        .order_by(col(Delivery.created_at).desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(Delivery.status == status)
    return list((await session.exec(query)).all())


async def device(session, device_id: str) -> Device | None:
    """A device of the register, as a machine event's check wants it."""
    row = await session.get(KnownDevice, device_id)
    if row is None:
        return None
    return Device(
        device_id=row.device_id,
        kind=row.kind,
        status=row.status,
        evidence_ready=row.evidence_ready,
        calibration_valid_until=row.calibration_valid_until,
        licence_id=row.licence_id,
        merchant_id=row.merchant_id,
    )


async def captures(session, status: str, limit: int, offset: int) -> list[tuple[Incident, CaptureReview | None]]:
    """A capture camera's records by their review: `pending` (evidence-grade, not yet reviewed),
    `accepted`, `rejected` or `leads` (from a device that did not meet art. 41), oldest first."""
    query = (
        select(Incident, CaptureReview)
        .join(CaptureReview, col(CaptureReview.incident_id) == col(Incident.id), isouter=True)
        .where(text("incidents.attributes ? 'evidence_grade'"))
        .order_by(col(Incident.reported_at), col(Incident.id))
        .limit(limit)
        .offset(offset)
    )
    grade = Incident.attributes["evidence_grade"].astext
    if status == "pending":
        query = query.where(grade == "true", col(CaptureReview.incident_id).is_(None))
    elif status == "leads":
        query = query.where(grade == "false")
    else:
        query = query.where(CaptureReview.status == status)
    return [(i, r) for i, r in (await session.execute(query)).all()]


async def capture_by_code(session, code: str) -> tuple[Incident, CaptureReview] | None:
    """An accepted record by the 告知码 the party was told (intake.domain.captures.holder says whether
    the caller holds it)."""
    review = (await session.exec(select(CaptureReview).where(CaptureReview.code == code))).first()
    if review is None or review.status != "accepted":
        return None
    incident = await session.get(Incident, review.incident_id)
    return (incident, review) if incident is not None else None


async def capture_photos(session, incident_id: str) -> list[IncidentPhoto]:
    query = select(IncidentPhoto).where(IncidentPhoto.incident_id == incident_id).order_by(col(IncidentPhoto.position))
    return list((await session.exec(query)).all())
