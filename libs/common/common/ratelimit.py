"""Rate limits on the endpoints anyone can reach: requests per client per minute, counted in
PostgreSQL so that every replica of a service shares one count (a limit kept in each process
would multiply with the replicas). A service with public endpoints keeps its windows in its own
schema (`ServiceTables(rate_limits=True)`)."""

from __future__ import annotations

import hashlib
import ipaddress
import random
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, delete
from sqlalchemy.dialects.postgresql import insert

from common.refusals import Throttled

if TYPE_CHECKING:
    from fastapi import Request


def rate_window_table(metadata: MetaData) -> Table:
    return Table(
        "rate_windows",
        metadata,
        Column("bucket", String(120), primary_key=True),
        Column("window_start", DateTime(timezone=True), primary_key=True),
        Column("hits", Integer, nullable=False),
    )


@lru_cache(maxsize=8)
def _networks(trusted_proxies: frozenset[str]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)


def _trusted(address: str, trusted_proxies: frozenset[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted_proxies))


def client_address(request: Request, trusted_proxies: frozenset[str]) -> str:
    """The caller as the rate limits count it: behind the gateway, the last address in
    X-Forwarded-For that is not one of our own proxies (the earlier ones are whatever the client
    chose to send); `trusted_proxies` holds addresses or networks (10.0.0.0/8). An IPv6 client is
    its /64, the network one subscriber is given, or it could take a new address per request."""
    peer = request.client.host if request.client else "unknown"
    if not _trusted(peer, trusted_proxies):
        return _subscriber(peer)
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return _subscriber(hop)
    return _subscriber(peer)


def _subscriber(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def submitter_of(kind: str, identity: str, pepper: bytes) -> str:
    """Who sent a report, for throttling, without keeping an address: a keyed hash."""
    return f"{kind}:" + hashlib.sha256(pepper + identity.encode()).hexdigest()[:40]


class RateLimiter:
    def __init__(self, session_factory, clock, table: Table) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._table = table

    async def hit(self, bucket: str, limit: int, what: str) -> None:
        """Count one request in this minute's window; refuse it past the limit."""
        now = self._clock.now()
        window = now.replace(second=0, microsecond=0)
        t = self._table
        async with self._session_factory() as session:
            hits = (
                await session.execute(
                    insert(t)
                    .values(bucket=bucket[:120], window_start=window, hits=1)
                    .on_conflict_do_update(index_elements=["bucket", "window_start"], set_={"hits": t.c.hits + 1})
                    .returning(t.c.hits)
                )
            ).scalar_one()
            if random.random() < 0.01:  # keep the table small: old windows are never read again
                await session.execute(delete(t).where(t.c.window_start < now - timedelta(minutes=10)))
            await session.commit()
        if hits > limit:
            retry = max(1, 60 - now.second)
            raise Throttled(f"too many {what}: at most {limit} a minute from one client; try again in {retry} s", retry)

    async def limit(
        self, request: Request, trusted_proxies: frozenset[str], kind: str, per_minute: int, what: str = "requests"
    ) -> str:
        """Count the request against its client's per-minute limit (Throttled past it); the client's address."""
        address = client_address(request, trusted_proxies)
        await self.hit(f"{kind}:{address}", per_minute, what)
        return address
