"""Investigation steps of a penalty case: 现场检查(勘验) and 询问(调查), each before two certified
officers (cases.domain.officers), its 笔录 kept and its hash in the trail."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlmodel import col, select

from cases.domain import documents as docs
from cases.domain import enforcement as enf
from cases.domain.lifecycle import Actor
from cases.domain.officers import check_certified
from cases.handlers.documents import Paperwork, facts_of, issue, trail_of
from cases.handlers.reference import officers
from cases.handlers.steps import case_for_update
from cases.handlers.track import load_track
from cases.handlers.trail import append_trail
from cases.tables import Investigation
from common.refusals import Unprocessable
from common.uow import UnitOfWork

KINDS = {"inspection": "现场检查(勘验)笔录", "inquiry": "询问(调查)笔录"}


async def investigate(
    uow: UnitOfWork,
    case_id: str,
    actor: Actor,
    *,
    kind: str,
    present: list[str],
    place: str,
    started_at: datetime,
    ended_at: datetime,
    record: str,
    papers: Paperwork,
    interviewee: str | None = None,
) -> Investigation:
    case = await case_for_update(uow, case_id)
    enf.check_enforcer(case.status, case.squad_id, actor)
    now = uow.clock.now()
    if not started_at <= ended_at <= now:
        raise Unprocessable.field("ended_at", "an investigation ends after it starts, and not in the future")
    if kind == "inquiry" and not (interviewee or "").strip():
        raise Unprocessable.field("interviewee", "an inquiry (询问) names the person questioned")
    named = check_certified(await officers(uow, present), present, started_at.date())
    row = Investigation(
        id=str(uuid.uuid4()),
        case_id=case_id,
        kind=kind,
        officers=present,
        place=place,
        started_at=started_at,
        ended_at=ended_at,
        interviewee=interviewee,
        record=record,
        recorded_by=actor.subject,
        recorded_at=now,
    )
    uow.session.add(row)
    track = await load_track(uow.session, case_id)
    text = docs.investigation_record(
        facts_of(case, track),
        kind,
        named,
        place,
        started_at,
        ended_at,
        record,
        interviewee,
    )
    paper = await issue(uow, case, f"{kind}_record", text, papers)
    await append_trail(
        uow,
        case_id,
        action=f"investigation.{kind}",
        actor=actor.subject,
        from_status=case.status,
        to_status=case.status,
        data={
            "investigation_id": row.id,
            "officers": present,
            "started_at": started_at.isoformat(),
            "ended_at": ended_at.isoformat(),
            "record_sha256": hashlib.sha256(record.encode()).hexdigest(),
            "documents": [trail_of(paper)],
        },
    )
    await uow.commit()
    return row


async def investigations(session, case_id: str) -> list[Investigation]:
    query = select(Investigation).where(Investigation.case_id == case_id).order_by(col(Investigation.started_at))
    return list((await session.exec(query)).all())
