"""严管区定岗: rostering officers at patrol posts (one shift per window and day), their check-in at
the post (within its radius, in the shift's time: dispatch.domain.patrol), and the alert for a post
nobody checked in at."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from common.geo import distance_m
from common.messaging.contracts import Location, PatrolCheckedIn, PatrolPostMissed
from common.refusals import NotFound, Unprocessable, found
from common.uow import UnitOfWork
from dispatch.domain.assignments import StepRefused
from dispatch.domain.patrol import PostWindow, judge_check_in, shifts_on
from dispatch.handlers.context import Context, notify_board
from dispatch.tables import Officer, PatrolPost, PatrolShift, Squad

log = logging.getLogger(__name__)


def post_windows(post: PatrolPost) -> list[PostWindow]:
    return [
        PostWindow(
            start=datetime.strptime(w["start"], "%H:%M").time(),
            end=datetime.strptime(w["end"], "%H:%M").time(),
            days=w["days"] if isinstance(w["days"], str) else tuple(w["days"]),
        )
        for w in post.windows
    ]


async def roster(
    uow: UnitOfWork, ctx: Context, post_id: str, officer_id: str, first: date, last: date, actor: str
) -> list[PatrolShift]:
    """排班: the officer gets one shift per window of the post on each day from first to last.
    Rostering the same days again changes nothing."""
    post = await uow.session.get(PatrolPost, post_id)
    if post is None or not post.active:
        raise NotFound(f"patrol post {post_id} not found")
    officer = await uow.session.get(Officer, officer_id)
    if officer is None or officer.squad_id != post.squad_id:
        raise StepRefused(f"officer {officer_id} is not in {post.squad_id}, the squad of {post.name}")
    windows, day, rows = post_windows(post), first, []
    while day <= last:
        for starts, ends in shifts_on(windows, day, ctx.calendar):
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "post_id": post.id,
                    "squad_id": post.squad_id,
                    "officer_id": officer_id,
                    "day": day,
                    "starts_at": starts,
                    "ends_at": ends,
                    "rostered_by": actor,
                    "late": False,
                }
            )
        day += timedelta(days=1)
    if not rows:
        raise StepRefused(f"{post.name} has no window between {first} and {last}")
    await uow.session.execute(insert(PatrolShift).values(rows).on_conflict_do_nothing())
    await notify_board(uow, ctx, "patrol", post_id=post.id, squad_id=post.squad_id)
    shifts = list(
        (
            await uow.session.exec(
                select(PatrolShift)
                .where(
                    PatrolShift.post_id == post.id,
                    PatrolShift.officer_id == officer_id,
                    PatrolShift.day >= first,
                    PatrolShift.day <= last,
                )
                .order_by(col(PatrolShift.starts_at))
            )
        ).all()
    )
    await uow.commit()
    return shifts


async def check_in(
    uow: UnitOfWork, ctx: Context, shift_id: str, officer_id: str, location: Location, accuracy_m: float | None = None
) -> PatrolShift:
    """到岗: the rostered officer, at the post, in the shift's time."""
    shift = (await uow.session.exec(select(PatrolShift).where(PatrolShift.id == shift_id).with_for_update())).first()
    if shift is None or shift.officer_id != officer_id:
        raise NotFound(f"patrol shift {shift_id} not found")
    if shift.checked_in_at is not None:
        raise StepRefused(f"already checked in at {shift.checked_in_at.isoformat()}")
    post = found(await uow.session.get(PatrolPost, shift.post_id), f"patrol post {shift.post_id}")
    now = uow.clock.now()
    verdict = judge_check_in(
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        now=now,
        distance=distance_m(post.lon, post.lat, location.lon, location.lat),
        radius_m=post.radius_m,
        grace=ctx.patrol_grace,
        accuracy_m=accuracy_m,
    )
    shift.checked_in_at, shift.check_in_distance_m, shift.late = now, round(verdict.distance_m, 1), verdict.late
    uow.session.add(shift)
    uow.publish(
        PatrolCheckedIn(
            shift_id=shift.id,
            post_id=post.id,
            post_name=post.name,
            squad_id=shift.squad_id,
            officer_id=officer_id,
            starts_at=shift.starts_at,
            checked_in_at=now,
            distance_m=shift.check_in_distance_m,
            late=verdict.late,
        )
    )
    await notify_board(uow, ctx, "patrol", post_id=post.id, squad_id=shift.squad_id)
    await uow.commit()
    return shift


async def check_patrols(uow: UnitOfWork, ctx: Context, limit: int = 500) -> int:
    """空岗告警: each shift not checked in when its grace period ends alerts the squad leader once
    (a check-in after that is still accepted, and marked late)."""
    now = uow.clock.now()
    due = (
        await uow.session.exec(
            select(PatrolShift, PatrolPost)
            .join(PatrolPost)
            .where(
                col(PatrolShift.checked_in_at).is_(None),
                col(PatrolShift.missed_at).is_(None),
                PatrolShift.starts_at <= now - ctx.patrol_grace,
            )
            .order_by(col(PatrolShift.starts_at))
            .limit(limit)
            .with_for_update(of=PatrolShift, skip_locked=True)
        )
    ).all()
    for shift, post in due:
        shift.missed_at = now
        uow.session.add(shift)
        uow.publish(
            PatrolPostMissed(
                shift_id=shift.id,
                post_id=post.id,
                post_name=post.name,
                squad_id=shift.squad_id,
                officer_id=shift.officer_id,
                starts_at=shift.starts_at,
                at=now,
            )
        )
        log.info(
            "patrol post %s not checked in by %s (shift from %s): squad leader alerted",
            post.name,
            shift.officer_id,
            shift.starts_at.isoformat(),
        )
        await notify_board(uow, ctx, "patrol", post_id=post.id, squad_id=shift.squad_id, missed=True)
    await uow.commit()
    return len(due)


async def put_post(uow: UnitOfWork, post_id: str, fields: dict) -> PatrolPost:
    """A post created or changed (admin, command centre); shifts already rostered keep their times."""
    if await uow.session.get(Squad, fields["squad_id"]) is None:
        raise Unprocessable.field("squad_id", f"unknown squad {fields['squad_id']}")
    post = await uow.session.merge(PatrolPost(id=post_id, **fields))
    await uow.commit()
    return post
