"""A bound on every request body, per endpoint, enforced before anything reads the body: before
the rate-limit check, before the multipart parser spools files to disk, before JSON decoding.

A declared `Content-Length` over the limit is answered 413 at once; a chunked body is counted
as it arrives and cut off with 413 the moment it passes the limit. Each service declares the
endpoints that take more than the default (photo uploads), in `Service.body_limits()`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_BODY_LIMIT = 1024 * 1024
"""JSON and plain forms: 1 MiB is far more than any of them needs."""
FORM_OVERHEAD = 256 * 1024
"""What a multipart form adds around its files: the text fields, boundaries and part headers."""


@dataclass(frozen=True)
class RouteLimit:
    method: str
    path: re.Pattern
    limit: int


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limits: list[RouteLimit], default: int = DEFAULT_BODY_LIMIT) -> None:
        self.app = app
        self.limits = limits
        self.default = default

    def limit_for(self, method: str, path: str) -> int:
        for rule in self.limits:
            if rule.method == method and rule.path.match(path):
                return rule.limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await _refuse(send, 400, "Content-Length is not a number")
                return
            if length > limit:
                await _refuse(send, 413, _too_large(length, limit))
                return
        received = 0
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _refuse(send, 413, _too_large(received, limit, so_far=True))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # once refused, whatever the app still says goes nowhere
                await send(message)

        await self.app(scope, counted_receive, guarded_send)


def _too_large(size: int, limit: int, so_far: bool = False) -> str:
    return f"request body {'passed' if so_far else 'is'} {size:,} bytes; this endpoint takes at most {limit:,} bytes"


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
