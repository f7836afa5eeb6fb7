from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from common.settings import ServiceSettings, refuse_weak_secret
from intake.adapters.upstream import Upstream

DEV_PHOTO_URL_SECRET = "dev-only-photo-links-change-me-0123456789"


class IntakeSettings(ServiceSettings):
    """Environment variables: INTAKE_DATABASE_URL, INTAKE_KAFKA_BOOTSTRAP, INTAKE_BUS, ..."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")
    consumer_gather_s: float = Field(
        0.2,
        description="the incident shows its case's progress within this much "
        "(it is not on the way of a complaint to its squad); fewer, larger batches",
    )
    public_base_url: str | None = Field(
        None,
        description="the address the public reaches intake at, for the "
        "Open311 discovery document; default: the request's own",
    )
    bureau_name: str = Field("郑州市中原区城市管理综合执法局", description="named in the party's notice of a capture")
    open311_jurisdiction_id: str = Field("zhongyuan.zhengzhou.cgzf.cn", description="Open311 jurisdiction_id")
    open311_changeset: str = Field("2026-11-22T00:00:00Z", description="when this endpoint last changed")
    open311_contact: str = Field("郑州市中原区城市管理综合执法局 12319", description="discovery contact")
    open311_key_service: str = Field(
        "向区城市管理综合执法局信息科申请 api_key (POST /v1/open311/keys)",
        description="discovery: how an app gets a key",
    )
    open311_service_notice: str | None = Field(
        "工作日内受理, 可凭 token 或 service_request_id 查询进度",
        description="service_notice returned with a new request",
    )
    object_store_url: str = Field(
        "file:.data/objects",
        description="where report photos are kept: file:/path or "
        "s3://bucket/prefix?endpoint_url=...&region=... (common.objectstore)",
    )
    photo_url_secret: str = Field(
        DEV_PHOTO_URL_SECRET,
        description="signs the short-lived links to photos that "
        "are not public, and keys the hash that stands for a client's address; its own "
        "secret, required outside development",
    )
    photo_url_ttl_s: int = Field(3600, description="how long a signed photo link works")
    max_photos_web: int = Field(5, description="photos a citizen may attach to one report")
    max_photos_field: int = Field(9, description="photos a field monitor may attach to one report")
    dedup_channels: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"web", "open311", "camera", "iot"}),
        description="channels whose reports join an open incident of the same category nearby (重复件); "
        "comma-separated. Hotline operators and field monitors are left out by default: they "
        "see the open incidents and the dispatcher merges cases (POST /v1/cases/{id}/merge)",
    )
    public_channels: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"web", "open311"}),
        description="channels whose reports anyone may list and read (Open311 without a partner key, "
        "/public/): what citizens filed publicly; comma-separated. Hotline calls, transfers, field "
        "reports and camera or IoT captures stay with staff and partner keys",
    )
    flood_radius_m: int = Field(200, description="one client's reports this close together count as one spot")
    flood_max_reports: int = Field(5, description="reports one client may send about one spot per flood window")
    flood_window_minutes: int = Field(60, description="the flood window")
    public_reports_per_minute: int = Field(10, description="reports per minute from one address (web page)")
    public_reads_per_minute: int = Field(120, description="tracking-page and Open311 reads per minute per address")
    open311_posts_per_minute: int = Field(60, description="Open311 POSTs per minute per api_key and device")
    machine_clock_skew_s: int = Field(
        300, ge=0, le=86400, description="a machine event dated more than this far ahead of our clock is refused"
    )
    machine_events_per_minute: int = Field(1200, description="camera and IoT events per minute per system")
    trusted_proxies: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"127.0.0.1", "::1"}),
        description="addresses or networks whose X-Forwarded-For is believed (the "
        "gateway); comma-separated, e.g. 10.0.0.0/8",
    )
    upstreams: list[Upstream] = Field(
        default_factory=list,
        description="the upstream systems answered back (12345, 110, the city platform): a JSON list of "
        '{"name", "url", "token", "client", "channels", "categories", "states", "satisfaction", "limits"} '
        "(intake.adapters.upstream.Upstream; the README says what to ask the city for). Empty: no link",
    )
    link_poll_interval_s: float = Field(0.5, description="how often the link looks for messages due")
    link_retry_base_s: float = Field(1.0, description="the first wait after a failed send; doubling")
    link_retry_max_s: float = Field(300.0, description="the longest wait between two tries of a message")
    link_max_attempts: int = Field(30, description="tries before a message is dead-lettered (then 'send again')")
    webhook_allow_private: bool = Field(
        False,
        description="allow subscriptions to targets on private, loopback or reserved addresses (a city system "
        "inside the bureau's network); always allowed in development",
    )
    webhook_retry_base_s: float = Field(5.0, description="the first wait after a failed delivery; doubling")
    webhook_retry_max_s: float = Field(3600.0, description="the longest wait between two tries of a delivery")
    webhook_retry_for_s: float = Field(86400.0, description="how long a delivery is tried before it is parked")
    webhook_poll_interval_s: float = Field(0.5, description="how often the sender looks for deliveries due")
    webhook_timeout_s: float = Field(10.0, description="how long a subscriber has to answer a delivery")

    @model_validator(mode="after")
    def _own_photo_link_secret_outside_development(self) -> "IntakeSettings":
        if self.environment != "development":
            refuse_weak_secret("INTAKE_PHOTO_URL_SECRET", self.photo_url_secret)
        return self

    @field_validator("dedup_channels", "trusted_proxies", "public_channels", mode="before")
    @classmethod
    def _comma_list(cls, value):
        return frozenset(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value
