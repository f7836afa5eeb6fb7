"""The merchant register and what hangs on it: cards, colour history, cases seen in events,
storefront signs, responsibility letters, purifiers and inspection rounds, hardship records and
the flyer numbers tracked."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from ledger.tables.base import LedgerTable, at_column

__all__ = [
    "Merchant",
    "GradeChange",
    "MerchantCase",
    "Card",
    "SignRecord",
    "Letter",
    "Purifier",
    "PurifierCleaning",
    "InspectionRound",
    "RoundVisit",
    "HardshipRecord",
    "FlyerNumber",
]


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
    tools: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default="[]"),
        description="经营工具 (for seizures): tricycle, gas cylinder, ...",
    )
    opened_on: date | None = Field(default=None, sa_column=Column(Date))
    stall: bool = Field(default=False, sa_column_kwargs={"server_default": "false"}, description="摊贩, no shop")
    closed: bool = Field(default=False, sa_column_kwargs={"server_default": "false"}, description="注销")
    lon: float | None = None
    lat: float | None = None
    grid_id: str | None = Field(default=None, max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    cooking_heads: float | None = Field(default=None, description="基准灶头, catering places")
    announced: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "false"},
        description="MerchantRegistered published (merchants from before it existed are announced at start)",
    )
    colour: str = Field(max_length=16, default="blue")
    colour_since: datetime = Field(sa_column=at_column())
    last_violation_at: datetime | None = Field(default=None, sa_column=at_column(True))
    violations: dict[str, int] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False),
        description="violations per category since the merchant was last blue",
    )
    card_code: str | None = Field(default=None, max_length=16, description="the card in force (告知卡)")
    created_at: datetime = Field(sa_column=at_column())
    updated_at: datetime = Field(sa_column=at_column())


class GradeChange(LedgerTable, table=True):
    """The history of a merchant's colour, each change with its reason (and its case)."""

    __tablename__ = "grade_changes"
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=36, index=True)
    reason: str = Field(
        default="violation",
        max_length=32,
        sa_column_kwargs={"server_default": "violation"},
        description="violation, enforcement:<step>, recovery, yearly_reset",
    )
    case_id: str | None = Field(default=None, max_length=36)
    category_code: str | None = Field(default=None, max_length=64)
    previous: str = Field(max_length=16)
    current: str = Field(max_length=16)
    changed_at: datetime = Field(sa_column=at_column())


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
    first_seen_at: datetime = Field(sa_column=at_column())
    closed_at: datetime | None = Field(default=None, sa_column=at_column(True))


class Card(LedgerTable, table=True):
    """告知卡: each card issued, the code its QR carries; a new one when the colour changes."""

    __tablename__ = "cards"
    code: str = Field(primary_key=True, max_length=16)
    merchant_id: str = Field(max_length=36, index=True)
    colour: str = Field(max_length=16)
    issued_at: datetime = Field(sa_column=at_column())
    superseded_at: datetime | None = Field(default=None, sa_column=at_column(True))


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
    recorded_at: datetime = Field(sa_column=at_column())
    fixed_at: datetime | None = Field(default=None, sa_column=at_column(True))
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
    recorded_at: datetime = Field(sa_column=at_column())


class Purifier(LedgerTable, table=True):
    """A catering place's fume purifier (油烟净化器)."""

    __tablename__ = "purifiers"
    merchant_id: str = Field(primary_key=True, max_length=36)
    model: str = Field(max_length=100)
    rated_efficiency: float = Field(description="去除效率 %, as rated")
    installed_on: date = Field(sa_column=Column(Date, nullable=False))
    last_cleaned_on: date | None = Field(default=None, sa_column=Column(Date))
    updated_at: datetime = Field(sa_column=at_column())


class PurifierCleaning(LedgerTable, table=True):
    __tablename__ = "purifier_cleanings"
    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(max_length=36, index=True)
    cleaned_on: date = Field(sa_column=Column(Date, nullable=False))
    recorded_by: str = Field(max_length=100)
    note: str | None = Field(default=None, max_length=500)
    recorded_at: datetime = Field(sa_column=at_column())


class InspectionRound(LedgerTable, table=True):
    """An inspection round of catering places (seed 003 checked 2,026 places three times)."""

    __tablename__ = "inspection_rounds"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=at_column())


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
    visited_at: datetime | None = Field(default=None, sa_column=at_column(True))


class HardshipRecord(LedgerTable, table=True):
    """困难户档案: seen by ledger clerks and supervisors; officers see only that the party is a 帮扶对象."""

    __tablename__ = "hardship_records"
    merchant_id: str = Field(primary_key=True, max_length=36)
    circumstances: str = Field(max_length=1000, description="困难情况")
    household: str | None = Field(default=None, max_length=500, description="家庭情况")
    assistance: str | None = Field(default=None, max_length=1000, description="帮扶措施")
    active: bool = True
    recorded_by: str = Field(max_length=100)
    updated_at: datetime = Field(sa_column=at_column())


class Persuasion(LedgerTable, table=True):
    """劝导: a violation stopped on the spot by persuasion, with no case (its photos in the store)."""

    __tablename__ = "persuasions"
    id: str = Field(primary_key=True, max_length=36)
    merchant_id: str = Field(foreign_key="merchants.id", max_length=36, index=True)
    category_code: str = Field(max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    officer_id: str = Field(max_length=100)
    note: str | None = Field(default=None, max_length=500)
    lon: float | None = None
    lat: float | None = None
    photos: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    persuaded_at: datetime = Field(sa_column=at_column())


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
    first_seen_at: datetime = Field(sa_column=at_column())
    updated_at: datetime = Field(sa_column=at_column())
