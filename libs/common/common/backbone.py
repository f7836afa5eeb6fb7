"""The backbone's tables in a service's own schema: the outbox, the inbox, and with them the staff
sign-in's sessions and the public endpoints' request counts, attached to the service's metadata
so that its migrations own them. Plain SQLAlchemy: a service's `tables` module builds one."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import MetaData, Table

from common.idempotency import idempotency_table
from common.messaging.inbox import inbox_table
from common.messaging.outbox import outbox_table
from common.ratelimit import rate_window_table
from common.web_session.store import session_tables


@dataclass
class ServiceTables:
    """The backbone's tables in a service's own schema, attached to its metadata so that its
    migrations own them; with `staff_pages`, the staff sign-in's sessions too (common.web_session);
    with `rate_limits`, the public endpoints' request counts (common.ratelimit); with `idempotency`,
    the keys of the requests done once (common.idempotency)."""

    metadata: MetaData
    staff_pages: bool = False
    rate_limits: bool = False
    idempotency: bool = False
    outbox: Table = field(init=False)
    inbox: Table = field(init=False)
    web_sessions: Table | None = field(init=False, default=None)
    web_logins: Table | None = field(init=False, default=None)
    rate_windows: Table | None = field(init=False, default=None)
    idempotent_requests: Table | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.outbox = outbox_table(self.metadata)
        self.inbox = inbox_table(self.metadata)
        if self.staff_pages:
            self.web_sessions, self.web_logins = session_tables(self.metadata)
        if self.rate_limits:
            self.rate_windows = rate_window_table(self.metadata)
        if self.idempotency:
            self.idempotent_requests = idempotency_table(self.metadata)
