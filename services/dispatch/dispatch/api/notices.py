"""责改通知书 over HTTP: a supervisor tells an office (办事处) or a squad in writing to put something right
by a deadline; the office's staff (or the squad's leader) answer it in writing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator

from common.audiences import Approver, NoticeAnswerer, NoticeReader
from common.refusals import NotFound
from dispatch import queries
from dispatch.api.deps import ServiceDep
from dispatch.domain.notices import STATE_NAMES, state
from dispatch.handlers.notices import answer_notice, issue_notice

router = APIRouter(tags=["dispatch 派遣"])


class NoticeBody(BaseModel):
    unit_id: str = Field(max_length=64, description="the office (of-ruhelu) or the squad (sq-ruhe) it is sent to")
    subject: str = Field(min_length=1, max_length=200, description="事由")
    text: str = Field(min_length=1, max_length=4000, description="what is to be put right, and how")
    due_at: datetime | None = Field(None, description="the deadline, with its offset")
    days: int | None = Field(None, ge=1, le=90, description="... or the days given from now")
    case_ids: list[str] = Field(default_factory=list, max_length=100, description="the cases it concerns")

    @model_validator(mode="after")
    def _deadline(self):
        if (self.due_at is None) == (self.days is None):
            raise ValueError("give the deadline as due_at or as days, one of them")
        if self.due_at is not None and self.due_at.tzinfo is None:
            raise ValueError("due_at: give the time with its offset")
        return self


class NoticeOut(BaseModel):
    id: str
    number: str = Field(description="文号")
    unit_kind: str
    unit_id: str
    unit_name: str
    subject: str
    text: str
    case_ids: list[str]
    issued_by: str
    issued_at: datetime
    due_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    state: str = Field(description="open, answered, answered_late, overdue")
    state_name: str

    @classmethod
    def of(cls, n, now: datetime) -> NoticeOut:
        s = state(n.due_at, n.answered_at, now)
        fields = {k: getattr(n, k) for k in cls.model_fields if k not in ("state", "state_name")}
        return cls(**fields, state=s, state_name=STATE_NAMES[s])


def _own_unit(principal) -> str | None:
    """The unit a reader is limited to: an office's staff their office, a squad leader their squad."""
    return principal.office_id if principal.office_id is not None else principal.squad_scope


@router.post(
    "/v1/rectification-notices",
    status_code=201,
    response_model=NoticeOut,
    summary="责改通知书: tell an office (办事处) or a squad in writing to put something right by a deadline (督查)",
)
async def issue(body: NoticeBody, principal: Approver, service: ServiceDep):
    now = service.clock.now()
    due = body.due_at or now + timedelta(days=body.days or 0)
    async with service.uow() as uow:
        n = await issue_notice(
            uow,
            unit_id=body.unit_id,
            subject=body.subject,
            body=body.text,
            due_at=due,
            case_ids=body.case_ids,
            actor=principal.subject,
            prefix=service.settings.notice_prefix,
        )
    return NoticeOut.of(n, service.clock.now())


@router.get(
    "/v1/rectification-notices",
    response_model=list[NoticeOut],
    summary="责改通知书, the latest first; an office or a squad its own",
)
async def list_notices(
    principal: NoticeReader, service: ServiceDep, open_only: Annotated[bool, Query(alias="open")] = False
):
    async with service.session_factory() as session:
        rows = await queries.notices(session, unit_id=_own_unit(principal), open_only=open_only)
    now = service.clock.now()
    return [NoticeOut.of(n, now) for n in rows]


@router.get("/v1/rectification-notices/{notice_id}", response_model=NoticeOut, summary="a 责改通知书")
async def get_notice(notice_id: str, principal: NoticeReader, service: ServiceDep):
    async with service.session_factory() as session:
        n = await queries.notice(session, notice_id)
    own = _own_unit(principal)
    if n is None or (own is not None and n.unit_id != own):
        raise NotFound(f"unknown rectification notice {notice_id}")
    return NoticeOut.of(n, service.clock.now())


class AnswerBody(BaseModel):
    answer: str = Field(min_length=1, max_length=4000, description="the written answer: what was put right, and how")


@router.post(
    "/v1/rectification-notices/{notice_id}/answer",
    response_model=NoticeOut,
    summary="回复: the office's (or the squad's) written answer to its notice",
)
async def answer(notice_id: str, body: AnswerBody, principal: NoticeAnswerer, service: ServiceDep):
    async with service.uow() as uow:
        n = await answer_notice(uow, notice_id, body.answer, principal.subject, _own_unit(principal))
    return NoticeOut.of(n, service.clock.now())
