"""Composition root of dispatch."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from common.logging import configure_logging
from common.messaging.contracts import (
    AssignmentAccepted,
    AssignmentCreated,
    AssignmentEscalated,
    AssignmentGiven,
    AssignmentReturned,
    CampaignCasesTagged,
    CampaignChanged,
    CampaignClosed,
    CampaignLaunched,
    CaseFiled,
    CaseOpened,
    CaseTransitioned,
    CaseUnroutable,
    CategoryDefined,
    DeadlineExtended,
    EnforcementStepRecorded,
    ExtensionDeclined,
    ExtensionRequested,
    GridDefined,
    OfficerAlerted,
    PatrolCheckedIn,
    PatrolPostMissed,
    PersonChanged,
    RectificationNoticeAnswered,
    RectificationNoticeIssued,
    SquadChanged,
    StaffSignedIn,
    SupervisionOrderAnswered,
    SupervisionOrderIssued,
    WorkCalendarChanged,
    WorkOrderExtended,
)
from common.messaging.inbox import Batched
from common.service import Service, create_app
from common.workcalendar import calendar_of
from dispatch.adapters.board import BoardHub, BoardNotifier
from dispatch.adapters.notifier import Notifier, notifier_for
from dispatch.api import routers
from dispatch.api.patrol import PostBody
from dispatch.api.reference import RuleBody
from dispatch.domain.deadlines import WorkCalendar
from dispatch.domain.routing import GridArea, GridMap, RoutingRule
from dispatch.handlers.alerts import send_alert
from dispatch.handlers.assignments import follow_case
from dispatch.handlers.campaigns import record_campaign, record_tags
from dispatch.handlers.context import BOARD_CHANNEL, Context
from dispatch.handlers.deadlines import (
    check_deadlines,
    check_legal_deadlines,
    extend_for_order,
    follow_legal_deadlines,
)
from dispatch.handlers.directory import Directory, on_staff_signed_in
from dispatch.handlers.directory import announce as announce_directory
from dispatch.handlers.directory import load as load_directory
from dispatch.handlers.grids import apply_due, seed_grids
from dispatch.handlers.patrol import check_patrols
from dispatch.handlers.reference import announce_calendar, calendar_days, record_category
from dispatch.handlers.routing import route_filed
from dispatch.settings import DispatchSettings
from dispatch.tables import CategoryName, Grid, Officer, PatrolPost, RoutingRuleRow, Squad, Unit, backbone

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


def rule_of(row: RoutingRuleRow) -> RoutingRule:
    hours = (row.hours_from, row.hours_to) if row.hours_from is not None and row.hours_to is not None else None
    return RoutingRule(
        name=row.name,
        squad_id=row.squad_id,
        grids=frozenset(row.grids),
        categories=frozenset(row.categories),
        channels=frozenset(row.channels),
        keywords=tuple(row.keywords),
        hours=hours,
        queue=row.queue,
    )


class DispatchService(Service):
    name = "dispatch"
    tables = backbone
    migrations_dir = HERE / "migrations"
    staff_pages = (("/console", "派遣台"), ("/field", "城管通"))
    publishes = (
        AssignmentCreated,
        CaseUnroutable,
        AssignmentAccepted,
        AssignmentReturned,
        AssignmentGiven,
        DeadlineExtended,
        ExtensionRequested,
        ExtensionDeclined,
        AssignmentEscalated,
        OfficerAlerted,
        SupervisionOrderIssued,
        SupervisionOrderAnswered,
        RectificationNoticeIssued,
        RectificationNoticeAnswered,
        PatrolCheckedIn,
        PatrolPostMissed,
        GridDefined,
        WorkCalendarChanged,
        SquadChanged,
        PersonChanged,
        StaffSignedIn,
    )
    settings: DispatchSettings
    REFRESH_S = 10.0
    """Rules and the calendar are re-read this often, so an admin's change reaches every replica."""

    def __init__(self, settings: DispatchSettings, **kwargs) -> None:
        super().__init__(settings, **kwargs)
        self.grid_map = GridMap([])
        self.rules: list[RoutingRule] = []
        self.calendar = WorkCalendar()
        self.calendar_days: dict = {}
        self.squad_names: dict[str, str] = {}
        self.category_names: dict[str, str] = {}
        self.directory = Directory({}, {}, [])
        self.notifier = None
        self.alerts: Notifier = notifier_for(settings.notify_url, settings.notify_token)
        self._refreshed = float("-inf")

    def context(self) -> Context:
        return Context(
            grid_map=self.grid_map,
            rules=self.rules,
            calendar=self.calendar,
            default_time_limit_hours=self.settings.default_time_limit_hours,
            warn_share=self.settings.warn_share,
            return_window_hours=self.settings.return_window_hours,
            directory=self.directory,
            namespace=self.settings.kafka_namespace,
            patrol_grace=timedelta(minutes=self.settings.patrol_grace_minutes),
            decision_warning_days=self.settings.decision_warning_days,
            board=self.notifier,
            squad_names=self.squad_names,
            category_names=self.category_names,
        )

    async def fresh_context(self) -> Context:
        if time.monotonic() - self._refreshed > self.REFRESH_S:
            await self.load_rules_and_calendar()
            await self.load_directory()
        return self.context()

    def handlers(self):
        route = Batched(partial(route_filed, context=self.context))

        async def alerted(event, env, uow):  # through the notifier in place now (a test may swap it)
            await send_alert(event, env, uow, notifier=self.alerts)

        return {
            CaseOpened: route,
            CaseFiled: route,
            CaseTransitioned: partial(follow_case, context=self.context),
            CategoryDefined: partial(record_category, names=self.category_names),
            StaffSignedIn: on_staff_signed_in,
            OfficerAlerted: alerted,
            WorkOrderExtended: partial(extend_for_order, context=self.context),
            EnforcementStepRecorded: partial(follow_legal_deadlines, context=self.context),
            CampaignLaunched: record_campaign,
            CampaignChanged: record_campaign,
            CampaignClosed: record_campaign,
            CampaignCasesTagged: partial(record_tags, context=self.context),
        }

    def routers(self):
        return routers

    async def on_started(self) -> None:
        self.notifier = BoardNotifier(self.engine, self.settings.kafka_namespace + BOARD_CHANNEL)
        self._spawn(self.notifier.run(), "board-notifier")
        await self.seed()
        async with self.uow() as uow:
            await apply_due(uow)
            await uow.commit()
        async with self.uow() as uow:
            await announce_calendar(uow)
            await uow.commit()
        async with self.uow() as uow:
            await announce_directory(uow)
        await self.load_grids()
        await self.load_directory()
        await self.load_rules_and_calendar()
        self.board = BoardHub(self.engine, self.settings.kafka_namespace + BOARD_CHANNEL)
        self._spawn(self.board.run(), "board")
        self._spawn(self._ticking(), "deadlines")

    async def seed(self) -> None:
        """Squads, grids, officers and patrol posts of the seed; the rules and the calendar into
        empty tables."""
        seed_path = Path(self.settings.seed_file) if self.settings.seed_file else HERE / "seed" / "zhongyuan.json"
        seed = json.loads(seed_path.read_text(encoding="utf-8"))
        rules_path = (
            Path(self.settings.rules_file) if self.settings.rules_file else HERE / "seed" / "routing_rules.json"
        )
        async with self.session_factory() as session:
            await session.execute(insert(Unit).values(seed["units"]).on_conflict_do_nothing())
            squads = insert(Squad).values(seed["squads"])
            await session.execute(
                squads.on_conflict_do_update(  # a squad from before the brigades takes its own
                    index_elements=["id"],
                    set_={"brigade_id": func.coalesce(Squad.brigade_id, squads.excluded.brigade_id)},
                )
            )
            people = [
                p | {"certificate_valid_until": date.fromisoformat(p["certificate_valid_until"])}
                if p.get("certificate_valid_until")
                else p
                for p in seed["people"]
            ]
            await session.execute(insert(Officer).values(people).on_conflict_do_nothing())
            if seed.get("patrol_posts"):
                await session.execute(
                    insert(PatrolPost)
                    .values([{"id": p["id"], **PostBody(**p).fields()} for p in seed["patrol_posts"]])
                    .on_conflict_do_nothing()
                )
            if (await session.exec(select(RoutingRuleRow).limit(1))).first() is None:
                rules = [RuleBody(**r) for r in json.loads(rules_path.read_text(encoding="utf-8"))]
                await session.execute(
                    insert(RoutingRuleRow)
                    .values([{"position": i + 1, **r.model_dump()} for i, r in enumerate(rules)])
                    .on_conflict_do_nothing()
                )
            await session.commit()
        async with self.uow() as uow:  # an initial load: a bureau's edits win over a changed seed
            await seed_grids(uow, seed["grids"]["features"])

    async def load_grids(self) -> None:
        """The grids in force, when their versions differ from the map's (a redrawing reaches every
        replica at its next refresh)."""
        async with self.session_factory() as session:
            held = (await session.exec(select(Grid.id, Grid.version).where(col(Grid.version) > 0))).all()
            if sorted(held) == sorted((g.grid_id, g.version) for g in self.grid_map.grids):
                return
            rows = (
                await session.exec(select(Grid, Squad).join(Squad).where(col(Grid.version) > 0).order_by(col(Grid.id)))
            ).all()
        self.grid_map = GridMap(
            [
                GridArea(
                    grid_id=g.id,
                    name=g.name,
                    squad_id=s.id,
                    squad_name=s.name,
                    geometry=g.geometry,
                    version=g.version,
                    office=g.office,
                    office_id=g.office_id,
                    keeper_name=g.keeper_name,
                )
                for g, s in rows
            ]
        )

    async def load_directory(self) -> None:
        async with self.session_factory() as session:
            self.directory = await load_directory(session)
            self.squad_names = {s.id: s.name for s in self.directory.squads.values()}

    async def load_rules_and_calendar(self) -> None:
        async with self.session_factory() as session:
            rules = (await session.exec(select(RoutingRuleRow).order_by(col(RoutingRuleRow.position)))).all()
            self.calendar_days = await calendar_days(session)
            names = dict((await session.exec(select(CategoryName.code, CategoryName.name))).all())
        self.category_names.clear()  # the same dict: the handler that records a name holds it
        self.category_names.update(names)
        self.rules = [rule_of(r) for r in rules]
        self.calendar = calendar_of(self.calendar_days)
        await self.load_grids()
        self._refreshed = time.monotonic()

    async def tick(self) -> int:
        """Check deadlines once: warnings, escalations, overdue supervision orders, and patrol
        posts not checked in."""
        ctx = await self.fresh_context()
        async with self.uow() as uow:
            steps = await check_deadlines(uow, ctx)
        async with self.uow() as uow:
            steps += await check_legal_deadlines(uow, ctx)
        async with self.uow() as uow:
            steps += await check_patrols(uow, ctx)
        async with self.uow() as uow:  # a grid's version whose time has come
            if await apply_due(uow):
                await uow.commit()
                await self.load_grids()
        return steps

    async def _ticking(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_interval_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again next tick
                log.warning("deadline check failed: %s", exc)


def app():
    settings = DispatchSettings()
    configure_logging("dispatch", settings.log_level)
    return create_app([DispatchService(settings)], title="dispatch 派遣服务")
