"""Composition root of ledger: the merchant register (商户台账, 一卡四色, 门前三包, catering
purifiers, 便民疏导点, the hardship and flyer registers)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from functools import partial
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert

from common.body_limit import FORM_OVERHEAD
from common.logging import configure_logging
from common.messaging.contracts import (
    CaseClosed,
    DesignatedPointDecided,
    DeviceAlarmRaised,
    DeviceChanged,
    DeviceReading,
    DeviceSampled,
    DogInspected,
    DogInspectionDue,
    DogLicenceChanged,
    DogLicenceIssued,
    DogLicencePlaced,
    DogViolationRecorded,
    DogZoneDefined,
    EnforcementStepRecorded,
    GridDefined,
    LedgerFiguresReported,
    MerchantCardIssued,
    MerchantChanged,
    MerchantColourRecovered,
    MerchantGradeChanged,
    MerchantPersuaded,
    MerchantRegistered,
    ResponsibilityLetterSigned,
    StaffSignedIn,
    StrayCaptured,
    StrayLeft,
)
from common.messaging.envelope import Envelope
from common.messaging.inbox import Batched
from common.objectstore import open_store
from common.photos import MAX_BYTES
from common.ratelimit import RateLimiter
from common.service import Service, create_app
from common.uow import UnitOfWork
from ledger.adapters.identity import IdentityVault
from ledger.api import routers
from ledger.api.persuasions import MAX_PHOTOS
from ledger.domain.dogs import zones_from
from ledger.handlers.dog_violations import remind_and_suspend, violation_from_case
from ledger.handlers.figures import tell_figures
from ledger.handlers.grading import grade_after_case, grade_after_enforcement, recover_colours
from ledger.handlers.licences import Context as DogContext
from ledger.handlers.merchants import announce_merchants, record_grid
from ledger.handlers.telemetry import ReferenceCache, forget_old_samples, load_reference, samples_kept, watch_silence
from ledger.settings import LedgerSettings
from ledger.tables import SchoolGate, backbone

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


async def case_closed(event: CaseClosed, env: Envelope, uow: UnitOfWork, *, rules, dog_categories) -> None:
    """A closed case: the merchant it names is graded; the dog licence it names counts a violation."""
    await grade_after_case(event, env, uow)
    await violation_from_case(event, env, uow, rules=rules, categories=dog_categories)


class LedgerService(Service):
    name = "ledger"
    tables = backbone
    migrations_dir = HERE / "migrations"
    staff_pages = (("/ledger", "台账"),)
    publishes = (
        DeviceChanged,
        DeviceReading,
        DeviceAlarmRaised,
        DogZoneDefined,
        MerchantGradeChanged,
        MerchantRegistered,
        MerchantChanged,
        MerchantColourRecovered,
        MerchantCardIssued,
        MerchantPersuaded,
        ResponsibilityLetterSigned,
        DesignatedPointDecided,
        LedgerFiguresReported,
        DogLicenceIssued,
        DogLicenceChanged,
        DogLicencePlaced,
        DogInspected,
        DogInspectionDue,
        DogViolationRecorded,
        StrayCaptured,
        StrayLeft,
        StaffSignedIn,
    )
    settings: LedgerSettings

    def __init__(self, settings: LedgerSettings, **kwargs) -> None:
        super().__init__(settings, **kwargs)
        self.store = open_store(settings.object_store_url)
        self.vault = IdentityVault(settings.id_number_key)
        zones = Path(settings.dog_key_zones_file or HERE / "seed" / "dog_key_zones.json")
        self.key_zones = zones_from(json.loads(zones.read_text(encoding="utf-8")))
        self.watched = ReferenceCache(self._load_reference, settings.judge_reference_refresh_s, time.monotonic)

    async def _load_reference(self, ids: list[str] | None):
        async with self.engine.connect() as conn:
            return await load_reference(conn, ids)

    def dog_context(self, by: str) -> DogContext:
        return DogContext(
            rules=self.settings.dogs,
            zones=self.key_zones,
            vault=self.vault,
            district_code=self.settings.district_code,
            by=by,
        )

    def handlers(self):
        return {
            CaseClosed: partial(
                case_closed, rules=self.settings.dogs, dog_categories=self.settings.dog_case_categories
            ),
            EnforcementStepRecorded: grade_after_enforcement,
            GridDefined: record_grid,
            DeviceSampled: Batched(samples_kept),  # the stream processor's, on Kafka
        }

    def routers(self):
        return routers

    def body_limits(self):
        photo = MAX_BYTES + FORM_OVERHEAD
        return {
            ("POST", "/v1/merchants/import"): self.settings.import_max_bytes + FORM_OVERHEAD,
            ("POST", "/v1/merchants/{merchant_id}/signs"): photo + FORM_OVERHEAD,
            ("POST", "/v1/merchants/{merchant_id}/letters"): photo + FORM_OVERHEAD,
            ("POST", "/v1/inspection-rounds/{round_id}/visits"): photo + FORM_OVERHEAD,
            ("POST", "/v1/flyer-numbers"): 5 * photo + FORM_OVERHEAD,
            ("POST", "/v1/merchants/{merchant_id}/persuasions"): MAX_PHOTOS * photo + FORM_OVERHEAD,
            ("POST", "/v1/strays"): photo + FORM_OVERHEAD,
            ("POST", "/public/v1/dog-applications"): 2 * photo + FORM_OVERHEAD,
        }

    async def on_started(self) -> None:
        self.limiter = RateLimiter(self.session_factory, self.clock, self.tables.rate_windows)
        gates = json.loads((HERE / "seed" / "school_gates.json").read_text(encoding="utf-8"))
        async with self.session_factory() as session:
            await session.execute(insert(SchoolGate).values(gates).on_conflict_do_nothing())
            await session.commit()
        while True:
            async with self.uow() as uow:
                if await announce_merchants(uow) == 0:
                    break
        self._spawn(self._ticking(), "tick")

    async def tick(self) -> int:
        """Colours that are due recover (each a step, an event and a new card); then the registers'
        figures are told where they changed. Returns how many colours recovered."""
        recovered = 0
        while True:
            async with self.uow() as uow:
                n = await recover_colours(uow, self.settings.recovery)
            recovered += n
            if n < 500:
                break
        while True:
            async with self.uow() as uow:
                reminded, suspended = await remind_and_suspend(uow, self.settings.dogs)
            if reminded + suspended < 500:
                break
        await self.watch_devices()
        async with self.uow() as uow:
            await tell_figures(
                uow, self.settings.letters, self.settings.cleaning, self.settings.dogs, self.settings.shelter_capacity
            )
        return recovered

    async def watch_devices(self) -> int:
        """The tags and monitors gone quiet raise their alarm (once); the tracks older than kept go.
        Returns how many devices went quiet."""
        async with self.uow() as uow:
            quiet = await watch_silence(uow, await self.watched.get(), self.settings.telemetry)
        async with self.uow() as uow:
            await forget_old_samples(uow, self.settings.track_days)
        return quiet

    async def _ticking(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a database that is away now: the next tick tries again
                log.exception("ledger tick failed")
            await asyncio.sleep(self.settings.tick_interval_s)


def app():
    settings = LedgerSettings()
    configure_logging("ledger", settings.log_level)
    return create_app([LedgerService(settings)], title="ledger 台账服务")
