"""Photos sent with reports (web page, field monitors, Open311 `media`, cameras): each is checked
from its content (common.photos), kept twice in the object store (the original as evidence, for
staff; the copy that is shown, upright and with no metadata), and linked by URL.

A photo of a citizen's own report is public: its shown copy is served to anyone with the link.
Other photos (field monitors', cameras' with a plate in them) are served with a staff token, or
through a signed link that stops working after `INTAKE_PHOTO_URL_TTL_S` seconds, which is what
the pages and the API hand out (an <img> cannot send a bearer token)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from common.objectstore import ObjectStore
from common.photos import MAX_BYTES, Photo, PhotoRejected, inspect, public_copy, taken_at


@dataclass(frozen=True)
class StoredPhoto:
    id: str
    sha256: str
    content_type: str
    size: int
    original_key: str
    shown_key: str
    shown_type: str
    taken_at: datetime | None


def _refuse_too_many(photos: list, limit: int) -> None:
    if len(photos) > limit:
        raise PhotoRejected(f"{len(photos)} photos sent; at most {limit} per report")


async def keep_uploads(store: ObjectStore, uploads: list, limit: int) -> list[StoredPhoto]:
    """Photos uploaded in a multipart form (FastAPI's UploadFile), each read only up to the
    limit, then kept as `keep_photos` does. An empty file field (a form sent without a photo)
    is not a photo. A refusal names the form's `photos` field."""
    try:
        return await _keep_uploads(store, uploads, limit)
    except PhotoRejected as exc:
        raise exc.naming("photos") from exc


async def _keep_uploads(store: ObjectStore, uploads: list, limit: int) -> list[StoredPhoto]:
    _refuse_too_many(uploads, limit)  # before reading any of them
    photos = []
    for n, upload in enumerate(uploads):
        name = upload.filename or f"photo {n + 1}"
        data = await upload.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise PhotoRejected(f"{name} is larger than {MAX_BYTES:,} bytes (10 MB)", too_large=True)
        if data or upload.filename:
            photos.append((name, data))
    return await keep_photos(store, photos, limit)


def _prepare(name: str, data: bytes) -> tuple[Photo, Photo, datetime | None]:
    photo = inspect(data, name)
    return photo, public_copy(photo), taken_at(photo)


async def keep_photos(store: ObjectStore, uploads: list[tuple[str, bytes]], limit: int) -> list[StoredPhoto]:
    """Check every photo first (nothing is stored if one is refused), then store them. Keys are
    content addresses, so a retried request writes the same objects again, harmlessly."""
    _refuse_too_many(uploads, limit)
    prepared = [await asyncio.to_thread(_prepare, name, data) for name, data in uploads]  # Pillow off the loop
    stored = []
    for photo, shown, taken in prepared:
        original_key = f"incidents/originals/{photo.sha256}.{photo.extension}"
        shown_key = f"incidents/shown/{shown.sha256}.{shown.extension}"
        await store.put(original_key, photo.data, photo.content_type)
        await store.put(shown_key, shown.data, shown.content_type)
        stored.append(
            StoredPhoto(
                id=str(uuid.uuid4()),
                sha256=photo.sha256,
                content_type=photo.content_type,
                size=len(photo.data),
                original_key=original_key,
                shown_key=shown_key,
                shown_type=shown.content_type,
                taken_at=taken,
            )
        )
    return stored


def signing_key(secret: str) -> bytes:
    """The photo-link key is a secret of its own (INTAKE_PHOTO_URL_SECRET): a leaked token secret
    must not open evidence photos, nor a leaked photo key sign tokens."""
    return secret.encode()


def signature(key: bytes, photo_id: str, expires: int) -> str:
    return hmac.new(key, f"{photo_id}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def signed_query(key: bytes, photo_id: str, now: datetime, ttl_s: int) -> str:
    expires = int(now.timestamp()) + ttl_s
    return f"expires={expires}&sig={signature(key, photo_id, expires)}"


def signature_valid(key: bytes, photo_id: str, expires: int | None, sig: str | None, now: datetime) -> bool:
    if expires is None or sig is None or expires < now.timestamp():
        return False
    return hmac.compare_digest(signature(key, photo_id, expires), sig)
