from pydantic import Field, Json
from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings
from reporting.domain.assessment import DEFAULT_SCHEMES
from reporting.domain.indicators import OnTime
from reporting.domain.ranking import DEFAULT_WEIGHTS


class ReportingSettings(ServiceSettings):
    """Environment variables: REPORTING_DATABASE_URL, REPORTING_KAFKA_BOOTSTRAP, REPORTING_BUS, ...
    and the bureau's reporting rules."""

    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")
    consumer_gather_s: float = Field(
        0.25,
        description="a read model off the complaint's way: it may trail by a "
        "quarter of a second to apply fewer, larger batches",
    )
    consumer_members: int = Field(
        2,
        ge=1,
        le=16,
        description="up to two consumers of the group in the process "
        "while a backlog streams in (a rebuild, a restart after downtime): one decodes while "
        "the other's batch is in PostgreSQL (a rebuild: 7,700 → 9,600 events/s on 2 cores); "
        "one as events come as they happen",
    )
    on_time_denominator: OnTime = Field(
        OnTime.due,
        description="按期结案率 and 按期处置率 over 应结案数 − 缓办数 / "
        "应处置数 (`due`), or over 结案数 / 处置数 (`done`), as the local rule says",
    )
    ranking_weights: Json[dict[str, float]] | dict[str, float] = Field(
        DEFAULT_WEIGHTS,
        description="中队排位赛 weights, JSON: indicator -> points (lower-is-better rates count as "
        "1 − rate); add satisfaction_rate to weigh 满意率",
    )
    ranking_min_cases: int = Field(20, ge=1, description="a squad with fewer 应处置 cases is listed but not ranked")
    ranking_publish_delay_h: float = Field(
        2.0,
        ge=0,
        description="a month's ranking is published this long after it closes (Beijing time), so late events are in",
    )
    assessments: Json[list[dict]] | list[dict] = Field(
        list(DEFAULT_SCHEMES),
        description="考评 schemes, JSON: each {id, name, days (a period of so many days from anchor, a date) or none "
        "(a month), categories (only these) or exclude (all but these), min_cases}; by default 违建 every three days "
        "and the rest monthly",
    )
    assessment_notice_points: float = Field(
        2.0, ge=0, description="points off for each 责改通知书 received in the period"
    )
    assessment_late_notice_points: float = Field(
        3.0, ge=0, description="more points off for each answered late, or unanswered at the period's end"
    )
    assessment_publish_delay_h: float = Field(
        2.0, ge=0, description="an assessment is published this long after its period closes (Beijing time)"
    )
    refresh_interval_s: float = Field(1.0, gt=0, description="how often months whose rows changed are summed again")
    refresh_backlog_interval_s: float = Field(
        15.0,
        gt=0,
        description="as often, while a backlog streams in (a "
        "rebuild): the whole months' figures trail by this much then",
    )
    rebuild_chunk_events: int = Field(
        50_000,
        ge=1,
        description="a rebuild replays the topics in bulk, this many events a transaction: larger "
        "chunks merge more of a case's events before they reach PostgreSQL, and hold more in memory",
    )
    rebuild_processes: int = Field(
        2,
        ge=1,
        le=16,
        description="a rebuild on Kafka replays the partitions in this many processes at once (this one and "
        "workers): decoding is Python's, one core a process; as many as the cores PostgreSQL leaves",
    )
    bureau_name: str = Field("郑州市中原区城市管理综合执法局", description="on the circular")
