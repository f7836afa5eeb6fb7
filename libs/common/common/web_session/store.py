"""Where signed-in sessions live: a table in the page's service's own schema (`web_sessions`), the
browser holding only the session's random id in an HttpOnly cookie. Only the id's digest is
stored, so the table's contents sign nobody in.

One store serves every staff page of one process: under `make run` the console, the ledger and
the reports share one session (one person, one session across the pages); under `make up` each
page's service keeps its own, and a sign-out reaches the others as `StaffSignedOut`."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, insert, or_, select, update

from common.messaging.contracts import StaffSignedIn, StaffSignedOut
from common.principal import Principal, Role

log = logging.getLogger(__name__)


def session_tables(metadata: MetaData) -> tuple[Table, Table]:
    sessions = Table(
        "web_sessions",
        metadata,
        Column("id_sha256", String(64), primary_key=True),
        Column("subject", String(100), nullable=False, index=True),
        Column("name", String(100), nullable=False),
        Column("role", String(32), nullable=False),
        Column("squad_id", String(64)),
        Column("csrf", String(64), nullable=False),
        Column("id_token", Text),
        Column(
            "refresh_token",
            Text,
            comment="the provider's, to ask it once a minute whether the person may still be signed in",
        ),
        Column(
            "provider_sid",
            String(100),
            index=True,
            comment="the provider's session (`sid`): its back-channel logout names it",
        ),
        Column("checked_at", DateTime(timezone=True), comment="when the provider last said yes"),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("last_seen_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
    )
    logins = Table(
        "web_logins",
        metadata,
        Column("state", String(64), primary_key=True),
        Column("code_verifier", String(128), nullable=False),
        Column("nonce", String(64), nullable=False),
        Column("next_url", String(500), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    return sessions, logins


@dataclass(frozen=True)
class Session:
    id_sha256: str
    principal: Principal
    name: str
    csrf: str
    id_token: str | None
    refresh_token: str | None
    checked_at: datetime | None
    expires_at: datetime


@dataclass(frozen=True)
class ProviderTokens:
    """What the provider gave at sign-in, kept with the session."""

    id_token: str | None = None
    refresh_token: str | None = None
    sid: str | None = None


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_session(
    principal: Principal, name: str, *, now: datetime, ttl_s: int, tokens: ProviderTokens = ProviderTokens()
) -> tuple[str, dict]:
    """A new session id (the cookie's value) and the `web_sessions` row that keeps it."""
    session_id = secrets.token_urlsafe(32)
    return session_id, {
        "id_sha256": digest(session_id),
        "subject": principal.subject,
        "name": name[:100],
        "role": principal.role.value,
        "squad_id": principal.squad_id,
        "csrf": secrets.token_urlsafe(24),
        "id_token": tokens.id_token,
        "refresh_token": tokens.refresh_token,
        "provider_sid": (tokens.sid or None) and tokens.sid[:100],
        "checked_at": now,
        "created_at": now,
        "last_seen_at": now,
        "expires_at": now + timedelta(seconds=ttl_s),
    }


class SessionStore:
    """The sessions of one process's staff pages, in the schema of `service` (the first of them)."""

    STREET = frozenset({Role.squad_officer, Role.squad_leader, Role.field_monitor})
    """Who works from a phone in the street: their sessions idle for `street_idle_s`, a shift."""

    def __init__(self, service, *, cookie: str, ttl_s: int, idle_s: int, street_idle_s: int | None = None) -> None:
        self.service = service
        self.cookie = cookie
        self.ttl_s, self.idle_s = ttl_s, idle_s
        self.street_idle_s = street_idle_s if street_idle_s is not None else idle_s
        self.sessions, self.logins = service.tables.web_sessions, service.tables.web_logins

    @property
    def clock(self):
        return self.service.clock

    async def open(self, principal: Principal, name: str, page: str, tokens: ProviderTokens) -> str:
        """A new session for a person just signed in; the directory is told (StaffSignedIn)."""
        now = self.clock.now()
        session_id, row = new_session(principal, name, now=now, ttl_s=self.ttl_s, tokens=tokens)
        async with self.service.uow() as uow:
            await uow.session.execute(insert(self.sessions).values(**row))
            await uow.session.execute(delete(self.sessions).where(self.sessions.c.expires_at < now))
            uow.publish(
                StaffSignedIn(
                    subject=principal.subject,
                    name=name[:100],
                    role=principal.role.value,
                    squad_id=principal.squad_id,
                    page=page,
                    at=now,
                )
            )
            await uow.commit()
        log.info("%s signed in to %s as %s", principal.subject, page, principal.role.value)
        return session_id

    async def find(self, session_id: str | None) -> Session | None:
        """The session of this cookie value, if it is in force (not expired, not idle too long)."""
        if not session_id or len(session_id) > 100:
            return None
        now = self.clock.now()
        t = self.sessions
        async with self.service.session_factory() as db:
            row = (await db.execute(select(t).where(t.c.id_sha256 == digest(session_id)))).first()
            if row is None or row.expires_at <= now:
                return None
            idle = self.street_idle_s if row.role in self.STREET else self.idle_s
            if row.last_seen_at + timedelta(seconds=idle) <= now:
                return None
            if now - row.last_seen_at > timedelta(seconds=60):  # seen: written at most once a minute
                await db.execute(update(t).where(t.c.id_sha256 == row.id_sha256).values(last_seen_at=now))
                await db.commit()
        return Session(
            id_sha256=row.id_sha256,
            principal=Principal(subject=row.subject, role=Role(row.role), squad_id=row.squad_id),
            name=row.name,
            csrf=row.csrf,
            id_token=row.id_token,
            refresh_token=row.refresh_token,
            checked_at=row.checked_at,
            expires_at=row.expires_at,
        )

    async def checked(self, session: Session, refresh_token: str | None) -> None:
        """The provider said yes again (and may have turned its refresh token over)."""
        async with self.service.session_factory() as db:
            await db.execute(
                update(self.sessions)
                .where(self.sessions.c.id_sha256 == session.id_sha256)
                .values(checked_at=self.clock.now(), refresh_token=refresh_token or session.refresh_token)
            )
            await db.commit()

    async def drop(self, session: Session) -> None:
        async with self.service.session_factory() as db:
            await db.execute(delete(self.sessions).where(self.sessions.c.id_sha256 == session.id_sha256))
            await db.commit()

    async def sign_out(self, subject: str | None, sid: str | None, reason: str) -> int:
        """End every session of this person (or of this provider session) here, and tell the other
        services' pages to end theirs (StaffSignedOut)."""
        async with self.service.uow() as uow:
            ended = await end_sessions(uow.session, self.sessions, subject, sid)
            uow.publish(
                StaffSignedOut(subject=subject or "", provider_session_id=sid, reason=reason, at=self.clock.now())
            )
            await uow.commit()
        log.info("sign-out (%s): %d sessions of %s ended here", reason, ended, subject or f"provider session {sid}")
        return ended


async def end_sessions(
    db, sessions: Table, subject: str | None, sid: str | None, opened_before: datetime | None = None
) -> int:
    """Delete the sessions of a person and/or of one provider session (`opened_before`: only those
    opened by then); how many."""
    match = [sessions.c.subject == subject] if subject else []
    match += [sessions.c.provider_sid == sid] if sid else []
    if not match:
        return 0
    query = delete(sessions).where(or_(*match))
    if opened_before is not None:
        query = query.where(sessions.c.created_at <= opened_before)
    result = await db.execute(query)
    return result.rowcount or 0
