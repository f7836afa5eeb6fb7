"""What cases tells of the bureau's campaigns (专项整治, 联合行动, 示范创建): a campaign launched, changed or
closed (always whole), a day's operation, a section accepted, and which cases fall in it."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from common.messaging.contracts.base import FreeText, IntegrationEvent, Topics
from common.vocabulary import CampaignKind


class CampaignSection(BaseModel):
    """A road or section of a 示范创建 or phased clean-up, with its phase's standard and dates, and its
    acceptance (验收)."""

    section_id: str
    name: FreeText = Field(description="the road or section (路段)")
    phase: int = Field(1, description="the phase it belongs to (第一期 = 1)")
    standard: FreeText = Field("", description="the standard it must reach (达标标准)")
    starts_on: date
    ends_on: date
    accepted: bool | None = Field(None, description="验收: passed, failed, or not yet")
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    photo_ids: list[str] = Field(default_factory=list, description="the acceptance's photos (sha256), kept by cases")


class Campaign(BaseModel):
    """A campaign, whole."""

    campaign_id: str
    name: FreeText
    kind: CampaignKind
    starts_on: date
    ends_on: date
    category_codes: list[str] = Field(description="the categories it targets; empty: every category")
    grid_ids: list[str] = Field(default_factory=list, description="its area: grids ...")
    area: dict | None = Field(None, description="... or a polygon drawn on the map (GeoJSON, WGS84) ...")
    streets: list[FreeText] = Field(default_factory=list, description="... or named streets; none of the three: all")
    squad_ids: list[str] = Field(default_factory=list, description="the squads taking part")
    offices: list[FreeText] = Field(default_factory=list, description="the 办事处 taking part")
    partners: list[FreeText] = Field(default_factory=list, description="partner departments (公安, 交警, 市场监管)")
    targets: dict[str, float] = Field(
        default_factory=dict,
        description="counts to reach (persuaded, demolished_m2, cases, officer_trips, ...) and rates to hold "
        "(on_time_closing_rate, satisfaction_rate, ...), by name",
    )
    sections: list[CampaignSection] = Field(default_factory=list)
    status: str = Field(description="running (its period may be still to come) or closed")
    version: int


_EXAMPLE = {
    "campaign_id": "8d0e7a52-54f1-4c0a-9a7e-1f7a0b1b2c3d",
    "name": "占道经营专项整治",
    "kind": "special",
    "starts_on": "2026-12-01",
    "ends_on": "2026-12-31",
    "category_codes": ["street_vending", "outdoor_business"],
    "grid_ids": ["zy-ruhelu", "zy-jianshelu"],
    "squad_ids": ["sq-ruhe", "sq-jianshelu"],
    "partners": ["市场监管"],
    "targets": {"persuaded": 1000, "on_time_closing_rate": 0.95},
    "status": "running",
    "version": 1,
}


class CampaignLaunched(IntegrationEvent, type="cases.campaign.launched.v1", topic=Topics.campaigns, key="campaign_id"):
    """A campaign was launched (专项整治, 联合行动, 示范创建): its period, categories, area, who takes part and its
    targets. Cases that fall in it (its categories, area and period) are told by CampaignCasesTagged."""

    campaign: Campaign
    campaign_id: str
    actor: str
    at: datetime

    examples: ClassVar = (
        (
            "vending",
            "占道经营专项整治 over two grids",
            {
                "campaign": _EXAMPLE,
                "campaign_id": _EXAMPLE["campaign_id"],
                "actor": "sup-0001",
                "at": "2026-11-30T02:00:00Z",
            },
        ),
    )


class CampaignChanged(IntegrationEvent, type="cases.campaign.changed.v1", topic=Topics.campaigns, key="campaign_id"):
    """A campaign changed (its period, area, targets, a section added or accepted): the campaign, whole, at its new
    version; a version older than one held changes nothing."""

    campaign: Campaign
    campaign_id: str
    actor: str
    at: datetime


class CampaignClosed(IntegrationEvent, type="cases.campaign.closed.v1", topic=Topics.campaigns, key="campaign_id"):
    """A campaign was closed (收官), with its 收官小结: no case falls in it from now on."""

    campaign: Campaign
    campaign_id: str
    closing_note: FreeText = Field("", description="收官小结")
    actor: str
    at: datetime


class CampaignOperationRecorded(
    IntegrationEvent, type="cases.campaign.operation.v1", topic=Topics.campaigns, key="campaign_id"
):
    """A day's action of a campaign (一次行动): where, the people and vehicles sent (出动人次, 车次), the departments
    with them, and what it achieved in the campaign's own counts (劝导, 取缔, 暂扣, 销毁, 拆除 m², 立案)."""

    campaign_id: str
    operation_id: str
    on: date = Field(description="the day of the action (Beijing)")
    place: FreeText
    squad_id: str | None = None
    office_name: str | None = None
    officer_trips: int
    vehicle_trips: int
    partners: list[FreeText] = Field(default_factory=list)
    counts: dict[str, float] = Field(description="persuaded, banned, seized, destroyed, demolished_m2, filed")
    photos: int = Field(0, description="how many photos it carries (kept by cases)")
    actor: str
    at: datetime

    examples: ClassVar = (
        (
            "night",
            "a night's joint action on 汝河路",
            {
                "campaign_id": _EXAMPLE["campaign_id"],
                "operation_id": "op-1",
                "on": "2026-12-03",
                "place": "汝河路夜市",
                "squad_id": "sq-ruhe",
                "office_name": "汝河路街道办事处",
                "officer_trips": 40,
                "vehicle_trips": 5,
                "partners": ["公安", "市场监管"],
                "counts": {"persuaded": 25, "banned": 3, "seized": 2},
                "photos": 2,
                "actor": "sq-ruhe-leader",
                "at": "2026-12-03T14:00:00Z",
            },
        ),
    )


class CampaignCasesTagged(IntegrationEvent, type="cases.campaign.cases.v1", topic=Topics.campaigns, key="campaign_id"):
    """Cases that now fall in a campaign (a case dispatched in its area, categories and period; or the campaign's
    launch or change reaching cases already open), and cases that no longer do. At most 2,000 ids an event."""

    campaign_id: str
    added_case_ids: list[str] = Field(default_factory=list)
    removed_case_ids: list[str] = Field(default_factory=list)
    at: datetime
