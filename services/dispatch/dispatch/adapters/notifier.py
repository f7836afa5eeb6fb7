"""Where an alert (OfficerAlerted: an urgent task, a case overdue) goes on from the platform: the
city's SMS platform or 政务钉钉, through the gateway the bureau runs for them (DISPATCH_NOTIFY_URL,
which receives the alert as JSON and finds the person's phone or account by the staff id), or the
log in development. Not Web Push: Chrome's push goes through FCM, unreachable in mainland China.

The notifier is called by dispatch's consumer for each alert, inside the batch's transaction: a
failure raises, the batch is not committed, and the alert is sent again (at least once; the
receiving gateway deduplicates on `alert_id`)."""

from __future__ import annotations

import logging
from typing import Protocol

import httpx

from common.messaging.contracts import OfficerAlerted

log = logging.getLogger(__name__)


class Notifier(Protocol):
    async def send(self, alert: OfficerAlerted) -> None: ...


class LogNotifier:
    """Development: the alert in the log, as it would be sent (staff ids, no phone numbers)."""

    def __init__(self) -> None:
        self.sent: list[OfficerAlerted] = []

    async def send(self, alert: OfficerAlerted) -> None:
        self.sent.append(alert)
        log.info(
            "alert %s to %s (%s): %s", alert.kind, alert.person_id or alert.notify_role, alert.squad_id, alert.text
        )


class GatewayNotifier:
    """POST the alert's JSON to the bureau's message gateway; anything but 2xx is a failure."""

    def __init__(self, url: str, token: str | None = None, timeout_s: float = 10) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.timeout_s = timeout_s

    async def send(self, alert: OfficerAlerted) -> None:
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            r = await client.post(self.url, json=alert.model_dump(mode="json"), headers=self.headers)
        if r.status_code // 100 != 2:
            raise RuntimeError(f"the message gateway answered {r.status_code} to alert {alert.alert_id}")


def notifier_for(url: str | None, token: str | None = None) -> Notifier:
    return GatewayNotifier(url, token) if url else LogNotifier()
