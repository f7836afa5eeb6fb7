"""What the staff pages tell (dispatch's console, ledger's register, reporting's reports): who
signed in, and who signed out or was ended by the identity provider."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from common.messaging.contracts.base import IntegrationEvent, Topics


class StaffSignedIn(
    IntegrationEvent,
    type="staff.signed-in.v1",
    topic=Topics.sign_ins,
    key="subject",
    producer="the service of the page (dispatch, ledger, reporting)",
):
    """A person signed in to a staff page with the identity provider's claims: the directory creates or updates them
    from it."""

    subject: str
    name: str
    role: str
    squad_id: str | None = None
    page: str = Field(description="/console, /ledger, /reports")
    at: datetime


class StaffSignedOut(
    IntegrationEvent,
    type="staff.signed-out.v1",
    topic=Topics.sign_ins,
    key="subject",
    producer="the service of the page (dispatch, ledger, reporting)",
):
    """A person signed out, or the identity provider ended their session (back-channel logout, a disabled account):
    every page's service ends that person's sessions, or the sessions of that provider session."""

    subject: str = Field(description="the person ('' when the provider named only its session)")
    provider_session_id: str | None = Field(None, description="the identity provider's session (its `sid`)")
    reason: Literal["signed_out", "provider_logout", "provider_refused"]
    at: datetime

    examples: ClassVar = (
        (
            "signed-out",
            "A dispatcher signed out of the console",
            {"subject": "disp-0001", "provider_session_id": None, "reason": "signed_out", "at": "2026-12-02T09:30:00Z"},
        ),
    )
