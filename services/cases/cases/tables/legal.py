"""The penalty track and its dossier: the track, the documents and their numbers and seals, service
(送达), publication, seizures, the powers (权责清单), approvals, investigations, and evidence (video
and the capture records the case rests on)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, LargeBinary
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from cases.tables.base import CasesTable, json_column


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


class PowerRow(CasesTable, table=True):
    """权责清单: a power with its legal basis and its discretion bands (cases.domain.powers.Power)."""

    __tablename__ = "powers"
    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    violation: str = Field(max_length=500)
    basis: dict = Field(sa_column=Column(JSONB, nullable=False), description="law, article, clause, text")
    prohibition: dict | None = Field(default=None, sa_column=Column(JSONB))
    bands: list[dict] = Field(default_factory=list, sa_column=json_column())
    categories: list[str] = Field(default_factory=list, sa_column=json_column())
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
    participants: list[str] = Field(default_factory=list, sa_column=json_column())
    proposal: dict = Field(default_factory=dict, sa_column=json_column("{}"), description="what was approved")
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
    officers: list[str] = Field(default_factory=list, sa_column=json_column())
    place: str = Field(max_length=200)
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ended_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    interviewee: str | None = Field(default=None, max_length=100, description="被询问人 (询问)")
    record: str = Field(max_length=20000, description="笔录")
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CaptureEvidence(CasesTable, table=True):
    """A capture camera's record the case rests on, as intake's review left it (CaptureReviewed,
    行政处罚法 art. 41), and the party's answer to it online (CaptureAnswered)."""

    __tablename__ = "capture_evidence"
    incident_id: str = Field(primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True)
    accepted: bool
    reviewer: str = Field(max_length=100)
    reviewed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    statement: str | None = Field(default=None, max_length=2000, description="the party's 陈述申辩, masked")
    answered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class StationFile(CasesTable, table=True):
    """A body camera's file as its docking station (采集站) uploaded it, tagged with the device and
    the time; offered to the cases its officer worked on in that window until one attaches it
    (cases.domain.stations). The original stays in the object store under its SHA-256."""

    __tablename__ = "station_files"
    __table_args__ = (Index("ix_cases_station_files_officer", "officer_id", "recorded_at"),)
    id: str = Field(primary_key=True, max_length=36)
    device_id: str = Field(max_length=64)
    officer_id: str = Field(max_length=64, description="who carried the camera when it recorded")
    filename: str = Field(max_length=200)
    kind: str = Field(max_length=8, description="video, audio")
    content_type: str = Field(max_length=64)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    container: str = Field(max_length=64)
    codec: str = Field(max_length=32)
    duration_s: float | None = None
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    object_key: str = Field(max_length=200)
    uploaded_by: str = Field(max_length=64, description="the station")
    uploaded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
