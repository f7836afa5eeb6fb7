"""Dispatch's HTTP API: `/v1/grids` and `/v1/assignments`."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel
from sqlmodel import select

from common.auth import Principal, Role, require_roles
from dispatch.tables import Assignment

router = APIRouter(tags=["dispatch 派遣"])


async def get_service(request: Request):
    return request.app.state.services["dispatch"]


AnyUser = Annotated[Principal, Depends(require_roles(*Role))]
Reader = Annotated[Principal, Depends(require_roles(Role.dispatcher, Role.supervisor, Role.squad_officer,
                                                    Role.squad_leader, Role.external_system))]


class AssignmentPublic(BaseModel):
    id: str
    case_id: str
    squad_id: str
    grid_id: str
    category: str
    status: str
    assigned_at: datetime
    deadline_at: datetime | None

    @classmethod
    def of(cls, a: Assignment) -> "AssignmentPublic":
        return cls(id=a.id, case_id=a.case_id, squad_id=a.squad_id, grid_id=a.grid_id,
                   category=a.category_code, status=a.status, assigned_at=a.assigned_at,
                   deadline_at=a.deadline_at)


@router.get("/v1/grids", summary="网格: the grids as a GeoJSON FeatureCollection with their squads")
async def grids(principal: AnyUser, service=Depends(get_service)) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": g.grid_id, "geometry": g.geometry,
             "properties": {"grid_id": g.grid_id, "name": g.name, "squad_id": g.squad_id,
                            "squad_name": g.squad_name}}
            for g in service.grid_map.grids
        ],
    }


@router.get("/v1/assignments", response_model=list[AssignmentPublic], summary="派遣单, newest first")
async def list_assignments(principal: Reader, service=Depends(get_service),
                           squad_id: str | None = None,
                           limit: Annotated[int, Query(ge=1, le=500)] = 50,
                           offset: Annotated[int, Query(ge=0)] = 0):
    if principal.squad_scope is not None:
        squad_id = principal.squad_scope  # a squad sees its own board only
    query = select(Assignment).order_by(Assignment.assigned_at.desc()).limit(limit).offset(offset)
    if squad_id:
        query = query.where(Assignment.squad_id == squad_id)
    async with service.session_factory() as session:
        rows = (await session.exec(query)).all()
    return [AssignmentPublic.of(a) for a in rows]


@router.get("/v1/assignments/{assignment_id}", response_model=AssignmentPublic)
async def get_assignment(assignment_id: str, principal: Reader, service=Depends(get_service)):
    async with service.session_factory() as session:
        a = await session.get(Assignment, assignment_id)
    if a is None or not principal.sees_squad(a.squad_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"assignment {assignment_id} not found")
    return AssignmentPublic.of(a)
