"""Cases' tables, in the `cases` schema, one module per part: `cases` (a case, its photos, its
number, its trail), `legal` (the penalty track and its dossier), `reference` (what other services
announce), `campaigns` (campaigns and illegal buildings). Every table is importable from
`cases.tables`."""

from __future__ import annotations

from cases.tables.base import CasesTable, registry
from cases.tables.campaigns import CampaignOperation, CampaignRow, IllegalBuilding
from cases.tables.cases import TAGGED, Case, CaseNumberCounter, CasePhoto, CaseTrailEntry
from cases.tables.legal import (
    ApprovalRow,
    CaptureEvidence,
    CaseDocument,
    DevSeal,
    DocumentCounter,
    EnforcementTrack,
    Evidence,
    EvidenceViewing,
    Investigation,
    PowerRow,
    Publication,
    Seizure,
    ServiceConsent,
    ServiceRecord,
    StationFile,
)
from cases.tables.reference import KnownDevice, KnownDogLicence, KnownGrid, KnownMerchant, KnownPerson
from common.backbone import ServiceTables

backbone = ServiceTables(registry.metadata, idempotency=True, rate_limits=True)

__all__ = [
    "CaptureEvidence",
    "ApprovalRow",
    "CampaignOperation",
    "CampaignRow",
    "Case",
    "CaseDocument",
    "CaseNumberCounter",
    "CasePhoto",
    "CaseTrailEntry",
    "CasesTable",
    "DevSeal",
    "DocumentCounter",
    "EnforcementTrack",
    "Evidence",
    "EvidenceViewing",
    "IllegalBuilding",
    "Investigation",
    "KnownDevice",
    "KnownDogLicence",
    "KnownGrid",
    "KnownMerchant",
    "KnownPerson",
    "PowerRow",
    "Publication",
    "Seizure",
    "StationFile",
    "ServiceConsent",
    "ServiceRecord",
    "TAGGED",
    "backbone",
    "registry",
]
