"""送达 over HTTP: the party's 送达地址确认书 (consent to electronic service), and each document
served, with its 送达回证."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from cases.api.deps import ServiceDep, actor_of, load_visible
from cases.handlers.delivery import confirm_address, serve
from common.audiences import SquadMember

router = APIRouter(tags=["cases 案卷"])


class AddressIn(BaseModel):
    channel: Literal["sms", "email", "app"] = Field(description="短信, 电子邮件, 移动应用")
    address: str = Field(min_length=3, max_length=200, description="the number, mailbox or account the party named")
    signed_by: str = Field(min_length=1, max_length=200, description="who signed the 送达地址确认书")
    confirmed_at: datetime


class ServiceIn(BaseModel):
    method: Literal["in_person", "post", "announcement", "electronic"] = Field(
        description="直接送达, 邮寄送达 (with the tracking number), 公告送达, 电子送达 (after the 送达地址确认书)"
    )
    served_at: datetime = Field(description="when it reached the party (a post's or a message's arrival)")
    recipient: str = Field(min_length=1, max_length=200, description="受送达人 (or who signed for them)")
    tracking_number: str | None = Field(None, min_length=4, max_length=64, description="邮件号码 (post)")
    evidence: str | None = Field(
        None, min_length=2, max_length=1000, description="the proof: where announced, the delivery receipt's reference"
    )


class Served(BaseModel):
    id: str
    document_id: str
    method: str
    served_at: datetime
    receipt_id: str = Field(description="the 送达回证 made of it")


@router.post(
    "/v1/cases/{case_id}/service-address",
    status_code=201,
    summary="送达地址确认书: the party consents to electronic service at this address (the case's squad)",
)
async def service_address(case_id: str, body: AddressIn, principal: SquadMember, service: ServiceDep) -> dict:
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        form = await confirm_address(uow, case_id, actor_of(principal), service.paperwork, **body.model_dump())
    return {"document_id": form.id, "sha256": form.sha256}


@router.post(
    "/v1/cases/{case_id}/documents/{document_id}/service",
    response_model=Served,
    status_code=201,
    summary="送达: how and when the document reached the party; makes its 送达回证 (the case's squad)",
)
async def document_served(case_id: str, document_id: str, body: ServiceIn, principal: SquadMember, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.uow() as uow:
        record = await serve(uow, case_id, document_id, actor_of(principal), service.paperwork, **body.model_dump())
    return Served(
        id=record.id,
        document_id=record.document_id,
        method=record.method,
        served_at=record.served_at,
        receipt_id=record.receipt_id,
    )
