"""Patrol posts in strict zones (严管区定岗) over HTTP: the posts, the roster, check-in. The
missed-post alert is raised by the deadline tick (dispatch.handlers.check_patrols)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, Field, field_validator
from sqlmodel import select

from common.auth import Principal, Role, require_roles
from common.clock import bureau_date, bureau_midnight
from common.messaging.contracts import Location
from dispatch.api import Reader, _step, get_service
from dispatch.handlers import check_in, roster
from dispatch.tables import Officer, PatrolPost, PatrolShift, Squad

router = APIRouter(tags=["dispatch 严管区定岗"])

PostEditor = Annotated[Principal, Depends(require_roles(Role.admin, Role.dispatcher))]
Rosterer = Annotated[Principal, Depends(require_roles(Role.squad_leader, Role.dispatcher, Role.admin))]
Officers = Annotated[Principal, Depends(require_roles(Role.squad_officer, Role.squad_leader))]


class WindowBody(BaseModel):
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM Beijing time")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM; before start = past midnight")
    days: Literal["school_days", "daily"] | list[Annotated[int, Field(ge=1, le=7)]] = Field(
        "daily", description="school_days (the bureau calendar's working days), daily, or ISO weekdays 1-7")

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

    def row(self, post_id: str) -> PatrolPost:
        return PatrolPost(id=post_id, name=self.name, kind=self.kind, squad_id=self.squad_id, lon=self.location.lon,
                          lat=self.location.lat, radius_m=self.radius_m, active=self.active,
                          windows=[w.model_dump() for w in self.windows])


class PostPublic(PostBody):
    id: str

    @classmethod
    def of(cls, p: PatrolPost) -> "PostPublic":
        return cls(id=p.id, name=p.name, kind=p.kind, squad_id=p.squad_id, location=Location(lon=p.lon, lat=p.lat),
                   radius_m=p.radius_m, windows=[WindowBody(**w) for w in p.windows], active=p.active)


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
                    "missed 空岗 (the squad leader was alerted; still missing)")
    checked_in_at: datetime | None
    check_in_distance_m: float | None
    missed_at: datetime | None

    @classmethod
    def of(cls, s: PatrolShift) -> "ShiftPublic":
        state = ("late" if s.late else "checked_in") if s.checked_in_at else ("missed" if s.missed_at else "rostered")
        return cls(id=s.id, post_id=s.post_id, squad_id=s.squad_id, officer_id=s.officer_id, day=s.day,
                   starts_at=s.starts_at, ends_at=s.ends_at, status=state, checked_in_at=s.checked_in_at,
                   check_in_distance_m=s.check_in_distance_m, missed_at=s.missed_at)


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


@router.get("/v1/patrol-posts", response_model=list[PostPublic], summary="严管区岗点; a squad sees its own")
async def list_posts(principal: Reader, service=Depends(get_service)):
    query = select(PatrolPost).order_by(PatrolPost.id)
    if principal.squad_scope is not None:
        query = query.where(PatrolPost.squad_id == principal.squad_scope)
    async with service.session_factory() as session:
        return [PostPublic.of(p) for p in (await session.exec(query)).all()]


@router.put("/v1/patrol-posts/{post_id}", response_model=PostPublic,
            summary="create or change a post (admin, command centre); existing shifts keep their times")
async def put_post(post_id: Annotated[str, Path(pattern=r"^[a-z0-9-]{1,64}$")], body: PostBody,
                   principal: PostEditor, service=Depends(get_service)):
    async with service.session_factory() as session:
        if await session.get(Squad, body.squad_id) is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                [{"loc": ["body", "squad_id"], "msg": f"unknown squad {body.squad_id}",
                                  "type": "value_error"}])
        post = body.row(post_id)
        await session.merge(post)
        await session.commit()
    return PostPublic.of(post)


@router.post("/v1/patrol-posts/{post_id}/roster", response_model=list[ShiftPublic], status_code=201,
             summary="排班: roster an officer of the post's squad for a day or a range of days")
async def roster_officer(post_id: str, body: RosterRequest, principal: Rosterer, service=Depends(get_service)):
    async with service.session_factory() as session:
        post = await session.get(PatrolPost, post_id)
    if post is None or not principal.sees_squad(post.squad_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"patrol post {post_id} not found")
    shifts = await _step(service, roster, post_id, body.officer_id, body.first_day, body.last_day or body.first_day,
                         principal.subject)
    return [ShiftPublic.of(s) for s in shifts]


@router.get("/v1/patrol-shifts", response_model=list[ShiftPublic],
            summary="排班与到岗: the shifts rostered for a day, or by default every shift running at some "
                    "time today (Beijing), last night's market included; a squad sees its own")
async def list_shifts(principal: Reader, service=Depends(get_service), day: date | None = None,
                      post_id: str | None = None, officer_id: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=2000)] = 500):
    query = select(PatrolShift).order_by(PatrolShift.starts_at).limit(limit)
    if day is not None:
        query = query.where(PatrolShift.day == day)
    else:
        midnight = bureau_midnight(bureau_date(service.clock.now()))
        query = query.where(PatrolShift.ends_at > midnight, PatrolShift.starts_at < midnight + timedelta(days=1))
    if principal.squad_scope is not None:
        query = query.where(PatrolShift.squad_id == principal.squad_scope)
    if post_id:
        query = query.where(PatrolShift.post_id == post_id)
    if officer_id:
        query = query.where(PatrolShift.officer_id == officer_id)
    async with service.session_factory() as session:
        return [ShiftPublic.of(s) for s in (await session.exec(query)).all()]


@router.post("/v1/patrol-shifts/{shift_id}/check-in", response_model=ShiftPublic,
             summary="到岗打卡: the rostered officer checks in at the post (token subject = officer id)")
async def check_in_shift(shift_id: str, body: CheckInRequest, principal: Officers, service=Depends(get_service)):
    async with service.session_factory() as session:
        officer = await session.get(Officer, principal.subject)
    if officer is None or not principal.sees_squad(officer.squad_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the rostered officer checks in, with his own token")
    shift = await _step(service, check_in, shift_id, principal.subject, body.location)
    return ShiftPublic.of(shift)
