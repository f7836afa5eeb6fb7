"""Integration events: the public, versioned contract between the services and with the
municipal systems that subscribe to them. One pydantic model per event type; the JSON Schemas
and the AsyncAPI document in docs/ are generated from these models (`make contracts`).

Rules of the contract: a type name ends in its version (`.v1`); a field may be added, never
removed or changed in meaning (that is a `.v2`); consumers ignore fields they do not know.

No event carries a phone number or an identity-card number. Every field that holds text a person
typed is a `FreeText` (or a `FreeData` of such text), and the model masks those numbers itself
when the event is made, whoever makes it; a test walks every contract's fields to keep it so.

One module per producer (intake, cases, dispatch, staff, ledger, reporting) and `base` for what
they share; the shared vocabulary (channels, urgencies, case statuses and actions, outcomes,
ratings) is `common.vocabulary`. Everything is importable from here."""
from __future__ import annotations

from common.messaging.contracts.base import (DESCRIPTION_MAX, TYPE_PREFIX, FreeData, FreeText, IntegrationEvent,
                                             Location, Topics)
from common.messaging.contracts.intake import (IncidentReported, IncidentReplied, IncidentJoined, IncidentDetached, IncidentRated, CategoryDefined)
from common.messaging.contracts.cases import (CaseOpened, CaseFiled, CaseTransitioned, EnforcementStepName, EnforcementStepRecorded, CaseDispatched, CaseFlagged, CasePublicNoteAdded, CaseClosed)
from common.messaging.contracts.dispatch import (AssignmentCreated, AssignmentAccepted, AssignmentReturned, DeadlineExtended, AssignmentEscalated, SupervisionOrderIssued, SupervisionOrderAnswered, PatrolCheckedIn, PatrolPostMissed, CaseUnroutable, GridDefined, WorkCalendarChanged, SquadChanged, PersonChanged)
from common.messaging.contracts.staff import (StaffSignedIn, StaffSignedOut)
from common.messaging.contracts.ledger import (Colour, MerchantGradeChanged, MerchantRegistered, MerchantChanged, MerchantColourRecovered, MerchantCardIssued, ResponsibilityLetterSigned, DesignatedPointDecided, DogStatus, DogLicenceIssued, DogLicenceChanged, DogLicencePlaced, DogInspected, DogInspectionDue, DogViolationRecorded, StrayCaptured, StrayLeft, LedgerFigures, LedgerFiguresReported)
from common.messaging.contracts.reporting import (RankedSquad, Weight, SquadRankingPublished)
from common.vocabulary import CaseAction, CaseOutcome, CaseStatus, Channel, Rating, Urgency

EVENT_CLASSES: tuple[type[IntegrationEvent], ...] = (
    IncidentReported, IncidentJoined, IncidentDetached, IncidentRated, IncidentReplied,
    CaseOpened, CaseFiled, CaseDispatched, CaseFlagged, CaseClosed, CaseTransitioned,
    EnforcementStepRecorded, CasePublicNoteAdded, AssignmentAccepted, AssignmentReturned, DeadlineExtended, AssignmentEscalated,
    SupervisionOrderIssued, SupervisionOrderAnswered, PatrolCheckedIn, PatrolPostMissed,
    AssignmentCreated, CaseUnroutable, GridDefined, WorkCalendarChanged, SquadChanged, PersonChanged, StaffSignedIn, StaffSignedOut,
    CategoryDefined,
    MerchantGradeChanged, MerchantRegistered, MerchantChanged, MerchantColourRecovered, MerchantCardIssued,
    ResponsibilityLetterSigned, DesignatedPointDecided, LedgerFiguresReported,
    DogLicenceIssued, DogLicenceChanged, DogLicencePlaced, DogInspected, DogInspectionDue, DogViolationRecorded, StrayCaptured, StrayLeft,
    SquadRankingPublished,
)
EVENT_TYPES: dict[str, type[IntegrationEvent]] = {c.event_type: c for c in EVENT_CLASSES}

__all__ = ["AssignmentAccepted", "AssignmentCreated", "AssignmentEscalated", "AssignmentReturned", "CaseAction", "CaseClosed", "CaseDispatched", "CaseFiled", "CaseFlagged", "CaseOpened", "CaseOutcome", "CasePublicNoteAdded", "CaseStatus", "CaseTransitioned", "CaseUnroutable", "CategoryDefined", "Channel", "Colour", "DESCRIPTION_MAX", "DeadlineExtended", "DesignatedPointDecided", "DogInspected", "DogInspectionDue", "DogLicenceChanged", "DogLicenceIssued", "DogLicencePlaced", "DogStatus", "DogViolationRecorded", "EVENT_CLASSES", "EVENT_TYPES", "EnforcementStepName", "EnforcementStepRecorded", "FreeData", "FreeText", "GridDefined", "IncidentDetached", "IncidentJoined", "IncidentRated", "IncidentReplied", "IncidentReported", "IntegrationEvent", "LedgerFigures", "LedgerFiguresReported", "Location", "MerchantCardIssued", "MerchantChanged", "MerchantColourRecovered", "MerchantGradeChanged", "MerchantRegistered", "PatrolCheckedIn", "PatrolPostMissed", "PersonChanged", "RankedSquad", "Rating", "ResponsibilityLetterSigned", "SquadChanged", "SquadRankingPublished", "StaffSignedIn", "StaffSignedOut", "StrayCaptured", "StrayLeft", "SupervisionOrderAnswered", "SupervisionOrderIssued", "TYPE_PREFIX", "Topics", "Urgency", "Weight", "WorkCalendarChanged"]
