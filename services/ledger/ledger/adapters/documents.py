"""The ledger's printed papers, rendered with ReportLab: the merchant's card (告知卡, A6, in its
colour, with a QR code that opens the public page) and the 门前三包 responsibility letter (A4,
filled in for signing). Chinese text in ReportLab's built-in STSong-Light CID font; the QR code
by ReportLab's own QR widget (no other dependency)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from common.printing import FONT, chinese_date, wrap
from ledger.domain.colour import MEANING, Colour
from ledger.domain.letters import DUTIES

COLOURS = {Colour.blue: "#1565c0", Colour.yellow: "#f9a825", Colour.orange: "#ef6c00", Colour.red: "#c62828"}
RIGHTS = (
    "依法从事经营活动, 合法权益受法律保护",
    "对执法行为享有陈述、申辩的权利, 依法申请听证、行政复议或提起行政诉讼",
    "对执法人员的违法违纪行为进行举报、投诉",
)
OBLIGATIONS = (
    "证照齐全, 亮照经营; 门头牌匾依规设置",
    "履行门前三包责任, 不占道经营、不突店经营、不乱堆乱放",
    "餐饮单位安装并正常使用油烟净化设施, 定期清洗",
    "配合城市管理执法人员依法检查",
)


def _paragraph(
    pdf: canvas.Canvas, text: str, x: float, y: float, width: float, size: float, leading: float | None = None
) -> float:
    pdf.setFont(FONT, size)
    for line in wrap(text, width, size):
        pdf.drawString(x, y, line)
        y -= leading or size * 1.35
    return y


@dataclass(frozen=True)
class CardFacts:
    bureau: str
    name: str
    sign: str | None
    address: str
    grid_name: str | None
    colour: Colour
    card_code: str
    issued_at: datetime
    public_url: str


def _qr(pdf: canvas.Canvas, value: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(value, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x, y)


def render_card(c: CardFacts) -> bytes:
    """告知卡, A6 portrait: the colour band, the shop, rights and duties, the QR code."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A6, invariant=1)
    pdf.setTitle(f"商户告知卡 {c.card_code}")
    pdf.setAuthor(c.bureau)
    width, height = A6
    margin = 7 * mm
    band = HexColor(COLOURS[c.colour])
    pdf.setFillColor(band)
    pdf.rect(0, height - 26 * mm, width, 26 * mm, stroke=0, fill=1)
    pdf.setFillColor(white)
    pdf.setFont(FONT, 9)
    pdf.drawCentredString(width / 2, height - 7 * mm, c.bureau)
    pdf.setFont(FONT, 15)
    pdf.drawCentredString(width / 2, height - 15 * mm, f"商户告知卡 · {c.colour.label}")
    pdf.setFont(FONT, 9)
    pdf.drawCentredString(width / 2, height - 22 * mm, f"一卡四色: {MEANING[c.colour]}")
    pdf.setFillColor(HexColor("#1f2933"))
    y = height - 33 * mm
    pdf.setFont(FONT, 12)
    pdf.drawString(margin, y, c.name[:24])
    y -= 5.5 * mm
    details = [
        f"门头: {c.sign}" if c.sign else None,
        f"地址: {c.address}",
        f"网格: {c.grid_name}" if c.grid_name else None,
    ]
    for line in filter(None, details):
        y = _paragraph(pdf, line, margin, y, width - 2 * margin, 8)
    y -= 2 * mm
    pdf.setFont(FONT, 9)
    pdf.drawString(margin, y, "经营者的权利")
    y -= 4 * mm
    for i, text in enumerate(RIGHTS, 1):
        y = _paragraph(pdf, f"{i}. {text}", margin, y, width - 2 * margin, 7)
    y -= 1.5 * mm
    pdf.setFont(FONT, 9)
    pdf.drawString(margin, y, "经营者的义务")
    y -= 4 * mm
    for i, text in enumerate(OBLIGATIONS, 1):
        y = _paragraph(pdf, f"{i}. {text}", margin, y, width - 2 * margin, 7)
    y -= 1.5 * mm
    pdf.setFont(FONT, 9)
    pdf.drawString(margin, y, "门前三包")
    y -= 4 * mm
    for name, text in DUTIES:
        y = _paragraph(pdf, f"{name}: {text}", margin, y, width - 2 * margin - 30 * mm, 6.5)
    qr = 28 * mm
    _qr(pdf, c.public_url, width - margin - qr, margin + 6 * mm, qr)
    pdf.setFont(FONT, 6.5)
    pdf.drawCentredString(width - margin - qr / 2, margin + 3.5 * mm, "扫码查看公示信息")
    pdf.drawString(margin, margin + 3.5 * mm, f"卡号 {c.card_code}")
    pdf.drawString(margin, margin, f"发卡日期 {chinese_date(c.issued_at)}")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


@dataclass(frozen=True)
class LetterFacts:
    bureau: str
    office: str
    name: str
    operator: str
    address: str
    area: str
    signed_on: date | None
    valid_until: date | None


def render_letter(f: LetterFacts) -> bytes:
    """门前三包责任书, A4, filled in: the parties, the area, the duties, the term, places to sign."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle(f"门前三包责任书 {f.name}")
    pdf.setAuthor(f.bureau)
    width, height = A4
    margin = 25 * mm
    pdf.setFont(FONT, 20)
    pdf.drawCentredString(width / 2, height - 30 * mm, "门前三包责任书")
    y = height - 48 * mm
    lines = [f"甲方 (管理方): {f.office}", f"乙方 (责任单位): {f.name}", f"负责人: {f.operator}", f"地址: {f.address}"]
    for line in lines:
        y = _paragraph(pdf, line, margin, y, width - 2 * margin, 12, 8 * mm)
    y -= 3 * mm
    y = _paragraph(pdf, "一、责任区范围", margin, y, width - 2 * margin, 13, 8 * mm)
    y = _paragraph(pdf, f.area, margin + 6 * mm, y, width - 2 * margin - 6 * mm, 11, 6.5 * mm)
    y -= 3 * mm
    y = _paragraph(pdf, "二、责任内容", margin, y, width - 2 * margin, 13, 8 * mm)
    for i, (name, text) in enumerate(DUTIES, 1):
        y = _paragraph(pdf, f"{i}. {name}: {text}", margin + 6 * mm, y, width - 2 * margin - 6 * mm, 11, 6.5 * mm)
    y -= 3 * mm
    y = _paragraph(pdf, "三、责任期限", margin, y, width - 2 * margin, 13, 8 * mm)
    term = (
        f"自 {chinese_date(f.signed_on)} 起至 {chinese_date(f.valid_until)} 止。"
        if f.signed_on and f.valid_until
        else "自签订之日起一年。"
    )
    y = _paragraph(pdf, term, margin + 6 * mm, y, width - 2 * margin - 6 * mm, 11, 6.5 * mm)
    y = _paragraph(
        pdf,
        "乙方未履行责任的, 由甲方督促整改; 拒不整改的, 由城市管理执法部门依法处理。",
        margin + 6 * mm,
        y,
        width - 2 * margin - 6 * mm,
        11,
        6.5 * mm,
    )
    y -= 18 * mm
    pdf.setFont(FONT, 12)
    pdf.drawString(margin, y, "甲方 (盖章):")
    pdf.drawString(width / 2 + 5 * mm, y, "乙方 (签字):")
    y -= 12 * mm
    signed = chinese_date(f.signed_on) if f.signed_on else "      年    月    日"
    pdf.drawString(margin, y, signed)
    pdf.drawString(width / 2 + 5 * mm, y, signed)
    pdf.setFont(FONT, 9)
    pdf.drawCentredString(width / 2, 15 * mm, f.bureau)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
