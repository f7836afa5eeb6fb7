"""Cases' read side: what the routes read, each query written once."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import func, or_, text
from sqlmodel import col, select

from cases.tables import (
    TAGGED,
    CampaignOperation,
    CampaignRow,
    Case,
    CaseDocument,
    CasePhoto,
    CaseTrailEntry,
    IllegalBuilding,
    KnownGrid,
    KnownPerson,
    PowerRow,
    Publication,
    Seizure,
)
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
    campaign: str | None = None,
    grids: list[str] | None = None,
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
    if grids is not None:  # an office's area
        query = query.where(col(Case.grid_id).in_(grids))
    if campaign:
        query = query.where(text(TAGGED), col(Case.campaigns).op("@>")(func.jsonb_build_array(campaign)))
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
    """What a list says of each of the case's documents (not their bytes), in the order they were made."""
    d = CaseDocument
    columns: tuple[Any, ...] = (d.id, d.kind, d.name, d.number, d.content_type, d.sha256, d.signed, d.signer)
    columns += (d.ofd_sha256, d.created_at, d.served_at, d.service_method)
    query = select(*map(col, columns)).where(d.case_id == case_id).order_by(col(d.created_at))
    return list((await session.execute(query)).all())


async def document_number_by_hash(session, sha256: str) -> str | None:
    """The 文号 of the sealed document on record with this hash (a file a party holds, checked whole:
    its PDF or its OFD)."""
    d = CaseDocument
    query = select(d.number).where(or_(col(d.sha256) == sha256, col(d.ofd_sha256) == sha256), col(d.signed))
    return (await session.exec(query)).first()


async def document_by_number(session, number: str, code: str) -> CaseDocument | None:
    """A document the party holds, found by its number and the 核验码 printed on it."""
    query = select(CaseDocument).where(CaseDocument.number == number, CaseDocument.verify_code == code)
    return (await session.exec(query)).first()


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


async def campaign(session, campaign_id: str) -> CampaignRow | None:
    return await session.get(CampaignRow, campaign_id) if len(campaign_id) <= 36 else None


async def campaigns(session, *, status: str | None, on: date | None) -> list[CampaignRow]:
    """Newest first; those running on a day."""
    query = select(CampaignRow).order_by(col(CampaignRow.starts_on).desc(), col(CampaignRow.id))
    if status:
        query = query.where(CampaignRow.status == status)
    if on is not None:
        query = query.where(col(CampaignRow.starts_on) <= on, col(CampaignRow.ends_on) >= on)
    return list((await session.exec(query)).all())


async def operations(session, campaign_id: str) -> list[CampaignOperation]:
    query = select(CampaignOperation).where(CampaignOperation.campaign_id == campaign_id)
    return list(
        (await session.exec(query.order_by(col(CampaignOperation.on), col(CampaignOperation.recorded_at)))).all()
    )


async def building(session, building_id: str) -> IllegalBuilding | None:
    return await session.get(IllegalBuilding, building_id) if len(building_id) <= 36 else None


async def buildings(
    session,
    *,
    stage: str | None,
    office: str | None,
    grid_id: str | None,
    squad_scope: str | None,
    limit: int,
    offset: int,
    grids: list[str] | None = None,
) -> list[IllegalBuilding]:
    """The register, the latest found first."""
    query = select(IllegalBuilding).order_by(col(IllegalBuilding.found_at).desc(), col(IllegalBuilding.id))
    for column, value in (
        (IllegalBuilding.stage, stage),
        (IllegalBuilding.office, office),
        (IllegalBuilding.grid_id, grid_id),
        (IllegalBuilding.squad_id, squad_scope),
    ):
        if value is not None:
            query = query.where(column == value)
    if grids is not None:
        query = query.where(col(IllegalBuilding.grid_id).in_(grids))
    return list((await session.exec(query.limit(limit).offset(offset))).all())


async def office_grids(session, office_id: str | None) -> list[str] | None:
    """The grids an office's staff are limited to, or None for everyone else."""
    return None if office_id is None else (await office_area(session, office_id))[0]


async def office_area(session, office_id: str) -> tuple[list[str], str | None]:
    """An office's grids and its name, as dispatch announces them."""
    rows = (await session.exec(select(KnownGrid).where(KnownGrid.office_id == office_id))).all()
    return [g.grid_id for g in rows], next((g.office for g in rows if g.office), None)


async def powers(session, category: str | None = None) -> list[PowerRow]:
    """The 权责清单 by code; those serving a category's cases with `category`."""
    rows = (await session.exec(select(PowerRow).order_by(col(PowerRow.code)))).all()
    return [r for r in rows if category is None or category in r.categories]


async def power(session, code: str) -> PowerRow | None:
    return await session.get(PowerRow, code)


async def shown(session, now, offset: int, limit: int) -> list[Publication]:
    """What the public page shows now, newest first."""
    query = (
        select(Publication)
        .where(
            col(Publication.published_at).is_not(None),
            col(Publication.withdrawn_at).is_(None),
            or_(col(Publication.shown_until).is_(None), col(Publication.shown_until) > now),
        )
        .order_by(col(Publication.published_at).desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def publication(session, case_id: str) -> Publication | None:
    return await session.get(Publication, case_id)
