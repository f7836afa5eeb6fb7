"""The campaigns as cases tells them, and the cases in each, kept so that the console filters its
boards by campaign (专项整治); a card whose case joins or leaves one is painted again."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select

from common.db import keep_newer
from common.messaging.contracts import CampaignCasesTagged, CampaignChanged, CampaignClosed, CampaignLaunched
from common.messaging.envelope import Envelope
from common.uow import UnitOfWork
from dispatch.handlers.context import Context, notify_board
from dispatch.tables import Assignment, CampaignCase, KnownCampaign


async def record_campaign(
    event: CampaignLaunched | CampaignChanged | CampaignClosed, env: Envelope, uow: UnitOfWork
) -> None:
    c = event.campaign
    values = {"name": c.name, "status": c.status, "version": c.version}
    await uow.session.execute(keep_newer(KnownCampaign, {"campaign_id": c.campaign_id}, values))


async def record_tags(
    event: CampaignCasesTagged, env: Envelope, uow: UnitOfWork, *, context: Callable[[], Context]
) -> None:
    if event.added_case_ids:
        await uow.session.execute(
            pg_insert(CampaignCase)
            .values([{"campaign_id": event.campaign_id, "case_id": c} for c in sorted(event.added_case_ids)])
            .on_conflict_do_nothing()
        )
    if event.removed_case_ids:
        await uow.session.execute(
            delete(CampaignCase).where(
                tuple_(col(CampaignCase.campaign_id), col(CampaignCase.case_id)).in_(
                    [(event.campaign_id, c) for c in event.removed_case_ids]
                )
            )
        )
    changed = [*event.added_case_ids, *event.removed_case_ids]
    current = (
        await uow.session.exec(
            select(Assignment.id).where(col(Assignment.case_id).in_(changed), col(Assignment.current).is_(True))
        )
    ).all()
    ctx = context()
    for assignment_id in current:  # the consoles paint those cards again, with their campaigns
        await notify_board(uow, ctx, "assignment", id=assignment_id)
