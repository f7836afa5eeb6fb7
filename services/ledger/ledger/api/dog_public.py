"""网上办理 (no trip needed): the owner's application page `/dogs/apply`, its API, and following the
application with its token (`/dogs/track`). The photos get the same checks as intake's (their
type from their content, their size before decoding). Rate-limited per client address."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ledger.api.deps import ServiceDep, checked_photo, not_found
from ledger.handlers import applications
from ledger.handlers.licences import Dog, Owner, Rabies
from ledger.queries import dogs as dq

router = APIRouter(tags=["ledger 养犬登记 (public)"])
STATIC = Path(__file__).resolve().parents[1] / "static"
HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; img-src 'self' data: blob:",
}
Token = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{10,40}$")]


class ApplicationView(BaseModel):
    """What the owner sees of the application: no one's personal details."""

    status: Literal["submitted", "approved", "returned"] = Field(description="待审核, 已批准 (犬牌已寄出), 已退回")
    dog_name: str
    submitted_at: datetime
    decided_at: datetime | None
    reason: str | None = Field(description="why it was sent back: what to correct")
    licence_number: str | None
    inspection_due_on: date | None
    postal_tracking: str | None = Field(description="the tag's 邮寄 tracking number")


class Submitted(BaseModel):
    token: str = Field(description="keep it: it is how the application is followed (/dogs/track)")
    status: str


@router.post(
    "/public/v1/dog-applications",
    status_code=201,
    response_model=Submitted,
    summary="网上办理: an owner's application with the dog's and the vaccination certificate's photos",
    description="Multipart. The form's and the register's rules are checked at once (a 422 names the "
    "rule), before the photos are kept. What only the register knows (whether the household "
    "holds a dog already) is the clerk's to tell, with the reason the owner then reads. Answers "
    "the token to follow the application with.",
)
async def apply(
    request: Request,
    service: ServiceDep,
    owner_name: Annotated[str, Form(min_length=1, max_length=100)],
    owner_id_number: Annotated[str, Form(min_length=15, max_length=20)],
    owner_phone: Annotated[str, Form(min_length=5, max_length=20)],
    owner_address: Annotated[str, Form(min_length=1, max_length=300)],
    dog_name: Annotated[str, Form(min_length=1, max_length=50)],
    breed: Annotated[str, Form(min_length=1, max_length=50)],
    sex: Annotated[Literal["male", "female"], Form()],
    birth_date: Annotated[date, Form()],
    rabies_certificate: Annotated[str, Form(min_length=1, max_length=50)],
    vaccinated_on: Annotated[date, Form()],
    dog_photo: Annotated[UploadFile, File(description="the dog")],
    certificate_photo: Annotated[UploadFile, File(description="狂犬疫苗免疫证明")],
    size: Annotated[Literal["small", "medium", "large"] | None, Form()] = None,
    height_cm: Annotated[float | None, Form(gt=0, le=120)] = None,
    colour: Annotated[str | None, Form(max_length=30)] = None,
    chip: Annotated[str | None, Form(max_length=20)] = None,
    clinic: Annotated[str | None, Form(max_length=100)] = None,
    lon: Annotated[float | None, Form(ge=73, le=136)] = None,
    lat: Annotated[float | None, Form(ge=3, le=54)] = None,
    alone: Annotated[bool, Form()] = False,
):
    settings = service.settings
    await service.limiter.limit(
        request, settings.trusted_proxies, "dog-applications", settings.dog_applications_per_minute, "applications"
    )
    owner = Owner(
        name=owner_name,
        id_number=owner_id_number,
        phone=owner_phone,
        address=owner_address,
        lon=lon,
        lat=lat,
        alone=alone,
    )
    dog = Dog(
        name=dog_name,
        breed=breed,
        size=size,
        sex=sex,
        birth_date=birth_date,
        chip=chip or None,
        height_cm=height_cm,
        colour=colour,
    )
    rabies = Rabies(certificate=rabies_certificate, vaccinated_on=vaccinated_on, clinic=clinic)
    ctx = service.dog_context("online")
    # the form and the rules first, then the photos checked, and only then anything stored
    owner, dog = applications.check(owner, dog, rabies, service.clock.now(), ctx)
    photos = [await checked_photo(dog_photo, "dog_photo"), await checked_photo(certificate_photo, "certificate_photo")]
    async with applications.stored_photos(service.store, photos) as stored:
        async with service.uow() as uow:
            a, token = await applications.submit(
                uow, owner, dog, rabies, dog_photo=stored[0], certificate=stored[1], ctx=ctx
            )
    return Submitted(token=token, status=a.status)


@router.get(
    "/public/v1/dog-applications/{token}",
    response_model=ApplicationView,
    summary="follow an application: its status, the reason it was sent back, the licence and the tag's tracking number",
)
async def follow(token: Token, request: Request, service: ServiceDep):
    settings = service.settings
    await service.limiter.limit(request, settings.trusted_proxies, "public", settings.public_reads_per_minute)
    async with service.session_factory() as session:
        a, licence = await dq.application_by_token(session, applications.token_digest(token))
    if a is None:
        raise not_found("an application with this token")
    return ApplicationView(
        status=a.status,
        dog_name=a.form["dog"]["name"],
        submitted_at=a.submitted_at,
        decided_at=a.decided_at,
        reason=a.reason,
        licence_number=licence.number if licence else None,
        inspection_due_on=licence.inspection_due_on if licence else None,
        postal_tracking=a.postal_tracking,
    )


@router.get("/dogs/apply", response_class=HTMLResponse, include_in_schema=False)
async def apply_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "dog_apply.html").read_text(encoding="utf-8"), headers=HEADERS)


@router.get("/dogs/track", response_class=HTMLResponse, include_in_schema=False)
async def track_page() -> HTMLResponse:
    return HTMLResponse((STATIC / "dog_apply.html").read_text(encoding="utf-8"), headers=HEADERS)
