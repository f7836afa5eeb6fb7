"""Designated points read: listed by status, kind and grid; one point with its survey opinions
and stall holders; the school gates their distance rule measures from."""

from __future__ import annotations

from sqlmodel import col, select

from ledger.domain.points import PointStatus
from ledger.tables import DesignatedPoint, SchoolGate, Stall, SurveyOpinion


async def points(
    session, *, status: str | None = None, kind: str | None = None, grid_id: str | None = None
) -> list[DesignatedPoint]:
    query = select(DesignatedPoint).order_by(col(DesignatedPoint.number))
    for column, value in (
        (DesignatedPoint.status, status),
        (DesignatedPoint.kind, kind),
        (DesignatedPoint.grid_id, grid_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return list((await session.exec(query)).all())


async def open_points(session, kind: str | None = None) -> list[DesignatedPoint]:
    """The approved points, as the public sees them: by kind, then number."""
    query = (
        select(DesignatedPoint)
        .where(DesignatedPoint.status == PointStatus.approved)
        .order_by(col(DesignatedPoint.kind), col(DesignatedPoint.number))
    )
    if kind:
        query = query.where(DesignatedPoint.kind == kind)
    return list((await session.exec(query)).all())


async def point(session, point_id: str) -> DesignatedPoint | None:
    return await session.get(DesignatedPoint, point_id)


async def opinions(session, point_id: str) -> list[SurveyOpinion]:
    return list(
        (
            await session.exec(
                select(SurveyOpinion).where(SurveyOpinion.point_id == point_id).order_by(col(SurveyOpinion.department))
            )
        ).all()
    )


async def stalls(session, point_id: str) -> list[Stall]:
    return list((await session.exec(select(Stall).where(Stall.point_id == point_id).order_by(col(Stall.number)))).all())


async def school_gates(session) -> list[SchoolGate]:
    return list((await session.exec(select(SchoolGate).order_by(col(SchoolGate.id)))).all())
