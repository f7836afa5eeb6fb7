"""Composition root of cases."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cases.adapters.sealing import OfdSidecarSealer, PlatformSealer, Sealer
from cases.api import routers
from cases.api.deps import MAX_STEP_PHOTOS
from cases.api.documents import MAX_CHECKED
from cases.api.evidence import EVIDENCE_PIECE, tus_router
from cases.handlers.buildings import record_grid_office
from cases.handlers.captures import record_capture_answer, record_capture_review
from cases.handlers.documents import Paperwork, development_sealer
from cases.handlers.filing import dispatch_cases, open_cases
from cases.handlers.lifecycle import (
    flag_for_command_centre,
    mark_returned,
    record_detached_report,
    record_joined_report,
    record_rating,
)
from cases.handlers.powers import seed_powers
from cases.handlers.reference import record_dog_licence, record_merchant, record_person
from cases.handlers.stations import record_device
from cases.handlers.upstream import cancel_returned
from cases.settings import CasesSettings
from cases.tables import backbone
from common.body_limit import FORM_OVERHEAD
from common.logging import configure_logging
from common.messaging.contracts import (
    AssignmentCreated,
    AssignmentReturned,
    CampaignCasesTagged,
    CampaignChanged,
    CampaignClosed,
    CampaignLaunched,
    CampaignOperationRecorded,
    CaptureAnswered,
    CaptureReviewed,
    CaseClosed,
    CaseDispatched,
    CaseFiled,
    CaseFlagged,
    CaseOpened,
    CasePublicNoteAdded,
    CaseTransitioned,
    CaseUnroutable,
    DeviceChanged,
    DogLicenceChanged,
    DogLicenceIssued,
    DogLicencePlaced,
    EnforcementStepRecorded,
    GridDefined,
    IllegalBuildingChanged,
    IncidentDetached,
    IncidentJoined,
    IncidentRated,
    IncidentReported,
    MerchantChanged,
    MerchantRegistered,
    PersonChanged,
    WorkOrderReturned,
)
from common.messaging.inbox import Batched
from common.objectstore import open_store
from common.photos import MAX_BYTES
from common.ratelimit import RateLimiter
from common.service import Service, create_app

HERE = Path(__file__).parent


class CasesService(Service):
    name = "cases"
    tables = backbone
    migrations_dir = HERE / "migrations"
    publishes = (
        CaseOpened,
        CaseFiled,
        CaseDispatched,
        CaseFlagged,
        CaseClosed,
        CaseTransitioned,
        CasePublicNoteAdded,
        EnforcementStepRecorded,
        CampaignLaunched,
        CampaignChanged,
        CampaignClosed,
        CampaignOperationRecorded,
        CampaignCasesTagged,
        IllegalBuildingChanged,
    )
    settings: CasesSettings
    paperwork: Paperwork
    limiter: RateLimiter
    """The bureau, its documents' numbers and its sealer (made when the service starts)."""

    def __init__(self, settings: CasesSettings, **kwargs) -> None:
        super().__init__(settings, **kwargs)
        self.store = open_store(settings.object_store_url)

    async def _sealer(self) -> Sealer:
        s = self.settings
        if s.sealing == "platform":
            assert s.seal_platform_url and s.seal_platform_token and s.seal_id  # the settings say so
            return PlatformSealer(s.seal_platform_url, s.seal_platform_token.get_secret_value(), s.seal_id)
        if s.sealing == "ofd":
            assert s.ofd_sealer_url  # the settings say so
            return OfdSidecarSealer(s.ofd_sealer_url)
        return await development_sealer(self.session_factory, s.bureau_name, self.clock.now())

    def handlers(self):
        return {
            IncidentReported: Batched(
                partial(
                    open_cases, district_code=self.settings.district_code, verify_channels=self.settings.verify_channels
                )
            ),
            AssignmentCreated: Batched(dispatch_cases),
            AssignmentReturned: mark_returned,
            CaseUnroutable: flag_for_command_centre,
            IncidentJoined: record_joined_report,
            IncidentDetached: record_detached_report,
            WorkOrderReturned: cancel_returned,
            IncidentRated: partial(record_rating, reopen_on_dissatisfied=self.settings.reopen_on_dissatisfied),
            MerchantRegistered: record_merchant,
            MerchantChanged: record_merchant,
            PersonChanged: record_person,
            DogLicenceIssued: record_dog_licence,
            DogLicenceChanged: record_dog_licence,
            DogLicencePlaced: record_dog_licence,
            GridDefined: record_grid_office,
            CaptureReviewed: record_capture_review,
            CaptureAnswered: record_capture_answer,
            DeviceChanged: record_device,
        }

    def routers(self):
        return [*routers, tus_router(self.settings)]

    async def on_started(self) -> None:
        s = self.settings
        self.limiter = RateLimiter(self.session_factory, self.clock, self.tables.rate_windows)
        await seed_powers(self.session_factory, self.clock.now())
        self.paperwork = Paperwork(
            bureau=s.bureau_name,
            abbr=s.document_abbr,
            sealer=await self._sealer(),
            hearing_person_fen=s.hearing_person_fen,
            hearing_organisation_fen=s.hearing_organisation_fen,
            publication_working_days=s.publication_working_days,
            publication_days=s.publication_days,
        )

    def body_limits(self):
        photo = MAX_BYTES + FORM_OVERHEAD
        return {
            ("POST", "/v1/cases/{case_id}/handle"): 2 * MAX_STEP_PHOTOS * photo + FORM_OVERHEAD,
            ("POST", "/documents/verify"): MAX_CHECKED,
            # a tus PATCH carries one piece of a video: as big as a client sends, at most this much
            ("PATCH", "/v1/evidence-uploads/{uuid}"): EVIDENCE_PIECE,
            ("POST", "/v1/evidence-uploads"): EVIDENCE_PIECE,
            ("POST", "/v1/evidence-uploads/"): EVIDENCE_PIECE,
            ("POST", "/v1/cases/{case_id}/seizures"): MAX_STEP_PHOTOS * photo + 2 * FORM_OVERHEAD,
            ("POST", "/v1/cases/{case_id}/verify"): MAX_STEP_PHOTOS * photo + 2 * FORM_OVERHEAD,
            ("POST", "/v1/cases/{case_id}/check"): MAX_STEP_PHOTOS * photo + 2 * FORM_OVERHEAD,
            ("POST", "/v1/illegal-buildings/{building_id}/stages"): MAX_STEP_PHOTOS * photo + 2 * FORM_OVERHEAD,
            ("POST", "/v1/campaigns/{campaign_id}/operations"): MAX_STEP_PHOTOS * photo + 2 * FORM_OVERHEAD,
            ("POST", "/v1/campaigns/{campaign_id}/sections/{section_id}/acceptance"): MAX_STEP_PHOTOS * photo
            + 2 * FORM_OVERHEAD,
        }


def app():
    settings = CasesSettings()
    configure_logging("cases", settings.log_level)
    return create_app([CasesService(settings)], title="cases 案卷服务")
