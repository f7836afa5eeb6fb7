"""Composition root of dispatch."""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select

from common.logging import configure_logging
from common.messaging.contracts import AssignmentCreated, CaseFiled, CaseOpened, CaseUnroutable
from common.service import Service, create_app
from dispatch.api import router
from dispatch.domain import GridArea, GridMap
from dispatch.handlers import dispatch_case
from dispatch.settings import DispatchSettings
from dispatch.tables import Grid, Squad, backbone

HERE = Path(__file__).parent


class DispatchService(Service):
    name = "dispatch"
    tables = backbone
    migrations_dir = HERE / "migrations"
    publishes = (AssignmentCreated, CaseUnroutable)
    grid_map: GridMap = GridMap([])

    def handlers(self):
        route = partial(dispatch_case, grid_map=lambda: self.grid_map)
        return {CaseOpened: route, CaseFiled: route}

    def routers(self):
        return [router]

    async def on_started(self) -> None:
        seed_path = Path(self.settings.seed_file) if self.settings.seed_file else HERE / "seed" / "zhongyuan.json"
        seed = json.loads(seed_path.read_text(encoding="utf-8"))
        async with self.session_factory() as session:
            await session.execute(insert(Squad).values(seed["squads"]).on_conflict_do_nothing())
            await session.execute(insert(Grid).values([
                {"id": f["properties"]["grid_id"], "name": f["properties"]["name"],
                 "squad_id": f["properties"]["squad_id"], "geometry": f["geometry"]}
                for f in seed["grids"]["features"]
            ]).on_conflict_do_nothing())
            await session.commit()
        await self.load_grids()

    async def load_grids(self) -> None:
        async with self.session_factory() as session:
            rows = (await session.exec(select(Grid, Squad).join(Squad).order_by(Grid.id))).all()
        self.grid_map = GridMap([GridArea(grid_id=g.id, name=g.name, squad_id=s.id, squad_name=s.name,
                                          geometry=g.geometry) for g, s in rows])


def app():
    settings = DispatchSettings()
    configure_logging("dispatch", settings.log_level)
    return create_app([DispatchService(settings)], title="dispatch 派遣服务")
