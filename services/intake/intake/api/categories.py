"""The 服务目录 for staff: `/v1/categories` (an admin adds a category or changes one, as a new
version; filed cases keep theirs) and each category's versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from common.audiences import Admin, Anyone
from common.refusals import NotFound
from intake import queries
from intake.api.deps import ServiceDep
from intake.handlers.catalogue import edit_category

router = APIRouter(tags=["intake 受理"])


class CategoryRulesIn(BaseModel):
    """One category of the 服务目录 as an admin sets it."""

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["event", "component"] = Field(description="event 事件 or component 部件")
    owner: Literal["grid_squad", "specialist"] = Field(description="the kind of squad that owns it")
    time_limit_hours: int = Field(ge=1, le=24 * 90, description="处置时限 in working hours")
    urgent_time_limit_hours: int = Field(ge=1, le=24 * 30, description="紧急: clock hours")
    description: str = Field("", max_length=500)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    attributes: list[dict] = Field(
        default_factory=list,
        max_length=20,
        description="Open311 attributes: code, datatype, required, description, values",
    )
    dedup_radius_m: int = Field(50, ge=0, le=2000, description="重复件 radius; 0: never merge")
    dedup_window_hours: int = Field(24, ge=0, le=24 * 90, description="重复件 window; 0: never merge")
    active: bool = Field(True, description="false retires it: reports of it are accepted and flagged")


class CategoryEdit(CategoryRulesIn):
    reason: str = Field(min_length=1, max_length=500, description="why it changed (kept with the version)")


class CategoryPublic(CategoryRulesIn):
    code: str
    version: int


class CategoryVersionPublic(CategoryPublic):
    changed_by: str
    changed_at: datetime
    reason: str


@router.get("/v1/categories", response_model=list[CategoryPublic], summary="服务目录: the categories")
async def list_categories(principal: Anyone, service: ServiceDep):
    async with service.session_factory() as session:
        rows = await queries.categories(session)
    return [CategoryPublic.model_validate(c, from_attributes=True) for c in rows]


@router.put(
    "/v1/categories/{code}",
    response_model=CategoryPublic,
    summary="服务目录: add a category or change one (a new version; filed cases keep theirs) (admin)",
)
async def put_category(
    code: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,63}$", description="lower-case letters, digits and _")],
    body: CategoryEdit,
    principal: Admin,
    service: ServiceDep,
):
    rules = body.model_dump(exclude={"reason"})
    async with service.uow() as uow:
        category = await edit_category(uow, code, rules, principal.subject, body.reason)
    await service.catalogue.load()
    return CategoryPublic.model_validate(category, from_attributes=True)


@router.get(
    "/v1/categories/{code}/versions",
    response_model=list[CategoryVersionPublic],
    summary="服务目录: every version of a category, oldest first",
)
async def category_versions(code: str, principal: Anyone, service: ServiceDep):
    async with service.session_factory() as session:
        rows = await queries.category_versions(session, code)
    if not rows:
        raise NotFound(f"category {code} not found")
    return [CategoryVersionPublic.model_validate(v, from_attributes=True) for v in rows]
