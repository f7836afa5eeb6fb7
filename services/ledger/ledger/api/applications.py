"""养犬登记审核: the online applications as the clerk reviews them (a page at a time, with what the
register knows and the public form never says), their photos, approval with the tag posted, and
sending back with a reason the owner reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from common.audiences import Clerk
from common.redaction import mask_phone
from ledger.api.deps import ServiceDep, not_found
from ledger.handlers import applications
from ledger.queries import dogs as dq

if TYPE_CHECKING:
    from ledger.tables import DogApplication

router = APIRouter(tags=["ledger 养犬登记"])


class ApplicationOut(BaseModel):
    id: str
    status: str = Field(description="submitted 待审核, approved 已批准, returned 已退回")
    owner: dict
    dog: dict
    rabies: dict
    dog_photo: str
    certificate_photo: str
    reason: str | None
    licence_id: str | None
    postal_tracking: str | None
    submitted_at: datetime
    decided_at: datetime | None
    flags: list[dict] = Field(
        default_factory=list,
        description="what the register knows that the owner was not "
        "told (rule, msg): key_zone_household, a household in a key zone with a dog already",
    )

    @classmethod
    def of(cls, a: DogApplication) -> ApplicationOut:
        owner = {k: v for k, v in a.form["owner"].items() if k != "id_number"}
        owner["id_number"] = owner.pop("id_masked")
        owner["phone"] = mask_phone(owner["phone"])
        return cls(
            id=a.id,
            status=a.status,
            owner=owner,
            dog=a.form["dog"],
            rabies=a.form["rabies"],
            dog_photo=f"/v1/dog-applications/{a.id}/photos/dog",
            certificate_photo=f"/v1/dog-applications/{a.id}/photos/certificate",
            reason=a.reason,
            licence_id=a.licence_id,
            postal_tracking=a.postal_tracking,
            submitted_at=a.submitted_at,
            decided_at=a.decided_at,
            flags=a.form.get("flags", []),
        )


@router.get(
    "/v1/dog-applications",
    response_model=list[ApplicationOut],
    summary="online applications to review, oldest first, a page at a time",
)
async def applications_list(
    principal: Clerk,
    service: ServiceDep,
    status_: Annotated[Literal["submitted", "approved", "returned"] | None, Query(alias="status")] = "submitted",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    async with service.session_factory() as session:
        rows = await dq.applications(session, status=status_, limit=limit, offset=offset)
    return [ApplicationOut.of(a) for a in rows]


async def _application(service, application_id: str) -> DogApplication:
    async with service.session_factory() as session:
        a = await dq.application(session, application_id)
    if a is None:
        raise not_found(f"dog application {application_id}")
    return a


@router.get(
    "/v1/dog-applications/{application_id}/photos/{which}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
async def application_photo(
    application_id: str, which: Literal["dog", "certificate"], principal: Clerk, service: ServiceDep
):
    a = await _application(service, application_id)
    key, media = (a.dog_photo_key, a.dog_photo_type) if which == "dog" else (a.certificate_key, a.certificate_type)
    return Response(await service.store.get(key), media_type=media, headers={"Cache-Control": "private, max-age=3600"})


class ApproveIn(BaseModel):
    tag_id: str = Field(min_length=1, max_length=32, description="the smart tag posted to the owner")
    postal_tracking: str = Field(min_length=4, max_length=40, description="邮寄 tracking number, shown to the owner")


class ReturnIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="what the owner reads: what to correct")


@router.post(
    "/v1/dog-applications/{application_id}/approve",
    response_model=ApplicationOut,
    summary="批准: the licence issued and the tag posted",
)
async def approve(application_id: str, body: ApproveIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        a = await applications.approve(
            uow,
            application_id,
            tag_id=body.tag_id.strip(),
            postal_tracking=body.postal_tracking.strip(),
            ctx=service.dog_context(principal.subject),
        )
    return ApplicationOut.of(a)


@router.post(
    "/v1/dog-applications/{application_id}/return",
    response_model=ApplicationOut,
    summary="退回 with a reason the owner reads",
)
async def send_back(application_id: str, body: ReturnIn, principal: Clerk, service: ServiceDep):
    async with service.uow() as uow:
        a = await applications.send_back(uow, application_id, reason=body.reason, by=principal.subject)
    return ApplicationOut.of(a)
