"""A body camera's docking station (cases.domain.stations): the register of devices as ledger
announces it, the station's files kept as they come, the offers of each to the cases its officer
worked on, and an officer's attaching one to the case (as evidence, the same original)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, exists, func, or_
from sqlmodel import col, select

from cases.adapters.media import probe, sha256_of
from cases.domain.lifecycle import Actor
from cases.domain.stations import Camera, check_camera
from cases.handlers.evidence import record_evidence
from cases.handlers.steps import case_for_update
from cases.tables import CaseTrailEntry, Evidence, Investigation, KnownDevice, StationFile
from common.db import keep_newer
from common.messaging.contracts import DeviceChanged
from common.messaging.envelope import Envelope
from common.objectstore import ObjectStore
from common.refusals import Conflict, NotFound, Unprocessable
from common.uow import UnitOfWork


async def record_device(event: DeviceChanged, env: Envelope, uow: UnitOfWork) -> None:
    """A device, whole; an older version changes nothing."""
    values = {"kind": event.kind, "status": event.status, "officer_id": event.officer_id, "version": event.version}
    await uow.session.execute(keep_newer(KnownDevice, {"device_id": event.device_id}, values))


async def camera_officer(session, device_id: str) -> str:
    row = await session.get(KnownDevice, device_id)
    camera = Camera(row.device_id, row.kind, row.status, row.officer_id) if row is not None else None
    return check_camera(device_id, camera)


async def keep_station_file(
    uow: UnitOfWork,
    store: ObjectStore,
    device_id: str,
    station: str,
    path: Path,
    filename: str,
    recorded_at: datetime | None,
) -> StationFile:
    """A station's file, read by its content, hashed and kept whole; the time the station tagged it
    with wins over what the file says (the station read it from the camera)."""
    officer_id = await camera_officer(uow.session, device_id)
    facts = await asyncio.to_thread(probe, path, filename)
    sha256, size = await asyncio.to_thread(sha256_of, path)
    when = recorded_at or facts.recorded_at
    if when is None:
        raise Unprocessable.field("Upload-Metadata", "tag the file with when it was recorded (recorded_at)")
    key = f"stations/{device_id}/{sha256}"
    await store.put_file(key, path, facts.content_type)
    row = StationFile(
        id=str(uuid.uuid4()),
        device_id=device_id,
        officer_id=officer_id,
        filename=filename,
        kind=facts.kind,
        content_type=facts.content_type,
        size=size,
        sha256=sha256,
        container=facts.container,
        codec=facts.codec,
        duration_s=facts.duration_s,
        recorded_at=when,
        object_key=key,
        uploaded_by=station,
        uploaded_at=uow.clock.now(),
    )
    uow.session.add(row)
    await uow.commit()
    return row


def _offered(case_id: str, margin: timedelta):
    """The station files whose officer worked on the case while they recorded."""
    f = StationFile
    start = col(f.recorded_at) - margin
    end = col(f.recorded_at) + func.make_interval(0, 0, 0, 0, 0, 0, func.coalesce(col(f.duration_s), 0)) + margin
    stepped = exists().where(
        col(CaseTrailEntry.case_id) == case_id,
        col(CaseTrailEntry.actor) == col(f.officer_id),
        col(CaseTrailEntry.at).between(start, end),
    )
    present = exists().where(
        col(Investigation.case_id) == case_id,
        col(Investigation.officers).contains(func.jsonb_build_array(col(f.officer_id))),
        and_(col(Investigation.started_at) <= end, col(Investigation.ended_at) >= start),
    )
    attached = exists().where(col(Evidence.case_id) == case_id, col(Evidence.sha256) == col(f.sha256))
    return or_(stepped, present) & ~attached


async def offers(session, case_id: str, margin: timedelta) -> list[StationFile]:
    query = select(StationFile).where(_offered(case_id, margin)).order_by(col(StationFile.recorded_at))
    return list((await session.exec(query)).all())


async def attach(
    uow: UnitOfWork, case_id: str, file_id: str, actor: Actor, margin: timedelta, retention_days: int
) -> Evidence:
    """One step: the offered file becomes the case's evidence, the same original (no copy), its hash
    in the trail."""
    case = await case_for_update(uow, case_id)
    offered = (
        await uow.session.exec(select(StationFile).where(StationFile.id == file_id, _offered(case_id, margin)))
    ).first()
    if offered is None:
        if await uow.session.get(StationFile, file_id) is None:
            raise NotFound(f"no station file {file_id}")
        raise Conflict(
            f"station file {file_id} is not offered to case {case.case_number}: attached already, or its officer did "
            "not work on the case while it recorded"
        )
    return await record_evidence(
        uow,
        case,
        actor,
        retention_days,
        trail={"station_file_id": offered.id, "device_id": offered.device_id, "recorded_by": offered.officer_id},
        kind=offered.kind,
        filename=offered.filename,
        content_type=offered.content_type,
        size=offered.size,
        sha256=offered.sha256,
        container=offered.container,
        codec=offered.codec,
        duration_s=offered.duration_s,
        recorded_at=offered.recorded_at,
        object_key=offered.object_key,
    )
