"""The grids' versions: the seed's initial load, a bureau's redrawing (PUT /v1/grids/{id}), each
version put in force at its time, and GridDefined told then, so that ledger and reporting place
things again from it. The rules are dispatch.domain.grids'."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from common.messaging.contracts import GridDefined
from common.refusals import Unprocessable
from common.uow import UnitOfWork
from dispatch.domain.grids import SeedStep, in_force, overlapping, polygon_problem, seed_digest, seed_step
from dispatch.tables import Grid, GridVersion, Officer, Squad, Unit

log = logging.getLogger(__name__)
SEED = "seed"
_FIELDS = ("name", "squad_id", "geometry", "office", "office_id", "keeper_id", "keeper_name")


async def _next_version(session, grid_id: str) -> int:
    held = (
        await session.execute(select(func.max(GridVersion.version)).where(col(GridVersion.grid_id) == grid_id))
    ).scalar()
    return (held or 0) + 1


async def _add_version(uow: UnitOfWork, grid_id: str, fields: dict, effective_from: datetime, by: str) -> GridVersion:
    version = GridVersion(
        grid_id=grid_id,
        version=await _next_version(uow.session, grid_id),
        effective_from=effective_from,
        defined_at=uow.clock.now(),
        defined_by=by,
        **fields,
    )
    uow.session.add(version)
    await uow.session.flush()
    return version


def _as_feature(grid: Grid) -> dict:
    keys = ("name", "squad_id", "office", "office_id", "keeper_id")
    return {"properties": {k: getattr(grid, k) for k in keys}, "geometry": grid.geometry}


async def seed_grids(uow: UnitOfWork, features: list[dict]) -> None:
    """The seed file's grids: loaded when new; a grid the seed now draws differently gets a new
    version from the seed, unless a bureau has edited it since (then the edit wins, and the log
    says so)."""
    held = {g.id: g for g in (await uow.session.exec(select(Grid).with_for_update())).all()}
    people = dict((await uow.session.exec(select(Officer.id, Officer.name))).all())
    now = uow.clock.now()
    for f in features:
        p, digest = f["properties"], seed_digest(f)
        grid = held.get(p["grid_id"])
        held_digest = None
        if grid is not None:  # a grid loaded before the seed's digest was kept is what its row says
            held_digest = grid.seed_digest or seed_digest(_as_feature(grid))
        step = seed_step(held_digest, grid is not None, bool(grid and grid.edited), digest)
        if step is SeedStep.same:
            if grid is not None and grid.seed_digest is None:
                grid.seed_digest = digest
                uow.session.add(grid)
            continue
        if step is SeedStep.keep_edit:
            log.warning("grid %s: the seed file draws it differently, but the bureau's edit stands", p["grid_id"])
            continue
        fields = {
            "name": p["name"],
            "squad_id": p["squad_id"],
            "geometry": f["geometry"],
            "office": p.get("office"),
            "office_id": p.get("office_id"),
            "keeper_id": p.get("keeper_id"),
            "keeper_name": people.get(p.get("keeper_id")),
        }
        await _add_version(uow, p["grid_id"], fields, now, SEED)
        grid = grid or Grid(id=p["grid_id"], **{k: fields[k] for k in ("name", "squad_id", "geometry")})
        grid.seed_digest = digest
        uow.session.add(grid)
        if step is SeedStep.redraw:
            log.info("grid %s: redrawn from the changed seed file", p["grid_id"])
    await uow.session.flush()
    await apply_due(uow)
    await uow.commit()


async def define_grid(
    uow: UnitOfWork,
    grid_id: str,
    *,
    name: str,
    squad_id: str,
    polygon: dict,
    office: str | None,
    keeper_id: str | None,
    effective_from: datetime | None,
    by: str,
) -> tuple[GridVersion, list[str]]:
    """A bureau's new version of a grid (or a new grid), in force from `effective_from` (now when
    not given); answers the version and the grids its area overlaps (told, not refused: redrawing
    two neighbours is two edits)."""
    problem = polygon_problem(polygon)
    if problem:
        raise Unprocessable(problem)
    if await uow.session.get(Squad, squad_id) is None:
        raise Unprocessable(f"squad_id: unknown squad {squad_id}")
    office_name = None
    if office is not None:  # the 办事处: a unit of the directory
        unit = await uow.session.get(Unit, office)
        if unit is None or unit.kind != "office":
            raise Unprocessable(f"office: {office} is not an office (办事处) of the directory")
        office_name = unit.name
    keeper_name = None
    if keeper_id is not None:
        keeper = await uow.session.get(Officer, keeper_id)
        if keeper is None:
            raise Unprocessable(f"keeper_id: {keeper_id} is not a person of the directory")
        keeper_name = keeper.name
    now = uow.clock.now()
    when = effective_from or now
    fields = {
        "name": name,
        "squad_id": squad_id,
        "geometry": polygon,
        "office": office_name,
        "office_id": office,
        "keeper_id": keeper_id,
        "keeper_name": keeper_name,
    }
    grid = await uow.session.get(Grid, grid_id, with_for_update=True)
    if grid is None:  # a new grid: held from now on, in force from its time
        grid = Grid(id=grid_id, name=name, squad_id=squad_id, geometry=polygon, version=0)
    grid.edited = True
    uow.session.add(grid)
    await uow.session.flush()
    version = await _add_version(uow, grid_id, fields, when, by)
    others = {g.id: g.geometry for g in (await uow.session.exec(select(Grid).where(col(Grid.id) != grid_id))).all()}
    await apply_due(uow)
    await uow.commit()
    return version, overlapping(polygon, others)


async def apply_due(uow: UnitOfWork) -> int:
    """Every version whose time has come put in force (the latest one of each grid wins) and
    told; returns how many grids changed."""
    now = uow.clock.now()
    due = (
        await uow.session.exec(
            select(GridVersion)
            .where(col(GridVersion.applied).is_(False), col(GridVersion.effective_from) <= now)
            .order_by(col(GridVersion.grid_id), col(GridVersion.effective_from), col(GridVersion.version))
            .with_for_update(skip_locked=True)
        )
    ).all()
    latest: dict[str, GridVersion] = {}
    for v in due:
        assert in_force(v.effective_from, now)
        v.applied = True
        uow.session.add(v)
        latest[v.grid_id] = v
    for grid_id, v in latest.items():
        grid = await uow.session.get(Grid, grid_id, with_for_update=True)
        assert grid is not None
        if v.version < grid.version:  # a later version is in force already
            continue
        for k in _FIELDS:
            setattr(grid, k, getattr(v, k))
        grid.version = v.version
        uow.session.add(grid)
    await uow.session.flush()
    return await announce_grids(uow) if latest else 0


async def announce_grids(uow: UnitOfWork) -> int:
    """GridDefined for each grid whose version in force is new or changed since it was last
    announced, so other services place points in grids without reading these tables."""
    rows = (
        await uow.session.exec(
            select(Grid, Squad).join(Squad).where(col(Grid.version) > 0).order_by(col(Grid.id)).with_for_update(of=Grid)
        )
    ).all()
    now, told = uow.clock.now(), 0
    for grid, squad in rows:
        event = GridDefined(
            grid_id=grid.id,
            name=grid.name,
            squad_id=squad.id,
            squad_name=squad.name,
            geometry=grid.geometry,
            version=grid.version,
            office_name=grid.office,
            office_id=grid.office_id,
            keeper_name=grid.keeper_name,
            defined_at=now,
        )
        digest = hashlib.sha256(event.model_dump_json(exclude={"defined_at"}).encode()).hexdigest()
        if grid.announced != digest:
            grid.announced = digest
            uow.session.add(grid)
            uow.publish(event)
            told += 1
    await uow.session.flush()
    return told
