"""月度通报: the month's circular, one set of facts rendered twice: as an HTML page and as a PDF ready
to print and send (ReportLab's platypus, the charts of `charts`). Headline figures with 环比 and
同比, the daily trend, the top categories, the squads' ranking, the grids shaded by 处置率, the
registers' figures, and every formula as a footnote."""

from __future__ import annotations

import html

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from common.printing import FONT, a4_pdf, chinese_date, yuan
from reporting.adapters import charts
from reporting.domain.indicators import BY_KEY
from reporting.queries.circular import Circular

RANKING_COLUMNS = ("disposal_rate", "on_time_disposal_rate", "rework_rate", "overdue_rate", "extension_rate")


def fmt(key: str, value) -> str:
    if value is None:
        return "—"
    if BY_KEY[key].rate:
        return f"{value * 100:.2f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}"


def fmt_change(key: str, value) -> str:
    if value is None:
        return "—"
    if BY_KEY[key].rate:
        return f"{value * 100:+.2f} 个百分点"
    return f"{value * 100:+.1f}%"


def score_of(s) -> str:
    """A squad with nothing due in the month has no score worth printing."""
    return f"{s.score:.2f}" if s.cases else "—"


# -- HTML -------------------------------------------------------------------------------------------

STYLE = """
body { margin: 0; font: 15px/1.6 "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; background: #eef1f4;
       color: #1c2430; }
article { max-width: 900px; margin: 20px auto; background: #fff; padding: 32px 40px;
          box-shadow: 0 1px 6px rgba(0,0,0,.08); }
h1 { text-align: center; font-size: 24px; margin: 0 0 4px; color: #b71c1c; }
.sub { text-align: center; color: #52606d; margin-bottom: 18px; }
h2 { font-size: 17px; border-left: 4px solid #1f5fbf; padding-left: 8px; margin: 24px 0 8px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border: 1px solid #d9dee3; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f6f9; }
tr.top td { background: #e8f5e9; } tr.bottom td { background: #fdecea; } tr.unranked td { color: #7b8794; }
.flag { color: #c62828; font-weight: 700; }
.notes { font-size: 12px; color: #52606d; } .notes li { margin-bottom: 2px; }
figure { margin: 8px 0; } figure svg { max-width: 100%; height: auto; }
@media print { body { background: #fff; } article { box-shadow: none; margin: 0; } }
"""


def render_html(c: Circular) -> str:
    e = html.escape
    head = "".join(
        f"<tr><td>{e(h['name'])}</td><td>{fmt(h['key'], h['value'])}</td>"
        f"<td>{fmt_change(h['key'], h['mom'])}</td><td>{fmt_change(h['key'], h['yoy'])}</td></tr>"
        for h in c.headline
    )
    ranked = [s for s in c.ranking if s.rank is not None]
    rows = []
    for s in c.ranking:
        cls = "unranked" if s.rank is None else ("top" if s.rank == 1 else "bottom" if s.rank == len(ranked) else "")
        move = (
            "—"
            if s.movement is None
            else (f"↑{s.movement}" if s.movement > 0 else f"↓{-s.movement}" if s.movement < 0 else "持平")
        )
        cells = "".join(f"<td>{fmt(k, s.values.get(k))}</td>" for k in RANKING_COLUMNS)
        flag = " <span class='flag'>流动红旗</span>" if s.red_flag else ""
        rows.append(
            f"<tr class='{cls}'><td>{s.rank or '不参与排名'}</td><td>{e(s.squad_name)}{flag}</td>"
            f"<td>{score_of(s)}</td>{cells}<td>{s.cases}</td><td>{move}</td></tr>"
        )
    ranking_head = "".join(f"<th>{e(BY_KEY[k].name)}</th>" for k in RANKING_COLUMNS)
    ledger = ""
    if c.ledger:
        f = c.ledger
        colour = "、".join(
            f"{n} {f['by_colour'].get(k, 0)}"
            for k, n in (("blue", "蓝卡"), ("yellow", "黄卡"), ("orange", "橙卡"), ("red", "红卡"))
        )
        coverage = f["letters_valid"] / f["merchants"] if f["merchants"] else None
        purifiers = f["purifiers_installed"] / f["catering_places"] if f["catering_places"] else None
        ledger = (
            f"<p>商户 {f['merchants']:,} 户 ({colour}); 门前三包责任书覆盖率 "
            f"{'—' if coverage is None else f'{coverage * 100:.1f}%'}; 餐饮单位 {f['catering_places']} 家, 油烟净化器"
            f"安装 {f['purifiers_installed']} 家 ({'—' if purifiers is None else f'{purifiers * 100:.1f}%'}), "
            f"逾期未清洗 {f['cleaning_overdue']} 家。</p>"
        )
    d = c.dogs
    dogs = (
        f"<p>养犬登记 {d['registrations']} 只, 年检 {d['inspections']} 只, 收容流浪犬 {d['strays_captured']} 只, "
        f"领养 {d['adoptions']} 只, 认领 {d['claims']} 只, 查处违规遛犬 {d['walking_violations']} 起。</p>"
    )
    notes = "".join(f"<li><b>{e(n)}</b>: {e(f)}</li>" for n, f in c.footnotes)
    trend = charts.svg(charts.trend(c.days, c.received_by_day, c.closed_by_day))
    cats = charts.svg(charts.bars([n for n, _ in c.categories], [v for _, v in c.categories], "受理量前十的问题类型"))
    grid = charts.svg(charts.grid_map(c.grids, "各网格处置率"))
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{e(c.label)}城市管理月度通报</title>
<style>{STYLE}</style></head><body><article>
<h1>{e(c.bureau)}</h1><h1>城市管理工作月度通报</h1>
<div class="sub">{e(c.label)} · {chinese_date(c.generated_at)}印发</div>
<h2>一、主要指标</h2><table id="headline"><tr><th>指标</th><th>本月</th><th>环比</th><th>同比</th></tr>{head}</table>
<h2>二、每日受理与结案</h2><figure id="trend">{trend}</figure>
<h2>三、问题类型</h2><figure id="categories">{cats}</figure>
<h2>四、中队排位 (中队排位赛)</h2><table id="ranking">
<tr><th>名次</th><th>中队</th><th>得分</th>{ranking_head}<th>应处置</th>
<th>较上月</th></tr>{"".join(rows)}</table>
<h2>五、网格处置率</h2><figure id="map">{grid}</figure>
<h2>六、台账工作</h2>{ledger}{dogs}
<h2>七、受理渠道与热线考核</h2><p id="channels">{e(channel_text(c))}</p>
<h2>八、专项整治</h2><div id="campaigns">{"".join(f"<p>{e(t)}</p>" for t in campaign_texts(c))}</div>
<h2>九、行政处罚</h2><p id="decisions">{e(decision_text(c))}</p>
<h2>注: 指标口径</h2><ol class="notes">{notes}</ol>
</article></body></html>"""


def channel_text(c: Circular) -> str:
    """Section 7, as HTML and the PDF both print it: 受理 by channel, and the 12345 and 110 orders
    as the hotline centres assess them."""
    channels = "、".join(f"{n} {v}" for n, v in c.channels) or "无"
    text = f"受理渠道: {channels}。"
    h = c.hotline
    if not h.get("received"):
        return text + "本月无12345、110转办工单。"

    def pct(n: str, of: str) -> str:
        return f"{h[n] / h[of] * 100:.1f}%" if h.get(of) else "—"

    return text + (
        f"12345、110 工单 {h['received']} 件: 及时签收率 {pct('signed_on_time', 'received')}, 按时办结率 "
        f"{pct('finished_on_time', 'replied')}, 回退率 {pct('returned', 'received')}, 重办率 "
        f"{pct('redone', 'replied')}, 满意率 {pct('satisfied', 'rated')}"
        f" (执法办案工单 {h['enforcement']} 件另计, 满意率 {pct('enforcement_satisfied', 'enforcement_rated')})。"
    )


def campaign_texts(c: Circular) -> list[str]:
    """Section 8, one paragraph per campaign that ran in the month: its effort, what it achieved and
    its targets so far."""
    if not c.campaigns:
        return ["本月无专项整治。"]

    def n(v: float) -> str:
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"

    out = []
    for k in c.campaigns:
        done = "、".join(f"{label} {n(v)}" for label, v in k["counts"].items()) or "无"
        targets = "; ".join(
            f"{label} {n(got)}/{n(want)}{'(已完成)' if got >= want else ''}" for label, got, want in k["targets"]
        )
        out.append(
            f"{k['name']}({k['kind_name']}, {k['starts_on']} 至 {k['ends_on']}): 本月行动 {k['operations']} 次, "
            f"出动 {k['officer_trips']} 人次、{k['vehicle_trips']} 车次, {done}; 累计案件 {k['cases']} 件。"
            + (f"目标进度: {targets}。" if targets else "")
        )
    return out


BANDS = {"minor": "轻微", "ordinary": "一般", "serious": "较重", "grave": "严重"}


def decision_text(c: Circular) -> str:
    """Section 9: the month's penalty decisions by power (权责清单) and band (裁量基准), as seed 004
    counts its case files by field."""
    if not c.decisions:
        return "本月无行政处罚决定。"
    powers: dict[str, dict] = {}
    for r in c.decisions:
        p = powers.setdefault(r["power_code"], {"name": r["power_name"], "n": 0, "bands": {}})
        p["n"] += r["decisions"]
        level = BANDS.get(r["band"], r["band"] or "未定档")
        p["bands"][level] = p["bands"].get(level, 0) + r["decisions"]
    total = sum(r["decisions"] for r in c.decisions)
    spot = sum(r["on_the_spot"] for r in c.decisions)
    departed = sum(r["departures"] for r in c.decisions)
    fines = sum(r["fines_decided_fen"] for r in c.decisions)
    parts = [
        f"{p['name'] or code or '未列入权责清单'} {p['n']} 件 ("
        + "、".join(f"{level} {n}" for level, n in p["bands"].items())
        + ")"
        for code, p in sorted(powers.items(), key=lambda kv: -kv[1]["n"])
    ]
    return f"作出行政处罚决定 {total} 件 (当场处罚 {spot} 件), 罚款 {yuan(fines)}; 按权责事项: {'; '.join(parts)}。" + (
        f"偏离裁量基准 {departed} 件, 均记录理由并经集体讨论。" if departed else ""
    )


# -- PDF --------------------------------------------------------------------------------------------


def render_pdf(c: Circular) -> bytes:
    font = FONT
    title = ParagraphStyle(
        "title", fontName=font, fontSize=18, leading=26, alignment=1, textColor=colors.HexColor("#b71c1c")
    )
    sub = ParagraphStyle("sub", fontName=font, fontSize=10, leading=14, alignment=1, textColor=colors.grey)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=13, leading=20, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15)
    note = ParagraphStyle("note", fontName=font, fontSize=7.5, leading=10.5, textColor=colors.HexColor("#52606d"))
    grid_style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 8.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c5ccd3")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f6f9")),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ]
    )
    story = [
        Paragraph(html.escape(c.bureau), title),
        Paragraph("城市管理工作月度通报", title),
        Paragraph(f"{c.label} · {chinese_date(c.generated_at)}印发", sub),
        Spacer(1, 6),
        Paragraph("一、主要指标", h2),
    ]
    head = [["指标", "本月", "环比", "同比"]] + [
        [h["name"], fmt(h["key"], h["value"]), fmt_change(h["key"], h["mom"]), fmt_change(h["key"], h["yoy"])]
        for h in c.headline
    ]
    story += [
        Table(head, colWidths=[55 * mm, 35 * mm, 40 * mm, 40 * mm], style=grid_style),
        KeepTogether([Paragraph("二、每日受理与结案", h2), charts.trend(c.days, c.received_by_day, c.closed_by_day)]),
        KeepTogether(
            [
                Paragraph("三、问题类型", h2),
                charts.bars([n for n, _ in c.categories], [v for _, v in c.categories], "受理量前十的问题类型"),
            ]
        ),
    ]
    ranked = [s for s in c.ranking if s.rank is not None]
    table = [["名次", "中队", "得分", *[BY_KEY[k].name for k in RANKING_COLUMNS], "应处置"]]
    style = TableStyle(grid_style.getCommands())
    for i, s in enumerate(c.ranking, start=1):
        table.append(
            [
                str(s.rank or "—"),
                s.squad_name + (" (红旗)" if s.red_flag else ""),
                score_of(s),
                *[fmt(k, s.values.get(k)) for k in RANKING_COLUMNS],
                str(s.cases),
            ]
        )
        if s.rank == 1:
            style.add("BACKGROUND", (0, i), (-1, i), colors.HexColor("#e8f5e9"))
        elif s.rank is not None and s.rank == len(ranked):
            style.add("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fdecea"))
        elif s.rank is None:
            style.add("TEXTCOLOR", (0, i), (-1, i), colors.grey)
    story += [
        KeepTogether([Paragraph("四、中队排位 (中队排位赛)", h2), Table(table, style=style, repeatRows=1)]),
        KeepTogether([Paragraph("五、网格处置率", h2), charts.grid_map(c.grids, "各网格处置率", height=230)]),
        Paragraph("六、台账工作", h2),
    ]
    if c.ledger:
        f = c.ledger
        story.append(
            Paragraph(
                f"商户 {f['merchants']:,} 户 (蓝卡 {f['by_colour'].get('blue', 0)}、"
                f"黄卡 {f['by_colour'].get('yellow', 0)}、"
                f"橙卡 {f['by_colour'].get('orange', 0)}、红卡 {f['by_colour'].get('red', 0)}); 门前三包责任书有效 "
                f"{f['letters_valid']} 户; 餐饮单位 {f['catering_places']} 家, "
                f"油烟净化器安装 {f['purifiers_installed']} 家, "
                f"逾期未清洗 {f['cleaning_overdue']} 家。",
                body,
            )
        )
    d = c.dogs
    story.append(
        Paragraph(
            f"养犬登记 {d['registrations']} 只, 年检 {d['inspections']} 只, 收容流浪犬 "
            f"{d['strays_captured']} 只, 领养 {d['adoptions']} 只, 认领 {d['claims']} 只, 查处违规遛犬 "
            f"{d['walking_violations']} 起。",
            body,
        )
    )
    story.append(KeepTogether([Paragraph("七、受理渠道与热线考核", h2), Paragraph(html.escape(channel_text(c)), body)]))
    story.append(Paragraph("八、专项整治", h2))
    story += [Paragraph(html.escape(t), body) for t in campaign_texts(c)]
    story.append(KeepTogether([Paragraph("九、行政处罚", h2), Paragraph(html.escape(decision_text(c)), body)]))
    story.append(Paragraph("注: 指标口径", h2))
    story += [Paragraph(f"{i}. {html.escape(n)}: {html.escape(f)}", note) for i, (n, f) in enumerate(c.footnotes, 1)]
    return a4_pdf(story, title=f"{c.label}城市管理月度通报", author=c.bureau, margins_mm=(18, 18, 16, 16))
