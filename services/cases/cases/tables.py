"""Cases' tables, in the `cases` schema."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from cases.domain.trail import TrailEntry
from common.backbone import ServiceTables
from common.db import make_registry

registry = make_registry("cases")


class CasesTable(SQLModel, registry=registry):
    pass


TAGGED = "campaigns <> '[]'::jsonb"
"""The predicate of the campaigns index: a query over a campaign's cases repeats it."""


class Case(CasesTable, table=True):
    __tablename__ = "cases"
    # One case per incident; the cases split from it (拆分) share its incident.
    __table_args__ = (
        Index("uq_cases_incident_root", "incident_id", unique=True, postgresql_where=text("parent_case_id IS NULL")),
        # the few cases in campaigns (a case outside every campaign costs the index nothing)
        Index(
            "ix_cases_campaigns",
            "campaigns",
            postgresql_using="gin",
            postgresql_where=text(TAGGED),
        ),
    )
    id: str = Field(primary_key=True, max_length=36)
    case_number: str = Field(max_length=32, unique=True)
    incident_id: str = Field(max_length=36)
    status: str = Field(max_length=32, index=True)
    channel: str = Field(max_length=32)
    category_code: str = Field(max_length=64)
    urgency: str = Field(max_length=16)
    lon: float
    lat: float
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    squad_id: str | None = Field(default=None, max_length=64, index=True)
    squad_name: str | None = Field(default=None, max_length=100)
    grid_id: str | None = Field(default=None, max_length=64)
    assignment_id: str | None = Field(default=None, max_length=36)
    outcome: str | None = Field(default=None, max_length=32)
    merchant_id: str | None = Field(default=None, max_length=36)
    dog_licence_id: str | None = Field(default=None, max_length=36, description="the licence a dog case names")
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    deadline_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    description: str | None = Field(default=None, max_length=2000)
    address: str | None = Field(default=None, max_length=200, description="门牌地址 of the report, when given")
    handled_by: str | None = Field(default=None, max_length=100)
    handled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    suspended_from: str | None = Field(default=None, max_length=32)
    rework_rounds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    parent_case_id: str | None = Field(default=None, max_length=36, index=True)
    merged_into: str | None = Field(default=None, max_length=36)
    rating: str | None = Field(default=None, max_length=32)
    time_limit_hours: float | None = Field(default=None, description="处置时限 as filed")
    rating_reopens: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="times a citizen's 不满意 reopened it (at most once)",
    )
    review_requested_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True)),
        description="a later 不满意 waits for a supervisor's review",
    )
    source_deadline: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True)),
        description="the upstream order's deadline, or the 化解时限 of a 信访, 领导交办 or 舆情 case",
    )
    owner: dict | None = Field(default=None, sa_column=Column(JSONB), description="包案: leader, 责任单位, 责任人")
    answers: dict = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default="{}"),
        description="the answers on record by kind (信访答复意见, 舆情回应): text, by, at",
    )
    campaigns: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default="[]"),
        description="the campaigns it falls in (their categories, area and period)",
    )


class CasePhoto(CasesTable, table=True):
    """Evidence photos (before/after handling, verification, seizure), kept as they came in the
    object store under their SHA-256; the hash is also in the trail entry of the step."""

    __tablename__ = "case_photos"
    __table_args__ = (UniqueConstraint("case_id", "sha256", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=16)  # before | after | verify | seizure
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=32)
    size: int
    object_key: str = Field(max_length=200)
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class EnforcementTrack(CasesTable, table=True):
    """The case's enforcement track (cases.domain.enforcement.Track, as JSON) and its stage."""

    __tablename__ = "enforcement_tracks"
    case_id: str = Field(primary_key=True, max_length=36)
    stage: str = Field(max_length=32, index=True)
    state: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))


class CaseDocument(CasesTable, table=True):
    """The documents of a case (执法文书, cases.domain.documents.KINDS), each rendered when its step
    was taken, sealed when the party receives it, kept with its SHA-256 (also in the trail)."""

    __tablename__ = "case_documents"
    __table_args__ = (
        Index("ix_cases_case_documents_number", "number"),
        Index("ix_cases_case_documents_sha256", "sha256"),  # 文书核验: a file checked whole
        Index("ix_cases_case_documents_ofd_sha256", "ofd_sha256"),
    )
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=32)
    name: str | None = Field(default=None, max_length=32, description="立案审批表, 行政处罚决定书, ...")
    number: str | None = Field(default=None, max_length=64, description="文号")
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    signed: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    signer: str | None = Field(default=None, max_length=200, description="who sealed it (the seal's certificate)")
    ofd: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary), description="the sealed OFD, where the sealer seals OFD"
    )
    ofd_sha256: str | None = Field(default=None, max_length=64)
    verify_code: str | None = Field(default=None, max_length=16, description="核验码 printed on it")
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    served_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    service_method: str | None = Field(default=None, max_length=16, description="in_person, post, ...")


class ServiceConsent(CasesTable, table=True):
    """送达地址确认书: the party's consent to electronic service (行政处罚法 art. 61), the channel and
    the address (personal data: kept here, never in an event or a log)."""

    __tablename__ = "service_consents"
    case_id: str = Field(primary_key=True, max_length=36)
    channel: str = Field(max_length=16, description="sms, email, app")
    address: str = Field(max_length=200)
    signed_by: str = Field(max_length=200)
    confirmed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_by: str = Field(max_length=64)


class ServiceRecord(CasesTable, table=True):
    """送达: how and when a document reached the party, with its evidence."""

    __tablename__ = "service_records"
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    document_id: str = Field(max_length=36, index=True)
    method: str = Field(max_length=16, description="in_person, post, announcement, electronic")
    served_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recipient: str = Field(max_length=200)
    tracking_number: str | None = Field(default=None, max_length=64, description="邮寄: the tracking number")
    evidence: str | None = Field(default=None, max_length=1000, description="the proof it arrived")
    receipt_id: str = Field(max_length=36, description="the 送达回证 made of it")
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Evidence(CasesTable, table=True):
    """Video and audio evidence (执法记录仪 and the like): the original as uploaded, in the object store
    under its SHA-256 (also in the trail), with what its content says of it, kept until `retained_until`."""

    __tablename__ = "evidence"
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=8, description="video, audio")
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    container: str = Field(max_length=64)
    codec: str = Field(max_length=32)
    duration_s: float | None = None
    recorded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    object_key: str = Field(max_length=200)
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    retained_until: date = Field(sa_column=Column(Date, nullable=False))


class EvidenceViewing(CasesTable, table=True):
    """Every viewing of a piece of evidence: who, when, which bytes."""

    __tablename__ = "evidence_viewings"
    id: int | None = Field(default=None, primary_key=True)
    evidence_id: str = Field(max_length=36, index=True)
    viewer: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    first_byte: int = Field(sa_type=BigInteger)
    last_byte: int = Field(sa_type=BigInteger)


class DocumentCounter(CasesTable, table=True):
    """Gapless document numbers (文号) per 字 and year: the row lock makes two replicas take turns."""

    __tablename__ = "document_counters"
    prefix: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    last: int = 0


class Publication(CasesTable, table=True):
    """行政处罚结果公示 of a case's decision (cases.domain.publication): what the public reads, from
    when until when, or why it is withheld, and its withdrawal."""

    __tablename__ = "publications"
    case_id: str = Field(primary_key=True, max_length=36)
    decision_number: str = Field(max_length=64)
    party: str = Field(max_length=200, description="as shown: a person's name masked")
    violation: str = Field(max_length=200)
    basis: str = Field(max_length=500)
    decision: str = Field(max_length=200)
    decided_on: date = Field(sa_column=Column(Date, nullable=False))
    due_by: date = Field(sa_column=Column(Date, nullable=False), description="7 working days after the decision")
    withheld: str | None = Field(default=None, max_length=16, description="minor, secret, privacy: not published")
    published_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), index=True))
    shown_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    withdrawn_reason: str | None = Field(default=None, max_length=200)


class DevSeal(CasesTable, table=True):
    """The development signing key and certificate (`CASES_SEALING=development`), made once and
    shared by every replica. Never a bureau's seal: the certificate says so."""

    __tablename__ = "dev_seal"
    id: str = Field(primary_key=True, max_length=16)
    key_pem: str = Field(max_length=4000)
    cert_pem: str = Field(max_length=8000)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Seizure(CasesTable, table=True):
    """暂扣: tools or vehicles held, with their inventory, until released."""

    __tablename__ = "seizures"
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    items: list[dict] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    place: str = Field(max_length=200)
    seized_by: str = Field(max_length=100)
    seized_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    officers: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default="[]"),
        description="the certified officers present (执法人员), two at least",
    )
    released_by: str | None = Field(default=None, max_length=100)
    released_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    release_reason: str | None = Field(default=None, max_length=500)


class CaseNumberCounter(CasesTable, table=True):
    """Gapless case numbers per year: the row lock makes two replicas take turns."""

    __tablename__ = "case_number_counters"
    year: int = Field(primary_key=True)
    last: int = 0


class CaseTrailEntry(CasesTable, table=True):
    """痕迹化: append-only and hash-chained (see cases.domain.trail); a trigger refuses UPDATE and DELETE."""

    __tablename__ = "case_trail"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=36, index=True)
    seq: int
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=100)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=500)
    data: dict = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def to_entry(self) -> TrailEntry:
        return TrailEntry(**{f.name: getattr(self, f.name) for f in fields(TrailEntry)})


class KnownMerchant(CasesTable, table=True):
    """The merchants in the ledger, as ledger announces them (MerchantRegistered, MerchantChanged):
    a case may name only a merchant that exists and lies where the case or its squad works."""

    __tablename__ = "merchants"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    grid_id: str | None = Field(default=None, max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    closed: bool = False
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class KnownDogLicence(CasesTable, table=True):
    """The dog register's licences, as ledger announces them (DogLicenceIssued, DogLicenceChanged,
    DogLicencePlaced): a 犬只扰民 case may name only a licence that exists, is in force, and whose
    household lies in the case's grid or its squad's area."""

    __tablename__ = "dog_licences"
    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32)
    status: str = Field(max_length=16)
    grid_id: str | None = Field(default=None, max_length=64)
    squad_id: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class KnownPerson(CasesTable, table=True):
    """The directory's people, as dispatch announces them (PersonChanged): the trail names who took
    each step, not only their id."""

    __tablename__ = "people"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    position: str = Field(max_length=16)
    squad_id: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=32)
    certificate_number: str | None = Field(default=None, max_length=32, description="执法证号")
    certificate_valid_until: date | None = Field(default=None, description="执法证有效期至")
    legal_qualified: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def _json(default: str = "[]") -> Column:
    return Column(JSONB, nullable=False, server_default=default)


class CampaignRow(CasesTable, table=True):
    """专项整治, 联合行动, 示范创建: a campaign whole (its sections with their acceptance in `sections`)."""

    __tablename__ = "campaigns"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=16)
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date = Field(sa_column=Column(Date, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=_json())
    grids: list[str] = Field(default_factory=list, sa_column=_json())
    area: dict | None = Field(default=None, sa_column=Column(JSONB), description="a GeoJSON polygon")
    streets: list[str] = Field(default_factory=list, sa_column=_json())
    squads: list[str] = Field(default_factory=list, sa_column=_json())
    offices: list[str] = Field(default_factory=list, sa_column=_json())
    partners: list[str] = Field(default_factory=list, sa_column=_json())
    targets: dict = Field(default_factory=dict, sa_column=_json("{}"))
    sections: list[dict] = Field(default_factory=list, sa_column=_json())
    status: str = Field(default="running", max_length=16)
    version: int = 1
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    summary: str | None = Field(default=None, max_length=2000)


class CampaignOperation(CasesTable, table=True):
    """A day's action of a campaign (一次行动), with what it achieved and its photos."""

    __tablename__ = "campaign_operations"
    id: str = Field(primary_key=True, max_length=36)
    campaign_id: str = Field(foreign_key="campaigns.id", max_length=36, index=True)
    on: date = Field(sa_column=Column(Date, nullable=False))
    place: str = Field(max_length=200)
    squad_id: str | None = Field(default=None, max_length=64)
    office: str | None = Field(default=None, max_length=100)
    officer_trips: int = 0
    vehicle_trips: int = 0
    partners: list[str] = Field(default_factory=list, sa_column=_json())
    counts: dict = Field(default_factory=dict, sa_column=_json("{}"))
    photos: list[dict] = Field(default_factory=list, sa_column=_json(), description="sha256 and content type each")
    note: str | None = Field(default=None, max_length=2000)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IllegalBuilding(CasesTable, table=True):
    """违法建设台账: a building its case found, its stage and the dates and photos of each."""

    __tablename__ = "illegal_buildings"
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, unique=True)
    case_number: str = Field(max_length=32)
    stage: str = Field(max_length=32, index=True)
    area_m2: float | None = Field(default=None, description="its area, as measured")
    demolished_m2: float = Field(default=0, description="pulled down")
    grid_id: str | None = Field(default=None, max_length=64, index=True)
    squad_id: str | None = Field(default=None, max_length=64, index=True)
    office: str | None = Field(default=None, max_length=100, description="the 办事处 of its grid")
    lon: float
    lat: float
    address: str | None = Field(default=None, max_length=200)
    stages: dict = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default="{}"),
        description="each stage reached: at, by, note, photos",
    )
    found_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    version: int = 1


class KnownGrid(CasesTable, table=True):
    """The grids' 办事处, as dispatch announces them (GridDefined)."""

    __tablename__ = "known_grids"
    grid_id: str = Field(primary_key=True, max_length=64)
    office: str | None = Field(default=None, max_length=100)
    office_id: str | None = Field(default=None, max_length=64, index=True)
    version: int = 1


class PowerRow(CasesTable, table=True):
    """权责清单: a power with its legal basis and its discretion bands (cases.domain.powers.Power)."""

    __tablename__ = "powers"
    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    violation: str = Field(max_length=500)
    basis: dict = Field(sa_column=Column(JSONB, nullable=False), description="law, article, clause, text")
    prohibition: dict | None = Field(default=None, sa_column=Column(JSONB))
    bands: list[dict] = Field(default_factory=list, sa_column=_json())
    categories: list[str] = Field(default_factory=list, sa_column=_json())
    major: bool = Field(default=False, description="in the 重大执法决定法制审核目录")
    version: int = 1
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ApprovalRow(CasesTable, table=True):
    """An approval of a penalty proposal (承办人意见, 法制审核, 集体讨论, 负责人审批), as given."""

    __tablename__ = "approvals"
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=36, index=True)
    version: int = Field(description="the proposal it approves or sends back")
    stage: str = Field(max_length=16)
    verdict: str = Field(max_length=8)
    opinion: str = Field(max_length=2000)
    minutes: str | None = Field(default=None, max_length=10000, description="集体讨论记录")
    participants: list[str] = Field(default_factory=list, sa_column=_json())
    proposal: dict = Field(default_factory=dict, sa_column=_json("{}"), description="what was approved")
    actor: str = Field(max_length=64)
    actor_name: str | None = Field(default=None, max_length=100)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Investigation(CasesTable, table=True):
    """现场检查(勘验) or 询问(调查): who was present (two certified officers), where, when, what was found or
    said (笔录)."""

    __tablename__ = "investigations"
    id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=16)
    officers: list[str] = Field(default_factory=list, sa_column=_json())
    place: str = Field(max_length=200)
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ended_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    interviewee: str | None = Field(default=None, max_length=100, description="被询问人 (询问)")
    record: str = Field(max_length=20000, description="笔录")
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


backbone = ServiceTables(registry.metadata, idempotency=True, rate_limits=True)
