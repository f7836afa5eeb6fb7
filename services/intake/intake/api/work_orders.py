"""工单 over HTTP: the orders from 12345, 110 and the city platform with their life as the hotline
centres run it; the command centre's 申请延期 and 申请退回; the upstream system's answers to them;
and the link's outbox, where the command centre sees what waits, what failed, and sends it again."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from common.audiences import CommandCentre, Dispatcher, Partner
from common.refusals import NotFound, Unprocessable
from intake import queries
from intake.api.deps import ServiceDep
from intake.domain.work_orders import RESULT_NAMES, STATE_NAMES, OrderState, Result
from intake.handlers.upstream_link import resend
from intake.handlers.work_orders import (
    draft_reply,
    request_extension,
    request_return,
    review_extension,
    review_return,
)

if TYPE_CHECKING:
    from intake.tables import UpstreamMessage, WorkOrder

router = APIRouter(tags=["intake 受理"])


class MessageOut(BaseModel):
    id: str = Field(description="stable: the upstream system may deduplicate on it")
    incident_id: str
    system: str
    source_reference: str
    seq: int = Field(description="its place in the order's messages")
    step: str = Field(description="sign 签收, process 办理中, extension_request, return_request, reply 答复")
    payload: dict
    status: str = Field(description="pending (waiting or being retried), sent, dead (dead-lettered)")
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, m: UpstreamMessage) -> MessageOut:
        return cls(**m.model_dump())


class WorkOrderOut(BaseModel):
    incident_id: str
    system: str
    source_reference: str
    kind: str
    origin: str | None = Field(description="110: a 非警务 order handed on by the police (110 转办)")
    state: str
    state_name: str
    received_at: datetime
    sign_due_at: datetime = Field(description="签收 limit")
    finish_due_at: datetime = Field(description="办结 limit (moved by a granted 延期)")
    return_due_at: datetime = Field(description="回退 limit")
    signed_at: datetime | None
    replied_at: datetime | None
    case_id: str | None
    squad_id: str | None
    result: str | None
    result_name: str | None
    satisfaction: str | None = Field(description="回访, on our scale")
    satisfaction_given: str | None = Field(description="回访, on the upstream system's own scale")
    redo_count: int
    extension_pending: bool
    details: dict = Field(description="the 延期 and 退回 requests with their reviews; the reply's after-photos")
    messages: list[MessageOut] = Field(default_factory=list)

    @classmethod
    def of(cls, o: WorkOrder, messages: list[UpstreamMessage] = ()) -> WorkOrderOut:
        return cls(
            **o.model_dump(exclude={"last_seq", "returned", "updated_at"}),
            state_name=STATE_NAMES[OrderState(o.state)],
            result_name=RESULT_NAMES[Result(o.result)] if o.result else None,
            messages=[MessageOut.of(m) for m in messages],
        )


async def _one(service, incident_id: str) -> WorkOrderOut:
    async with service.session_factory() as session:
        order, messages = await queries.work_order(session, incident_id)
    if order is None:
        raise NotFound(f"incident {incident_id} is no upstream work order")
    return WorkOrderOut.of(order, messages)


@router.get("/v1/work-orders", response_model=list[WorkOrderOut], summary="工单: upstream orders, newest first")
async def list_orders(
    principal: CommandCentre,
    service: ServiceDep,
    state: Annotated[OrderState | None, Query()] = None,
    system: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    async with service.session_factory() as session:
        rows = await queries.work_orders(session, state=state, system=system, limit=limit, offset=offset)
    return [WorkOrderOut.of(o) for o in rows]


@router.get("/v1/work-orders/{incident_id}", response_model=WorkOrderOut, summary="one order and its messages")
async def get_order(incident_id: str, principal: CommandCentre, service: ServiceDep):
    return await _one(service, incident_id)


class ExtensionRequest(BaseModel):
    until: datetime = Field(description="the date asked for, with its offset")
    reason: str = Field(min_length=1, max_length=500, description="延期理由")


@router.post(
    "/v1/work-orders/{incident_id}/extension-request",
    response_model=WorkOrderOut,
    summary="申请延期: ask the upstream hotline centre for more time (command centre)",
)
async def ask_extension(incident_id: str, body: ExtensionRequest, principal: CommandCentre, service: ServiceDep):
    if body.until.tzinfo is None:
        raise Unprocessable.field("until", "until needs a time zone offset")
    async with service.uow() as uow:
        await request_extension(uow, incident_id, body.until, body.reason.strip(), principal.subject)
    return await _one(service, incident_id)


class ReturnRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="理由: why it is not the bureau's")
    basis: str = Field(
        min_length=1, max_length=500, description="依据: the rule that says whose it is (三定方案, 权责清单)"
    )
    suggestion: str = Field(
        min_length=1, max_length=200, description="转办建议: whom it belongs to (公安 for what belongs to the police)"
    )


@router.post(
    "/v1/work-orders/{incident_id}/return-request",
    response_model=WorkOrderOut,
    summary="申请退回: the order is not the bureau's (command centre), within the 回退 limit",
)
async def ask_return(incident_id: str, body: ReturnRequest, principal: CommandCentre, service: ServiceDep):
    async with service.uow() as uow:
        await request_return(
            uow, incident_id, body.reason.strip(), body.basis.strip(), body.suggestion.strip(), principal.subject
        )
    return await _one(service, incident_id)


class ReplyDraft(BaseModel):
    result: Result = Field(
        description="办理结果: resolved 解决, partly_resolved 部分解决, unresolved 未解决, declined 不办理退单"
    )
    text: str = Field(min_length=1, max_length=2000, description="答复内容, as the hotline centre will read it")


@router.put(
    "/v1/work-orders/{incident_id}/reply",
    response_model=WorkOrderOut,
    summary="答复: the command centre writes the reply's result and words, sent when the case closes (without "
    "it, the case's outcome gives them)",
)
async def write_reply(incident_id: str, body: ReplyDraft, principal: CommandCentre, service: ServiceDep):
    async with service.uow() as uow:
        await draft_reply(uow, incident_id, body.result, body.text.strip(), principal.subject)
    return await _one(service, incident_id)


class Review(BaseModel):
    decision: Literal["approve", "decline"]
    note: str = Field("", max_length=500)
    reviewer: str = Field(min_length=1, max_length=50, description="who at the hotline centre decided")
    until: datetime | None = Field(None, description="延期: the date granted (default: the date asked for)")


@router.post(
    "/v1/work-orders/{incident_id}/extension-review",
    response_model=WorkOrderOut,
    summary="the upstream system's answer to a 申请延期 (its own client only)",
)
async def answer_extension(incident_id: str, body: Review, principal: Partner, service: ServiceDep):
    if body.until is not None and body.until.tzinfo is None:
        raise Unprocessable.field("until", "until needs a time zone offset")
    async with service.uow() as uow:
        await review_extension(
            uow,
            service.link,
            incident_id,
            principal.subject,
            body.decision == "approve",
            body.until,
            body.note,
            body.reviewer,
        )
    return await _one(service, incident_id)


@router.post(
    "/v1/work-orders/{incident_id}/return-review",
    response_model=WorkOrderOut,
    summary="the upstream system's answer to a 申请退回: approved, the order goes elsewhere and its case is "
    "cancelled; declined, it stays (its own client only)",
)
async def answer_return(incident_id: str, body: Review, principal: Partner, service: ServiceDep):
    async with service.uow() as uow:
        await review_return(
            uow, service.link, incident_id, principal.subject, body.decision == "approve", body.note, body.reviewer
        )
    return await _one(service, incident_id)


@router.get(
    "/v1/upstream-messages",
    response_model=list[MessageOut],
    summary="the link's outbox: what waits (pending), what failed (dead), what was sent",
)
async def list_messages(
    principal: CommandCentre,
    service: ServiceDep,
    status: Annotated[Literal["pending", "sent", "dead"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    async with service.session_factory() as session:
        return [MessageOut.of(m) for m in await queries.upstream_messages(session, status=status, limit=limit)]


@router.post(
    "/v1/upstream-messages/{message_id}/resend",
    response_model=MessageOut,
    summary="send a dead message again (dispatcher); its order's later messages follow it",
)
async def send_again(message_id: str, principal: Dispatcher, service: ServiceDep):
    async with service.uow() as uow:
        return MessageOut.of(await resend(uow, message_id))
