"""All five services in one FastAPI app, unchanged: their routes do not overlap, so the same
routers serve here and behind a gateway that routes by prefix."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from cases.service import CasesService
from cases.settings import CasesSettings
from common.clock import Clock
from common.messaging.transport import Transport
from common.service import Service, create_app
from dispatch.service import DispatchService
from dispatch.settings import DispatchSettings
from intake.service import IntakeService
from intake.settings import IntakeSettings
from ledger.service import LedgerService
from ledger.settings import LedgerSettings
from reporting.service import ReportingService
from reporting.settings import ReportingSettings


def build_services(
    database_url: str, transport: Transport, clock: Clock | None = None, bus: str = "memory", **overrides
) -> list[Service]:
    common = {"database_url": database_url, "bus": bus, "db_pool_size": 5, **overrides}
    return [
        IntakeService(IntakeSettings(**common), transport=transport, clock=clock),
        DispatchService(DispatchSettings(**common), transport=transport, clock=clock),
        CasesService(CasesSettings(**common), transport=transport, clock=clock),
        LedgerService(LedgerSettings(**common), transport=transport, clock=clock),
        ReportingService(ReportingSettings(**common), transport=transport, clock=clock),
    ]


def build_app(services: list[Service], *, demo_people: Sequence = ()) -> FastAPI:
    """`demo_people`: whom the built-in demo sign-in offers (make run, in development only)."""
    app = create_app(
        services,
        title="城市管理综合执法平台",
        description="intake 受理 · dispatch 派遣 · cases 案卷 · ledger 台账 · reporting 统计",
        sessions_from="dispatch",  # the console's: where the process's staff sessions have always lived
    )
    app.state.demo_people = tuple(demo_people)
    return app
