"""Webhook subscriptions over HTTP (admin): a city system that cannot read Kafka names the event
types it wants, optionally filtered by category or grid, and an HTTPS address; each matching
event arrives as a structured-mode CloudEvent signed as Standard Webhooks says. Its deliveries
show their status, and can be sent again from a time."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from common.audiences import Admin
from common.refusals import NotFound, Unprocessable
from intake import queries
from intake.api.deps import ServiceDep
from intake.handlers.webhooks import EVENT_TYPES, replay, subscribe, unsubscribe

if TYPE_CHECKING:
    from intake.tables import Delivery, Subscription

router = APIRouter(tags=["intake 受理"])


class SubscriptionFilter(BaseModel):
    categories: list[str] = Field(default_factory=list, max_length=100, description="服务目录 codes")
    grids: list[str] = Field(default_factory=list, max_length=500, description="网格 ids")


class SubscriptionCreate(BaseModel):
    url: str = Field(min_length=8, max_length=500, description="https://… (http only in development)")
    types: list[str] = Field(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description="CloudEvent types, e.g. cn.gov.cgzf.cases.case.closed.v1 (docs/asyncapi.yaml lists them)",
    )
    filter: SubscriptionFilter = Field(default_factory=SubscriptionFilter)
    description: str = Field("", max_length=200, description="whose system it is, and who to call about it")


class SubscriptionOut(BaseModel):
    id: str
    url: str
    types: list[str]
    filter: dict
    description: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionOut:
        return cls(**s.model_dump(exclude={"secret", "ended_at"}))


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="whsec_…: shown once; the subscriber verifies each delivery's signature with it")


class DeliveryOut(BaseModel):
    id: str = Field(description="webhook-id, the same on every try")
    event_id: str
    event_type: str
    event_time: datetime
    status: str = Field(description="pending (waiting or being retried), delivered, parked (given up, with why)")
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(**d.model_dump(exclude={"body", "subscription_id"}))


@router.post(
    "/v1/subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    summary="订阅: a city system receives the events it names over HTTPS, signed (Standard Webhooks)",
)
async def create(body: SubscriptionCreate, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        sub = await subscribe(
            uow,
            service.webhooks,
            url=body.url,
            types=body.types,
            filter_=body.filter.model_dump(),
            description=body.description,
            actor=principal.subject,
        )
    await service.start_webhooks()
    return SubscriptionCreated(**SubscriptionOut.of(sub).model_dump(), secret=sub.secret)


@router.get("/v1/subscriptions", response_model=list[SubscriptionOut], summary="the live subscriptions")
async def list_subscriptions(principal: Admin, service: ServiceDep):
    async with service.session_factory() as session:
        return [SubscriptionOut.of(s) for s in await queries.live_subscriptions(session)]


async def _live(service, subscription_id: str) -> Subscription:
    async with service.session_factory() as session:
        sub = await queries.subscription(session, subscription_id)
    if sub is None or sub.ended_at is not None:
        raise NotFound(f"no subscription {subscription_id}")
    return sub


@router.get("/v1/subscriptions/{subscription_id}", response_model=SubscriptionOut)
async def get_subscription(subscription_id: str, principal: Admin, service: ServiceDep):
    return SubscriptionOut.of(await _live(service, subscription_id))


@router.delete("/v1/subscriptions/{subscription_id}", status_code=204, summary="end a subscription")
async def end(subscription_id: str, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        await unsubscribe(uow, subscription_id)
    service.fanout.changed()
    return Response(status_code=204)


@router.get(
    "/v1/subscriptions/{subscription_id}/deliveries",
    response_model=list[DeliveryOut],
    summary="the subscription's deliveries, newest first, with their status",
)
async def list_deliveries(
    subscription_id: str,
    principal: Admin,
    service: ServiceDep,
    status_: Annotated[Literal["pending", "delivered", "parked"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
):
    await _live(service, subscription_id)
    async with service.session_factory() as session:
        return [
            DeliveryOut.of(d) for d in await queries.deliveries(session, subscription_id, status=status_, limit=limit)
        ]


class ReplayRequest(BaseModel):
    since: datetime = Field(description="send again every event of the subscription from this time, with its offset")


class Replayed(BaseModel):
    deliveries: int


@router.post(
    "/v1/subscriptions/{subscription_id}/replay",
    response_model=Replayed,
    summary="send the subscription's events again from a time (after the subscriber lost them)",
)
async def replay_from(subscription_id: str, body: ReplayRequest, principal: Admin, service: ServiceDep):
    if body.since.tzinfo is None:
        raise Unprocessable.field("since", "since needs a time zone offset")
    async with service.uow() as uow:
        return Replayed(deliveries=await replay(uow, subscription_id, body.since))
