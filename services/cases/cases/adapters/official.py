"""The one renderer of a penalty case's documents (执法文书), with ReportLab: A4, in Chinese, laid
out as the model texts are (the bureau's name and the document's title centred, its number 文号
under them, the facts as labelled lines, the text, the rights of the party, the bureau and the
date at the foot), with the line that says how to check it (its number and 核验码).

`invariant=1` makes the same paper render to the same bytes, so a document's SHA-256 in the trail
can be checked against a download at any time. What each document says is
cases.domain.documents'; this module only sets it in type."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from common.printing import FONT, a4_pdf, chinese_date


@dataclass(frozen=True)
class Paper:
    """A document as printed: what cases.domain.documents writes for each kind."""

    bureau: str
    title: str
    number: str | None
    fields: list[tuple[str, str]]
    paragraphs: list[str] = field(default_factory=list)
    dated: datetime | None = None
    verify_code: str | None = None
    seal_note: str | None = None
    """Said under the bureau's name where the seal goes (a development signature says so)."""


@dataclass(frozen=True)
class SealSpot:
    """Where the seal goes: over the bureau's name at the document's end (page from 1; the box's
    left and top edges in mm from the page's top left, as OFD counts; its side in mm)."""

    page: int
    x_mm: float
    y_mm: float
    size_mm: float = 42.0


MARGINS_MM = (20, 20, 25, 20)
"""left, right, top, bottom"""
TEXT_WIDTH_MM = 210 - MARGINS_MM[0] - MARGINS_MM[1]


class _SealAnchor(Flowable):
    """Takes no room; remembers where the bureau's name was drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.spot: SealSpot | None = None

    def wrap(self, *_):
        return 0, 0

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)  # the left margin, at the top of the name's line
        size = 42.0
        # centred over the right half of the name and the date below it, as a bureau stamps it
        left = x / mm + TEXT_WIDTH_MM - 25 - size / 2
        top = (A4[1] - y) / mm + 7 - size / 2
        self.spot = SealSpot(self.canv.getPageNumber(), round(left, 1), round(max(top, 5), 1), size)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    seal_spot: SealSpot


def _styles() -> dict[str, ParagraphStyle]:
    base = {"fontName": FONT, "wordWrap": "CJK"}
    return {
        "bureau": ParagraphStyle("bureau", **base, fontSize=16, leading=24, alignment=1),
        "title": ParagraphStyle("title", **base, fontSize=20, leading=30, alignment=1),
        "number": ParagraphStyle("number", **base, fontSize=11, leading=16, alignment=1),
        "field": ParagraphStyle("field", **base, fontSize=11.5, leading=18),
        "body": ParagraphStyle("body", **base, fontSize=11.5, leading=19, firstLineIndent=23, spaceBefore=3),
        "sign": ParagraphStyle("sign", **base, fontSize=11.5, leading=19, alignment=2),
        "note": ParagraphStyle("note", **base, fontSize=8.5, leading=12, textColor=colors.HexColor("#52606d")),
    }


def _story(p: Paper, s: dict[str, ParagraphStyle], anchor: _SealAnchor) -> list:
    story: list = [Paragraph(html.escape(p.bureau), s["bureau"]), Paragraph(html.escape(p.title), s["title"])]
    if p.number:
        story.append(Paragraph(html.escape(p.number), s["number"]))
    story.append(Spacer(1, 8))
    if p.fields:
        rows = [
            [Paragraph(html.escape(label), s["field"]), Paragraph(html.escape(value), s["field"])]
            for label, value in p.fields
        ]
        story.append(
            Table(
                rows,
                colWidths=[32 * mm, 138 * mm],
                style=TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f5f5f5")),
                    ]
                ),
            )
        )
        story.append(Spacer(1, 6))
    story += [Paragraph(html.escape(t), s["body"]) for t in p.paragraphs]
    sign: list = [anchor, Paragraph(html.escape(p.bureau), s["sign"])]
    if p.seal_note:
        sign.append(Paragraph(html.escape(p.seal_note), s["sign"]))
    if p.dated:
        sign.append(Paragraph(chinese_date(p.dated), s["sign"]))
    story += [Spacer(1, 18), KeepTogether(sign)]
    if p.verify_code:
        story += [
            Spacer(1, 14),
            Paragraph(
                html.escape(f"核验: 文号 {p.number or '—'}, 核验码 {p.verify_code} (本局文书核验页可查验真伪)"),
                s["note"],
            ),
        ]
    return story


def render(p: Paper) -> Rendered:
    """The document as a PDF, and where its seal goes."""
    title = f"{p.title} {p.number or ''}".strip()
    anchor = _SealAnchor()
    pdf = a4_pdf(_story(p, _styles(), anchor), title=title, author=p.bureau, margins_mm=MARGINS_MM, invariant=True)
    assert anchor.spot is not None  # drawn with the story
    return Rendered(pdf, anchor.spot)


def contents_page(bureau: str, case_number: str, entries: list[tuple[str, str, int]], made: datetime) -> bytes:
    """The dossier's cover and table of contents (卷内目录): each document's name, number and
    first page."""
    s = _styles()
    rows = [["序号", "文书名称", "文号", "页号"]] + [
        [str(i), Paragraph(html.escape(name), s["field"]), Paragraph(html.escape(number), s["field"]), str(page)]
        for i, (name, number, page) in enumerate(entries, 1)
    ]
    story = [
        Paragraph(html.escape(bureau), s["bureau"]),
        Paragraph("行政处罚案卷", s["title"]),
        Paragraph(html.escape(f"案卷号 {case_number}"), s["number"]),
        Spacer(1, 10),
        Paragraph("卷内目录", s["bureau"]),
        Table(
            rows,
            colWidths=[14 * mm, 70 * mm, 66 * mm, 18 * mm],
            style=TableStyle([("FONT", (0, 0), (-1, -1), FONT, 10.5), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]),
        ),
        Spacer(1, 10),
        Paragraph(html.escape(f"{chinese_date(made)}组卷; 各文书原件及其签章以单独下载之文件为准。"), s["note"]),
    ]
    return a4_pdf(story, title=f"行政处罚案卷 {case_number}", author=bureau, invariant=True)
