"""Composition root of reporting."""
from __future__ import annotations

from pathlib import Path

from common.logging import configure_logging
from common.service import Service, create_app
from reporting.api import router
from reporting.handlers import HANDLERS
from reporting.settings import ReportingSettings
from reporting.tables import backbone

HERE = Path(__file__).parent


class ReportingService(Service):
    name = "reporting"
    tables = backbone
    migrations_dir = HERE / "migrations"

    def handlers(self):
        return HANDLERS

    def routers(self):
        return [router]


def app():
    settings = ReportingSettings()
    configure_logging("reporting", settings.log_level)
    return create_app([ReportingService(settings)], title="reporting 统计服务")
