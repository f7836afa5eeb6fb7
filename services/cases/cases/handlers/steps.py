"""What cases' handlers share: the case read for update, its facts for the rules, one transition
with its trail entry and its event, and a step's photos kept with their hashes."""

from __future__ import annotations

import logging

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import select

from cases.domain.lifecycle import Action, Actor, CaseFacts, plan
from cases.handlers.buildings import follow_case
from cases.handlers.trail import append_trail
from cases.tables import Case, CasePhoto
from common.messaging.contracts import CaseTransitioned
from common.objectstore import ObjectStore
from common.photos import Photo
from common.refusals import NotFound
from common.uow import UnitOfWork

log = logging.getLogger(__name__)


async def case_for_update(uow: UnitOfWork, case_id: str) -> Case:
    case = (await uow.session.exec(select(Case).where(Case.id == case_id).with_for_update())).first()
    if case is None:
        raise NotFound(f"unknown case {case_id}")
    return case


def facts(case: Case) -> CaseFacts:
    return CaseFacts(
        status=case.status,
        squad_id=case.squad_id,
        handled_by=case.handled_by,
        suspended_from=case.suspended_from,
        channel=case.channel,
        answered=frozenset(case.answers or {}),
    )


async def transition(
    uow: UnitOfWork, case: Case, action: Action, actor: Actor, *, reason: str | None = None, details: dict | None = None
) -> str:
    """Move `case` by `action` if the rules allow it: the trail entry and the CaseTransitioned
    event carry who, when, the state before and after, and why. Returns the state before."""
    target = plan(facts(case), action, actor, reason)
    before, case.status = case.status, target
    details = details or {}
    await append_trail(
        uow,
        case.id,
        action=action.value,
        actor=actor.subject,
        from_status=before,
        to_status=target,
        reason=reason,
        data=details,
    )
    uow.session.add(case)
    uow.publish(
        CaseTransitioned(
            case_id=case.id,
            case_number=case.case_number,
            incident_id=case.incident_id,
            action=action.value,
            from_status=before,
            to_status=target,
            actor=actor.subject,
            actor_role=str(actor.role),
            at=uow.clock.now(),
            reason=reason,
            squad_id=case.squad_id,
            category_code=case.category_code,
            details=details,
        )
    )
    await follow_case(uow, case, action.value, actor.subject)  # 制止: an illegal building stopped on site
    log.info("case %s: %s %s -> %s by %s", case.case_number, action.value, before, target, actor.subject)
    return before


def photo_key(case_id: str, photo: Photo) -> str:
    return f"cases/{case_id}/{photo.sha256}.{photo.extension}"


async def store_photos(store: ObjectStore, case_id: str, photos: list[Photo]) -> None:
    """Put the photos in the store before the transaction that refers to them: keys are content
    addresses, so a retried request writes the same objects again, harmlessly."""
    for photo in photos:
        await store.put(photo_key(case_id, photo), photo.data, photo.content_type)


async def add_photos(uow: UnitOfWork, case_id: str, kind: str, photos: list[Photo], actor: Actor) -> list[dict]:
    """Record the photos of a step; the same photo again (a rework round reusing a before photo)
    is one row, and each step's trail entry lists the hashes it used."""
    for photo in photos:
        await uow.session.execute(
            pg_insert(CasePhoto)
            .values(
                case_id=case_id,
                kind=kind,
                sha256=photo.sha256,
                content_type=photo.content_type,
                size=len(photo.data),
                object_key=photo_key(case_id, photo),
                uploaded_by=actor.subject,
                uploaded_at=uow.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["case_id", "sha256", "kind"])
        )
    return [{"kind": kind, "sha256": photo.sha256} for photo in photos]
