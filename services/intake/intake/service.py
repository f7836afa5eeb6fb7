"""Composition root of intake: its tables, handlers, routes and seed data wired together."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert

from common.logging import configure_logging
from common.messaging.contracts import IncidentReported
from common.service import Service, create_app
from intake.api import router
from intake.open311_api import keys_router, router as open311_router
from intake.handlers import HANDLERS, AddressBook, Catalogue
from intake.settings import IntakeSettings
from intake.tables import Address, Category, backbone

HERE = Path(__file__).parent


class IntakeService(Service):
    name = "intake"
    tables = backbone
    migrations_dir = HERE / "migrations"
    publishes = (IncidentReported,)

    def handlers(self):
        return HANDLERS

    def routers(self):
        return [router, open311_router, keys_router]

    async def on_started(self) -> None:
        categories = json.loads((HERE / "seed" / "categories.json").read_text(encoding="utf-8"))
        async with self.session_factory() as session:
            await session.execute(insert(Category).values(categories).on_conflict_do_nothing())
            addresses = json.loads((HERE / "seed" / "addresses.json").read_text(encoding="utf-8"))
            await session.execute(insert(Address).values([{"address": a, "lon": lon, "lat": lat}
                                                          for a, lon, lat in addresses]).on_conflict_do_nothing())
            await session.commit()
        self.catalogue = Catalogue(self.session_factory)
        self.geocoder = AddressBook(self.session_factory)


def app():
    """uvicorn entry point: `uvicorn intake.service:app --factory`."""
    settings = IntakeSettings()
    configure_logging("intake", settings.log_level)
    return create_app([IntakeService(settings)], title="intake 受理服务")
