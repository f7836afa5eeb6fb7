"""What dispatch's routes share: the service (typed), and taking a step with the service's fresh
context in one unit of work. Who may call a route is common.audiences; refusals are
common.refusals, answered by the one handler of create_app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from common.refusals import NotFound
from dispatch import queries

if TYPE_CHECKING:
    from common.principal import Principal
    from dispatch.service import DispatchService
    from dispatch.tables import Assignment


def get_service(request: Request) -> DispatchService:
    return request.app.state.services["dispatch"]


ServiceDep = Annotated["DispatchService", Depends(get_service)]


async def step(service: DispatchService, fn: Callable[..., Awaitable[Any]], *args, **kwargs) -> Any:
    """A handler's step, with the context (rules, calendar, directory) as fresh as the service keeps it."""
    ctx = await service.fresh_context()
    async with service.uow() as uow:
        return await fn(uow, ctx, *args, **kwargs)


async def visible_assignment(service: DispatchService, assignment_id: str, principal: Principal) -> Assignment:
    """The assignment, if this caller may see it (a squad only its own); else NotFound."""
    async with service.session_factory() as session:
        a = await queries.assignment(session, assignment_id)
    if a is None or not principal.sees_squad(a.squad_id):
        raise NotFound(f"assignment {assignment_id} not found")
    return a
