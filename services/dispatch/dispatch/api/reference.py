"""Dispatch's reference data over HTTP: the grids (GeoJSON), the routing rules an admin replaces
whole, and the working calendar with its status for next year."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from common.audiences import Admin, Anyone, CommandCentre
from common.clock import bureau_date
from common.refusals import NotFound, Unprocessable
from common.workcalendar import next_year_warning, year_loaded
from dispatch import queries
from dispatch.api.deps import ServiceDep
from dispatch.handlers.grids import define_grid
from dispatch.handlers.reference import replace_rules, set_calendar_day

router = APIRouter(tags=["dispatch 派遣"])


@router.get("/v1/grids", summary="网格: the grids as a GeoJSON FeatureCollection with their squads")
async def grids(principal: Anyone, service: ServiceDep) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": g.grid_id,
                "geometry": g.geometry,
                "properties": {
                    "grid_id": g.grid_id,
                    "name": g.name,
                    "squad_id": g.squad_id,
                    "squad_name": g.squad_name,
                    "version": g.version,
                    "office": g.office,
                    "office_id": g.office_id,
                    "keeper_name": g.keeper_name,
                },
            }
            for g in service.grid_map.grids
        ],
    }


class GridBody(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="网格名称")
    squad_id: str = Field(max_length=64, description="the squad responsible for the grid (责任中队)")
    polygon: dict = Field(description="the grid's area: a GeoJSON Polygon, WGS84 [lon, lat], closed rings")
    effective_from: datetime | None = Field(
        None, description="when this version takes effect (ISO 8601 with its offset); now when not given"
    )
    office: str | None = Field(
        None, max_length=64, description="the 办事处 the grid belongs to: its unit id (of-ruhelu)"
    )
    keeper_id: str | None = Field(None, max_length=64, description="the grid's 责任人, a person of the directory")


def _version(v) -> dict:
    return {
        "version": v.version,
        "name": v.name,
        "squad_id": v.squad_id,
        "office": v.office,
        "office_id": v.office_id,
        "keeper_id": v.keeper_id,
        "keeper_name": v.keeper_name,
        "polygon": v.geometry,
        "effective_from": v.effective_from,
        "defined_at": v.defined_at,
        "defined_by": v.defined_by,
        "in_force_since": v.effective_from if v.applied else None,
    }


@router.put(
    "/v1/grids/{grid_id}",
    summary="重划网格 (admin): a new version of a grid, or a new grid, in force from `effective_from`",
    description="The version is kept with the time it takes effect; at that time dispatch routes by it and "
    "GridDefined tells ledger and reporting, which place merchants, licences and cases again. The answer names "
    "the grids its area overlaps (a warning: redraw the neighbour too). A seed file is an initial load only: "
    "after this edit a changed seed no longer redraws the grid.",
)
async def put_grid(grid_id: str, body: GridBody, principal: Admin, service: ServiceDep) -> dict:
    if body.effective_from is not None and body.effective_from.tzinfo is None:
        raise Unprocessable("effective_from: give the time with its offset, e.g. 2026-12-01T00:00:00+08:00")
    async with service.uow() as uow:
        version, overlaps = await define_grid(
            uow,
            grid_id,
            name=body.name,
            squad_id=body.squad_id,
            polygon=body.polygon,
            office=body.office,
            keeper_id=body.keeper_id,
            effective_from=body.effective_from,
            by=principal.subject,
        )
    await service.load_grids()
    return {"grid_id": grid_id, **_version(version), "overlaps": overlaps}


@router.get("/v1/grids/{grid_id}/history", summary="a grid's versions, and how many cases each one routed")
async def grid_history(grid_id: str, principal: CommandCentre, service: ServiceDep) -> dict:
    async with service.session_factory() as session:
        versions = await queries.grid_history(session, grid_id)
        routed = await queries.routed_by_version(session, grid_id)
    if not versions:
        raise NotFound(f"unknown grid {grid_id}")
    return {
        "grid_id": grid_id,
        "versions": [{**_version(v), "cases_routed": routed.get(v.version, 0)} for v in versions],
    }


class RuleBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    squad_id: str | None = Field(None, description="the squad; null = the squad of the case's grid")
    grids: list[str] = []
    categories: list[str] = []
    channels: list[str] = []
    keywords: list[str] = Field([], description="any of these words in the description")
    hours_from: int | None = Field(None, ge=0, le=23, description="Beijing hour the rule starts applying")
    hours_to: int | None = Field(None, ge=0, le=24, description="hour it stops (wraps past midnight)")
    queue: bool = Field(False, description="hold the case in the queue for a dispatcher")


class RulesBody(BaseModel):
    version: int = Field(description="the version read with GET; a stale version is refused (409)")
    rules: list[RuleBody] = Field(max_length=500)


@router.get("/v1/routing-rules", summary="派遣规则, in order: the first that matches wins")
async def get_rules(principal: CommandCentre, service: ServiceDep) -> dict:
    async with service.session_factory() as session:
        rows = await queries.rules(session)
    return {
        "version": max((r.version for r in rows), default=0),
        "rules": [RuleBody.model_validate(r, from_attributes=True).model_dump() for r in rows],
    }


@router.put("/v1/routing-rules", summary="replace the rule table (admin); takes effect within 10 s everywhere")
async def put_rules(body: RulesBody, principal: Admin, service: ServiceDep) -> dict:
    async with service.uow() as uow:
        version = await replace_rules(uow, body.version, [r.model_dump() for r in body.rules])
    await service.load_rules_and_calendar()
    return {"version": version, "rules": [r.model_dump() for r in body.rules]}


class CalendarDayBody(BaseModel):
    kind: Literal["holiday", "workday", "ordinary"] = Field(
        description="节假日 holiday, 调休上班 workday, or ordinary: a national holiday or workday the bureau "
        "does not keep"
    )
    name: str = Field(min_length=1, max_length=50)


@router.get(
    "/v1/calendar",
    summary="the calendar in force: the State Council's holidays and 调休 days "
    "(chinesecalendar) with the bureau's own days on top, for a year (default: this year)",
)
async def calendar(
    principal: Anyone, service: ServiceDep, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> list[dict]:
    year = year or bureau_date(service.clock.now()).year
    days = sorted((d for d in service.calendar_days.values() if d.day.year == year), key=lambda d: d.day)
    return [{"day": d.day.isoformat(), "kind": d.kind, "name": d.name, "source": d.source} for d in days]


@router.get(
    "/v1/calendar/working-periods",
    summary="the working periods from now on (the bureau's hours on its working days), for counting the "
    "working time left on a deadline as the console and the field app do",
)
async def working_periods(
    principal: Anyone, service: ServiceDep, days: Annotated[int, Query(ge=1, le=90)] = 31
) -> dict:
    now = service.clock.now()
    periods = service.calendar.periods_between(now, now + timedelta(days=days))
    return {"now": now.isoformat(), "periods": [[b.isoformat(), e.isoformat()] for b, e in periods]}


@router.get(
    "/v1/calendar/status",
    summary="whether this year's and next year's holidays are loaded; from "
    "November, a warning for the administrators while next year's are not",
)
async def calendar_status(principal: Anyone, service: ServiceDep) -> dict:
    today = bureau_date(service.clock.now())
    days = service.calendar_days
    return {
        "year": today.year,
        "loaded": year_loaded(today.year, days),
        "next_year": today.year + 1,
        "next_year_loaded": year_loaded(today.year + 1, days),
        "warning": next_year_warning(today, days),
    }


@router.put("/v1/calendar/{day}", summary="mark a day as a holiday or a workday (admin)")
async def put_day(day: date, body: CalendarDayBody, principal: Admin, service: ServiceDep) -> dict:
    async with service.uow() as uow:
        await set_calendar_day(uow, day, body.kind, body.name)
    await service.load_rules_and_calendar()
    return {"day": day.isoformat(), **body.model_dump()}


@router.delete("/v1/calendar/{day}", status_code=204, summary="make a day ordinary again (admin)")
async def delete_day(day: date, principal: Admin, service: ServiceDep):
    async with service.uow() as uow:
        await set_calendar_day(uow, day, None, None)
    await service.load_rules_and_calendar()
