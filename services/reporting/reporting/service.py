"""Composition root of reporting."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from common.logging import configure_logging
from common.messaging.contracts import StaffSignedIn
from common.service import Service, create_app
from reporting.api import router
from reporting.handlers import HANDLERS, project
from reporting.settings import ReportingSettings
from reporting.tables import backbone

HERE = Path(__file__).parent
READ_MODEL = ("reporting.case_facts", "reporting.monthly_counts", "reporting.squads", "reporting.inbox")


class ReportingService(Service):
    name = "reporting"
    publishes = (StaffSignedIn,)
    tables = backbone
    migrations_dir = HERE / "migrations"
    staff_pages = (("/reports", "领导驾驶舱"),)

    def handlers(self):
        return HANDLERS

    def batch_handler(self):
        return project

    def routers(self):
        return [router]

    async def generation(self) -> int:
        async with self.engine.connect() as conn:
            gen = await conn.scalar(text("SELECT generation FROM reporting.projection_state WHERE name = 'main'"))
        return gen or 0

    async def consumer_group(self) -> str:
        gen = await self.generation()
        return self.name if gen == 0 else f"{self.name}.g{gen}"

    async def rebuild(self) -> int:
        """Throw the read model away and replay the topics from their first event."""
        await self.stop_consumer()
        async with self.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(READ_MODEL)}"))
            gen = await conn.scalar(text(
                "INSERT INTO reporting.projection_state (name, generation) VALUES ('main', 1) "
                "ON CONFLICT (name) DO UPDATE SET generation = projection_state.generation + 1 RETURNING generation"))
        await self.start_consumer()
        return gen


def app():
    settings = ReportingSettings()
    configure_logging("reporting", settings.log_level)
    return create_app([ReportingService(settings)], title="reporting 统计服务")
