"""Composition root of reporting: the read model built from events alone (reporting never reads
another service's tables), the months summed again when their rows change, and each month's
squad ranking published when it closes."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, time
from pathlib import Path

from sqlalchemy import text

from common.logging import configure_logging
from common.messaging.contracts import AssessmentPublished, SquadRankingPublished, StaffSignedIn
from common.service import Service, create_app
from common.workcalendar import OFFICE_HOURS, WorkCalendar
from reporting.api import routers
from reporting.domain.assessment import Deductions, Scheme, schemes_of
from reporting.handlers.assessment import publish_closed
from reporting.handlers.projection import HANDLED, Projection
from reporting.handlers.ranking import publish_closed_months
from reporting.handlers.sums import refresh_dirty
from reporting.settings import ReportingSettings
from reporting.tables import CalendarState, backbone

HERE = Path(__file__).parent
log = logging.getLogger(__name__)
READ_MODEL = (
    "reporting.incidents",
    "reporting.cases",
    "reporting.month_cube",
    "reporting.due_pairs",
    "reporting.day_cube",
    "reporting.day_pairs",
    "reporting.dirty_months",
    "reporting.monthly_counts",
    "reporting.squads",
    "reporting.grids",
    "reporting.categories",
    "reporting.ledger_figures",
    "reporting.dog_months",
    "reporting.persuasion_days",
    "reporting.decision_days",
    "reporting.hotline_orders",
    "reporting.campaigns",
    "reporting.campaign_cases",
    "reporting.campaign_operations",
    "reporting.campaign_persuasions",
    "reporting.illegal_buildings",
    "reporting.notices",
    "reporting.inbox",
)
"""Thrown away by a rebuild and made again from the first event. The published rankings stay
(they were published), and so does the working calendar: the replayed cases' handling hours are
counted on the calendar in force, as they were when first applied, not on a default one until
the calendar's own topic is replayed."""


class ReportingService(Service):
    name = "reporting"
    publishes = (SquadRankingPublished, AssessmentPublished, StaffSignedIn)
    tables = backbone
    migrations_dir = HERE / "migrations"
    staff_pages = (("/reports", "领导驾驶舱"),)
    settings: ReportingSettings

    def __init__(self, settings: ReportingSettings, **kwargs) -> None:
        super().__init__(settings, **kwargs)
        self.projection = Projection()

    def handlers(self):
        async def one(event, env, uow):
            await self.projection([env], uow)

        return dict.fromkeys(HANDLED, one)

    def batch_handler(self):
        return self.projection

    def routers(self):
        return routers

    async def on_started(self) -> None:
        await self.load_calendar()
        self._spawn(self._refreshing(), "refresh")
        self._spawn(self._ranking(), "ranking")

    async def load_calendar(self) -> None:
        async with self.session_factory() as session:
            row = await session.get(CalendarState, "bureau")
        if row is not None:
            periods = tuple((time.fromisoformat(b), time.fromisoformat(e)) for b, e in row.office_hours)
            self.projection.calendar = WorkCalendar(
                holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
                workdays=frozenset(date.fromisoformat(d) for d in row.workdays),
                periods=periods or OFFICE_HOURS,
            )

    async def refresh(self, settle_s: float = 0.0) -> list[date]:
        """Sum again the months whose rows changed (what the indicators over whole months read).
        With `settle_s`, also wait (that long at most) for the months another replica or the
        background loop is summing at this moment, so that what was applied before the call is
        in the tables when it returns (the ranking and the tests need that)."""
        if self.projection.calendar_changed:
            self.projection.calendar_changed = False
            await self.load_calendar()
        done: list[date] = []
        deadline = asyncio.get_running_loop().time() + settle_s
        while True:
            months = await refresh_dirty(self.session_factory)
            done += months
            if settle_s <= 0 or asyncio.get_running_loop().time() > deadline:
                return done  # one pass: each month marked at the start summed once
            async with self.engine.connect() as conn:
                if not await conn.scalar(text("SELECT count(*) FROM reporting.dirty_months")):
                    return done
            if not months:
                await asyncio.sleep(0.05)

    async def _refreshing(self) -> None:
        """Sum the changed months again every `refresh_interval_s`; while a backlog streams in (a
        rebuild, a restart after downtime: more than a batch a second), only every
        `refresh_backlog_interval_s`, since each month would be summed again and again while its
        rows are still arriving (the day's and any range's figures read the rows, and stay live)."""
        s = self.settings
        loop = asyncio.get_running_loop()
        last_at, last_handled = loop.time(), 0
        while True:
            handled = self.consumer.handled if self.consumer else 0
            fresh = handled - last_handled if handled >= last_handled else handled  # a rebuild's new consumer
            streaming = fresh > s.consumer_batch_size * s.refresh_interval_s
            if not streaming or loop.time() - last_at >= s.refresh_backlog_interval_s:
                try:
                    await self.refresh()
                except Exception:  # the database away: the next round tries again
                    log.exception("reporting refresh failed")
                last_at = loop.time()
            last_handled = handled
            await asyncio.sleep(s.refresh_interval_s)

    async def publish_rankings(self) -> list[date]:
        await self.refresh(settle_s=30)
        s = self.settings
        async with self.uow() as uow:
            return await publish_closed_months(
                uow, s.on_time_denominator, s.ranking_weights, s.ranking_min_cases, s.ranking_publish_delay_h
            )

    @property
    def schemes(self) -> list[Scheme]:
        return schemes_of(self.settings.assessments)

    @property
    def deductions(self) -> Deductions:
        s = self.settings
        return Deductions(per_notice=s.assessment_notice_points, per_late_notice=s.assessment_late_notice_points)

    async def publish_assessments(self) -> list[tuple[str, str]]:
        """考评: each scheme's period that has closed, published once."""
        await self.refresh(settle_s=30)
        s = self.settings
        async with self.uow() as uow:
            return await publish_closed(
                uow,
                self.schemes,
                s.on_time_denominator,
                s.ranking_weights,
                self.deductions,
                s.assessment_publish_delay_h,
            )

    async def _ranking(self) -> None:
        while True:
            try:
                await self.publish_rankings()
                await self.publish_assessments()
            except Exception:
                log.exception("reporting ranking failed")
            await asyncio.sleep(60)

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
            gen = await conn.scalar(
                text(
                    "INSERT INTO reporting.projection_state (name, generation) VALUES ('main', 1) "
                    "ON CONFLICT (name) DO UPDATE SET generation = projection_state.generation + 1 RETURNING generation"
                )
            )
        await self.start_consumer()
        return gen


def app():
    settings = ReportingSettings()
    configure_logging("reporting", settings.log_level)
    return create_app([ReportingService(settings)], title="reporting 统计服务")
