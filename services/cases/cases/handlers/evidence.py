"""Video and audio evidence as kept: an upload (tus, resumable) checked by its content, hashed,
moved into the object store whole and unchanged, recorded with its trail entry; and each viewing
logged. The upload's bytes never pass through memory whole: they go from the upload's file to the
store in blocks."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, select

from cases.adapters.media import probe, sha256_of
from cases.domain.lifecycle import Actor
from cases.handlers.steps import case_for_update
from cases.handlers.trail import append_trail
from cases.tables import Case, Evidence, EvidenceViewing
from common.clock import BEIJING
from common.objectstore import ObjectStore
from common.uow import UnitOfWork


async def keep_upload(
    uow: UnitOfWork,
    store: ObjectStore,
    case_id: str,
    actor: Actor,
    path: Path,
    filename: str,
    retention_days: int,
) -> Evidence:
    facts = await asyncio.to_thread(probe, path, filename)
    sha256, size = await asyncio.to_thread(sha256_of, path)
    key = f"cases/{case_id}/evidence/{sha256}"
    await store.put_file(key, path, facts.content_type)  # content-addressed: a retry writes the same object
    case = await case_for_update(uow, case_id)
    return await record_evidence(
        uow,
        case,
        actor,
        retention_days,
        kind=facts.kind,
        filename=filename,
        content_type=facts.content_type,
        size=size,
        sha256=sha256,
        container=facts.container,
        codec=facts.codec,
        duration_s=facts.duration_s,
        recorded_at=facts.recorded_at,
        object_key=key,
    )


async def record_evidence(
    uow: UnitOfWork, case: Case, actor: Actor, retention_days: int, *, trail: dict | None = None, **kept
) -> Evidence:
    """A file of evidence on record with the case, kept until the retention ends, its hash in the
    trail (`trail`: what else the trail says of where it came from); committed."""
    now = uow.clock.now()
    row = Evidence(
        id=str(uuid.uuid4()),
        case_id=case.id,
        uploaded_by=actor.subject,
        uploaded_at=now,
        retained_until=(now + timedelta(days=retention_days)).astimezone(BEIJING).date(),
        **kept,
    )
    uow.session.add(row)
    await append_trail(
        uow,
        case.id,
        action=f"evidence.{row.kind}",
        actor=actor.subject,
        from_status=case.status,
        to_status=case.status,
        data={
            "evidence_id": row.id,
            "sha256": row.sha256,
            "size": row.size,
            "codec": row.codec,
            "duration_s": row.duration_s,
            "filename": row.filename,
            **(trail or {}),
        },
    )
    await uow.commit()
    return row


async def log_viewing(uow: UnitOfWork, evidence: Evidence, viewer: str, first: int, last: int) -> None:
    uow.session.add(
        EvidenceViewing(evidence_id=evidence.id, viewer=viewer, at=uow.clock.now(), first_byte=first, last_byte=last)
    )
    await uow.commit()


async def case_evidence(session, case_id: str) -> list[Evidence]:
    query = select(Evidence).where(Evidence.case_id == case_id).order_by(col(Evidence.uploaded_at))
    return list((await session.exec(query)).all())


async def one_evidence(session, case_id: str, evidence_id: str) -> Evidence | None:
    found = await session.get(Evidence, evidence_id) if len(evidence_id) <= 36 else None
    return found if found is not None and found.case_id == case_id else None


async def viewings(session, evidence_id: str) -> list[EvidenceViewing]:
    query = select(EvidenceViewing).where(EvidenceViewing.evidence_id == evidence_id).order_by(col(EvidenceViewing.id))
    return list((await session.exec(query)).all())
