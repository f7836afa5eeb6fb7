"""Composition root of ledger."""
from __future__ import annotations

from pathlib import Path

from common.logging import configure_logging
from common.messaging.contracts import (CaseClosed, EnforcementStepRecorded, GridDefined, MerchantChanged,
                                        MerchantGradeChanged, MerchantRegistered, StaffSignedIn)
from common.service import Service, create_app
from ledger.api import router
from ledger.handlers import announce_merchants, grade_after_case, grade_after_enforcement, record_grid
from ledger.settings import LedgerSettings
from ledger.tables import backbone

HERE = Path(__file__).parent


class LedgerService(Service):
    name = "ledger"
    tables = backbone
    migrations_dir = HERE / "migrations"
    staff_pages = (("/ledger", "台账"),)
    publishes = (MerchantGradeChanged, MerchantRegistered, MerchantChanged, StaffSignedIn)

    def handlers(self):
        return {CaseClosed: grade_after_case, EnforcementStepRecorded: grade_after_enforcement,
                GridDefined: record_grid}

    def routers(self):
        return [router]

    async def on_started(self) -> None:
        while True:
            async with self.uow() as uow:
                if await announce_merchants(uow) == 0:
                    break


def app():
    settings = LedgerSettings()
    configure_logging("ledger", settings.log_level)
    return create_app([LedgerService(settings)], title="ledger 台账服务")
