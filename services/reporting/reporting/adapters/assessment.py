"""考评通报 printed: the offices' and the squads' tables of a published assessment, as an HTML page and
as an A4 PDF (the circular's fonts and style)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from common.printing import FONT, a4_pdf, chinese_date
from reporting.adapters.circular import RANKING_COLUMNS, STYLE, fmt
from reporting.domain.indicators import BY_KEY


@dataclass(frozen=True)
class Bulletin:
    bureau: str
    scheme_name: str
    start: date
    end: date  # exclusive
    rows: list  # AssessmentRow, offices first, then squads, each by rank
    published_at: datetime

    @property
    def label(self) -> str:
        return f"{chinese_date(self.start)}至{chinese_date(self.end - timedelta(days=1))}"


NOTE = (
    "得分为各项指标按局定权重加权 (返工率、超期率、延期率以 1 − 率 计), "
    "每收到一份责改通知书扣分, 逾期回复或未回复另扣分。"
)
HEAD = ["名次", "单位", "得分", *(BY_KEY[k].name for k in RANKING_COLUMNS), "应处置", "责改通知书", "逾期回复"]


def _cells(r) -> list[str]:
    return [
        str(r.rank) if r.rank is not None else "不参与排名",
        r.unit_name,
        f"{r.score:.2f}",
        *(fmt(k, r.values.get(k)) for k in RANKING_COLUMNS),
        str(r.cases),
        str(r.notices),
        str(r.notices_late),
    ]


def _sections(b: Bulletin) -> list[tuple[str, list]]:
    return [
        ("一、街道办事处", [r for r in b.rows if r.unit_kind == "office"]),
        ("二、执法中队", [r for r in b.rows if r.unit_kind == "squad"]),
    ]


def render_html(b: Bulletin) -> str:
    e = html.escape
    parts = []
    for title, rows in _sections(b):
        head = "".join(f"<th>{e(h)}</th>" for h in HEAD)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in _cells(r)) + "</tr>" for r in rows)
        parts.append(f"<h2>{e(title)}</h2><table class='assessment'><tr>{head}</tr>{body}</table>")
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{e(b.scheme_name)}考评通报 {e(b.label)}</title><style>{STYLE}</style></head><body><article>
<h1>{e(b.bureau)}</h1><h1>{e(b.scheme_name)}考评通报</h1>
<div class="sub">{e(b.label)} · {chinese_date(b.published_at)}印发</div>
{"".join(parts)}
<p class="sub">{e(NOTE)}</p>
</article></body></html>"""


def render_pdf(b: Bulletin) -> bytes:
    title = ParagraphStyle(
        "title", fontName=FONT, fontSize=17, leading=25, alignment=1, textColor=colors.HexColor("#b71c1c")
    )
    sub = ParagraphStyle("sub", fontName=FONT, fontSize=10, leading=14, alignment=1, textColor=colors.grey)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4)
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), FONT, 7.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c5ccd3")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f6f9")),
            ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ]
    )
    story = [
        Paragraph(html.escape(b.bureau), title),
        Paragraph(f"{html.escape(b.scheme_name)}考评通报", title),
        Paragraph(f"{b.label} · {chinese_date(b.published_at)}印发", sub),
        Spacer(1, 6),
    ]
    for heading, rows in _sections(b):
        story.append(Paragraph(heading, h2))
        story.append(Table([HEAD, *(_cells(r) for r in rows)], repeatRows=1, style=style))
    return a4_pdf(story, title=f"{b.scheme_name}考评通报 {b.label}", author=b.bureau, margins_mm=(14, 14, 16, 16))
