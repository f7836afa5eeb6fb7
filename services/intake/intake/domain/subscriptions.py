"""Webhook subscriptions for the city's systems that can only receive HTTPS, free of any framework:
which targets a subscription may name, which events it receives, and when a failed delivery is
tried again or parked."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from common.refusals import Unprocessable

FILTERS = {"categories": "category_code", "grids": "grid_id"}
"""A subscription's filter: the event field each list is matched against."""


def check_url(url: str, *, development: bool) -> tuple[str, int]:
    """(host, port) of a target: https, or http in development only; refused by name otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Unprocessable.field("url", f"{url!r} is not an http(s) address")
    if parts.scheme == "http" and not development:
        raise Unprocessable.field("url", "a subscription's target is https outside development")
    if parts.username or parts.password:
        raise Unprocessable.field("url", "credentials do not go in the URL: the deliveries are signed instead")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def private_address(addresses: Iterable[str]) -> str | None:
    """The first address that is the bureau's own network, this machine, or not routable: a
    subscription must not become a way into the bureau's network."""
    for a in addresses:
        ip = ipaddress.ip_address(a.split("%")[0])
        if (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_reserved
            or ip.is_multicast
            or ip.is_unspecified
        ):
            return a
    return None


def refused_target(host: str, addresses: list[str], *, allow_private: bool) -> str | None:
    """Why the target may not be delivered to, or None."""
    if not addresses:
        return f"{host} does not resolve"
    private = private_address(addresses)
    if private is not None and not allow_private:
        return (
            f"{host} is {private}, a private, loopback or reserved address: refused unless the bureau allows "
            "it (INTAKE_WEBHOOK_ALLOW_PRIVATE) or in development"
        )
    return None


def check_filter(filter_: dict[str, list[str]]) -> dict[str, list[str]]:
    unknown = sorted(set(filter_) - set(FILTERS))
    if unknown:
        raise Unprocessable.field(["filter", unknown[0]], f"filter by {unknown[0]} is not offered: {sorted(FILTERS)}")
    return {k: sorted(set(v)) for k, v in filter_.items() if v}


def matches(filter_: dict[str, list[str]], data: dict[str, Any]) -> bool:
    """An event passes when, for each list of the filter, it names one of its values (an event
    that names no grid does not pass a filter by grids)."""
    return all(data.get(FILTERS[k]) in values for k, values in filter_.items())


@dataclass(frozen=True)
class Backoff:
    """Tries for a day (`give_up_after`), waiting `base` and doubling up to `longest` between two."""

    base: timedelta = timedelta(seconds=5)
    longest: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(days=1)

    def next_try(self, attempts: int, first: datetime, now: datetime) -> datetime | None:
        """When to try again after `attempts` failures, or None: parked."""
        wait = min(self.base * 2 ** max(attempts - 1, 0), self.longest)
        at = now + wait
        return None if at - first > self.give_up_after else at
