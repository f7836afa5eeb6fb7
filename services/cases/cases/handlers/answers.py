"""The answer a 信访 or 舆情 case must have on record before it closes: the 答复意见 to the
petitioner, the bureau's public response to the post. Recorded in the trail like every step."""

from __future__ import annotations

from cases.domain.lifecycle import Actor, answer_kind_for
from cases.handlers.steps import case_for_update
from cases.handlers.trail import append_trail
from cases.tables import Case
from common.uow import UnitOfWork


async def record_answer(uow: UnitOfWork, case_id: str, actor: Actor, kind: str, text: str) -> Case:
    case = await case_for_update(uow, case_id)
    answer_kind_for(case.channel, kind)
    at = uow.clock.now()
    case.answers = {**(case.answers or {}), kind: {"text": text, "by": actor.subject, "at": at.isoformat()}}
    await append_trail(
        uow,
        case.id,
        action="answer",
        actor=actor.subject,
        from_status=case.status,
        to_status=case.status,
        data={"kind": kind, "text": text},
    )
    uow.session.add(case)
    await uow.commit()
    return case
