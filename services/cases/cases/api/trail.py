"""The case's trail over HTTP (痕迹化): every entry with who took it, and the check of its hash chain
that names the first entry that no longer fits."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cases import queries
from cases.api.deps import ServiceDep, load_visible
from cases.domain.trail import verify
from common.audiences import CaseReader

if TYPE_CHECKING:
    from cases.tables import CaseTrailEntry

router = APIRouter(tags=["cases 案卷"])


class TrailEntryPublic(BaseModel):
    seq: int
    at: datetime
    actor: str
    actor_name: str | None = Field(None, description="from the directory, when the actor is a person in it")
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict
    prev_hash: str
    hash: str


class TrailVerdict(BaseModel):
    intact: bool = Field(description="the chain is whole: no entry changed, removed or reordered")
    entries: int
    first_broken_seq: int | None = Field(description="the first entry that no longer fits the chain")
    reason: str | None


async def _trail(service, case_id: str) -> list[CaseTrailEntry]:
    async with service.session_factory() as session:
        return await queries.trail(session, case_id)


@router.get("/v1/cases/{case_id}/trail", response_model=list[TrailEntryPublic], summary="痕迹: the case's history")
async def trail(case_id: str, principal: CaseReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    entries = await _trail(service, case_id)
    async with service.session_factory() as session:
        names = await queries.person_names(session, {e.actor for e in entries})
    return [
        TrailEntryPublic.model_validate(e, from_attributes=True).model_copy(update={"actor_name": names.get(e.actor)})
        for e in entries
    ]


@router.get(
    "/v1/cases/{case_id}/trail/verify",
    response_model=TrailVerdict,
    summary="check the case's hash chain; name the first entry that breaks it",
)
async def verify_trail(case_id: str, principal: CaseReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    rows = await _trail(service, case_id)
    return TrailVerdict(**asdict(verify([r.to_entry() for r in rows])))
