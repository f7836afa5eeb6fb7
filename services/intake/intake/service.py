"""Composition root of intake: its tables, handlers, routes and seed data wired together."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy.dialects.postgresql import insert

from common.body_limit import FORM_OVERHEAD
from common.logging import configure_logging
from common.messaging.contracts import (
    CategoryDefined,
    DeviceAlarmRaised,
    DeviceChanged,
    IncidentDetached,
    IncidentJoined,
    IncidentRated,
    IncidentReplied,
    IncidentReported,
    WorkOrderChanged,
    WorkOrderExtended,
    WorkOrderReturned,
)
from common.objectstore import open_store
from common.photos import MAX_BYTES
from common.ratelimit import RateLimiter
from common.service import Service, create_app
from intake import queries
from intake.domain.incidents import MAX_MACHINE_IMAGES
from intake.domain.subscriptions import Backoff
from intake.handlers.catalogue import AddressBook, Catalogue, announce_categories
from intake.handlers.devices import alarm_reported, record_device
from intake.handlers.incidents import ReportPolicy
from intake.handlers.media import signing_key
from intake.handlers.progress import HANDLERS, linked
from intake.handlers.upstream_link import Retry, load_calendar, send_due
from intake.handlers.webhooks import Fanout, WebhookPolicy, deliver_due
from intake.handlers.work_orders import Link
from intake.settings import IntakeSettings
from intake.tables import Address, Category, CategoryVersion, backbone

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


class IntakeService(Service):
    name = "intake"
    staff_pages = (("/links", "对接"),)
    tables = backbone
    migrations_dir = HERE / "migrations"
    publishes = (
        IncidentReported,
        IncidentJoined,
        IncidentDetached,
        IncidentRated,
        IncidentReplied,
        CategoryDefined,
        WorkOrderReturned,
        WorkOrderExtended,
        WorkOrderChanged,
    )

    def __init__(self, settings: IntakeSettings, **kwargs) -> None:
        super().__init__(settings, **kwargs)
        self.store = open_store(settings.object_store_url)
        self.photo_key = signing_key(settings.photo_url_secret)
        self.policy = ReportPolicy(
            dedup_channels=settings.dedup_channels,
            flood_radius_m=settings.flood_radius_m,
            flood_max_reports=settings.flood_max_reports,
            flood_window_minutes=settings.flood_window_minutes,
        )
        self.link = Link(list(settings.upstreams))

    def handlers(self):
        # the work orders follow their cases only where an upstream system is linked
        progress = linked(HANDLERS) if self.link.upstreams else HANDLERS

        async def alarm(event, env, uow):  # the catalogue is loaded once the service has started
            await alarm_reported(event, env, uow, catalogue=self.catalogue, policy=self.policy)

        return {**progress, DeviceChanged: record_device, DeviceAlarmRaised: alarm}

    def routers(self):
        from intake.api import routers  # the routes reach back to this service's type (api.deps)

        return routers

    def body_limits(self):
        photo = MAX_BYTES + FORM_OVERHEAD
        return {
            ("POST", "/public/v1/reports"): self.settings.max_photos_web * photo + FORM_OVERHEAD,
            ("POST", "/open311/v2/requests.{fmt}"): self.settings.max_photos_web * photo + FORM_OVERHEAD,
            ("POST", "/v1/field-reports"): self.settings.max_photos_field * photo + FORM_OVERHEAD,
            ("POST", "/v1/patrol-reports"): self.settings.max_photos_field * photo + FORM_OVERHEAD,
            ("POST", "/v1/machine-events"): MAX_MACHINE_IMAGES * (MAX_BYTES * 4 // 3 + 4) + FORM_OVERHEAD,
        }

    async def on_started(self) -> None:
        categories = json.loads((HERE / "seed" / "categories.json").read_text(encoding="utf-8"))
        async with self.session_factory() as session:
            # The seed is version 1 of each category; an admin's later versions are never overwritten.
            await session.execute(insert(Category).values(categories).on_conflict_do_nothing())
            await session.execute(
                insert(CategoryVersion)
                .values(
                    [
                        {
                            **c,
                            "version": 1,
                            "changed_by": "seed",
                            "changed_at": self.clock.now(),
                            "reason": "初始服务目录",
                        }
                        for c in categories
                    ]
                )
                .on_conflict_do_nothing()
            )
            addresses = json.loads((HERE / "seed" / "addresses.json").read_text(encoding="utf-8"))
            await session.execute(
                insert(Address)
                .values([{"address": a, "lon": lon, "lat": lat} for a, lon, lat in addresses])
                .on_conflict_do_nothing()
            )
            await session.commit()
        async with self.uow() as uow:
            await announce_categories(uow)
        self.catalogue = Catalogue(self.session_factory)
        self.geocoder = AddressBook(self.session_factory)
        await self.catalogue.load()
        await self.geocoder.load()
        self.limiter = RateLimiter(self.session_factory, self.clock, self.tables.rate_windows)
        await load_calendar(self.session_factory, self.link)
        if self.link.upstreams:
            self._spawn(self._linking(), "upstream-link")
        s = self.settings
        self.webhooks = WebhookPolicy(
            development=s.environment == "development",
            allow_private=s.webhook_allow_private,
            backoff=Backoff(
                timedelta(seconds=s.webhook_retry_base_s),
                timedelta(seconds=s.webhook_retry_max_s),
                timedelta(seconds=s.webhook_retry_for_s),
            ),
            timeout_s=s.webhook_timeout_s,
        )
        self.fanout = Fanout(
            self.session_factory, self.transport, self.clock, client_id=f"intake-{self.replica}-webhooks"
        )
        self._webhooks_started = False
        self._spawn(self._watching_subscriptions(), "webhooks")

    async def start_webhooks(self) -> None:
        """The fan-out and the sender, once there is a subscription (none: no consumer reads every
        topic for nothing)."""
        if self._webhooks_started:
            self.fanout.changed()
            return
        self._webhooks_started = True
        self._spawn(self._fanning(), "webhook-fanout")
        self._spawn(self._delivering(), "webhook-sender")

    async def _fanning(self) -> None:
        """The fan-out, started again after a pause (1 s, doubling up to a minute) if it stops on
        an error (the broker away): what it had not committed is read again, and a delivery it had
        already made is not made twice (its id is the subscription's and the event's)."""
        pause = 1.0
        while True:
            began = time.monotonic()
            try:
                await self.fanout.run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                pause = 1.0 if time.monotonic() - began > 300 else pause  # it had run well: start small
                log.warning("webhook fan-out stopped (%s); again in %.0f s", exc, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 60.0)

    async def _watching_subscriptions(self) -> None:
        """Another replica may take the first subscription: look now and then."""
        while not self._webhooks_started:
            try:
                async with self.session_factory() as session:
                    if await queries.live_subscriptions(session):
                        await self.start_webhooks()
                        return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("webhooks: %s", exc)
            await asyncio.sleep(5)

    async def _delivering(self) -> None:
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    taken = await deliver_due(self.session_factory, client, self.webhooks, self.clock.now())
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database away: nothing is lost, try again
                    log.warning("webhook sender: %s", exc)
                    taken = 0
                if not taken:
                    await asyncio.sleep(self.settings.webhook_poll_interval_s)

    async def _linking(self) -> None:
        """The link's sender: the messages due, to their upstream systems; the calendar read again
        every few minutes (dispatch announces its changes)."""
        s = self.settings
        retry = Retry(s.link_retry_base_s, s.link_retry_max_s, s.link_max_attempts)
        calendar_read = self.clock.now()
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    sent = await send_due(self.session_factory, self.link, client, self.clock.now(), retry)
                    if (self.clock.now() - calendar_read).total_seconds() > 300:
                        await load_calendar(self.session_factory, self.link)
                        calendar_read = self.clock.now()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database away: nothing is lost, try again
                    log.warning("upstream link: %s", exc)
                    sent = 0
                if not sent:
                    await asyncio.sleep(s.link_poll_interval_s)


def app():
    """uvicorn entry point: `uvicorn intake.service:app --factory`."""
    settings = IntakeSettings()
    configure_logging("intake", settings.log_level)
    return create_app([IntakeService(settings)], title="intake 受理服务")
