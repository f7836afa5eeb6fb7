"""Composition root of reporting: the read model built from events alone (reporting never reads
another service's tables), the months summed again when their rows change, and each month's
squad ranking published when it closes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from datetime import date, time
from pathlib import Path

from sqlalchemy import text

from common.logging import configure_logging
from common.messaging.contracts import AssessmentPublished, SquadRankingPublished, StaffSignedIn
from common.messaging.envelope import Envelope
from common.messaging.replay import ReplayProgress, replay
from common.service import Service, create_app
from common.workcalendar import OFFICE_HOURS, WorkCalendar
from reporting.api import routers
from reporting.domain.assessment import Deductions, Scheme, schemes_of
from reporting.handlers import replay as bulk
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
        self._replay_progress: ReplayProgress | None = None
        self._worker_progress: list[ReplayProgress] = []
        self._replay_task: asyncio.Task | None = None

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

    async def refresh(self, settle_s: float = 0.0, parallel: int = 1) -> list[date]:
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
            months = await refresh_dirty(self.session_factory, parallel=parallel)
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
                if not self.replaying:  # never from a read model half rebuilt
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

    @property
    def replaying(self) -> bool:
        return self._replay_task is not None and not self._replay_task.done()

    @property
    def replay_progress(self) -> ReplayProgress | None:
        """The last replay's, over its processes."""
        if self._replay_progress is None:
            return None
        shares = [self._replay_progress, *self._worker_progress]
        return ReplayProgress(**{f: sum(getattr(p, f) for p in shares) for f in ReplayProgress.__dataclass_fields__})

    @property
    def events_applied(self) -> int:
        """By this generation: its replay's, then its consumer's."""
        replayed = self.replay_progress.applied if self.replay_progress else 0
        return replayed + (self.consumer.handled if self.consumer else 0)

    async def start_consumer(self) -> None:
        """The group's consumer, or first the replay a rebuild left unfinished (the process
        stopped in the middle): the read model is emptied and replayed again from the first event."""
        async with self.engine.connect() as conn:
            unfinished = await conn.scalar(text("SELECT replaying FROM reporting.projection_state WHERE name = 'main'"))
        if unfinished:
            self._start_replay()
        else:
            await super().start_consumer()

    async def rebuild(self) -> int:
        """Throw the read model away and replay the topics from their first event, in bulk
        (`reporting.handlers.replay`); the next generation's consumer group goes on from there."""
        await self.stop_consumer()
        if self._replay_task is not None:
            self._replay_task.cancel()
            await asyncio.gather(self._replay_task, return_exceptions=True)
        async with self.engine.begin() as conn:
            gen = await conn.scalar(
                text(
                    "INSERT INTO reporting.projection_state (name, generation, replaying) VALUES ('main', 1, true) "
                    "ON CONFLICT (name) DO UPDATE SET generation = projection_state.generation + 1, replaying = true "
                    "RETURNING generation"
                )
            )
        self._start_replay()
        return gen

    def _start_replay(self) -> None:
        self.consumer = None
        self._replay_progress, self._worker_progress = ReplayProgress(), []
        if self._replay_task is not None and self._replay_task in self._tasks:
            self._tasks.remove(self._replay_task)
        self._replay_task = self._spawn(self._replaying(self._replay_progress), "replay")

    async def _replaying(self, progress: ReplayProgress) -> None:
        """Replay until it succeeds (from the first event each time), then start the consumer."""
        pause = 1.0
        while True:
            try:
                await self._replay(progress)
                break
            except Exception:
                log.exception("reporting's replay failed; it empties the read model and starts again in %.0f s", pause)
                for p in (progress, *self._worker_progress):
                    p.read = p.applied = p.duplicates = p.undecodable = 0
                await asyncio.sleep(pause)
                pause = min(pause * 2, 60.0)
        while True:  # the group goes on from where the replay ended
            try:
                return await super().start_consumer()
            except Exception:
                log.exception("reporting's consumer could not start after the replay; trying again in 5 s")
                await self.stop_consumer()
                await asyncio.sleep(5)

    async def _replay(self, progress: ReplayProgress) -> None:
        """Empty the read model, replay the topics in `rebuild_processes` shares at once (this
        process and workers, `reporting.replay_worker`), then derive, index and sum."""
        loop = asyncio.get_running_loop()
        async with self.uow() as uow:
            conn = await uow.db()
            await conn.execute(f"TRUNCATE {', '.join(READ_MODEL)}")
            await bulk.begin(conn)
            await uow.commit()
        started = loop.time()
        shares = self.settings.rebuild_processes if self.settings.bus == "kafka" else 1
        self._worker_progress = [ReplayProgress() for _ in range(1, shares)]
        workers = [await self._start_worker(i, shares) for i in range(1, shares)]
        try:
            await asyncio.gather(
                self.replay_share(0, shares, progress),
                *(self._worker_done(w, i, self._worker_progress[i - 1]) for i, w in enumerate(workers, 1)),
            )
        finally:
            for w in workers:
                if w.returncode is None:
                    w.kill()
                    await w.wait()
        replayed = loop.time()
        cores = os.cpu_count() or 1  # nothing else runs in the read model until the replay ends
        await self.load_calendar()  # as the replayed announcements left it
        async with self.uow() as uow:
            await bulk.derive(await uow.db(), self.projection.calendar)
            await uow.commit()
        await bulk.build_indexes(self.uow, parallel=cores)
        async with self.uow() as uow:
            months = await bulk.mark_months(await uow.db())
            await uow.commit()
        async with self.engine.begin() as conn:  # every share handed over: the consumer may start
            await conn.execute(text("UPDATE reporting.projection_state SET replaying = false WHERE name = 'main'"))
        finished = loop.time()
        await self.refresh(parallel=cores)
        total = self.replay_progress
        log.info(
            "reporting replayed %d events in %d processes (%d duplicates, %d undecodable) in %.1f s, derived "
            "and indexed its rows in %.1f s, summed %d months in %.1f s",
            total.applied,
            shares,
            total.duplicates,
            total.undecodable,
            replayed - started,
            finished - replayed,
            months,
            loop.time() - finished,
        )

    async def replay_share(self, share: int, shares: int, progress: ReplayProgress) -> None:
        """Replay one share of the topics' partitions into the emptied read model, then hand the
        group those partitions' ends (the consumer starts only once every share has)."""
        source = self.transport.replay(await self.consumer_group(), sorted({c.topic for c in HANDLED}), (share, shares))
        await source.start()
        try:

            async def apply(envelopes: list[Envelope]) -> None:
                async with self.uow() as uow:
                    await self.projection.apply(envelopes, uow, bulk=True)
                    await uow.commit()

            wanted = frozenset(c.event_type for c in HANDLED)
            await replay(source, wanted, apply, chunk=self.settings.rebuild_chunk_events, progress=progress)
            await source.hand_over()
        finally:
            await source.stop()

    async def _start_worker(self, share: int, shares: int) -> asyncio.subprocess.Process:
        """A process of its own for one share: its settings on stdin (never on the command line)."""
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "reporting.replay_worker",
            str(share),
            str(shares),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert worker.stdin is not None
        worker.stdin.write(self.settings.model_dump_json().encode())
        worker.stdin.close()
        return worker

    async def _worker_done(self, worker: asyncio.subprocess.Process, share: int, progress: ReplayProgress) -> None:
        """Follow a worker's progress (a line of JSON as it goes) until it ends; raise if it failed."""
        assert worker.stdout is not None
        fields = set(ReplayProgress.__dataclass_fields__)
        async for line in worker.stdout:
            with contextlib.suppress(ValueError, AttributeError):
                for k, v in json.loads(line).items():
                    if k in fields:
                        setattr(progress, k, int(v))
        if await worker.wait() != 0:
            raise RuntimeError(f"the rebuild's worker for share {share} failed (exit {worker.returncode})")


def app():
    settings = ReportingSettings()
    configure_logging("reporting", settings.log_level)
    return create_app([ReportingService(settings)], title="reporting 统计服务")
