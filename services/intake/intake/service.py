"""Composition root of intake: its tables, handlers, routes and seed data wired together."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert

from common.logging import configure_logging
from common.messaging.contracts import IncidentReported
from common.service import Service, create_app
from intake.api import router
from intake.handlers import HANDLERS, Catalogue
from intake.settings import IntakeSettings
from intake.tables import Category, backbone

HERE = Path(__file__).parent


class IntakeService(Service):
    name = "intake"
    tables = backbone
    migrations_dir = HERE / "migrations"
    publishes = (IncidentReported,)

    def handlers(self):
        return HANDLERS

    def routers(self):
        return [router]

    async def on_started(self) -> None:
        categories = json.loads((HERE / "seed" / "categories.json").read_text(encoding="utf-8"))
        async with self.session_factory() as session:
            await session.execute(insert(Category).values(categories).on_conflict_do_nothing())
            await session.commit()
        self.catalogue = Catalogue(self.session_factory)


def app():
    """uvicorn entry point: `uvicorn intake.service:app --factory`."""
    settings = IntakeSettings()
    configure_logging("intake", settings.log_level)
    return create_app([IntakeService(settings)], title="intake 受理服务")
