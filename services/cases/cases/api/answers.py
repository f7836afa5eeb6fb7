"""信访答复意见 and 舆情回应 over HTTP: what a 信访 or 舆情 case must have on record to close."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cases.api.deps import ServiceDep, actor_of, load_visible
from cases.api.lifecycle import CasePublic
from cases.handlers.answers import record_answer
from common.audiences import CommandCentre

router = APIRouter(tags=["cases 案卷"])


class AnswerRequest(BaseModel):
    kind: Literal["petition_reply", "public_response"] = Field(
        description="petition_reply 信访答复意见 (a 信访 case), public_response 舆情回应 (a 舆情 case)"
    )
    text: str = Field(min_length=1, max_length=4000, description="the answer as given")


@router.post(
    "/v1/cases/{case_id}/answers",
    response_model=CasePublic,
    summary="答复: the written reply to a 信访 petitioner, or the bureau's public response to a 舆情 post "
    "(command centre); such a case closes only with it on record",
)
async def answer(case_id: str, body: AnswerRequest, principal: CommandCentre, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        case = await record_answer(uow, case_id, actor_of(principal), body.kind, body.text.strip())
    return CasePublic.of(case, service.settings)
