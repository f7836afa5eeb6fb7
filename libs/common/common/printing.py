"""What every printed paper of the platform shares (the penalty decision, the merchant's card and
letter, the monthly circular and its charts): the Chinese font, the way a date and an amount are
written, and wrapping Chinese text to a width.

The font is ReportLab's built-in STSong-Light CID font: no font file to ship, and every PDF reader
in China has it. Dates are written as 公文 write them (GB/T 9704: 2026年12月2日, no leading zeros),
in the bureau's time zone; amounts in yuan with two decimals (¥1,234.50) from whole fen, the unit
every amount is kept in."""

from __future__ import annotations

import io
from datetime import date, datetime

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

from common.clock import BEIJING

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

SCREEN_FONTS = "Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif"
"""What a browser uses for the same text on screen (an SVG chart drawn with FONT)."""


def chinese_date(d: date | datetime) -> str:
    """2026年12月2日; an instant is first taken to the bureau's day."""
    if isinstance(d, datetime):
        d = d.astimezone(BEIJING).date()
    return f"{d.year}年{d.month}月{d.day}日"


def yuan(fen: int) -> str:
    """¥1,234.50 from 123450 fen."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}¥{fen // 100:,}.{fen % 100:02d}"


def wrap(text: str, width: float, size: float, font: str = FONT) -> list[str]:
    """Chinese text broken into lines no wider than `width` points (any character may end a line)."""
    lines, line = [], ""
    for ch in text:
        if pdfmetrics.stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    return lines + ([line] if line else [])


def a4_pdf(
    story: list,
    *,
    title: str,
    author: str,
    margins_mm: tuple[float, float, float, float] = (20, 20, 20, 20),
    invariant: bool = False,
) -> bytes:
    """A4 pages of `story` (ReportLab flowables) as a PDF: margins left, right, top, bottom in mm;
    `invariant`, the same story gives the same bytes (a document whose hash is kept)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    buf = io.BytesIO()
    left, right, top, bottom = (m * mm for m in margins_mm)
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        title=title,
        author=author,
        invariant=int(invariant),
    )
    doc.build(story)
    return buf.getvalue()
