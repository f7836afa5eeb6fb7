from pydantic import Field
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings


class DispatchSettings(ServiceSettings):
    """Environment variables: DISPATCH_DATABASE_URL, DISPATCH_KAFKA_BOOTSTRAP, DISPATCH_BUS, ..."""

    model_config = SettingsConfigDict(env_prefix="DISPATCH_", extra="ignore")
    seed_file: str | None = Field(None, description="grids and squads to seed; default: 中原区")
    rules_file: str | None = Field(None, description="routing rules seeded into an empty rule table")
    default_time_limit_hours: float = Field(24, description="处置时限 when the case carries none")
    warn_share: float = Field(0.8, gt=0, lt=1, description="share of the time limit at which the officer is warned")
    return_window_hours: float = Field(2, description="working hours within which a squad may return an assignment")
    tick_interval_s: float = Field(5, description="how often deadlines, escalations and patrol posts are checked")
    decision_warning_days: int = Field(
        10, ge=1, le=60, description="days ahead of the 90 days from 立案 (行政处罚法 art. 60) the squad is warned"
    )
    notify_url: str | None = Field(
        None,
        description="the bureau's message gateway (the city's SMS platform or 政务钉钉) that urgent and overdue "
        "tasks are sent to as JSON (OfficerAlerted); unset: the log",
    )
    notify_token: str | None = Field(None, description="bearer token for the message gateway, if it asks for one")
    notice_prefix: str = Field("中原城执责改", description="责改通知书's 文号 before 〔year〕n号")
    patrol_grace_minutes: float = Field(
        10,
        ge=0,
        description="严管区: minutes after a shift starts before an officer "
        "not checked in raises the missed-post alert",
    )
