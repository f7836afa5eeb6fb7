"""网上办理, no trip needed: an owner applies online with the dog's photo and the vaccination
certificate's photo, and follows the application with a token; a clerk approves it (the licence
is issued and the tag posted, its tracking number shown to the owner) or sends it back with a
reason the owner reads."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import date

from sqlmodel import select

from common.clock import bureau_date
from common.photos import Photo
from common.refusals import NotFound
from common.uow import UnitOfWork
from ledger.domain.dogs import refuse_in_zone, zone_of
from ledger.handlers.licences import Context, Dog, DogConflict, Owner, Rabies, checked, household_dogs, issue_licence
from ledger.tables import DogApplication


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _form(owner: Owner, dog: Dog, rabies: Rabies, ctx: Context) -> dict:
    sealed = {
        **asdict(owner),
        "id_number": ctx.vault.seal(owner.id_number),
        "id_masked": ctx.vault.masked(owner.id_number),
    }
    return {
        "owner": sealed,
        "dog": {**asdict(dog), "birth_date": dog.birth_date.isoformat()},
        "rabies": {**asdict(rabies), "vaccinated_on": rabies.vaccinated_on.isoformat()},
    }


def _unform(form: dict, ctx: Context) -> tuple[Owner, Dog, Rabies]:
    o = {k: v for k, v in form["owner"].items() if k != "id_masked"}
    owner = Owner(**{**o, "id_number": ctx.vault.open(o["id_number"])})
    dog = Dog(**{**form["dog"], "birth_date": date.fromisoformat(form["dog"]["birth_date"])})
    rabies = Rabies(**{**form["rabies"], "vaccinated_on": date.fromisoformat(form["rabies"]["vaccinated_on"])})
    return owner, dog, rabies


def check(owner: Owner, dog: Dog, rabies: Rabies, now, ctx: Context) -> tuple[Owner, Dog]:
    """The form's own rules and the zone's size rule, before anything is kept: an owner learns now
    what would be refused, not days later. (Whether the household holds a dog already is the
    register's to know: the clerk sees it, the public form never says.)"""
    owner, dog = checked(owner, dog, rabies, bureau_date(now), ctx.rules)
    refuse_in_zone(zone_of(owner.lon, owner.lat, ctx.zones), dog.size_class, 0)
    return owner, dog


@contextlib.asynccontextmanager
async def stored_photos(store, photos: list[Photo]) -> AsyncIterator[list[tuple[str, str]]]:
    """The application's photos kept under keys of their own (never shared with another upload of the
    same bytes), removed again if the application is not taken."""
    prefix = f"ledger/dog-applications/{uuid.uuid4()}"
    keys = [(f"{prefix}/{i}-{p.sha256[:16]}.{p.extension}", p.content_type) for i, p in enumerate(photos)]
    for (key, media), photo in zip(keys, photos, strict=True):
        await store.put(key, photo.data, media)
    try:
        yield keys
    except BaseException:
        for key, _ in keys:
            with contextlib.suppress(Exception):
                await store.delete(key)
        raise


async def submit(
    uow: UnitOfWork,
    owner: Owner,
    dog: Dog,
    rabies: Rabies,
    *,
    dog_photo: tuple[str, str],
    certificate: tuple[str, str],
    ctx: Context,
) -> tuple[DogApplication, str]:
    """The application (checked by `check`); returns it with the token to follow it (shown once). A
    household in a key management zone that holds a dog already is flagged for the clerk."""
    zone = zone_of(owner.lon, owner.lat, ctx.zones)
    flags = []
    if zone is not None and (held := await household_dogs(uow, owner, ctx.vault)):
        flags.append({"rule": "key_zone_household", "msg": f"该户在重点管理区{zone.name}已登记 {held} 只犬 (一户一犬)"})
    token = secrets.token_urlsafe(12)
    application = DogApplication(
        id=str(uuid.uuid4()),
        token_sha256=token_digest(token),
        status="submitted",
        form={**_form(owner, dog, rabies, ctx), "flags": flags},
        dog_photo_key=dog_photo[0],
        dog_photo_type=dog_photo[1],
        certificate_key=certificate[0],
        certificate_type=certificate[1],
        submitted_at=uow.clock.now(),
    )
    uow.session.add(application)
    await uow.commit()
    return application, token


async def _pending(uow: UnitOfWork, application_id: str) -> DogApplication:
    a = (
        await uow.session.exec(select(DogApplication).where(DogApplication.id == application_id).with_for_update())
    ).first()
    if a is None:
        raise NotFound(f"dog application {application_id} not found")
    if a.status != "submitted":
        raise DogConflict(f"the application was {a.status} already")
    return a


async def approve(
    uow: UnitOfWork, application_id: str, *, tag_id: str, postal_tracking: str, ctx: Context
) -> DogApplication:
    """批准: the licence issued (every rule checked again, as of today) with the tag that is posted."""
    a = await _pending(uow, application_id)
    owner, dog, rabies = _unform(a.form, ctx)
    licence = await issue_licence(
        uow,
        owner,
        Dog(**{**asdict(dog), "tag_id": tag_id}),
        rabies,
        ctx,
        via="online",
        photo=(a.dog_photo_key, a.dog_photo_type),
        commit=False,
    )
    a.status, a.licence_id, a.postal_tracking = "approved", licence.id, postal_tracking
    a.decided_at, a.decided_by = uow.clock.now(), ctx.by
    uow.session.add(a)
    await uow.commit()
    return a


async def send_back(uow: UnitOfWork, application_id: str, *, reason: str, by: str) -> DogApplication:
    a = await _pending(uow, application_id)
    a.status, a.reason, a.decided_at, a.decided_by = "returned", reason, uow.clock.now(), by
    uow.session.add(a)
    await uow.commit()
    return a
