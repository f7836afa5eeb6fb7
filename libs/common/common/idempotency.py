"""`Idempotency-Key` for every step a person takes from the street: the field app (城管通) queues
what an officer does offline and sends it again until the server acknowledges it, so the same
request may arrive twice (the first answer lost on a weak signal). A request that carries the
header is done once; sending it again returns the first answer, marked `Idempotent-Replayed: true`.

How it holds without a gap:
- The claim (caller, key) is written by the request's own unit of work, in the transaction of
  the work itself (`claim`, called by `UnitOfWork.commit`): the work and its claim commit
  together or not at all. A request refused before it changed anything leaves no claim, and may
  be sent again.
- After the answer is sent, the middleware keeps it with the claim (status, type, body). A
  claim seen without its answer was committed but its answer was not kept (a crash between the
  two): sending again answers 200 "already done" rather than doing it twice.
- Two copies racing: the second's claim finds the first's (ON CONFLICT DO NOTHING) and is
  refused 409 before it commits; sent again, it gets the first answer.
- A key is the caller's own: it is looked up with the caller's verified identity, and a key used
  for another route is refused (422). Claims are kept for RETENTION, then forgotten.

Which routes: the unsafe methods of the services that keep the table (`ServiceTables(...,
idempotency=True)`: dispatch, cases, ledger). Intake keeps its own keys for reports, with the
request's fingerprint (intake.handlers.incidents)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common.refusals import Conflict

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.ext.asyncio import AsyncSession

    from common.clock import Clock

log = logging.getLogger(__name__)
HEADER = "idempotency-key"
KEY_MAX = 200
BODY_KEPT_MAX = 256 * 1024
RETENTION = timedelta(days=7)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotent_requests",
        metadata,
        Column("subject", String(100), primary_key=True, comment="who sent it, as their token names them"),
        Column("key", String(KEY_MAX), primary_key=True, comment="the Idempotency-Key the client made"),
        Column("route", String(300), nullable=False, comment="method and path it was used for"),
        Column("status", Integer, comment="the first answer's status; empty until it is kept"),
        Column("content_type", String(100)),
        Column("body", LargeBinary),
        Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    )


def create_table(schema: str) -> None:
    """The table, from a service's migration (dispatch 0009, cases 0009, ledger 0007)."""
    from alembic import op

    op.create_table(
        "idempotent_requests",
        sa.Column("subject", sa.String(100), nullable=False, comment="who sent it, as their token names them"),
        sa.Column("key", sa.String(KEY_MAX), nullable=False, comment="the Idempotency-Key the client made"),
        sa.Column("route", sa.String(300), nullable=False, comment="method and path it was used for"),
        sa.Column("status", sa.Integer(), nullable=True, comment="the first answer's status; empty until it is kept"),
        sa.Column("content_type", sa.String(100), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", "key", name="pk_idempotent_requests"),
        schema=schema,
    )
    op.create_index(f"ix_{schema}_idempotent_requests_created_at", "idempotent_requests", ["created_at"], schema=schema)


def drop_table(schema: str) -> None:
    from alembic import op

    op.drop_index(f"ix_{schema}_idempotent_requests_created_at", table_name="idempotent_requests", schema=schema)
    op.drop_table("idempotent_requests", schema=schema)


@dataclass
class Claim:
    """The request being handled now, with a key: what `UnitOfWork.commit` claims."""

    table: Table
    subject: str
    key: str
    route: str
    claimed: bool = False


_current: contextvars.ContextVar[Claim | None] = contextvars.ContextVar("idempotency_claim", default=None)


class KeyInUse(Conflict):
    """The same key, sent again while its first request is being handled."""


async def claim(session: AsyncSession, now) -> None:
    """Called by UnitOfWork.commit: the request's claim, in the work's own transaction (the
    first unit of work of a request claims; a second one in the same request does not again)."""
    c = _current.get()
    if c is None or c.claimed:
        return
    got = (
        await session.execute(
            pg_insert(c.table)
            .values(subject=c.subject, key=c.key, route=c.route, created_at=now)
            .on_conflict_do_nothing()
            .returning(c.table.c.key)
        )
    ).first()
    if got is None:
        raise KeyInUse(f"a request with Idempotency-Key {c.key!r} is being handled: send it again in a moment")
    c.claimed = True


@dataclass
class Covered:
    """Routes whose requests are done once per key, and where their service keeps the keys."""

    patterns: list[tuple[str, re.Pattern, Table, Callable, Clock]] = field(default_factory=list)

    def add(self, methods, path_regex: re.Pattern, table: Table, sessions: Callable, clock: Clock) -> None:
        for m in set(methods or ()) & UNSAFE:
            self.patterns.append((m, path_regex, table, sessions, clock))

    def find(self, method: str, path: str) -> tuple[Table, Callable, Clock] | None:
        for m, regex, table, sessions, clock in self.patterns:
            if m == method and regex.match(path):
                return table, sessions, clock
        return None


def _reply(status: int, body: bytes, content_type: str, replayed: bool = True):
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    return status, headers, body


class IdempotencyMiddleware:
    """Pure ASGI: looks the key up before the route runs, keeps the answer after it."""

    def __init__(self, app, covered: Covered, resolve_subject) -> None:
        self.app = app
        self.covered = covered
        self.resolve_subject = resolve_subject

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        key = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"idempotency-key"), None)
        found = self.covered.find(scope["method"], scope["path"]) if key is not None else None
        if found is None or key is None:
            await self.app(scope, receive, send)
            return
        table, sessions, clock = found
        if not key or len(key) > KEY_MAX:
            await _send(send, *_error(422, f"Idempotency-Key must be 1 to {KEY_MAX} characters"))
            return
        subject = await self.resolve_subject(scope)
        if subject is None:  # not signed in: the route answers that
            await self.app(scope, receive, send)
            return
        route = f"{scope['method']} {scope['path']}"[:300]
        async with sessions() as session:
            row = (await session.execute(select(table).where(table.c.subject == subject, table.c.key == key))).first()
        if row is not None:
            if row.route != route:
                await _send(send, *_error(422, f"Idempotency-Key {key!r} was used for another request ({row.route})"))
            elif row.status is None:
                await _send(send, *_done_before(key))
            else:
                await _send(send, *_reply(row.status, row.body or b"", row.content_type or "application/json"))
            return
        claim_ = Claim(table=table, subject=subject, key=key, route=route)
        token = _current.set(claim_)
        answer: dict = {"status": None, "type": "application/json", "body": bytearray()}

        async def keep(message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                for k, v in message.get("headers", []):
                    if k.lower() == b"content-type":
                        answer["type"] = v.decode("latin-1")
            elif message["type"] == "http.response.body" and len(answer["body"]) <= BODY_KEPT_MAX:
                answer["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, keep)
        finally:
            _current.reset(token)
            if claim_.claimed:
                await self._keep(sessions, table, claim_, answer, clock)

    async def _keep(self, sessions, table: Table, c: Claim, answer: dict, clock: Clock) -> None:
        status = answer["status"]
        kept = status is not None and status < 500 and len(answer["body"]) <= BODY_KEPT_MAX
        try:
            async with sessions() as session:
                if kept:
                    await session.execute(
                        update(table)
                        .where(table.c.subject == c.subject, table.c.key == c.key)
                        .values(status=status, content_type=answer["type"][:100], body=bytes(answer["body"]))
                    )
                await session.execute(
                    delete(table).where(table.c.subject == c.subject, table.c.created_at < clock.now() - RETENTION)
                )
                await session.commit()
        except Exception:  # the work is done and claimed: a retry answers "already done"
            log.exception("the answer to Idempotency-Key %s was not kept", c.key)


def _error(status: int, detail: str):
    return _reply(status, json.dumps({"detail": detail}, ensure_ascii=False).encode(), "application/json", False)


def _done_before(key: str):
    detail = f"already done: Idempotency-Key {key!r} was handled before (its first answer was not kept)"
    return _reply(200, json.dumps({"detail": detail}, ensure_ascii=False).encode(), "application/json")


async def _send(send, status: int, headers: list, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
