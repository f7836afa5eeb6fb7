"""Reporting's HTTP API: `/v1/reports`."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from common.auth import Principal, Role, require_roles
from reporting.tables import CaseFact

router = APIRouter(tags=["reporting 统计"])


def get_service(request: Request):
    return request.app.state.services["reporting"]


Reader = Annotated[Principal, Depends(require_roles(Role.supervisor, Role.dispatcher, Role.squad_leader))]


class CountRow(BaseModel):
    squad_id: str | None
    squad_name: str | None
    category: str | None
    received: int
    dispatched: int
    closed: int


@router.get("/v1/reports/counts", response_model=list[CountRow],
            summary="受理/派遣/结案 counts per squad and category (squad null: not dispatched yet)")
async def counts(principal: Reader, service=Depends(get_service),
                 received_from: datetime | None = None, received_to: datetime | None = None):
    f = CaseFact
    query = (select(f.squad_id, f.squad_name, f.category_code,
                    func.count(f.received_at), func.count(f.dispatched_at), func.count(f.closed_at))
             .group_by(f.squad_id, f.squad_name, f.category_code)
             .order_by(f.squad_id.nulls_first(), f.category_code))
    if received_from:
        query = query.where(f.received_at >= received_from)
    if received_to:
        query = query.where(f.received_at < received_to)
    if principal.role == Role.squad_leader:
        query = query.where(f.squad_id == (principal.squad_id or ""))
    async with service.session_factory() as session:
        rows = (await session.execute(query)).all()
    return [CountRow(squad_id=r[0], squad_name=r[1], category=r[2], received=r[3], dispatched=r[4], closed=r[5])
            for r in rows]
