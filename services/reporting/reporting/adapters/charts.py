"""The circular's and the dashboard's charts, drawn once with ReportLab's graphics (a library the
platform already keeps for its PDFs) and rendered two ways: into the circular's PDF, and as SVG
for the HTML pages. Server-side SVG, not a JavaScript library: the same drawing in print and on
screen, nothing loaded from a CDN, nothing to build, and a page that works with scripts off.
Chinese labels use ReportLab's built-in STSong-Light font (its SVG says which font, and the
browser picks a CJK one)."""

from __future__ import annotations

from datetime import date

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Polygon, Rect, String
from reportlab.lib import colors

from common.printing import FONT, SCREEN_FONTS

BLUE, GREEN, GREY = colors.HexColor("#1f5fbf"), colors.HexColor("#2e7d32"), colors.HexColor("#52606d")


def _whole_numbers(axis, top: int) -> None:
    """Counts have whole-number ticks: a quiet month's axis reads 0 to 5, not 0 to 0.01."""
    if top < 5:
        axis.valueMax, axis.valueStep = 5, 1


def trend(
    days: list[date],
    received: list[int],
    closed: list[int],
    first: str = "受理",
    width: float = 480,
    height: float = 190,
) -> Drawing:
    """受理 (or, for a squad, 立案: `first`) and 结案 per day of the month."""
    d = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 35, width - 60, height - 60
    plot.data = [
        [(day.day, n) for day, n in zip(days, received, strict=True)] or [(1, 0)],
        [(day.day, n) for day, n in zip(days, closed, strict=True)] or [(1, 0)],
    ]
    plot.lines[0].strokeColor, plot.lines[1].strokeColor = BLUE, GREEN
    plot.lines[0].strokeWidth = plot.lines[1].strokeWidth = 1.6
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 1, max(2, len(days))
    plot.xValueAxis.valueSteps = list(range(1, len(days) + 1, 5)) or [1]
    plot.yValueAxis.valueMin = 0
    _whole_numbers(plot.yValueAxis, max([*received, *closed, 0]))
    plot.xValueAxis.labels.fontName = plot.yValueAxis.labels.fontName = FONT
    plot.xValueAxis.labels.fontSize = plot.yValueAxis.labels.fontSize = 7
    d.add(plot)
    legend = Legend()
    legend.x, legend.y, legend.fontName, legend.fontSize = width - 150, height - 8, FONT, 8
    legend.alignment, legend.columnMaximum = "right", 1
    legend.colorNamePairs = [(BLUE, first), (GREEN, "结案")]
    d.add(legend)
    d.add(String(40, height - 14, f"每日{first}与结案", fontName=FONT, fontSize=9, fillColor=GREY))
    return d


def bars(labels: list[str], values: list[int], title: str, width: float = 480, height: float | None = None) -> Drawing:
    """A horizontal bar per label (the top categories, say)."""
    height = height or 40 + 18 * max(1, len(labels))
    d = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 15, width - 150, height - 40
    chart.data = [list(reversed(values)) or [0]]
    chart.categoryAxis.categoryNames = list(reversed(labels)) or [""]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize, chart.valueAxis.labels.fontSize = 8, 7
    chart.valueAxis.valueMin = 0
    _whole_numbers(chart.valueAxis, max([*values, 0]))
    chart.bars[0].fillColor = BLUE
    chart.barLabelFormat, chart.barLabels.fontName, chart.barLabels.fontSize = "%d", FONT, 7
    chart.barLabels.nudge = 8
    d.add(chart)
    d.add(String(10, height - 14, title, fontName=FONT, fontSize=9, fillColor=GREY))
    return d


def shade(rate: float | None) -> colors.Color:
    """From red (lower) to green (higher) for a rate; grey without one."""
    if rate is None:
        return colors.HexColor("#e4e7eb")
    r = max(0.0, min(1.0, (rate - 0.8) / 0.2))  # the scale that matters: 80 % to 100 %
    return colors.Color(0.85 - 0.6 * r, 0.35 + 0.45 * r, 0.3, alpha=1)


def grid_map(grids: list[dict], title: str, width: float = 480, height: float = 260) -> Drawing:
    """The district's grids, each shaded by a rate and labelled with it. `grids`: name, geometry
    (GeoJSON Polygon), rate."""
    d = Drawing(width, height)
    rings = [g["geometry"]["coordinates"][0] for g in grids]
    if not rings:
        return d
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    pad = 18
    s = min((width - 2 * pad) / (max(xs) - min(xs) or 1), (height - 2 * pad - 14) / (max(ys) - min(ys) or 1))
    for g, ring in zip(grids, rings, strict=True):
        points = []
        for x, y in ring:
            points += [pad + (x - min(xs)) * s, pad + (y - min(ys)) * s]
        d.add(Polygon(points, fillColor=shade(g.get("rate")), strokeColor=colors.white, strokeWidth=1.5))
        cx = sum(points[0::2]) / (len(points) // 2)
        cy = sum(points[1::2]) / (len(points) // 2)
        label = g["name"].replace("网格", "")
        d.add(String(cx, cy + 2, label, fontName=FONT, fontSize=8, textAnchor="middle"))
        value = "—" if g.get("rate") is None else f"{g['rate'] * 100:.1f}%"
        d.add(String(cx, cy - 9, value, fontName=FONT, fontSize=8, textAnchor="middle"))
    d.add(String(pad, height - 12, title, fontName=FONT, fontSize=9, fillColor=GREY))
    return d


RED = colors.HexColor("#c62828")


def red_flag(size: float = 16) -> Drawing:
    """流动红旗: a red pennant on its pole, drawn (an emoji needs a font many machines lack)."""
    d = Drawing(size, size)
    d.add(Rect(size * 0.18, size * 0.04, size * 0.07, size * 0.92, fillColor=GREY, strokeColor=None))
    d.add(
        Polygon(
            [size * 0.25, size * 0.96, size * 0.92, size * 0.76, size * 0.25, size * 0.52],
            fillColor=RED,
            strokeColor=None,
        )
    )
    return d


def svg(drawing: Drawing) -> str:
    """The drawing as an SVG element for a page (its XML declaration dropped)."""
    text = renderSVG.drawToString(drawing)
    start = text.find("<svg")
    return text[start:].replace(f'font-family="{FONT}"', f'font-family="{SCREEN_FONTS}"')
