"""The Open311 client apps' keys: issued by an admin (shown once, only its SHA-256 kept) and
revoked. Each through the unit of work, as every change is."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from common.refusals import NotFound
from common.uow import UnitOfWork
from intake.tables import ApiClient


async def issue_key(uow: UnitOfWork, name: str, scope: str, by: str) -> tuple[ApiClient, str]:
    key = secrets.token_urlsafe(32)
    client = ApiClient(
        id=str(uuid.uuid4()),
        name=name,
        key_sha256=hashlib.sha256(key.encode()).hexdigest(),
        key_prefix=key[:8],
        scope=scope,
        created_by=by,
        created_at=uow.clock.now(),
    )
    uow.session.add(client)
    await uow.commit()
    return client, key


async def revoke_key(uow: UnitOfWork, client_id: str) -> ApiClient:
    client = await uow.session.get(ApiClient, client_id, with_for_update=True)
    if client is None:
        raise NotFound(f"client {client_id} not found")
    client.revoked_at = client.revoked_at or uow.clock.now()
    uow.session.add(client)
    await uow.commit()
    return client
