"""行政处罚决定书: the penalty decision as a PDF, rendered with ReportLab.

The Chinese text uses ReportLab's built-in STSong-Light CID font (no font file to ship; every
PDF reader in China has it). `invariant=1` makes the same decision render to the same bytes, so
the SHA-256 in the case trail can be checked against a download at any time."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from common.printing import FONT, chinese_date, yuan


@dataclass(frozen=True)
class PenaltyDecision:
    bureau: str
    decision_number: str
    case_number: str
    party: str
    legal_basis: str
    amount_fen: int
    served_at: datetime
    payment_due: datetime
    reconsideration_until: datetime
    lawsuit_until: datetime
    title: str = "行政处罚决定书"  # 当场行政处罚决定书 in the summary procedure


def render_penalty_decision(d: PenaltyDecision) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle(f"{d.title} {d.decision_number}")
    pdf.setAuthor(d.bureau)
    width, height = A4
    pdf.setFont(FONT, 20)
    pdf.drawCentredString(width / 2, height - 30 * mm, d.bureau)
    pdf.drawCentredString(width / 2, height - 42 * mm, d.title)
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(width / 2, height - 50 * mm, d.decision_number)
    lines = [
        f"案卷号: {d.case_number}",
        f"当事人: {d.party}",
        f"处罚依据: {d.legal_basis}",
        f"罚款金额: {yuan(d.amount_fen)}",
        f"送达日期: {chinese_date(d.served_at)}",
        "",
        f"请于 {chinese_date(d.payment_due)} 前缴纳罚款 (送达之日起十五日内)。",
        f"如不服本决定，可于 {chinese_date(d.reconsideration_until)} 前申请行政复议，",
        f"或于 {chinese_date(d.lawsuit_until)} 前向人民法院提起行政诉讼。",
        "逾期不申请行政复议、不提起行政诉讼又不履行的，本机关将依法申请人民法院强制执行。",
    ]
    y = height - 66 * mm
    pdf.setFont(FONT, 12)
    for line in lines:
        pdf.drawString(25 * mm, y, line)
        y -= 9 * mm
    pdf.drawRightString(width - 25 * mm, y - 20 * mm, d.bureau)
    pdf.drawRightString(width - 25 * mm, y - 29 * mm, chinese_date(d.served_at))
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
