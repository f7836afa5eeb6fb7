from dataclasses import replace
from datetime import time
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from common.settings import ServiceSettings, refuse_weak_secret
from ledger.domain.catering import CleaningRule
from ledger.domain.colour import RecoveryMode, RecoveryRule
from ledger.domain.dogs import DogRules
from ledger.domain.letters import LetterRule
from ledger.domain.points import SurveyRule
from ledger.domain.telemetry import BEIJING_DB11_1488, GB_18483, Rules, Sampling, TagRules

DEV_ID_NUMBER_KEY = "dev-only-id-number-key-change-me-0123456789"
DEFAULT_BANNED_BREEDS = frozenset(
    {
        "藏獒",
        "比特犬",
        "斗牛獒",
        "杜高犬",
        "阿根廷杜高犬",
        "日本土佐犬",
        "巴西菲勒犬",
        "高加索犬",
        "中亚牧羊犬",
        "罗威纳犬",
        "卡斯罗犬",
        "马士提夫犬",
        "大丹犬",
        "圣伯纳犬",
        "苏俄猎狼犬",
        "牛头梗",
        "斯塔福郡斗牛梗",
        "美国恶霸犬",
    }
)
"""禁养犬只: the list of a city like Zhengzhou's (烈性犬); a city sets its own."""


class LedgerSettings(ServiceSettings):
    """Environment variables: LEDGER_DATABASE_URL, LEDGER_KAFKA_BOOTSTRAP, LEDGER_BUS, ... and the
    register's rules, each one a bureau may set otherwise."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")
    consumer_gather_s: float = Field(
        0.25,
        description="a read model off the complaint's way: it may trail by a "
        "quarter of a second to apply fewer, larger batches",
    )
    colour_recovery: RecoveryMode = Field(
        RecoveryMode.stepwise,
        description="一卡四色 recovery: stepwise (one level "
        "down after the months below with no violation) or yearly (blue again at "
        "the new year)",
    )
    colour_recovery_months: int = Field(
        6, ge=1, le=60, description="一卡四色: months with no violation before a colour recovers"
    )
    letter_valid_months: int = Field(12, ge=1, le=60, description="门前三包责任书: how long a letter is in force")
    letter_renewal_days: int = Field(30, ge=1, le=365, description="... and is listed for renewal in its last days")
    purifier_cleaning_months: int = Field(3, ge=1, le=24, description="油烟净化器: cleaned at least this often")
    point_school_distance_m: float = Field(100, ge=0, description="便民疏导点: none this close to a school gate")
    point_survey_departments: int = Field(2, ge=1, description="便民疏导点: opinions needed before approval")
    tick_interval_s: float = Field(600, gt=0, description="how often colours recover and the figures are told")
    object_store_url: str = Field("file:.data/objects", description="sign photos, letter scans, flyer photos")
    public_base_url: str | None = Field(
        None, description="the address the card's QR code opens (/m/{code}); default: the request's own"
    )
    bureau_name: str = Field("郑州市中原区城市管理综合执法局", description="on the cards and letters")
    import_max_rows: int = Field(50_000, description="rows of one survey file")
    import_max_bytes: int = Field(30 * 1024 * 1024, description="bytes of one survey file")
    import_max_seconds: float = Field(20, gt=0, description="reading one survey file takes at most this long")
    public_reads_per_minute: int = Field(120, description="the public pages (/m/{code}, /points) per client address")
    trusted_proxies: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"127.0.0.1", "::1"}), description="addresses or networks whose X-Forwarded-For is believed"
    )

    # -- the dog register (养犬登记): rules of ours, each a city may set otherwise
    district_code: str = Field("410102", description="in licence and shelter numbers")
    id_number_key: str = Field(
        DEV_ID_NUMBER_KEY,
        description="the key owners' identity-card numbers are encrypted "
        "under (required outside development; changing it needs a re-encryption)",
    )
    dog_min_age_months: int = Field(3, ge=0, le=24, description="a dog registers from this age")
    dog_rabies_valid_months: int = Field(12, ge=1, le=60, description="a rabies vaccination's validity")
    dog_banned_breeds: Annotated[frozenset[str], NoDecode] = Field(
        DEFAULT_BANNED_BREEDS, description="禁养犬只, comma-separated"
    )
    dog_key_zones_file: str | None = Field(
        None,
        description="重点管理区 as GeoJSON polygons (features with properties id, name); default: the demo district's",
    )
    dog_inspection_notice_days: int = Field(30, ge=1, le=120, description="年检 listed and reminded this early")
    dog_suspend_after_days: int = Field(90, ge=0, description="年检 overdue this long suspends the licence")
    dog_violations_to_suspend: int = Field(3, ge=1, description="walking violations within 12 months that suspend")
    dog_walk_hours: str = Field(
        "06:00-22:00",
        pattern=r"^\d\d:\d\d-\d\d:\d\d$",
        description="when dogs may be walked (an earlier outside_hours is refused)",
    )
    dog_claim_days: int = Field(7, ge=0, description="a captured dog may be claimed this long")
    dog_quarantine_days: int = Field(14, ge=0, description="a captured dog's quarantine")
    dog_case_categories: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"dog_nuisance"}),
        description="closed cases of these categories naming a licence are walking violations",
    )
    shelter_capacity: int = Field(120, ge=1, description="收容所 places")
    shelter_daily_fee_fen: int = Field(2000, ge=0, description="what a day at the shelter costs the owner who claims")
    dog_applications_per_minute: int = Field(5, description="online applications per client address")

    tag_rearm_margin_m: float = Field(
        50.0, ge=0, description="智能犬牌: a dog must be this far out of a no-dog zone for its episode to end"
    )
    tag_rearm_minutes: float = Field(
        10.0, ge=0, description="... and stay out this long (then a return is a new alarm)"
    )
    tag_silence_hours: float = Field(6.0, gt=0, description="a tag not heard this long raises tag_silent")
    tag_walk_hours_by_size: str = Field(
        "large=19:00-07:00",
        pattern=r"^(\w+=\d\d:\d\d-\d\d:\d\d(,\w+=\d\d:\d\d-\d\d:\d\d)*)?$",
        description="when dogs of a size class may be walked (size=HH:MM-HH:MM, comma-separated); the classes "
        "not named walk in LEDGER_DOG_WALK_HOURS",
    )
    fume_standard: Literal["GB_18483", "BEIJING_DB11_1488"] = Field(
        "GB_18483",
        description="油烟 limits: GB 18483-2001 (油烟 2.0 mg/m³) or 北京 DB11/1488-2018 "
        "(油烟 1.0, 颗粒物 5.0, 非甲烷总烃 10.0)",
    )
    fume_consecutive: int = Field(3, ge=1, le=60, description="readings over the limit running that make an exceedance")
    fume_stopped_minutes: float = Field(
        10.0, ge=0, description="设施停运: the fan on with the purifier off this long raises purifier_off"
    )
    monitor_offline_minutes: float = Field(60.0, gt=0, description="a fume monitor not heard this long is offline")
    track_sample_s: float = Field(60.0, gt=0, description="a dog's track (轨迹) keeps one position this often")
    monitor_sample_s: float = Field(300.0, gt=0, description="a merchant's chart keeps one reading this often")
    track_days: int = Field(30, ge=1, le=366, description="how long the tracks and charts are kept")
    telemetry_future_s: float = Field(
        300.0, ge=0, description="a reading dated further ahead of the bureau's clock is refused (the device's clock)"
    )
    telemetry_max_age_days: float = Field(7.0, gt=0, description="a reading older than this is refused: too late")
    telemetry_requests_per_minute: int = Field(
        1200, ge=1, description="POST /v1/telemetry requests per vendor client (each up to 1,000 readings)"
    )
    judge_state_dir: str = Field(
        ".data/judge", description="the stream processor's RocksDB state (rebuilt from its changelog topic if lost)"
    )
    judge_reference_refresh_s: float = Field(
        10.0, gt=0, description="how often the stream processor reads the register's devices and zones again"
    )

    @field_validator("trusted_proxies", "dog_banned_breeds", "dog_case_categories", mode="before")
    @classmethod
    def _comma_list(cls, value):
        return frozenset(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _own_key_outside_development(self) -> "LedgerSettings":
        if self.environment != "development":
            refuse_weak_secret("LEDGER_ID_NUMBER_KEY", self.id_number_key)
            if not self.public_base_url:  # printed on every card: never taken from a request's Host header
                raise ValueError(
                    "LEDGER_PUBLIC_BASE_URL must be set outside development: the address printed "
                    "in each merchant card's QR code (https://城管.example.gov.cn)"
                )
        return self

    @property
    def dogs(self) -> DogRules:
        start, end = (time.fromisoformat(t) for t in self.dog_walk_hours.split("-"))
        return DogRules(
            min_age_months=self.dog_min_age_months,
            rabies_valid_months=self.dog_rabies_valid_months,
            banned_breeds=self.dog_banned_breeds,
            inspection_notice_days=self.dog_inspection_notice_days,
            suspend_after_days=self.dog_suspend_after_days,
            violations_to_suspend=self.dog_violations_to_suspend,
            claim_days=self.dog_claim_days,
            quarantine_days=self.dog_quarantine_days,
            walk_hours=(start, end),
        )

    @property
    def recovery(self) -> RecoveryRule:
        return RecoveryRule(self.colour_recovery, self.colour_recovery_months)

    @property
    def letters(self) -> LetterRule:
        return LetterRule(self.letter_valid_months, self.letter_renewal_days)

    @property
    def cleaning(self) -> CleaningRule:
        return CleaningRule(self.purifier_cleaning_months)

    @property
    def survey(self) -> SurveyRule:
        return SurveyRule(self.point_school_distance_m, self.point_survey_departments)

    @property
    def telemetry(self) -> Rules:
        """The devices' judging rules (ledger.domain.telemetry), as this bureau sets them."""

        def window(text: str) -> tuple[time, time]:
            start, end = (time.fromisoformat(t) for t in text.split("-"))
            return start, end

        by_size = dict(part.split("=") for part in self.tag_walk_hours_by_size.split(",") if part)
        limits = {"GB_18483": GB_18483, "BEIJING_DB11_1488": BEIJING_DB11_1488}[self.fume_standard]
        return Rules(
            tags=TagRules(
                rearm_margin_m=self.tag_rearm_margin_m,
                rearm_s=self.tag_rearm_minutes * 60,
                silence_s=self.tag_silence_hours * 3600,
                allowed_hours={size: (window(w),) for size, w in by_size.items()},
                default_hours=(window(self.dog_walk_hours),),
            ),
            fumes=replace(
                limits,
                consecutive=self.fume_consecutive,
                stopped_s=self.fume_stopped_minutes * 60,
                offline_s=self.monitor_offline_minutes * 60,
            ),
            sampling=Sampling(tag_every_s=self.track_sample_s, monitor_every_s=self.monitor_sample_s),
            future_s=self.telemetry_future_s,
            max_age_s=self.telemetry_max_age_days * 86400,
        )
