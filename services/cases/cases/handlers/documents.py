"""Issuing a case's documents (cases.domain.documents) in the transaction of their step: numbered
(文号, gapless per 字 and year), rendered (cases.adapters.official), sealed when the party receives
them (cases.adapters.sealing), kept with their SHA-256; and the whole file (卷宗) as one PDF."""

from __future__ import annotations

import hashlib
import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from pypdf import PdfReader, PdfWriter
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, select

from cases.adapters.official import Paper, contents_page, render
from cases.adapters.sealing import DevelopmentSealer, Sealer, development_certificate
from cases.domain import documents as docs
from cases.domain.enforcement import Track
from cases.tables import Case, CaseDocument, DevSeal, DocumentCounter
from common.clock import BEIJING
from common.db import table_of
from common.uow import UnitOfWork

COUNTERS = table_of(DocumentCounter)


@dataclass(frozen=True)
class Paperwork:
    """What issuing a document needs besides the case: the bureau, the 字 of its numbers, the
    sealer, and the province's 较大数额 lines above which the party may ask for a hearing."""

    bureau: str
    abbr: str
    sealer: Sealer
    hearing_person_fen: int
    hearing_organisation_fen: int
    publication_working_days: int = 7
    publication_days: int = 365

    def hearing(self, track: Track) -> bool:
        """The fine proposed is a 较大数额 (行政处罚法 art. 63): the 听证告知书 goes with the notice."""
        line = self.hearing_person_fen if track.party_kind == "person" else self.hearing_organisation_fen
        return (track.amount_fen or 0) >= line


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed back


async def development_sealer(session_factory, bureau: str, now: datetime) -> DevelopmentSealer:
    """The development key and certificate, made once for every replica (the first to start makes
    them; the others read them)."""
    async with session_factory() as session:
        row = await session.get(DevSeal, "development")
        if row is None:
            key_pem, cert_pem = development_certificate(bureau, now)
            await session.execute(
                pg_insert(DevSeal)
                .values(id="development", key_pem=key_pem, cert_pem=cert_pem, created_at=now)
                .on_conflict_do_nothing()
            )
            await session.commit()
            row = await session.get(DevSeal, "development")
        assert row is not None
        return DevelopmentSealer(row.key_pem, row.cert_pem)


async def next_number(uow: UnitOfWork, abbr: str, prefix: str, at: datetime) -> str:
    year = at.astimezone(BEIJING).year
    n = (
        await uow.session.execute(
            pg_insert(COUNTERS)
            .values(prefix=prefix, year=year, last=1)
            .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": COUNTERS.c.last + 1})
            .returning(COUNTERS.c.last)
        )
    ).scalar_one()
    return docs.number(abbr, prefix, year, n)


async def issue(
    uow: UnitOfWork, case: Case, kind: str, text: docs.Text, papers: Paperwork, number: str | None = None
) -> CaseDocument:
    """One document of the case, numbered, rendered, sealed if the party receives it, and kept."""
    k = docs.KINDS[kind]
    now = uow.clock.now()
    sealer = papers.sealer
    if number is None and k.prefix is not None:
        number = await next_number(uow, papers.abbr, k.prefix, now)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8)) if k.to_party else None
    paper = Paper(
        bureau=papers.bureau,
        title=k.name,
        number=number,
        fields=text.fields,
        paragraphs=text.paragraphs,
        dated=now,
        verify_code=code,
        seal_note=sealer.note if k.to_party else None,
    )
    rendered = render(paper)
    pdf, signer, ofd = rendered.pdf, None, None
    if k.to_party:
        sealed = await sealer.seal(pdf, f"{k.name} {number or ''}".strip(), rendered.seal_spot)
        pdf, signer, ofd = sealed.pdf, sealed.signer, sealed.ofd
    doc = CaseDocument(
        id=str(uuid.uuid4()),
        case_id=case.id,
        kind=kind,
        name=k.name,
        number=number,
        sha256=sha256(pdf),
        content_type="application/pdf",
        data=pdf,
        signed=signer is not None,
        signer=signer,
        ofd=ofd,
        ofd_sha256=sha256(ofd) if ofd is not None else None,
        verify_code=code,
        created_at=now,
    )
    uow.session.add(doc)
    return doc


def facts_of(case: Case, track: Track) -> docs.Facts:
    """What every document of the case draws on; the cause (案由) is the power's name once named."""
    cause = track.power_name or f"涉嫌违法行为 (案件类别 {case.category_code})"
    return docs.Facts(case_number=case.case_number, track=track, cause=cause, place=case.address)


def trail_of(doc: CaseDocument) -> dict:
    """What a step's trail entry says of the document it issued."""
    entry = {"document_id": doc.id, "kind": doc.kind, "number": doc.number, "sha256": doc.sha256}
    if doc.ofd_sha256 is not None:
        entry["ofd_sha256"] = doc.ofd_sha256
    return entry


def sealed_original(doc: CaseDocument) -> bytes:
    """The file that bears the seal: the OFD where the sealer seals OFD, else the PDF."""
    return doc.ofd if doc.ofd is not None else doc.data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def case_documents(session, case_id: str) -> list[CaseDocument]:
    query = select(CaseDocument).where(CaseDocument.case_id == case_id).order_by(col(CaseDocument.created_at))
    return list((await session.exec(query)).all())


def dossier(bureau: str, case_number: str, kept: list[CaseDocument], made: datetime) -> bytes:
    """卷宗: a contents page, then every document in the order it was made (the originals, with
    their seals, stay downloadable one by one: a merged file keeps no signature)."""
    readers = [PdfReader(io.BytesIO(d.data)) for d in kept]
    first_pages, page = [], 1
    for r in readers:
        first_pages.append(page)
        page += len(r.pages)
    front = 1  # the contents' own pages come first: numbered again if they take more than one
    while True:
        entries = [(d.name or d.kind, d.number or "—", p + front) for d, p in zip(kept, first_pages, strict=True)]
        contents = PdfReader(io.BytesIO(contents_page(bureau, case_number, entries, made)))
        if len(contents.pages) == front:
            break
        front = len(contents.pages)
    out = PdfWriter()
    for r in [contents, *readers]:
        for p in r.pages:
            out.add_page(p)
    out.add_metadata({"/Title": f"行政处罚案卷 {case_number}", "/Author": bureau})
    buf = io.BytesIO()
    out.write(buf)
    return buf.getvalue()
