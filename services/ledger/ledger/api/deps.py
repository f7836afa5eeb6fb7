"""What ledger's routes share: the service, who may do what (typed aliases), the refusals as
HTTP, and reading an uploaded photo or scan into the object store."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Annotated

from fastapi import Depends, HTTPException, Request, UploadFile, status

from common.auth import Principal, Role, require_roles
from common.photos import MAX_BYTES, Photo, PhotoRejected, inspect
from ledger.domain.credit_code import CreditCodeInvalid
from ledger.domain.merchant import RowRefused
from ledger.domain.points import PointRefused
from ledger.handlers.frontage import StoredFile
from ledger.handlers.merchants import MerchantExists


async def get_service(request: Request):
    return request.app.state.services["ledger"]


ServiceDep = Annotated[object, Depends(get_service)]
Clerk = Annotated[Principal, Depends(require_roles(Role.ledger_clerk, Role.admin))]
"""台账管理员: keeps the registers."""
Keeper = Annotated[Principal, Depends(require_roles(Role.ledger_clerk, Role.supervisor, Role.admin))]
"""Who reads the registers whole: the clerks, supervisors."""
Reader = Annotated[Principal, Depends(require_roles(Role.ledger_clerk, Role.dispatcher, Role.supervisor,
                                                    Role.squad_officer, Role.squad_leader, Role.admin))]
"""Who looks merchants up: the command centre, and squads (their own area only)."""
FieldWorker = Annotated[Principal, Depends(require_roles(Role.ledger_clerk, Role.squad_officer, Role.squad_leader,
                                                         Role.admin))]
"""Who records on the street: the clerks, squads (their own area only)."""
Approver = Annotated[Principal, Depends(require_roles(Role.supervisor, Role.admin))]
"""Who approves a designated point for the bureau."""


@contextlib.contextmanager
def refusals():
    """The register's refusals as HTTP, each naming what was wrong."""
    try:
        yield
    except MerchantExists as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, {"msg": str(exc), "merchant_id": exc.merchant_id}) from exc
    except RowRefused as exc:  # "field: what is wrong" each, in the one error shape
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [
            {"loc": ["body", e.split(":", 1)[0]], "msg": e.split(":", 1)[-1].strip(), "type": "value_error"}
            for e in exc.errors]) from exc
    except CreditCodeInvalid as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [
            {"loc": ["body", "credit_code"], "msg": str(exc), "type": "credit_code", "position": exc.position}]
        ) from exc
    except PointRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc).strip("'")) from exc
    except PhotoRejected as exc:
        code = status.HTTP_413_CONTENT_TOO_LARGE if exc.too_large else status.HTTP_422_UNPROCESSABLE_CONTENT
        raise HTTPException(code, str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


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


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")
