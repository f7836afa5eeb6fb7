"""A case's documents over HTTP: the list with their hashes, each document, the whole file (卷宗)
as one PDF with its contents, and the check of a document's seal, by case or, for anyone holding a
served document, by its number and 核验码 (no sign-in)."""

from __future__ import annotations

import hashlib
import html
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from cases import queries
from cases.api.deps import ServiceDep, document_entry, load_visible, public_read
from cases.handlers.documents import case_documents, dossier, sealed_original
from common.audiences import CaseReader, DossierReader
from common.refusals import NotFound, TooLarge, Unprocessable

router = APIRouter(tags=["cases 案卷"])


class DocumentOut(BaseModel):
    id: str
    kind: str = Field(
        description="filing_approval, inspection_record, inquiry_record, correction_order, "
        "seizure_decision, penalty_notice, hearing_notice, penalty_decision, summary_decision, closing_report"
    )
    name: str = Field(description="立案审批表, 现场检查(勘验)笔录, ..., 结案报告")
    number: str | None = Field(description="文号")
    format: str
    sha256: str = Field(description="of the file as kept and served; also in the trail")
    signed: bool = Field(description="sealed: the party receives it")
    signer: str | None
    formats: list[Literal["pdf", "ofd"]] = Field(
        description="pdf, and ofd where the sealer seals OFD (the sealed original; the PDF is its reading copy): "
        "?format=ofd downloads it"
    )
    ofd_sha256: str | None = Field(description="of the sealed OFD, where there is one; also in the trail")
    created_at: datetime
    served_at: datetime | None = Field(description="送达: when it reached the party")
    service_method: str | None = Field(description="in_person, post, announcement, electronic")
    service_due: datetime | None = Field(description="a party's document not yet served is due within 7 days")
    url: str


class VerifyOut(BaseModel):
    intact: bool = Field(description="the file is the one sealed, byte for byte, and the seal holds")
    signer: str | None
    signed_at: datetime | None
    development: bool = Field(description="a development signature, without legal force (CASES sealing)")
    reason: str | None = Field(description="why not, when not intact")


@router.get(
    "/v1/cases/{case_id}/documents",
    response_model=list[DocumentOut],
    summary="执法文书: every document of the case, in the order made, with its hash",
)
async def list_documents(case_id: str, principal: CaseReader, service: ServiceDep):
    await load_visible(service, case_id, principal)
    async with service.session_factory() as session:
        return [document_entry(case_id, d) for d in await queries.documents(session, case_id)]


async def _visible_document(service, case_id: str, document_id: str, principal):
    """The document, if the caller may see its case; else NotFound."""
    await load_visible(service, case_id, principal)
    async with service.session_factory() as session:
        doc = await queries.document(session, case_id, document_id)
    if doc is None:
        raise NotFound(f"no document {document_id} in case {case_id}")
    return doc


@router.get(
    "/v1/cases/{case_id}/documents/{document_id}",
    response_class=Response,
    summary="a document of the case, as kept (sealed when the party receives it): the PDF, or its sealed OFD "
    "with ?format=ofd; its SHA-256 is in the trail",
    responses={200: {"content": {"application/pdf": {}, "application/ofd": {}}}},
)
async def document(
    case_id: str,
    document_id: str,
    principal: CaseReader,
    service: ServiceDep,
    format: Literal["pdf", "ofd"] = Query("pdf", description="pdf, or ofd where the document has one"),
):
    doc = await _visible_document(service, case_id, document_id, principal)
    data, media, digest = doc.data, doc.content_type, doc.sha256
    if format == "ofd":
        if doc.ofd is None or doc.ofd_sha256 is None:
            raise NotFound(f"document {document_id} has no OFD version (its sealer seals PDF)")
        data, media, digest = doc.ofd, "application/ofd", doc.ofd_sha256
    name, plain = quote(f"{doc.name or doc.kind}-{doc.number or doc.id}.{format}"), f"{doc.kind}-{document_id}.{format}"
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{name}",
            "X-Content-SHA256": digest,
        },
    )


@router.get(
    "/v1/cases/{case_id}/documents/{document_id}/verify",
    response_model=VerifyOut,
    summary="whether the document's seal is intact, by whom and when",
)
async def verify(case_id: str, document_id: str, principal: CaseReader, service: ServiceDep):
    doc = await _visible_document(service, case_id, document_id, principal)
    if not doc.signed:
        return VerifyOut(intact=False, signer=None, signed_at=None, development=False, reason="not a sealed document")
    return VerifyOut(**(await service.paperwork.sealer.verify(sealed_original(doc))).__dict__)


@router.get(
    "/v1/cases/{case_id}/dossier.pdf",
    response_class=Response,
    summary="卷宗: the case's documents in one PDF, in order, after a table of contents",
    responses={200: {"content": {"application/pdf": {}}}},
)
async def whole_file(case_id: str, principal: DossierReader, service: ServiceDep):
    case = await load_visible(service, case_id, principal)
    async with service.session_factory() as session:
        kept = await case_documents(session, case_id)
    if not kept:
        raise NotFound(f"case {case.case_number} has no documents yet")
    pdf = dossier(service.settings.bureau_name, case.case_number, kept, service.clock.now())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="dossier-{case.case_number}.pdf"'},
    )


MAX_CHECKED = 20 * 1024 * 1024


class FileVerifyOut(VerifyOut):
    number: str | None = Field(description="the 文号 of the document on record with this very file's hash, if any")
    on_record: bool = Field(description="this file, byte for byte, is a document the bureau issued")


@router.post(
    "/documents/verify",
    response_model=FileVerifyOut,
    summary="文书核验 (public): send the document you were served (its PDF, or its OFD where it came as one; 20 MB "
    "at most); is its seal intact, and is it the bureau's document byte for byte",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def verify_file(request: Request, service: ServiceDep):
    await public_read(service, request)
    data = await request.body()
    if not data:
        raise Unprocessable("send the document (its PDF or its OFD) as the request body")
    if len(data) > MAX_CHECKED:
        raise TooLarge(f"a document is checked up to {MAX_CHECKED // (1024 * 1024)} MB")
    v = await service.paperwork.sealer.verify(data)
    async with service.session_factory() as session:
        number = await queries.document_number_by_hash(session, hashlib.sha256(data).hexdigest())
    return FileVerifyOut(**v.__dict__, number=number, on_record=number is not None)


@router.get(
    "/documents/verify",
    response_class=HTMLResponse,
    summary="文书核验 (public): whether a served document with this number and 核验码 is the bureau's, and intact",
)
async def public_verify(
    request: Request,
    service: ServiceDep,
    number: str = Query(min_length=3, max_length=64, pattern=r"^[^\x00-\x1f]+$", description="文号, as printed"),
    code: str = Query(min_length=8, max_length=8, pattern=r"^[A-Z0-9]{8}$", description="核验码, as printed"),
):
    await public_read(service, request)
    async with service.session_factory() as session:
        doc = await queries.document_by_number(session, number, code)
    if doc is None:
        verdict = "未找到该文书: 请核对文号与核验码。"
        rows: list[tuple[str, str]] = []
    else:
        v = await service.paperwork.sealer.verify(sealed_original(doc))
        verdict = "签章完好, 文书未被改动。" if v.intact else f"签章无效: {v.reason}"
        rows = [
            ("文书", doc.name or doc.kind),
            ("文号", doc.number or "—"),
            ("签章人", v.signer or "—"),
            ("签章时间", v.signed_at.isoformat() if v.signed_at else "—"),
            ("SHA-256", doc.sha256),
        ]
        if v.development:
            rows.append(("说明", "开发用电子签名, 不具有法律效力: 正式签章由统一电子印章系统出具。"))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(val)}</td></tr>" for k, val in rows)
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><title>文书核验</title>'
        "<style>body{font-family:sans-serif;margin:1.5rem;max-width:40rem}th{text-align:left;padding-right:1rem}"
        "td{word-break:break-all}</style></head>"
        f"<body><h1>{html.escape(service.settings.bureau_name)} 文书核验</h1><p id=verdict>{html.escape(verdict)}</p>"
        f"<table>{body}</table></body></html>"
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
