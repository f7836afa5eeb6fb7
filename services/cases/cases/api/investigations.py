"""Investigation steps over HTTP: 现场检查(勘验) and 询问(调查), before two certified officers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cases.api.deps import ServiceDep, actor_of, load_visible
from cases.handlers.investigations import KINDS, investigate, investigations
from common.audiences import DossierReader, SquadMember

router = APIRouter(tags=["cases 案卷"])


class InvestigationIn(BaseModel):
    kind: Literal["inspection", "inquiry"] = Field(description="inspection 现场检查(勘验), inquiry 询问(调查)")
    officers: list[str] = Field(
        min_length=2, max_length=10, description="the certified officers present (执法人员, two at least): their ids"
    )
    place: str = Field(min_length=1, max_length=200)
    started_at: datetime
    ended_at: datetime
    interviewee: str | None = Field(None, max_length=100, description="被询问人 (inquiry)")
    record: str = Field(min_length=2, max_length=20000, description="笔录: what was found, or asked and answered")


class InvestigationOut(InvestigationIn):
    id: str
    name: str = Field(description="the record's name: 现场检查(勘验)笔录, 询问(调查)笔录")
    recorded_by: str
    recorded_at: datetime


def _out(row) -> InvestigationOut:
    return InvestigationOut(
        id=row.id,
        kind=row.kind,
        name=KINDS[row.kind],
        officers=row.officers,
        place=row.place,
        started_at=row.started_at,
        ended_at=row.ended_at,
        interviewee=row.interviewee,
        record=row.record,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


@router.post(
    "/v1/cases/{case_id}/investigations",
    response_model=InvestigationOut,
    status_code=201,
    summary="现场检查(勘验) or 询问(调查), with its 笔录, before two certified officers (the case's squad)",
)
async def record_investigation(case_id: str, body: InvestigationIn, principal: SquadMember, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        row = await investigate(
            uow,
            case_id,
            actor_of(principal),
            kind=body.kind,
            present=body.officers,
            place=body.place,
            started_at=body.started_at,
            ended_at=body.ended_at,
            record=body.record,
            papers=service.paperwork,
            interviewee=body.interviewee,
        )
    return _out(row)


@router.get(
    "/v1/cases/{case_id}/investigations",
    response_model=list[InvestigationOut],
    summary="the case's investigation records (笔录)",
)
async def list_investigations(case_id: str, principal: DossierReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.session_factory() as session:
        return [_out(r) for r in await investigations(session, case_id)]
