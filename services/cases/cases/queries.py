"""Cases' read side: what the routes read, each query written once."""

from __future__ import annotations

import math

from sqlmodel import col, select

from cases.tables import Case, CaseDocument, CasePhoto, CaseTrailEntry, KnownPerson, Seizure
from common.geo import distance_m


async def case(session, case_id: str) -> Case | None:
    return await session.get(Case, case_id) if len(case_id) <= 36 else None


NEAR_CANDIDATES = 5000
"""With near=: the cases in the box around the point looked at, the newest first, before the
distance sorts them (a monitor's list; a box of a few kilometres holds far fewer open cases)."""


async def cases(
    session,
    *,
    status: str | None,
    review_pending: bool,
    squad_scope: str | None,
    limit: int,
    offset: int,
    near: tuple[float, float, float] | None = None,
) -> list[Case]:
    """Newest first; with `near` (lon, lat, radius in metres): those within the radius, nearest first."""
    query = select(Case).order_by(col(Case.opened_at).desc(), col(Case.id))
    query = query.limit(NEAR_CANDIDATES) if near else query.limit(limit).offset(offset)
    if near is not None:
        lon, lat, radius = near
        dlat = radius / 111_320
        dlon = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))
        query = query.where(
            col(Case.lat).between(lat - dlat, lat + dlat), col(Case.lon).between(lon - dlon, lon + dlon)
        )
    if status:
        query = query.where(Case.status == status)
    if review_pending:
        query = query.where(col(Case.review_requested_at).is_not(None))
    if squad_scope is not None:
        query = query.where(Case.squad_id == squad_scope)
    rows = list((await session.exec(query)).all())
    if near is None:
        return rows
    lon, lat, radius = near
    placed = sorted((distance_m(lon, lat, c.lon, c.lat), c.opened_at, c.id, c) for c in rows)
    return [c for d, _, _, c in placed if d <= radius][offset : offset + limit]


async def case_photo(session, case_id: str, sha256: str) -> CasePhoto | None:
    return (
        await session.exec(select(CasePhoto).where(CasePhoto.case_id == case_id, CasePhoto.sha256 == sha256))
    ).first()


async def documents(session, case_id: str) -> list:
    """(id, kind, sha256, created_at) of each of the case's documents."""
    return list(
        (
            await session.exec(
                select(CaseDocument.id, CaseDocument.kind, CaseDocument.sha256, CaseDocument.created_at).where(
                    CaseDocument.case_id == case_id
                )
            )
        ).all()
    )


async def document(session, case_id: str, document_id: str) -> CaseDocument | None:
    doc = await session.get(CaseDocument, document_id) if len(document_id) <= 36 else None
    return doc if doc is not None and doc.case_id == case_id else None


async def seizures(session, case_id: str) -> list[Seizure]:
    return list(
        (await session.exec(select(Seizure).where(Seizure.case_id == case_id).order_by(col(Seizure.seized_at)))).all()
    )


async def trail(session, case_id: str) -> list[CaseTrailEntry]:
    return list(
        (
            await session.exec(
                select(CaseTrailEntry).where(CaseTrailEntry.case_id == case_id).order_by(col(CaseTrailEntry.seq))
            )
        ).all()
    )


async def person_names(session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(
        (await session.exec(select(KnownPerson.id, KnownPerson.name).where(col(KnownPerson.id).in_(ids)))).all()
    )
