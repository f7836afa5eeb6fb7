"""What ledger's routes share: the service (typed), and reading an uploaded photo or scan into the
object store. Who may call a route is common.audiences (Clerk, Keeper, RegisterReader,
FieldWorker, Approver, LicenceFinder, OwnerContact); refusals are common.refusals, answered by the
one handler of create_app."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request, UploadFile

from common.photos import MAX_BYTES, Photo, PhotoRejected, inspect
from common.principal import Principal
from common.refusals import NotFound
from ledger.handlers.frontage import StoredFile
from ledger.queries import merchants as mq

if TYPE_CHECKING:
    from ledger.service import LedgerService
    from ledger.tables import Merchant


def get_service(request: Request) -> LedgerService:
    return request.app.state.services["ledger"]


ServiceDep = Annotated["LedgerService", Depends(get_service)]


async def checked_photo(upload: UploadFile, what: str) -> Photo:
    """A photo checked (its type from its content, its size before decoding), off the event loop."""
    data = await upload.read(MAX_BYTES + 1)
    return await asyncio.to_thread(inspect, data, f"{what} ({upload.filename})")


async def store_photo(service, upload: UploadFile | None, prefix: str, what: str) -> StoredFile | None:
    """A photo checked and kept in the object store under its content address."""
    if upload is None:
        return None
    photo = await checked_photo(upload, what)
    key = f"ledger/{prefix}/{photo.sha256}.{photo.extension}"
    await service.store.put(key, photo.data, photo.content_type)
    return StoredFile(key, photo.content_type)


async def store_scan(service, upload: UploadFile | None, prefix: str) -> StoredFile | None:
    """A signed paper's scan: a PDF, or a photo of it."""
    if upload is None:
        return None
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoRejected(f"the scan is larger than {MAX_BYTES // 1_000_000} MB", too_large=True)
    if data.startswith(b"%PDF-"):
        key = f"ledger/{prefix}/{hashlib.sha256(data).hexdigest()}.pdf"
        await service.store.put(key, data, "application/pdf")
        return StoredFile(key, "application/pdf")
    return await store_photo(service, UploadFileBytes(upload, data), prefix, "scan")


class UploadFileBytes:
    """An upload whose bytes were read already (to look at them first)."""

    def __init__(self, upload: UploadFile, data: bytes) -> None:
        self.filename, self._data = upload.filename, data

    async def read(self, size: int = -1) -> bytes:
        return self._data


def not_found(what: str) -> NotFound:
    return NotFound(f"{what} not found")


async def visible_merchant(service, merchant_id: str, principal: Principal) -> Merchant:
    """The merchant, if this person may see it: a squad's people see their own squad's area."""
    async with service.session_factory() as session:
        m = await mq.merchant(session, merchant_id)
    if m is None or (principal.squad_scope is not None and m.squad_id != principal.squad_scope):
        raise not_found(f"merchant {merchant_id}")
    return m
