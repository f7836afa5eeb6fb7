"""Composition root of ledger."""
from __future__ import annotations

from pathlib import Path

from common.logging import configure_logging
from common.messaging.contracts import CaseClosed, EnforcementStepRecorded, MerchantGradeChanged
from common.service import Service, create_app
from ledger.api import router
from ledger.handlers import grade_after_case, grade_after_enforcement
from ledger.settings import LedgerSettings
from ledger.tables import backbone

HERE = Path(__file__).parent


class LedgerService(Service):
    name = "ledger"
    tables = backbone
    migrations_dir = HERE / "migrations"
    publishes = (MerchantGradeChanged,)

    def handlers(self):
        return {CaseClosed: grade_after_case, EnforcementStepRecorded: grade_after_enforcement}

    def routers(self):
        return [router]


def app():
    settings = LedgerSettings()
    configure_logging("ledger", settings.log_level)
    return create_app([LedgerService(settings)], title="ledger 台账服务")
