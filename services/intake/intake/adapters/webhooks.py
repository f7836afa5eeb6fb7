"""Delivering an event to a subscriber: a CloudEvent in structured JSON mode
(`application/cloudevents+json`), signed as the Standard Webhooks specification says
(`webhook-id`, `webhook-timestamp`, `webhook-signature`), with the `standardwebhooks` package, the
one subscribers verify with. The target's address is looked up before each try and refused when it
is the bureau's own network (intake.domain.subscriptions)."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from intake.domain.subscriptions import refused_target


def new_secret() -> str:
    """A subscription's secret, in the Standard Webhooks form: whsec_ and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def addresses_of(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


async def refused(url_host: str, port: int, *, allow_private: bool) -> str | None:
    return refused_target(url_host, await addresses_of(url_host, port), allow_private=allow_private)


class Failed(Exception):
    """The subscriber did not take it: try again later."""


async def deliver(
    client: httpx.AsyncClient, url: str, secret: str, delivery_id: str, body: dict[str, Any], timeout_s: float
) -> None:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/cloudevents+json; charset=utf-8",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery_id, now, data),
    }
    try:
        r = await client.post(url, content=data.encode(), headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise Failed(f"{type(exc).__name__}: {exc}") from exc
    if r.status_code // 100 != 2:
        raise Failed(f"answered {r.status_code}")
