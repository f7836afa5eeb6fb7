"""The link back to an upstream system (the city's 12345 centre, 110's 非警务 desk, the digital-city
platform): where a city's interface document lives in the code. Every 12345 centre publishes its
own (the one provincial specification found is Jiangxi's DB36/T 1180-2019); what differs from
city to city is in `Upstream`'s settings (its URL, credentials, channels, the codes of our
categories and states in its vocabulary, its satisfaction scale), and the shape of a message is
`message_body`. Until a city gives its document, this is the assumption, written in the README:

    POST {url}/work-orders/{source_reference}/steps
    Authorization: Bearer {token}        Idempotency-Key: {message id}
    {"id", "order", "seq", "step", "state", "at", ...the step's fields}

answered 2xx when taken (again 2xx for an id it already has), 4xx when it refuses the message
(dead-lettered at once, with its answer), 5xx or no answer (sent again, with backoff)."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, Field

from intake.domain.work_orders import Limits


class Upstream(BaseModel):
    """One upstream system, from INTAKE_UPSTREAMS (a JSON list)."""

    name: str = Field(description="how the bureau calls it: 12345, 110, szcg")
    url: str = Field(description="its endpoint for the bureau's steps")
    token: str | None = Field(None, description="the bearer token it gave the bureau")
    client: str = Field(
        description="the subject of its own client (external_system) at the bureau: who may answer the "
        "bureau's requests and send its 回访 for its orders"
    )
    channels: list[str] = Field(description="the channels its orders arrive on (transfer_12345, transfer_110)")
    categories: dict[str, str] = Field(default_factory=dict, description="our category code → its 事项 code")
    states: dict[str, str] = Field(default_factory=dict, description="our order state → its state code")
    satisfaction: dict[str, str] = Field(
        default_factory=lambda: {"1": "satisfied", "2": "basically_satisfied", "3": "dissatisfied"},
        description="its satisfaction scale → ours (满意, 基本满意, 不满意)",
    )
    limits: dict[str, Limits] = Field(
        default_factory=lambda: {"phone": Limits(1, 5, 2), "online": Limits(1, 3, 2)},
        description="per kind of order, in working days: 签收, 办结, 回退",
    )
    timeout_s: float = 10.0


class Refused(Exception):
    """The upstream system answered that it will not take the message (4xx): sending it again
    will not help; the command centre reads why."""


class Unavailable(Exception):
    """No answer, or a 5xx: send again later."""


def message_body(upstream: Upstream, message: dict[str, Any]) -> dict[str, Any]:
    """The message as the upstream system reads it: our codes turned into its."""
    body = dict(message["payload"])
    if "category" in body:
        body["category"] = upstream.categories.get(body["category"], body["category"])
    if "state" in body:
        body["state"] = upstream.states.get(body["state"], body["state"])
    return {
        "id": message["id"],
        "order": message["source_reference"],
        "seq": message["seq"],
        "step": message["step"],
        **body,
    }


async def send(client: httpx.AsyncClient, upstream: Upstream, message: dict[str, Any]) -> None:
    headers = {"Idempotency-Key": message["id"]}
    if upstream.token:
        headers["Authorization"] = f"Bearer {upstream.token}"
    url = f"{upstream.url.rstrip('/')}/work-orders/{message['source_reference']}/steps"
    try:
        r = await client.post(url, json=message_body(upstream, message), headers=headers, timeout=upstream.timeout_s)
    except httpx.HTTPError as exc:
        raise Unavailable(f"{type(exc).__name__}: {exc}") from exc
    if r.status_code // 100 == 2:
        return
    if r.status_code in (408, 425, 429) or r.status_code >= 500:
        raise Unavailable(f"{upstream.name} answered {r.status_code}")
    raise Refused(f"{upstream.name} answered {r.status_code}: {r.text[:300]}")
