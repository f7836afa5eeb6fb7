"""What dispatch's routes share: the service (typed), and taking a step with the service's fresh
context in one unit of work. Who may call a route is common.audiences; refusals are
common.refusals, answered by the one handler of create_app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

if TYPE_CHECKING:
    from dispatch.service import DispatchService


def get_service(request: Request) -> DispatchService:
    return request.app.state.services["dispatch"]


ServiceDep = Annotated["DispatchService", Depends(get_service)]


async def step(service: DispatchService, fn: Callable[..., Awaitable[Any]], *args, **kwargs) -> Any:
    """A handler's step, with the context (rules, calendar, directory) as fresh as the service keeps it."""
    ctx = await service.fresh_context()
    async with service.uow() as uow:
        return await fn(uow, ctx, *args, **kwargs)
