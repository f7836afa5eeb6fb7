"""The dog register's read side: licences (a squad only its own grids'), their violations and
history, the inspections due, the online applications, and the strays at the shelter."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select

from ledger.domain.dogs import LicenceStatus
from ledger.tables import DistrictGrid, DogApplication, DogLicence, DogLicenceStep, DogViolation, Stray, StrayCare

KEYS = {"chip": DogLicence.chip, "tag": DogLicence.tag_id, "number": DogLicence.number}
"""What a licence is found by, one at a time: its microchip, its smart tag, its number."""


def _in_squad_area(query, squad_scope: str | None):
    """A squad's people find only the licences of households in their own grids."""
    if squad_scope is None:
        return query
    return query.where(col(DogLicence.grid_id).in_(select(DistrictGrid.id).where(DistrictGrid.squad_id == squad_scope)))


async def licence(session, licence_id: str, squad_scope: str | None = None) -> DogLicence | None:
    query = _in_squad_area(select(DogLicence).where(DogLicence.id == licence_id), squad_scope)
    return (await session.exec(query)).first()


async def licence_by(session, key: str, value: str, squad_scope: str | None) -> DogLicence | None:
    query = _in_squad_area(select(DogLicence).where(KEYS[key] == value.strip()).limit(1), squad_scope)
    return (await session.exec(query)).first()


async def licences(session, *, keys: dict[str, str], status: str | None, limit: int, offset: int) -> list[DogLicence]:
    """The register as its keepers list it, by number, filtered."""
    query = select(DogLicence).order_by(col(DogLicence.number)).limit(limit).offset(offset)
    for key, value in keys.items():
        query = query.where(KEYS[key] == value.strip())
    if status is not None:
        query = query.where(DogLicence.status == status)
    return list((await session.exec(query)).all())


async def due(session, horizon: date) -> list[DogLicence]:
    """年检: the licences in force or suspended, due by `horizon`, soonest first."""
    return list(
        (
            await session.exec(
                select(DogLicence)
                .where(
                    col(DogLicence.status).in_([LicenceStatus.active, LicenceStatus.suspended]),
                    DogLicence.inspection_due_on <= horizon,
                )
                .order_by(col(DogLicence.inspection_due_on))
            )
        ).all()
    )


async def violation_times(session, licence_id: str) -> list[datetime]:
    return list((await session.execute(select(DogViolation.at).where(DogViolation.licence_id == licence_id))).scalars())


async def history(session, licence_id: str) -> list[DogLicenceStep]:
    return list(
        (
            await session.exec(
                select(DogLicenceStep)
                .where(DogLicenceStep.licence_id == licence_id)
                .order_by(col(DogLicenceStep.at), col(DogLicenceStep.id))
            )
        ).all()
    )


async def applications(session, *, status: str | None, limit: int, offset: int) -> list[DogApplication]:
    query = (
        select(DogApplication)
        .order_by(col(DogApplication.submitted_at), col(DogApplication.id))
        .limit(limit)
        .offset(offset)
    )
    if status:
        query = query.where(DogApplication.status == status)
    return list((await session.exec(query)).all())


async def application(session, application_id: str) -> DogApplication | None:
    return await session.get(DogApplication, application_id) if len(application_id) <= 36 else None


async def application_by_token(session, token_sha256: str) -> tuple[DogApplication | None, DogLicence | None]:
    a = (await session.exec(select(DogApplication).where(DogApplication.token_sha256 == token_sha256))).first()
    return a, (await session.get(DogLicence, a.licence_id) if a and a.licence_id else None)


async def strays(session, status: str | None) -> list[Stray]:
    query = select(Stray).order_by(col(Stray.captured_at).desc())
    if status:
        query = query.where(Stray.status == status)
    return list((await session.exec(query)).all())


async def stray(session, stray_id: str) -> Stray | None:
    return await session.get(Stray, stray_id) if len(stray_id) <= 36 else None


async def care(session, stray_id: str) -> list[StrayCare]:
    return list(
        (await session.exec(select(StrayCare).where(StrayCare.stray_id == stray_id).order_by(col(StrayCare.at)))).all()
    )
