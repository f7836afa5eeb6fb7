"""Ledger's tables, in the `ledger` schema: the merchant register and what hangs on it (cards,
colour history, cases seen in events, storefront signs, responsibility letters, purifiers and
inspection rounds), the designated points and their stalls, the hardship and flyer registers,
and the district's grids and school gates as ledger learns or keeps them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from common.db import make_registry
from common.service import ServiceTables

registry = make_registry("ledger")


class LedgerTable(SQLModel, registry=registry):
    pass


def _at(nullable: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class Merchant(LedgerTable, table=True):
    """商户台账: one street-facing shop or stall."""
    __tablename__ = "merchants"
    __table_args__ = (
        Index("ux_merchants_credit_code", "credit_code", unique=True, postgresql_where=text("credit_code IS NOT NULL")),
        Index("ux_merchants_identity_key", "identity_key", unique=True),
        Index("ix_merchants_lat_lon", "lat", "lon"),
        Index("ix_merchants_grid_id", "grid_id"),
        Index("ix_merchants_squad_id", "squad_id"),
    )
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200, description="店名")
    sign: str | None = Field(default=None, max_length=200, description="门头: the words on the storefront sign")
    operator: str = Field(max_length=100, description="经营者")
    phone: str | None = Field(default=None, max_length=20, description="kept here only; masked everywhere else")
    address: str = Field(max_length=300)
    identity_key: str = Field(max_length=520, description="name|address squashed: the same shop in a survey")
    business_nature: str = Field(max_length=100)
    credit_code: str | None = Field(default=None, max_length=18, description="统一社会信用代码")
    tools: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"),
                             description="经营工具 (for seizures): tricycle, gas cylinder, ...")
    opened_on: date | None = Field(default=None, sa_column=Column(Date))
    stall: bool = Field(default=False, sa_column_kwargs={"server_default": "false"}, description="摊贩, no shop")
    closed: bool = Field(default=False, sa_column_kwargs={"server_default": "false"}, description="注销")
    lon: float | None = None
    lat: float | None = None
    grid_id: str | None = Field(default=None, max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    cooking_heads: float | None = Field(default=None, description="基准灶头, catering places")
    announced: bool = Field(default=False, sa_column_kwargs={"server_default": "false"},
                            description="MerchantRegistered published (merchants from before it existed are "
                                        "announced at start)")
    colour: str = Field(max_length=16, default="blue")
    colour_since: datetime = Field(sa_column=_at())
    last_violation_at: datetime | None = Field(default=None, sa_column=_at(True))
    violations: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False),
                                       description="violations per category since the merchant was last blue")
    card_code: str | None = Field(default=None, max_length=16, description="the card in force (告知卡)")
    created_at: datetime = Field(sa_column=_at())
    updated_at: datetime = Field(sa_column=_at())


class GradeChange(LedgerTable, table=True):
    """The history of a merchant's colour, each change with its reason (and its case)."""
    __tablename__ = "grade_changes"
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=36, index=True)
    reason: str = Field(default="violation", max_length=32, sa_column_kwargs={"server_default": "violation"},
                        description="violation, enforcement:<step>, recovery, yearly_reset")
    case_id: str | None = Field(default=None, max_length=36)
    category_code: str | None = Field(default=None, max_length=64)
    previous: str = Field(max_length=16)
    current: str = Field(max_length=16)
    changed_at: datetime = Field(sa_column=_at())


class MerchantCase(LedgerTable, table=True):
    """A case about the merchant, as the case events tell it (ledger never reads cases' tables)."""
    __tablename__ = "merchant_cases"
    merchant_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(primary_key=True, max_length=36)
    case_number: str = Field(default="", max_length=32)
    category_code: str = Field(max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=32)
    last_step: str | None = Field(default=None, max_length=32, description="the enforcement track's latest step")
    first_seen_at: datetime = Field(sa_column=_at())
    closed_at: datetime | None = Field(default=None, sa_column=_at(True))


class Card(LedgerTable, table=True):
    """告知卡: each card issued, the code its QR carries; a new one when the colour changes."""
    __tablename__ = "cards"
    code: str = Field(primary_key=True, max_length=16)
    merchant_id: str = Field(max_length=36, index=True)
    colour: str = Field(max_length=16)
    issued_at: datetime = Field(sa_column=_at())
    superseded_at: datetime | None = Field(default=None, sa_column=_at(True))


class SignRecord(LedgerTable, table=True):
    """门头牌匾: a storefront sign as surveyed (seed 004: 1,033 records, 521 problems, 507 fixed)."""
    __tablename__ = "sign_records"
    id: str = Field(primary_key=True, max_length=36)
    merchant_id: str = Field(max_length=36, index=True)
    width_m: float
    height_m: float
    approved: bool = Field(description="设置审批")
    problems: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    photo_key: str | None = Field(default=None, max_length=200)
    photo_type: str | None = Field(default=None, max_length=40)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(sa_column=_at())
    fixed_at: datetime | None = Field(default=None, sa_column=_at(True))
    fixed_by: str | None = Field(default=None, max_length=100)


class Letter(LedgerTable, table=True):
    """门前三包责任书, signed with a merchant; the latest signed is the one in force."""
    __tablename__ = "letters"
    id: str = Field(primary_key=True, max_length=36)
    merchant_id: str = Field(max_length=36, index=True)
    office: str = Field(max_length=100, description="the street office or the bureau, the other party")
    area: str = Field(max_length=500)
    signed_on: date = Field(sa_column=Column(Date, nullable=False))
    valid_until: date = Field(sa_column=Column(Date, nullable=False, index=True))
    scan_key: str | None = Field(default=None, max_length=200)
    scan_type: str | None = Field(default=None, max_length=40)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(sa_column=_at())


class Purifier(LedgerTable, table=True):
    """A catering place's fume purifier (油烟净化器)."""
    __tablename__ = "purifiers"
    merchant_id: str = Field(primary_key=True, max_length=36)
    model: str = Field(max_length=100)
    rated_efficiency: float = Field(description="去除效率 %, as rated")
    installed_on: date = Field(sa_column=Column(Date, nullable=False))
    last_cleaned_on: date | None = Field(default=None, sa_column=Column(Date))
    updated_at: datetime = Field(sa_column=_at())


class PurifierCleaning(LedgerTable, table=True):
    __tablename__ = "purifier_cleanings"
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(max_length=36, index=True)
    cleaned_on: date = Field(sa_column=Column(Date, nullable=False))
    recorded_by: str = Field(max_length=100)
    note: str | None = Field(default=None, max_length=500)
    recorded_at: datetime = Field(sa_column=_at())


class InspectionRound(LedgerTable, table=True):
    """An inspection round of catering places (seed 003 checked 2,026 places three times)."""
    __tablename__ = "inspection_rounds"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=_at())


class RoundVisit(LedgerTable, table=True):
    """A place of a round: visited or still to visit."""
    __tablename__ = "round_visits"
    round_id: str = Field(primary_key=True, max_length=36)
    merchant_id: str = Field(primary_key=True, max_length=36)
    squad_id: str | None = Field(default=None, max_length=64)
    result: str | None = Field(default=None, max_length=32, description="compliant, non_compliant, closed")
    note: str | None = Field(default=None, max_length=500)
    photo_key: str | None = Field(default=None, max_length=200)
    photo_type: str | None = Field(default=None, max_length=40)
    visited_by: str | None = Field(default=None, max_length=100)
    visited_at: datetime | None = Field(default=None, sa_column=_at(True))


class SchoolGate(LedgerTable, table=True):
    """School gates, for the designated points' distance rule (seeded; an admin keeps them)."""
    __tablename__ = "school_gates"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    lon: float
    lat: float


class DesignatedPoint(LedgerTable, table=True):
    """便民疏导点."""
    __tablename__ = "designated_points"
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32, unique=True, description="编号")
    kind: str = Field(max_length=32)
    name: str = Field(max_length=200)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))
    lon: float = Field(description="the polygon's centre")
    lat: float
    grid_id: str | None = Field(default=None, max_length=64)
    stalls: int
    hours: str = Field(max_length=100, description="06:00-09:30")
    season: str = Field(default="全年", max_length=100)
    goods: str = Field(max_length=500, description="what may be sold")
    office: str = Field(max_length=100, description="the managing office")
    applicant: str = Field(max_length=200)
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    applied_at: datetime = Field(sa_column=_at())
    applied_by: str = Field(max_length=100)
    decided_at: datetime | None = Field(default=None, sa_column=_at(True))
    decided_by: str | None = Field(default=None, max_length=100)


class SurveyOpinion(LedgerTable, table=True):
    """联合踏勘: one department's opinion on an application."""
    __tablename__ = "survey_opinions"
    point_id: str = Field(primary_key=True, max_length=36)
    department: str = Field(primary_key=True, max_length=100)
    agree: bool
    note: str | None = Field(default=None, max_length=500)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(sa_column=_at())


class Stall(LedgerTable, table=True):
    """A stall of an approved point, held by one registered vendor at most (one stall each)."""
    __tablename__ = "stalls"
    __table_args__ = (Index("ux_stalls_merchant", "merchant_id", unique=True,
                            postgresql_where=text("merchant_id IS NOT NULL")),)
    point_id: str = Field(primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    merchant_id: str | None = Field(default=None, max_length=36)
    assigned_at: datetime | None = Field(default=None, sa_column=_at(True))


class StallChange(LedgerTable, table=True):
    """Each assignment and release of a stall, with who and why."""
    __tablename__ = "stall_changes"
    id: int | None = Field(default=None, primary_key=True)
    point_id: str = Field(max_length=36, index=True)
    number: int
    merchant_id: str = Field(max_length=36)
    action: str = Field(max_length=16, description="assigned, released")
    reason: str | None = Field(default=None, max_length=500)
    by: str = Field(max_length=100)
    at: datetime = Field(sa_column=_at())


class HardshipRecord(LedgerTable, table=True):
    """困难户档案: seen by ledger clerks and supervisors; officers see only that the party is a 帮扶对象."""
    __tablename__ = "hardship_records"
    merchant_id: str = Field(primary_key=True, max_length=36)
    circumstances: str = Field(max_length=1000, description="困难情况")
    household: str | None = Field(default=None, max_length=500, description="家庭情况")
    assistance: str | None = Field(default=None, max_length=1000, description="帮扶措施")
    active: bool = True
    recorded_by: str = Field(max_length=100)
    updated_at: datetime = Field(sa_column=_at())


class FlyerNumber(LedgerTable, table=True):
    """小广告号码追呼: a number printed on illegal flyers."""
    __tablename__ = "flyer_numbers"
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=20, unique=True)
    status: str = Field(max_length=16)
    fine_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    grid_id: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=500)
    photos: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    first_seen_at: datetime = Field(sa_column=_at())
    updated_at: datetime = Field(sa_column=_at())


class DogLicence(LedgerTable, table=True):
    """养犬许可证: the licence, its owner and its dog. The owner's identity-card number is stored
    encrypted (ledger.identity) with a keyed fingerprint to find the same owner; the phone is
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
    created_at: datetime = Field(sa_column=_at())
    updated_at: datetime = Field(sa_column=_at())


class DogLicenceStep(LedgerTable, table=True):
    """Everything that happened to a licence, in order: issued, inspected, transferred, lost,
    found, died, cancelled, suspended, reinstated, violation, captured, claimed, reminded."""
    __tablename__ = "dog_licence_history"
    id: int | None = Field(default=None, primary_key=True)
    licence_id: str = Field(max_length=36, index=True)
    action: str = Field(max_length=24)
    details: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    by: str = Field(max_length=100)
    at: datetime = Field(sa_column=_at())


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
    at: datetime = Field(sa_column=_at())


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
    submitted_at: datetime = Field(sa_column=_at())
    decided_at: datetime | None = Field(default=None, sa_column=_at(True))
    decided_by: str | None = Field(default=None, max_length=100)


class Stray(LedgerTable, table=True):
    """A dog captured (抓捕流浪犬) and kept at the shelter (收容所) until claimed, adopted or dead."""
    __tablename__ = "strays"
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32, unique=True, description="收容编号")
    status: str = Field(max_length=16, description="quarantine, kept, claimed, adopted, dead")
    captured_at: datetime = Field(sa_column=_at())
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
    left_at: datetime | None = Field(default=None, sa_column=_at(True))


class StrayCare(LedgerTable, table=True):
    """The shelter's record of a dog: treatments, checks, the end of quarantine."""
    __tablename__ = "stray_care"
    id: int | None = Field(default=None, primary_key=True)
    stray_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=24, description="treatment, check, note")
    note: str = Field(max_length=500)
    cost_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    by: str = Field(max_length=100)
    at: datetime = Field(sa_column=_at())


class DistrictGrid(LedgerTable, table=True):
    """The district's grids as dispatch announces them (GridDefined): ledger places a merchant in
    its grid from these, never from dispatch's tables."""
    __tablename__ = "grids"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    squad_id: str = Field(max_length=64)
    squad_name: str = Field(max_length=100)
    geometry: dict = Field(sa_column=Column(JSONB, nullable=False))
    defined_at: datetime = Field(sa_column=_at())


class Counter(LedgerTable, table=True):
    """Numbers handed out in order (犬证号, 收容编号), one counter per kind and year."""
    __tablename__ = "counters"
    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


class Announcement(LedgerTable, table=True):
    """What was last told of a figure set (LedgerFiguresReported), so a tick tells only a change."""
    __tablename__ = "announcements"
    name: str = Field(primary_key=True, max_length=64)
    digest: str = Field(max_length=64)
    at: datetime = Field(sa_column=_at())


backbone = ServiceTables(registry.metadata, staff_pages=True, rate_limits=True)
