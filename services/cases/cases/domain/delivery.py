"""送达, framework-free: how a document reaches the party (行政处罚法 art. 61; 民事诉讼法's ways).

A decision is handed over when it is announced; a party not present is served within 7 days, in
person or by post (with the tracking number), or by announcement when no other way reaches them
(with where it was announced). Electronic service only with the party's signed 送达地址确认书: the
consent, its channel and address are recorded first."""

from __future__ import annotations

from datetime import datetime, timedelta

from common.refusals import Conflict, Unprocessable

SERVICE_DAYS = 7


class NotServable(Conflict):
    """Not this service now (no consent, served already, not the party's document)."""


def check(
    method: str,
    *,
    consented: bool,
    tracking_number: str | None,
    evidence: str | None,
    issued_at: datetime,
    served_at: datetime,
    now: datetime,
) -> None:
    if not issued_at <= served_at <= now:
        raise Unprocessable.field("served_at", "a document is served after it was issued, and not in the future")
    if method == "electronic" and not consented:
        raise NotServable(
            "electronic service needs the party's 送达地址确认书 (POST /v1/cases/{id}/service-address) first; "
            "without it, serve in person or by post"
        )
    if method == "post" and not tracking_number:
        raise Unprocessable.field("tracking_number", "service by post records the tracking number (邮件号码)")
    if method in ("announcement", "electronic") and not evidence:
        raise Unprocessable.field(
            "evidence", f"{method} service records its evidence: where it was announced, or that it arrived"
        )


def due(issued_at: datetime) -> datetime:
    """A party not present is served within 7 days of the document."""
    return issued_at + timedelta(days=SERVICE_DAYS)
