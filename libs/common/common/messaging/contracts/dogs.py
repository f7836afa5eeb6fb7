"""What ledger tells of the dog register: licences issued, changed and placed in a grid, annual
inspections due and made, violations, the shelter's strays, and the no-dog zones (禁犬区)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from common.messaging.contracts.base import FreeData, FreeText, IntegrationEvent, Location, Topics

DogStatus = Literal["active", "suspended", "lost", "dead", "cancelled"]

_LICENCE = {"licence_id": "5b0e6c1a-2d3f-4e8b-9c7a-1f2e3d4c5b6a", "number": "D410102-2026-000345"}


class DogLicenceIssued(IntegrationEvent, type="ledger.dog_licence.issued.v1", topic=Topics.dogs, key="licence_id"):
    """养犬登记: a dog licence (犬证) was issued: at the counter, online (no trip needed, the tag posted), or to the
    adopter of a sheltered dog. No owner's details."""

    licence_id: str
    number: str
    via: Literal["counter", "online", "adoption"]
    grid_id: str | None = None
    squad_id: str | None = Field(None, description="the squad of the household's grid")
    zone_id: str | None = Field(None, description="the key management zone (重点管理区) of the household")
    breed: FreeText
    size: Literal["small", "medium", "large"]
    issued_on: date
    inspection_due_on: date
    at: datetime

    examples: ClassVar = (
        (
            "online",
            "registered online, the tag posted",
            {
                **_LICENCE,
                "via": "online",
                "grid_id": "zy-ruhelu",
                "zone_id": None,
                "breed": "柯基犬",
                "size": "small",
                "issued_on": "2026-11-23",
                "inspection_due_on": "2027-11-23",
                "at": "2026-11-23T02:30:00Z",
            },
        ),
    )


class DogLicenceChanged(IntegrationEvent, type="ledger.dog_licence.changed.v1", topic=Topics.dogs, key="licence_id"):
    """A licence's status changed: suspended (inspection overdue, three violations in twelve months), reinstated, lost,
    found, dead, cancelled, or passed to a new owner."""

    licence_id: str
    number: str
    status: DogStatus
    action: Literal["suspended", "reinstated", "lost", "found", "died", "cancelled", "transferred"]
    reason: FreeText | None = None
    at: datetime

    examples: ClassVar = (
        (
            "suspended",
            "three walking violations within twelve months",
            {
                **_LICENCE,
                "status": "suspended",
                "action": "suspended",
                "reason": "violations",
                "at": "2026-12-01T08:00:00Z",
            },
        ),
    )


class DogLicencePlaced(IntegrationEvent, type="ledger.dog_licence.placed.v1", topic=Topics.dogs, key="licence_id"):
    """The grid that holds a licence's household changed: the owner moved (a transfer), the grids were drawn again, or
    they became known after the licence was issued. A case may name only a licence of its own grid or squad's area."""

    licence_id: str
    number: str
    grid_id: str | None
    squad_id: str | None
    at: datetime

    examples: ClassVar = (
        (
            "placed",
            "a licence issued before the grids were known, placed in its grid",
            {**_LICENCE, "grid_id": "zy-ruhelu", "squad_id": "sq-ruhe", "at": "2026-11-23T02:31:00Z"},
        ),
    )


class DogInspected(IntegrationEvent, type="ledger.dog_licence.inspected.v1", topic=Topics.dogs, key="licence_id"):
    """年检: the licence's annual inspection (the immunisation checked), renewing it."""

    licence_id: str
    number: str
    due_on: date
    next_due_on: date
    reinstated: bool = Field(False, description="it had been suspended for an overdue inspection")
    at: datetime

    examples: ClassVar = (
        (
            "on_time",
            "inspected a week before its date",
            {
                **_LICENCE,
                "due_on": "2027-11-23",
                "next_due_on": "2028-11-23",
                "reinstated": False,
                "at": "2027-11-16T03:00:00Z",
            },
        ),
    )


class DogInspectionDue(
    IntegrationEvent, type="ledger.dog_licence.inspection_due.v1", topic=Topics.dogs, key="licence_id"
):
    """A reminder to the owner, for an SMS gateway to send: the annual inspection is due within the notice days. Once
    per due date. The gateway reads the owner's phone with GET /v1/dog-licences/{id}/contact (its own role); the
    event carries none."""

    licence_id: str
    number: str
    due_on: date
    at: datetime

    examples: ClassVar = (
        ("due", "due in 30 days", {**_LICENCE, "due_on": "2027-11-23", "at": "2027-10-24T01:00:00Z"}),
    )


class DogViolationRecorded(
    IntegrationEvent, type="ledger.dog_licence.violation_recorded.v1", topic=Topics.dogs, key="licence_id"
):
    """违规遛犬 and the like against a licence: by an officer, from a closed 犬只扰民 case, or a licensed dog captured
    as a stray; with the count in the last twelve months."""

    licence_id: str
    number: str
    kind: Literal["no_lead", "outside_hours", "no_dog_place", "nuisance", "stray"]
    source: Literal["officer", "case", "capture"]
    case_id: str | None = None
    grid_id: str | None = None
    in_twelve_months: int
    at: datetime

    examples: ClassVar = (
        (
            "no_lead",
            "an officer saw the dog without a lead",
            {
                **_LICENCE,
                "kind": "no_lead",
                "source": "officer",
                "case_id": None,
                "grid_id": "zy-ruhelu",
                "in_twelve_months": 1,
                "at": "2026-12-01T12:10:00Z",
            },
        ),
    )


class StrayCaptured(IntegrationEvent, type="ledger.stray.captured.v1", topic=Topics.dogs, key="stray_id"):
    """抓捕流浪犬: a dog was captured and taken to the shelter; when its chip or tag finds a licence, the owner is to be
    told (licence_id; an SMS gateway reads the contact) and may claim it until claim_until."""

    stray_id: str
    number: str
    location: Location
    grid_id: str | None = None
    licence_id: str | None = Field(None, description="the licence its chip or tag found")
    claim_until: date
    quarantine_until: date
    at: datetime

    examples: ClassVar = (
        (
            "chipped",
            "a chipped dog, its owner to be told",
            {
                "stray_id": "9d1f0e2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f",
                "number": "S410102-2026-000192",
                "location": {"lon": 113.6188, "lat": 34.7466},
                "grid_id": "zy-ruhelu",
                "licence_id": _LICENCE["licence_id"],
                "claim_until": "2026-12-08",
                "quarantine_until": "2026-12-15",
                "at": "2026-12-01T01:20:00Z",
            },
        ),
    )


class StrayLeft(IntegrationEvent, type="ledger.stray.left.v1", topic=Topics.dogs, key="stray_id"):
    """A dog left the shelter: claimed by its owner (the costs paid), adopted (with the adopter's new licence), or
    died."""

    stray_id: str
    number: str
    outcome: Literal["claimed", "adopted", "dead"]
    licence_id: str | None = Field(None, description="the owner's licence (claimed) or the adopter's new one")
    costs_fen: int = 0
    at: datetime

    examples: ClassVar = (
        (
            "adopted",
            "adopted, with a new licence",
            {
                "stray_id": "9d1f0e2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f",
                "number": "S410102-2026-000192",
                "outcome": "adopted",
                "licence_id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                "costs_fen": 0,
                "at": "2026-12-20T06:00:00Z",
            },
        ),
    )


class DogZoneDefined(IntegrationEvent, type="ledger.dog_zone.defined.v1", topic=Topics.dogs, key="zone_id"):
    """禁犬区: a no-dog zone (a school, a park, a hospital ...) as an admin drew it, whole, each version; a
    retired zone says so. What judges a dog tag's position reads the zones from here."""

    zone_id: str
    name: FreeText
    kind: Literal["school", "park", "hospital", "square", "market", "other"]
    polygon: FreeData = Field(description="a GeoJSON Polygon in WGS84")
    status: Literal["active", "retired"]
    version: int
    at: datetime
