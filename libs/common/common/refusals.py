"""The one vocabulary of refusals: what a domain rule or a handler raises when a request cannot be
done, with why. Plain Python, so the domain speaks it; `create_app` installs the one exception
handler that answers each with its status and the one error shape, `{"detail": ...}`, where
detail is one sentence naming what was wrong, or a list of field errors (`loc`, `msg`, `type`,
and what more the refusal names, such as the rule or the existing record's id).

| refusal | HTTP | when |
|---|---|---|
| `Unauthenticated` | 401 | no credentials, or ones that do not hold (with `WWW-Authenticate: Bearer`) |
| `NotFound` | 404 | the thing does not exist, or is not this caller's to see |
| `Refused` | 403 | it exists, but this caller may not do this to it (not your step, not your squad) |
| `Conflict` | 409 | not now: the thing's state does not allow it, or it exists already |
| `Unprocessable` | 422 | the input breaks a rule (naming the field or the rule) |
| `TooLarge` | 413 | too much to take (a file, a spreadsheet's rows) |
| `Throttled` | 429 | too many requests from one client (with when to retry) |
"""

from __future__ import annotations

from typing import Any, TypeVar


class Refusal(Exception):
    """Base of the refusals; `status` is the HTTP answer, `detail` what the answer says."""

    status: int = 422

    def headers(self) -> dict[str, str] | None:
        """Headers the answer carries besides the error (what to do next)."""
        return None

    def __init__(self, message: str, *, detail: Any = None, status: int | None = None) -> None:
        super().__init__(message)
        self.detail = message if detail is None else detail
        if status is not None:
            self.status = status

    @classmethod
    def field(
        cls, field: str | list, message: str, kind: str = "value_error", *, where: str = "body", **more: Any
    ) -> Refusal:
        """A refusal that names the field at fault, in the field-error list of the error shape."""
        loc = [where, *(field if isinstance(field, list) else [field])]
        return cls(message, detail=[{"loc": loc, "msg": message, "type": kind, **more}])


class Unauthenticated(Refusal):
    """No bearer token or signed-in session, or one that does not hold (RFC 6750)."""

    status = 401

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": "Bearer"}


class NotFound(Refusal, LookupError):
    status = 404


class Refused(Refusal):
    status = 403


class Conflict(Refusal):
    status = 409


class Unprocessable(Refusal, ValueError):
    status = 422


class TooLarge(Unprocessable):
    status = 413


class Throttled(Refusal):
    """Too many requests from one client; the message says what and when to retry."""

    status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after_s)}


T = TypeVar("T")


def found(value: T | None, what: str) -> T:
    """`value`, or NotFound naming `what` ("case 123") when there is none."""
    if value is None:
        raise NotFound(f"{what} not found")
    return value
