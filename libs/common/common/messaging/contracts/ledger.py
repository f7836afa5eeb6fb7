"""What ledger tells of the merchant register (一卡四色, cards, letters, designated points) and of
the registers' figures by grid; the dog register's events are `contracts.dogs`."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from common.messaging.contracts.base import FreeText, IntegrationEvent, Location, Topics

Colour = Literal["blue", "yellow", "orange", "red"]


class MerchantGradeChanged(
    IntegrationEvent, type="ledger.merchant.grade_changed.v1", topic=Topics.merchants, key="merchant_id"
):
    """A merchant's 一卡四色 colour moved after a case."""

    merchant_id: str
    previous: Colour
    current: Colour
    case_id: str
    category_code: str
    changed_at: datetime


class MerchantPersuaded(
    IntegrationEvent, type="ledger.merchant.persuaded.v1", topic=Topics.merchants, key="merchant_id"
):
    """劝导: an officer persuaded a merchant on the spot to stop a violation, with no case opened
    (seed 002 counts "劝导制止失礼行为10万余次"); reporting counts them per squad and category."""

    persuasion_id: str
    merchant_id: str
    category_code: str = Field(description="the 服务目录 category of what was stopped (占道经营, 店外经营, ...)")
    squad_id: str | None = Field(None, description="the officer's squad")
    officer_id: str
    location: Location | None = None
    photo_count: int = 0
    persuaded_at: datetime


class _MerchantState(IntegrationEvent, topic=Topics.merchants, key="merchant_id"):
    """What other services know of a merchant: enough to name it on a case and place it in a
    grid, never its operator's name or contact details."""

    merchant_id: str
    name: str = Field(description="店名")
    sign: FreeText | None = Field(None, description="门头: the words on the storefront sign")
    address: FreeText
    location: Location | None = None
    grid_id: str | None = Field(None, description="the grid it lies in, from the district's grids")
    squad_id: str | None = Field(None, description="the squad responsible for that grid")
    business_nature: FreeText = Field(
        description="catering 餐饮, retail 零售, repair 维修, market_stall 市场摊位, "
        "services 生活服务, hotel 住宿, entertainment 文化娱乐, wholesale 批发, "
        "other 其他"
    )
    stall: bool = Field(False, description="a vendor without a shop (摊贩)")
    assisted: bool = Field(
        False,
        description="帮扶对象: a hardship household (its details stay in the ledger), "
        "so enforcement can come with help",
    )
    colour: Colour = "blue"
    at: datetime


_MERCHANT = {
    "merchant_id": "7c1e3f0a-5b7d-4c1e-9a51-2f0c9d1e8a11",
    "name": "老王烩面馆",
    "sign": "老王烩面",
    "address": "汝河路 88 号",
    "location": {"lon": 113.6185, "lat": 34.7432},
    "grid_id": "zy-ruhelu",
    "squad_id": "sq-ruhe",
    "business_nature": "catering",
    "stall": False,
    "assisted": False,
    "colour": "blue",
    "at": "2026-11-23T02:15:00Z",
}


class MerchantRegistered(_MerchantState, type="ledger.merchant.registered.v1"):
    """A shop or stall entered the merchant register (商户台账)."""

    examples: ClassVar = (("noodle_shop", "a noodle shop from the 摸底 survey, placed in 汝河路网格", _MERCHANT),)


class MerchantChanged(_MerchantState, type="ledger.merchant.changed.v1"):
    """A merchant's record changed (name, place, grid, business) or it left the register (closed): the merchant's whole
    public state after the change."""

    closed: bool = Field(False, description="no longer trading (注销)")

    examples: ClassVar = (
        (
            "yellow",
            "its card turned yellow after a violation",
            {**_MERCHANT, "colour": "yellow", "at": "2026-12-02T07:40:00Z"},
        ),
    )


class MerchantColourRecovered(
    IntegrationEvent, type="ledger.merchant.colour_recovered.v1", topic=Topics.merchants, key="merchant_id"
):
    """一卡四色: a merchant's colour stepped down after months with no new violation (recovery), or went back to blue at
    the new year (yearly_reset), as the bureau chose."""

    merchant_id: str
    previous: Colour
    current: Colour
    reason: Literal["recovery", "yearly_reset"]
    clean_since: datetime = Field(description="the last violation or change of colour the months are counted from")
    at: datetime

    examples: ClassVar = (
        (
            "six_months",
            "six months without a violation: orange to yellow",
            {
                "merchant_id": _MERCHANT["merchant_id"],
                "previous": "orange",
                "current": "yellow",
                "reason": "recovery",
                "clean_since": "2026-05-20T03:00:00Z",
                "at": "2026-11-20T03:00:05Z",
            },
        ),
    )


class MerchantCardIssued(
    IntegrationEvent, type="ledger.merchant.card_issued.v1", topic=Topics.merchants, key="merchant_id"
):
    """告知卡: a card was issued to the merchant (on registration and on every change of colour); its code is what the
    card's QR code opens, the public page /m/{card_code}."""

    merchant_id: str
    card_code: str
    colour: Colour
    superseded_code: str | None = Field(None, description="the card it replaces")
    issued_at: datetime

    examples: ClassVar = (
        (
            "new_colour",
            "a yellow card replaces the blue one",
            {
                "merchant_id": _MERCHANT["merchant_id"],
                "card_code": "K7Q2M9XW4T",
                "colour": "yellow",
                "superseded_code": "B3N8R2PL6D",
                "issued_at": "2026-12-02T07:40:00Z",
            },
        ),
    )


class ResponsibilityLetterSigned(
    IntegrationEvent, type="ledger.letter.signed.v1", topic=Topics.merchants, key="merchant_id"
):
    """门前三包责任书: a merchant signed a front-of-shop responsibility letter (or renewed it)."""

    merchant_id: str
    letter_id: str
    grid_id: str | None
    office: FreeText = Field(description="the other party: the street office or the bureau")
    signed_on: date
    valid_until: date = Field(description="the day it lapses")
    at: datetime

    examples: ClassVar = (
        (
            "signed",
            "signed for a year",
            {
                "merchant_id": _MERCHANT["merchant_id"],
                "letter_id": "0d5b8c3e-1f0a-4e7b-8f1d-3a6c2b9e4d70",
                "grid_id": "zy-ruhelu",
                "office": "汝河路街道办事处",
                "signed_on": "2026-03-02",
                "valid_until": "2027-03-02",
                "at": "2026-03-02T06:00:00Z",
            },
        ),
    )


class DesignatedPointDecided(IntegrationEvent, type="ledger.point.decided.v1", topic=Topics.points, key="point_id"):
    """便民疏导点: an application for a designated point was approved after the joint survey, or refused with the
    reason, or an approved point was withdrawn."""

    point_id: str
    number: str
    kind: Literal["breakfast", "shoe_repair", "loading", "night_market", "farmers"]
    name: str
    grid_id: str | None
    location: Location = Field(description="the centre of its place")
    stalls: int
    hours: FreeText
    status: Literal["approved", "refused", "withdrawn"]
    reason: FreeText | None = None
    at: datetime

    examples: ClassVar = (
        (
            "breakfast",
            "a breakfast point approved",
            {
                "point_id": "3f9a2c1e-7b6d-4e5f-8a9b-0c1d2e3f4a5b",
                "number": "ZY-ZC-001",
                "kind": "breakfast",
                "name": "汝河路早餐点",
                "grid_id": "zy-ruhelu",
                "location": {"lon": 113.6201, "lat": 34.7418},
                "stalls": 6,
                "hours": "06:00-09:30",
                "status": "approved",
                "reason": None,
                "at": "2026-04-01T02:00:00Z",
            },
        ),
    )


class LedgerFigures(BaseModel):
    """One area's figures (the district, or one grid): what the registers hold today."""

    merchants: int = Field(description="in the register, not closed")
    by_colour: dict[str, int] = Field(description="一卡四色: blue, yellow, orange, red")
    catering_places: int = Field(description="餐饮 merchants")
    purifiers_installed: int
    purifiers_below_required: int = Field(description="rated below what GB 18483 requires of the place's size")
    cleaning_overdue: int
    letters_valid: int = Field(description="merchants with a 门前三包 letter in force")
    letters_due_for_renewal: int
    letters_expired: int
    sign_records: int
    sign_problems: int
    sign_problems_fixed: int
    points_approved: dict[str, int] = Field(description="便民疏导点 by kind")
    stalls: int
    stalls_held: int
    assisted: int = Field(description="帮扶对象")
    flyer_numbers: dict[str, int] = Field(description="小广告号码: tracked, stopped, fined")
    flyer_fines_fen: int
    dogs_licensed: int = Field(0, description="licences in force (active, suspended, lost)")
    dogs_suspended: int = 0
    dog_inspections_overdue: int = 0
    shelter_in_use: int = Field(0, description="dogs at the shelter now")
    shelter_capacity: int = 0


class LedgerFiguresReported(
    IntegrationEvent, type="ledger.figures.reported.v1", topic=Topics.ledger_figures, key="area_id"
):
    """The registers' figures for the bureau's indicators (coverage of letters, purifiers installed, cleaning overdue,
    colours, points): the district's and each grid's, as of now, told whenever they change (at most once a tick)."""

    area_id: str = Field(description="district, or a grid id")
    as_of: datetime
    figures: LedgerFigures

    examples: ClassVar = (
        (
            "district",
            "the district today",
            {
                "area_id": "district",
                "as_of": "2026-11-30T16:00:00Z",
                "figures": {
                    "merchants": 20310,
                    "by_colour": {"blue": 19544, "yellow": 612, "orange": 131, "red": 23},
                    "catering_places": 1031,
                    "purifiers_installed": 988,
                    "purifiers_below_required": 12,
                    "cleaning_overdue": 57,
                    "letters_valid": 19804,
                    "letters_due_for_renewal": 402,
                    "letters_expired": 104,
                    "sign_records": 1033,
                    "sign_problems": 521,
                    "sign_problems_fixed": 507,
                    "points_approved": {"breakfast": 182, "shoe_repair": 27, "loading": 190},
                    "stalls": 1240,
                    "stalls_held": 1188,
                    "assisted": 46,
                    "flyer_numbers": {"tracked": 368, "stopped": 454, "fined": 164},
                    "flyer_fines_fen": 6_700_000,
                },
            },
        ),
    )


class DeviceChanged(IntegrationEvent, type="ledger.device.changed.v1", topic=Topics.devices, key="device_id"):
    """设备台账: a device of the register, whole, whenever it changes (a newer version wins): a body
    camera and its officer, a capture camera and whether its records may serve as evidence today
    (行政处罚法 art. 41), a smart dog tag and its licence, a fume monitor and its merchant."""

    device_id: str
    kind: Literal["body_camera", "fixed_camera", "fixed_capture", "mobile_capture", "drone", "dog_tag", "fume_monitor"]
    status: Literal["active", "retired"]
    serial_number: str | None = None
    officer_id: str | None = Field(None, description="a body camera's officer")
    licence_id: str | None = Field(None, description="a dog tag's licence")
    merchant_id: str | None = Field(None, description="a fume monitor's merchant")
    location: Location | None = None
    grid_id: str | None = None
    squad_id: str | None = None
    evidence_ready: bool = Field(False, description="a capture device's records may serve as evidence (art. 41)")
    calibration_valid_until: date | None = None
    version: int
    at: datetime
