from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from cases.domain.approvals import Thresholds
from common.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    """Environment variables: CASES_DATABASE_URL, CASES_KAFKA_BOOTSTRAP, CASES_BUS, ..."""

    model_config = SettingsConfigDict(env_prefix="CASES_", extra="ignore")
    district_code: str = Field("410102", description="administrative code in case numbers (中原区)")
    bureau_name: str = Field("郑州市中原区城市管理综合执法局", description="the bureau named on documents")
    verify_channels: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"web", "open311"}),
        description="channels whose reports wait for on-site verification (待核实) before filing; comma-separated",
    )
    object_store_url: str = Field("file:.data/objects", description="where evidence photos are kept")
    dog_categories: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"dog_nuisance", "stray_dog"}),
        description="categories whose cases may name a dog licence (犬只扰民, 违规遛犬); comma-separated",
    )
    reopen_on_dissatisfied: bool = Field(
        True,
        description="the bureau's rule: a 不满意 rating reopens the case (重新办理) and sends it back to its squad",
    )

    legal_review_person_fen: int = Field(
        100_000,
        ge=0,
        description="重大执法决定法制审核目录: a fine of this much (fen) or more for a person is reviewed (法制审核)",
    )
    legal_review_organisation_fen: int = Field(
        2_000_000, ge=0, description="... and this much (fen) or more for an organisation"
    )
    legal_review_every_decision: bool = Field(
        False, description="the bureau reviews every general-procedure decision, whatever its amount"
    )
    collective_person_fen: int = Field(
        500_000,
        ge=0,
        description="a fine of this much (fen) or more for a person goes to the 集体讨论 (art. 57(2))",
    )
    collective_organisation_fen: int = Field(
        5_000_000, ge=0, description="... and this much (fen) or more for an organisation"
    )

    document_abbr: str = Field(
        "中城管",
        min_length=1,
        max_length=8,
        description="the bureau's short name in document numbers (中城管立字〔2026〕第1号)",
    )
    hearing_person_fen: int = Field(
        1_000_000,
        ge=0,
        description="较大数额 (行政处罚法 art. 63, the province's line): a fine of this much (fen) or more for a "
        "person comes with a 听证告知书",
    )
    hearing_organisation_fen: int = Field(10_000_000, ge=0, description="... and for an organisation")

    sealing: Literal["development", "ofd", "platform"] = Field(
        "development",
        description="who seals the party's documents: development (a PAdES signature of our own making, without "
        "legal force: make run), ofd (the ofdrw sidecar: OFD with an SM2 seal in the GB/T 38540 structures, its "
        "development seal: make up and the tests) or platform (the province's seal platform or a signing server)",
    )
    ofd_sealer_url: str | None = Field(None, description="the OFD sealing sidecar (sealing=ofd)")
    seal_platform_url: str | None = Field(None, description="the seal platform's API (sealing=platform)")
    seal_platform_token: SecretStr | None = Field(None, description="its bearer token")
    seal_id: str | None = Field(None, description="the bureau's seal on the platform (电子印章编码)")
    evidence_upload_dir: str = Field(
        ".data/tus", description="where a video's parts wait until the upload completes (a volume the replicas share)"
    )
    evidence_max_bytes: int = Field(4 * 2**30, ge=2**20, description="the largest file of evidence")
    station_match_minutes: int = Field(
        30,
        ge=0,
        le=720,
        description="a docking station's file is offered to the cases its officer worked on while it recorded, "
        "this many minutes either side",
    )
    evidence_upload_days: int = Field(7, ge=1, le=90, description="an unfinished upload is kept this long")
    evidence_retention_days: int = Field(
        3650, ge=180, description="how long the original of a video or a recording is kept (the bureau's rule)"
    )
    public_reads_per_minute: int = Field(
        60, ge=1, description="the public pages (文书核验, 结果公示) per client address, every replica counted together"
    )
    trusted_proxies: Annotated[frozenset[str], NoDecode] = Field(
        frozenset({"127.0.0.1", "::1"}), description="addresses or networks whose X-Forwarded-For is believed"
    )
    publication_working_days: int = Field(
        7,
        ge=1,
        le=30,
        description="行政处罚结果公示 within this many working days of the decision (some catalogues: 20)",
    )
    publication_days: int = Field(365, ge=30, le=1825, description="how long a published decision stays shown")

    verify_minutes: int = Field(
        30, ge=1, le=10080, description="核实时限: minutes a field monitor has to verify a report on site"
    )
    check_minutes: int = Field(
        30, ge=1, le=10080, description="核查时限: minutes a field monitor has to check a handled case on site"
    )
    monitor_minutes: dict[str, dict[Literal["verify", "check"], int]] = Field(
        default_factory=dict,
        description="the bureau's own 核实/核查 limits per category, JSON: "
        '{"street_vending": {"verify": 30, "check": 60}}',
    )

    @model_validator(mode="after")
    def _platform_named(self) -> "CasesSettings":
        if self.sealing == "platform" and not (self.seal_platform_url and self.seal_id and self.seal_platform_token):
            raise ValueError("CASES_SEALING=platform needs CASES_SEAL_PLATFORM_URL, _TOKEN and CASES_SEAL_ID")
        if self.sealing == "ofd" and not self.ofd_sealer_url:
            raise ValueError("CASES_SEALING=ofd needs CASES_OFD_SEALER_URL")
        if self.environment == "production" and self.sealing != "platform":
            raise ValueError(
                f"CASES_SEALING={self.sealing} seals with a development seal, without legal force: in production the "
                "party's documents are sealed by the province's seal platform (CASES_SEALING=platform, with "
                "CASES_SEAL_PLATFORM_URL, _TOKEN and CASES_SEAL_ID)"
            )
        return self

    def thresholds(self) -> Thresholds:
        """The bureau's lines for 法制审核 and 集体讨论."""
        return Thresholds(
            review_person_fen=self.legal_review_person_fen,
            review_organisation_fen=self.legal_review_organisation_fen,
            collective_person_fen=self.collective_person_fen,
            collective_organisation_fen=self.collective_organisation_fen,
            review_every_decision=self.legal_review_every_decision,
        )

    def monitor_limit(self, category: str, step: Literal["verify", "check"]) -> int:
        """Minutes for a monitor's 核实 or 核查 of a case of this category."""
        own = self.monitor_minutes.get(category, {})
        return own.get(step, self.verify_minutes if step == "verify" else self.check_minutes)

    @field_validator("verify_channels", "dog_categories", "trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value):
        return frozenset(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value
