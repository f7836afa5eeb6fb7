from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from common.settings import ServiceSettings
from ledger.domain.catering import CleaningRule
from ledger.domain.colour import RecoveryMode, RecoveryRule
from ledger.domain.letters import LetterRule
from ledger.domain.points import SurveyRule


class LedgerSettings(ServiceSettings):
    """Environment variables: LEDGER_DATABASE_URL, LEDGER_KAFKA_BOOTSTRAP, LEDGER_BUS, ... and the
    register's rules, each one a bureau may set otherwise."""
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")
    consumer_gather_s: float = Field(0.25, description="a read model off the complaint's way: it may trail by a "
                                     "quarter of a second to apply fewer, larger batches")
    colour_recovery: RecoveryMode = Field(RecoveryMode.stepwise, description="一卡四色 recovery: stepwise (one level "
                                          "down after the months below with no violation) or yearly (blue again at "
                                          "the new year)")
    colour_recovery_months: int = Field(6, ge=1, le=60)
    letter_valid_months: int = Field(12, ge=1, le=60, description="门前三包责任书: how long a letter is in force")
    letter_renewal_days: int = Field(30, ge=1, le=365, description="... and is listed for renewal in its last days")
    purifier_cleaning_months: int = Field(3, ge=1, le=24, description="油烟净化器: cleaned at least this often")
    point_school_distance_m: float = Field(100, ge=0, description="便民疏导点: none this close to a school gate")
    point_survey_departments: int = Field(2, ge=1, description="便民疏导点: opinions needed before approval")
    tick_interval_s: float = Field(600, gt=0, description="how often colours recover and the figures are told")
    object_store_url: str = Field("file:.data/objects", description="sign photos, letter scans, flyer photos")
    public_base_url: str | None = Field(None, description="the address the card's QR code opens (/m/{code}); "
                                        "default: the request's own")
    bureau_name: str = Field("郑州市中原区城市管理综合执法局", description="on the cards and letters")
    import_max_rows: int = Field(50_000, description="rows of one survey file")
    import_max_bytes: int = Field(30 * 1024 * 1024, description="bytes of one survey file")
    public_reads_per_minute: int = Field(120, description="the public pages (/m/{code}, /points) per client address")
    trusted_proxies: Annotated[frozenset[str], NoDecode] = Field(frozenset({"127.0.0.1", "::1"}),
                                            description="addresses or networks whose X-Forwarded-For is believed")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value):
        return frozenset(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value

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
