"""Alerts for tasks that cannot wait for someone to open the app (OfficerAlerted): raised with the
urgent assignment or the overdue escalation, in their own transaction (the outbox), and sent on
through the notifier adapter by dispatch's consumer, at least once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from common.clock import BEIJING
from common.messaging.contracts import OfficerAlerted
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from dispatch.adapters.notifier import Notifier


def alert(
    kind: Literal["urgent", "overdue", "owner_warning"],
    *,
    case_id: str,
    case_number: str,
    squad_id: str,
    person_id: str | None,
    notify_role: str,
    category_code: str,
    category_name: str,
    address: str | None,
    deadline_at: datetime | None,
    at: datetime,
) -> OfficerAlerted:
    due = f", 期限 {deadline_at.astimezone(BEIJING):%m月%d日 %H:%M}" if deadline_at else ""
    where = f" ({address})" if address else ""
    text = {
        "urgent": f"【城管通】紧急任务 {case_number} {category_name}{where}{due}, 请立即签收处置。",
        "overdue": f"【城管通】案件 {case_number} {category_name}{where} 已超过处置时限{due}, 请督促办理。",
        "owner_warning": f"【城管通】您包案的案件 {case_number} {category_name}{where} 临近化解时限{due}, 请督办。",
    }[kind]
    return OfficerAlerted(
        alert_id=str(uuid.uuid4()),
        kind=kind,
        case_id=case_id,
        case_number=case_number,
        squad_id=squad_id,
        person_id=person_id,
        notify_role=notify_role,
        category_code=category_code,
        deadline_at=deadline_at,
        text=text,
        raised_at=at,
    )


async def send_alert(event: OfficerAlerted, env: Envelope, uow: UnitOfWork, *, notifier: Notifier) -> None:
    await notifier.send(event)
