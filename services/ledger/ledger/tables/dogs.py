"""The dog register: licences and their history, violations, online applications, and the
shelter's strays and their care."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from ledger.tables.base import LedgerTable, at_column

__all__ = ["DogLicence", "DogLicenceStep", "DogViolation", "DogApplication", "Stray", "StrayCare"]


class DogLicence(LedgerTable, table=True):
    """养犬许可证: the licence, its owner and its dog. The owner's identity-card number is stored
    encrypted (ledger.adapters.identity) with a keyed fingerprint to find the same owner; the phone is
    kept here only."""

    __tablename__ = "dog_licences"
    __table_args__ = (
        Index("ux_dog_licences_chip", "chip", unique=True, postgresql_where=text("chip IS NOT NULL")),
        Index("ux_dog_licences_tag", "tag_id", unique=True, postgresql_where=text("tag_id IS NOT NULL")),
        Index("ix_dog_licences_owner", "owner_fingerprint"),
        Index("ix_dog_licences_household", "household_key"),
        Index("ix_dog_licences_due", "inspection_due_on"),
    )
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32, unique=True, description="犬证号")
    status: str = Field(max_length=16)
    status_reason: str | None = Field(default=None, max_length=200)
    via: str = Field(max_length=16, description="counter, online, adoption")
    owner_name: str = Field(max_length=100)
    owner_id_sealed: str = Field(max_length=300)
    owner_id_masked: str = Field(max_length=24)
    owner_fingerprint: str = Field(max_length=64)
    owner_phone: str = Field(max_length=20)
    owner_address: str = Field(max_length=300)
    household_key: str = Field(max_length=64, description="the address, squashed and fingerprinted")
    owner_lon: float | None = None
    owner_lat: float | None = None
    owner_alone: bool = Field(default=False, description="独居 (a reason to help rather than take the dog)")
    zone_id: str | None = Field(default=None, max_length=64, description="重点管理区 the household is in")
    grid_id: str | None = Field(default=None, max_length=64)
    dog_name: str = Field(max_length=50)
    breed: str = Field(max_length=50)
    size: str = Field(max_length=8)
    height_cm: float | None = None
    colour: str | None = Field(default=None, max_length=30)
    sex: str = Field(max_length=8)
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    chip: str | None = Field(default=None, max_length=15)
    tag_id: str | None = Field(default=None, max_length=32, description="电子智能犬牌")
    photo_key: str | None = Field(default=None, max_length=200)
    photo_type: str | None = Field(default=None, max_length=40)
    rabies_certificate: str = Field(max_length=50)
    vaccinated_on: date = Field(sa_column=Column(Date, nullable=False))
    rabies_clinic: str | None = Field(default=None, max_length=100)
    issued_on: date = Field(sa_column=Column(Date, nullable=False))
    inspection_due_on: date = Field(sa_column=Column(Date, nullable=False), description="年检 due")
    reminded_for: date | None = Field(default=None, sa_column=Column(Date), description="the due date last reminded")
    created_at: datetime = Field(sa_column=at_column())
    updated_at: datetime = Field(sa_column=at_column())


class DogLicenceStep(LedgerTable, table=True):
    """Everything that happened to a licence, in order: issued, inspected, transferred, lost,
    found, died, cancelled, suspended, reinstated, violation, captured, claimed, reminded."""

    __tablename__ = "dog_licence_history"
    id: int | None = Field(default=None, primary_key=True)
    licence_id: str = Field(max_length=36, index=True)
    action: str = Field(max_length=24)
    details: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    by: str = Field(max_length=100)
    at: datetime = Field(sa_column=at_column())


class DogViolation(LedgerTable, table=True):
    """违规遛犬 and the like, against a licence: by an officer, from a closed case, or a capture."""

    __tablename__ = "dog_violations"
    id: int | None = Field(default=None, primary_key=True)
    licence_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=24)
    source: str = Field(max_length=16, description="officer, case, capture")
    case_id: str | None = Field(default=None, max_length=36)
    lon: float | None = None
    lat: float | None = None
    note: str | None = Field(default=None, max_length=500)
    by: str = Field(max_length=100)
    at: datetime = Field(sa_column=at_column())


class DogApplication(LedgerTable, table=True):
    """An owner's online application (网上办理, no trip needed), followed with a token."""

    __tablename__ = "dog_applications"
    id: str = Field(primary_key=True, max_length=36)
    token_sha256: str = Field(max_length=64, unique=True)
    status: str = Field(max_length=16, description="submitted, approved, returned")
    form: dict = Field(sa_column=Column(JSONB, nullable=False), description="the form, the owner's id number sealed")
    dog_photo_key: str = Field(max_length=200)
    dog_photo_type: str = Field(max_length=40)
    certificate_key: str = Field(max_length=200)
    certificate_type: str = Field(max_length=40)
    reason: str | None = Field(default=None, max_length=500, description="why it was sent back, as the owner sees it")
    licence_id: str | None = Field(default=None, max_length=36)
    postal_tracking: str | None = Field(default=None, max_length=40, description="the tag's 邮寄 tracking number")
    submitted_at: datetime = Field(sa_column=at_column())
    decided_at: datetime | None = Field(default=None, sa_column=at_column(True))
    decided_by: str | None = Field(default=None, max_length=100)


class Stray(LedgerTable, table=True):
    """A dog captured (抓捕流浪犬) and kept at the shelter (收容所) until claimed, adopted or dead."""

    __tablename__ = "strays"
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32, unique=True, description="收容编号")
    status: str = Field(max_length=16, description="quarantine, kept, claimed, adopted, dead")
    captured_at: datetime = Field(sa_column=at_column())
    lon: float
    lat: float
    grid_id: str | None = Field(default=None, max_length=64)
    captured_by: str = Field(max_length=100)
    breed: str | None = Field(default=None, max_length=50)
    size: str | None = Field(default=None, max_length=8)
    colour: str | None = Field(default=None, max_length=30)
    note: str | None = Field(default=None, max_length=500)
    chip: str | None = Field(default=None, max_length=15)
    tag_id: str | None = Field(default=None, max_length=32)
    licence_id: str | None = Field(default=None, max_length=36, description="found by its chip or tag")
    photo_key: str | None = Field(default=None, max_length=200)
    photo_type: str | None = Field(default=None, max_length=40)
    quarantine_until: date = Field(sa_column=Column(Date, nullable=False))
    claim_until: date = Field(sa_column=Column(Date, nullable=False))
    costs_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    adopted_licence_id: str | None = Field(default=None, max_length=36)
    left_at: datetime | None = Field(default=None, sa_column=at_column(True))


class StrayCare(LedgerTable, table=True):
    """The shelter's record of a dog: treatments, checks, the end of quarantine."""

    __tablename__ = "stray_care"
    id: int | None = Field(default=None, primary_key=True)
    stray_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=24, description="treatment, check, note")
    note: str = Field(max_length=500)
    cost_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    by: str = Field(max_length=100)
    at: datetime = Field(sa_column=at_column())
