"""Patrol posts in strict zones (严管区定岗) over HTTP: the posts, the roster, check-in. The
missed-post alert is raised by the deadline tick (dispatch.handlers.patrol.check_patrols)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, field_validator

from common.audiences import BoardReader, PostEditor, RosterKeeper, SquadMember
from common.clock import bureau_date, bureau_midnight
from common.messaging.contracts import Location
from common.refusals import NotFound, Refused
from dispatch import queries
from dispatch.api.deps import ServiceDep, step
from dispatch.handlers.patrol import check_in, roster
from dispatch.handlers.patrol import put_post as keep_post

if TYPE_CHECKING:
    from dispatch.tables import PatrolPost, PatrolShift

router = APIRouter(tags=["dispatch 严管区定岗"])


class WindowBody(BaseModel):
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM Beijing time")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM; before start = past midnight")
    days: Literal["school_days", "daily"] | list[Annotated[int, Field(ge=1, le=7)]] = Field(
        "daily", description="school_days (the bureau calendar's working days), daily, or ISO weekdays 1-7"
    )

    @field_validator("end")
    @classmethod
    def _not_empty(cls, end: str, info) -> str:
        if end == info.data.get("start"):
            raise ValueError("a window must not start and end at the same minute")
        return end


class PostBody(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="岗点名称, e.g. 伏牛路小学门口")
    kind: Literal["school", "night_market", "other"] = Field(description="校园周边 school, 夜市 night_market")
    squad_id: str = Field(max_length=64)
    location: Location
    radius_m: float = Field(200, gt=0, le=2000, description="check-in counts within this distance")
    windows: list[WindowBody] = Field(min_length=1, max_length=12)
    active: bool = True

    def fields(self) -> dict:
        """The post's columns (dispatch.handlers.patrol.put_post keeps them)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "squad_id": self.squad_id,
            "lon": self.location.lon,
            "lat": self.location.lat,
            "radius_m": self.radius_m,
            "active": self.active,
            "windows": [w.model_dump() for w in self.windows],
        }


class PostPublic(PostBody):
    id: str

    @classmethod
    def of(cls, p: PatrolPost) -> PostPublic:
        return cls(
            id=p.id,
            name=p.name,
            kind=p.kind,
            squad_id=p.squad_id,
            location=Location(lon=p.lon, lat=p.lat),
            radius_m=p.radius_m,
            windows=[WindowBody(**w) for w in p.windows],
            active=p.active,
        )


class ShiftPublic(BaseModel):
    id: str
    post_id: str
    squad_id: str
    officer_id: str
    day: date
    starts_at: datetime
    ends_at: datetime
    status: Literal["rostered", "checked_in", "late", "missed"] = Field(
        description="rostered 待到岗, checked_in 已到岗, late 迟到 (checked in after the grace period), "
        "missed 空岗 (the squad leader was alerted; still missing)"
    )
    checked_in_at: datetime | None
    check_in_distance_m: float | None
    missed_at: datetime | None

    @classmethod
    def of(cls, s: PatrolShift) -> ShiftPublic:
        state = ("late" if s.late else "checked_in") if s.checked_in_at else ("missed" if s.missed_at else "rostered")
        return cls(
            id=s.id,
            post_id=s.post_id,
            squad_id=s.squad_id,
            officer_id=s.officer_id,
            day=s.day,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            status=state,
            checked_in_at=s.checked_in_at,
            check_in_distance_m=s.check_in_distance_m,
            missed_at=s.missed_at,
        )


class RosterRequest(BaseModel):
    officer_id: str = Field(max_length=64)
    first_day: date
    last_day: date | None = Field(None, description="default: first_day; at most 62 days")

    @field_validator("last_day")
    @classmethod
    def _range(cls, last: date | None, info) -> date | None:
        first = info.data.get("first_day")
        if last is not None and first is not None and not first <= last <= first + timedelta(days=62):
            raise ValueError("last_day must be on or after first_day and within 62 days of it")
        return last


class CheckInRequest(BaseModel):
    location: Location = Field(description="where the officer's device is, WGS84")
    accuracy_m: float | None = Field(
        None,
        ge=0,
        le=100_000,
        description="the fix's accuracy in metres, as the device reports it; a fix less sure than the post's "
        "radius is refused (a phone's network fix of ±1 km cannot prove 50 m)",
    )


@router.get("/v1/patrol-posts", response_model=list[PostPublic], summary="严管区岗点; a squad sees its own")
async def list_posts(principal: BoardReader, service: ServiceDep):
    async with service.session_factory() as session:
        return [PostPublic.of(p) for p in await queries.patrol_posts(session, principal.squad_scope)]


@router.put(
    "/v1/patrol-posts/{post_id}",
    response_model=PostPublic,
    summary="create or change a post (admin, command centre); existing shifts keep their times",
)
async def put_post(
    post_id: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,64}$")],
    body: PostBody,
    principal: PostEditor,
    service: ServiceDep,
):
    async with service.uow() as uow:
        post = await keep_post(uow, post_id, body.fields())
    return PostPublic.of(post)


@router.post(
    "/v1/patrol-posts/{post_id}/roster",
    response_model=list[ShiftPublic],
    status_code=201,
    summary="排班: roster an officer of the post's squad for a day or a range of days",
)
async def roster_officer(post_id: str, body: RosterRequest, principal: RosterKeeper, service: ServiceDep):
    async with service.session_factory() as session:
        post = await queries.patrol_post(session, post_id)
    if post is None or not principal.sees_squad(post.squad_id):
        raise NotFound(f"patrol post {post_id} not found")
    shifts = await step(
        service, roster, post_id, body.officer_id, body.first_day, body.last_day or body.first_day, principal.subject
    )
    return [ShiftPublic.of(s) for s in shifts]


@router.get(
    "/v1/patrol-shifts",
    response_model=list[ShiftPublic],
    summary="排班与到岗: the shifts rostered for a day, or by default every shift running at some "
    "time today (Beijing), last night's market included; a squad sees its own",
)
async def list_shifts(
    principal: BoardReader,
    service: ServiceDep,
    day: date | None = None,
    post_id: Annotated[str | None, Query(max_length=64)] = None,
    officer_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
):
    today = bureau_midnight(bureau_date(service.clock.now())) if day is None else None
    async with service.session_factory() as session:
        rows = await queries.patrol_shifts(
            session,
            day=day,
            running_from=today,
            squad_id=principal.squad_scope,
            post_id=post_id,
            officer_id=officer_id,
            limit=limit,
        )
    return [ShiftPublic.of(s) for s in rows]


@router.post(
    "/v1/patrol-shifts/{shift_id}/check-in",
    response_model=ShiftPublic,
    summary="到岗打卡: the rostered officer checks in at the post (token subject = officer id)",
)
async def check_in_shift(shift_id: str, body: CheckInRequest, principal: SquadMember, service: ServiceDep):
    async with service.session_factory() as session:
        officer = await queries.person(session, principal.subject)
    if officer is None or not principal.sees_squad(officer.squad_id):
        raise Refused("only the rostered officer checks in, with his own token")
    shift = await step(service, check_in, shift_id, principal.subject, body.location, body.accuracy_m)
    return ShiftPublic.of(shift)
