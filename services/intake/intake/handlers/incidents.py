"""Intake's service layer: the command that takes a complaint in, and the handlers that show a
case's progress on the incident it came from."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from common.db import row_insert, table_of
from common.messaging.contracts import (
    CaseOwner,
    IncidentDetached,
    IncidentJoined,
    IncidentRated,
    IncidentReplied,
    IncidentReported,
    Location,
)
from common.redaction import mask_phone
from common.refusals import Conflict, NotFound, Refusal, Throttled, Unprocessable, found
from common.uow import UnitOfWork
from common.vocabulary import Channel
from intake.domain.incidents import (
    FINISHED,
    IncidentStatus,
    Nearby,
    duplicate_search,
    initial_flags,
    may_rate,
    nearest_within,
    with_flag,
)
from intake.handlers.catalogue import Catalogue, time_limit_hours
from intake.handlers.media import StoredPhoto
from intake.handlers.work_orders import Link, changed, check_owner, order_for_update, visited
from intake.tables import IdempotencyKey, Incident, IncidentPhoto

INCIDENTS = table_of(Incident)
TRACKED_CHANNELS = frozenset({Channel.open311, Channel.web})
"""Channels whose reporter gets a tracking token (the Open311 token and the web page's)."""


@dataclass(frozen=True)
class ReportIncident:
    category_code: str
    location: Location
    description: str
    channel: str
    urgency: str
    reported_by: str
    caller_name: str | None = None
    caller_phone: str | None = None
    source_reference: str | None = None
    source_deadline: datetime | None = None
    owner: dict | None = None
    origin: dict = field(default_factory=dict)
    idempotency_key: str | None = None
    address_string: str | None = None
    attributes: dict = field(default_factory=dict)
    media_urls: tuple[str, ...] = ()
    contact_email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    client_id: str | None = None
    photos: tuple[StoredPhoto, ...] = ()
    public_photos: bool = False
    observed_at: datetime | None = None
    source_event_id: str | None = None
    submitter: str | None = None
    reporter_squad_id: str | None = None  # 巡查发现: the finder's squad, which the case goes to
    order_kind: str = "phone"  # an upstream order's kind (phone, online): which limits run
    order_origin: str | None = None  # 110: a 非警务 order the police handed to 12345

    def fingerprint(self) -> str:
        """What makes two requests 'the same request' for an idempotency key (a retry may come
        from another address, and its photos get new ids but have the same content)."""
        body = {k: v for k, v in asdict(self).items() if k not in ("idempotency_key", "reported_by", "submitter")}
        body["location"] = self.location.model_dump()
        body["photos"] = [p.sha256 for p in self.photos]
        body["observed_at"] = self.observed_at.isoformat() if self.observed_at else None
        body["source_deadline"] = self.source_deadline.isoformat() if self.source_deadline else None
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class ReportPolicy:
    """The bureau's settings for new reports (IntakeSettings): which channels join open
    incidents, and how many reports one client may send about one spot."""

    dedup_channels: frozenset[str] = frozenset()
    flood_radius_m: int = 200
    flood_max_reports: int = 0  # 0: no limit
    flood_window_minutes: int = 60


def key_reused(cmd: ReportIncident) -> Refusal:
    """The same key came back with a different request: a machine's event id is a conflict with
    what it sent first (409); a caller's Idempotency-Key is a header used wrongly (422)."""
    if cmd.source_event_id:
        return Conflict(f"source_event_id {cmd.source_event_id!r} was already sent with different content")
    return Unprocessable.field(
        "Idempotency-Key",
        f"Idempotency-Key {cmd.idempotency_key!r} was used for a different request",
        "idempotency_key_reused",
        where="header",
    )


@dataclass(frozen=True)
class Reported:
    incident: Incident
    replayed: bool
    joined: Incident | None = None
    """The open incident this report joined (重复件), if it did."""


async def report_incident(
    uow: UnitOfWork,
    cmd: ReportIncident,
    catalogue: Catalogue,
    policy: ReportPolicy = ReportPolicy(),
    link: Link | None = None,
    *,
    commit: bool = True,
) -> Reported:
    """受理: store the incident and announce it (`commit=False`: in a consumer's transaction, which
    commits with the batch). An unknown category is accepted and flagged.
    With an idempotency key, a retry of the same request returns the first incident. A report
    on a merging channel that repeats an open incident joins it (IncidentJoined) instead of
    opening a second case; one client's flood of one spot is refused."""
    # Reference data first, before this unit of work takes a connection from the pool.
    rules = await catalogue.rules(cmd.category_code)
    now = uow.clock.now()
    incident_id = str(uuid.uuid4())
    if cmd.idempotency_key is not None:
        # Two racing retries: the second INSERT waits for the first to commit, then finds it.
        claimed = (
            await uow.session.execute(
                insert(IdempotencyKey)
                .values(
                    principal=cmd.reported_by,
                    key=cmd.idempotency_key,
                    request_hash=cmd.fingerprint(),
                    incident_id=incident_id,
                    created_at=now,
                )
                .on_conflict_do_nothing()
                .returning(col(IdempotencyKey.incident_id))
            )
        ).first()
        if claimed is None:
            first = await uow.session.get(IdempotencyKey, (cmd.reported_by, cmd.idempotency_key))
            if first is None:  # the key expired between the INSERT and this read
                raise Conflict(f"Idempotency-Key {cmd.idempotency_key!r} was being used: send the request again")
            if first.request_hash != cmd.fingerprint():
                raise key_reused(cmd)
            incident = found(await uow.session.get(Incident, first.incident_id), f"incident {first.incident_id}")
            joined = await uow.session.get(Incident, incident.duplicate_of) if incident.duplicate_of else None
            uow.session.expunge_all()  # nothing to commit: keep them readable after the rollback
            return Reported(incident, replayed=True, joined=joined)
    if cmd.submitter is not None and policy.flood_max_reports > 0:
        await _refuse_flood(uow, cmd, policy, now)
    category_known = rules is not None
    incident = Incident(
        id=incident_id,
        channel=cmd.channel,
        category_code=cmd.category_code,
        category_known=category_known,
        urgency=cmd.urgency,
        lon=cmd.location.lon,
        lat=cmd.location.lat,
        description=cmd.description,
        caller_name=cmd.caller_name,
        caller_phone=cmd.caller_phone,
        source_reference=cmd.source_reference,
        source_deadline=cmd.source_deadline.astimezone(UTC) if cmd.source_deadline else None,
        owner=cmd.owner,
        origin=dict(cmd.origin),
        reported_by=cmd.reported_by,
        flags=initial_flags(category_known),
        status=IncidentStatus.received,
        reported_at=now,
        updated_at=now,
        address_string=cmd.address_string,
        attributes=dict(cmd.attributes),
        media_urls=list(cmd.media_urls),
        contact_email=cmd.contact_email,
        device_id=cmd.device_id,
        account_id=cmd.account_id,
        client_id=cmd.client_id,
        open311_token=str(uuid.uuid4()) if cmd.channel in TRACKED_CHANNELS else None,
        category_version=rules.version if rules else None,
        observed_at=cmd.observed_at.astimezone(UTC) if cmd.observed_at else None,
        source_event_id=cmd.source_event_id,
        submitter=cmd.submitter,
    )
    joined = None
    if rules is not None and cmd.channel in policy.dedup_channels:
        search = duplicate_search(
            cmd.location.lon, cmd.location.lat, now, rules.dedup_radius_m, rules.dedup_window_hours
        )
        if search is not None:
            joined, distance = await _open_incident_near(uow, cmd.category_code, search)
    if joined is not None:
        earlier = (
            await uow.session.exec(select(func.count()).select_from(Incident).where(Incident.duplicate_of == joined.id))
        ).one()
        incident.duplicate_of, incident.status = joined.id, joined.status
    await row_insert(INCIDENTS).execute(await uow.db(), **incident.model_dump())
    order = (
        link.new_order(
            incident.id,
            cmd.channel,
            cmd.source_reference,
            cmd.order_kind,
            cmd.order_origin,
            now,
            incident.source_deadline,
        )
        if link is not None
        else None
    )
    if order is not None:  # 工单: answered back to the system it came from
        uow.session.add(order)
    for n, p in enumerate(cmd.photos):
        uow.session.add(
            IncidentPhoto(
                id=p.id,
                incident_id=incident.id,
                position=n,
                sha256=p.sha256,
                content_type=p.content_type,
                size=p.size,
                original_key=p.original_key,
                shown_key=p.shown_key,
                shown_type=p.shown_type,
                public=cmd.public_photos,
                taken_at=p.taken_at.astimezone(UTC) if p.taken_at else None,
                uploaded_at=now,
            )
        )
    photo_ids = [p.id for p in cmd.photos]
    if joined is not None:
        uow.publish(
            IncidentJoined(
                incident_id=incident.id,
                joined_incident_id=joined.id,
                reported_at=now,
                channel=cmd.channel,
                category_code=cmd.category_code,
                distance_m=round(distance, 1),
                reporters=earlier + 2,
                photo_ids=photo_ids,
            )
        )
    else:
        uow.publish(
            _reported_event(
                incident, photo_ids, time_limit_hours(rules, cmd.urgency), reporter_squad_id=cmd.reporter_squad_id
            )
        )
    if commit:
        await uow.commit()
    return Reported(incident, replayed=False, joined=joined)


def _reported_event(
    incident: Incident, photo_ids: list[str], time_limit_hours: float | None, *, reporter_squad_id: str | None = None
) -> IncidentReported:
    """What intake tells of a new incident. A patrol find (巡查发现) names its finder and squad,
    which dispatch gives it to."""
    patrol = incident.channel == Channel.patrol
    return IncidentReported(
        incident_id=incident.id,
        reported_at=incident.reported_at,
        channel=incident.channel,
        category_code=incident.category_code,
        category_known=incident.category_known,
        urgency=incident.urgency,
        location=Location(lon=incident.lon, lat=incident.lat),
        description=incident.description,
        address=incident.address_string,
        caller_phone_masked=mask_phone(incident.caller_phone) if incident.caller_phone else None,
        source_reference=incident.source_reference,
        flags=list(incident.flags),
        time_limit_hours=time_limit_hours,
        category_version=incident.category_version,
        observed_at=incident.observed_at,
        photo_ids=photo_ids,
        source_event_id=incident.source_event_id,
        attributes=dict(incident.attributes),
        reporter_squad_id=reporter_squad_id if patrol else None,
        reporter_officer_id=incident.reported_by if patrol else None,
        source_deadline=incident.source_deadline,
        owner=CaseOwner(**incident.owner) if incident.owner else None,
        origin=dict(incident.origin or {}),
    )


async def _reported_around(uow: UnitOfWork, around: Nearby, *conditions) -> list[tuple[str, float, float, datetime]]:
    """Incidents meeting `conditions`, reported since `around.since`, in the box that holds its
    circle (the lon/lat columns): (id, lon, lat, reported_at). The caller measures the circle."""
    x0, x1, y0, y1 = around.bounds()
    return [
        (r[0], r[1], r[2], r[3])
        for r in (
            await uow.session.exec(
                select(Incident.id, Incident.lon, Incident.lat, Incident.reported_at).where(
                    *conditions,
                    Incident.reported_at >= around.since,
                    col(Incident.lon).between(x0, x1),
                    col(Incident.lat).between(y0, y1),
                )
            )
        ).all()
    ]


async def _open_incident_near(uow: UnitOfWork, category_code: str, search: Nearby) -> tuple[Incident | None, float]:
    """The open incident of the category nearest to the point, within the radius and window.
    The ~1 km cells around the point are locked first, so two reports of one spot arriving
    together cannot both miss each other and open two cases."""
    for cx, cy in search.cells():
        await uow.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"intake.dedup:{category_code}:{cx}:{cy}"}
        )
    candidates = await _reported_around(
        uow,
        search,
        Incident.category_code == category_code,
        col(Incident.duplicate_of).is_(None),
        col(Incident.status).not_in([s.value for s in FINISHED]),
    )
    nearest = nearest_within(search, [(i, lon, lat) for i, lon, lat, _ in candidates])
    if nearest is None:
        return None, 0.0
    return await uow.session.get(Incident, nearest[0]), nearest[1]


async def _refuse_flood(uow: UnitOfWork, cmd: ReportIncident, policy: ReportPolicy, now: datetime) -> None:
    spot = Nearby(
        cmd.location.lon,
        cmd.location.lat,
        float(policy.flood_radius_m),
        now - timedelta(minutes=policy.flood_window_minutes),
    )
    near = sorted(
        at
        for _, lon, lat, at in await _reported_around(uow, spot, Incident.submitter == cmd.submitter)
        if spot.distance(lon, lat) <= spot.radius_m
    )
    if len(near) >= policy.flood_max_reports:
        retry = max(1, int((near[0] + timedelta(minutes=policy.flood_window_minutes) - now).total_seconds()))
        raise Throttled(
            f"{len(near)} reports from you within {policy.flood_radius_m} m in the last "
            f"{policy.flood_window_minutes} minutes; at most {policy.flood_max_reports}. "
            "Your earlier reports of this spot are being handled",
            retry,
        )


class NotJoined(Conflict):
    """The report did not join another incident, so there is nothing to split."""


async def detach_report(uow: UnitOfWork, incident_id: str, actor: str, reason: str, catalogue: Catalogue) -> Incident:
    """拆分误合并: a report that joined the wrong incident is reported again on its own."""
    incident = (await uow.session.exec(select(Incident).where(Incident.id == incident_id).with_for_update())).first()
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    if incident.duplicate_of is None:
        raise NotJoined(f"incident {incident_id} did not join another incident; there is nothing to split")
    joined_id, now = incident.duplicate_of, uow.clock.now()
    incident.duplicate_of, incident.status, incident.updated_at = None, IncidentStatus.received, now
    incident.flags = with_flag(list(incident.flags), "detached")
    photo_ids = list(
        (await uow.session.exec(select(IncidentPhoto.id).where(IncidentPhoto.incident_id == incident.id))).all()
    )
    uow.publish(
        IncidentDetached(
            incident_id=incident.id, joined_incident_id=joined_id, detached_by=actor, detached_at=now, reason=reason
        )
    )
    uow.publish(
        _reported_event(
            incident, photo_ids, time_limit_hours(await catalogue.rules(incident.category_code), incident.urgency)
        )
    )
    await uow.commit()
    return incident


class NotToReply(Conflict):
    """Nothing to reply yet, or nobody to reply to; the message says which."""


class RatingRefused(Conflict):
    """Not rateable now; the message says why."""


async def reply_to_reporter(
    uow: UnitOfWork, incident_id: str, how: str, rating: str | None = None, comment: str | None = None
) -> Incident:
    """回访: the hotline called the caller back (or texted) with the result of the closed case, and
    took down the caller's 满意度 when given (the same rating the web reporter gives on the page)."""
    incident = (await uow.session.exec(select(Incident).where(Incident.id == incident_id).with_for_update())).first()
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    if incident.status != IncidentStatus.closed:
        raise NotToReply(f"incident {incident_id} is {incident.status}: the reply tells the result of a closed case")
    if not incident.caller_phone:
        raise NotToReply(f"incident {incident_id} left no phone number to call back")
    if rating is not None:
        await _rate(uow, incident, rating, comment)
    if incident.replied_at is None:
        incident.replied_at = uow.clock.now()
        uow.session.add(incident)
        uow.publish(
            IncidentReplied(
                incident_id=incident.id,
                case_id=incident.case_id,
                channel=incident.channel,
                how=how,
                at=incident.replied_at,
            )
        )
    await uow.commit()
    return incident


async def visit_by_upstream(
    uow: UnitOfWork, link: Link, incident_id: str, subject: str, given: str, comment: str | None
) -> Incident:
    """回访 by the upstream system of its own order: its satisfaction, on its own scale, rates the case
    as a caller's would (不满意 reopens it, by the bureau's rule), and archives or redoes the order."""
    incident = (await uow.session.exec(select(Incident).where(Incident.id == incident_id).with_for_update())).first()
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    order = await order_for_update(uow, incident_id)
    up = check_owner(order, link, subject)
    now = uow.clock.now()
    rating = visited(order, up, given, now)
    changed(uow, order, now)
    await _rate(uow, incident, rating, comment)
    if incident.replied_at is None:
        incident.replied_at = now
        uow.publish(
            IncidentReplied(
                incident_id=incident.id, case_id=incident.case_id, channel=incident.channel, how="upstream", at=now
            )
        )
    await uow.commit()
    return incident


async def rate_report(uow: UnitOfWork, token: str, rating: str, comment: str | None) -> Incident:
    """评价: the reporter rates the result of a closed case on the tracking page, once per closure."""
    incident = (
        await uow.session.exec(select(Incident).where(Incident.open311_token == token).with_for_update())
    ).first()
    if incident is None:
        raise NotFound("no report has this tracking token (查询码); check it and try again")
    await _rate(uow, incident, rating, comment)
    await uow.commit()
    return incident


async def _rate(uow: UnitOfWork, incident: Incident, rating: str, comment: str | None) -> None:
    case_holder = (
        found(await uow.session.get(Incident, incident.duplicate_of), f"incident {incident.duplicate_of}")
        if incident.duplicate_of
        else incident
    )
    refused = may_rate(case_holder.status, case_holder.case_id, incident.rating)
    if refused:
        raise RatingRefused(refused)
    now = uow.clock.now()
    incident.rating, incident.rating_comment, incident.rated_at = rating, comment, now
    uow.session.add(incident)
    uow.publish(
        IncidentRated(
            incident_id=incident.id,
            case_id=case_holder.case_id,
            case_number=case_holder.case_number,
            category_code=case_holder.category_code,
            squad_id=case_holder.squad_id,
            rating=rating,
            comment=comment,
            rated_at=now,
            opening_report=incident.duplicate_of is None,
        )
    )
