"""A 摸底 survey of the demo district's shops, generated: rows as the import takes them (CSV or
XLSX), spread over the 中原区 grids, some with a credit code, and as many bad rows as asked, each
bad in a way a clerk's file is (an empty name, a credit code whose check character is wrong, a
phone number that is not one, a business nature not on the list, a position that is not one).
For the tests, the bench and the demo."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

from openpyxl import Workbook
from shapely.geometry import Point, shape

SEED = Path(__file__).resolve().parents[3] / "services" / "dispatch" / "dispatch" / "seed" / "zhongyuan.json"
COLUMNS = ("name", "sign", "operator", "phone", "address", "lon", "lat", "business_nature", "credit_code")
CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
TRADES = (
    ("烩面馆", "catering"),
    ("早餐店", "catering"),
    ("烧烤店", "catering"),
    ("便利店", "retail"),
    ("水果店", "retail"),
    ("五金店", "retail"),
    ("手机维修", "repair"),
    ("修鞋铺", "repair"),
    ("理发店", "services"),
    ("洗衣店", "services"),
    ("宾馆", "hotel"),
    ("网吧", "entertainment"),
    ("粮油批发", "wholesale"),
    ("菜摊", "market_stall"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁"
BAD = ("name", "credit_code", "phone", "business_nature", "lon", "position")


def _credit_code(rng: random.Random) -> str:
    body = "91410102" + "".join(rng.choice(CHARS) for _ in range(9))
    total = sum(CHARS.index(c) * w for c, w in zip(body, WEIGHTS, strict=False))
    return body + CHARS[(31 - total % 31) % 31]


def _grids():
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    return [shape(f["geometry"]) for f in seed["grids"]["features"]]


def _roads():
    """Each grid's road, from its name (汝河路网格: 汝河路), so a shop's address lies in its grid."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    names = [f["properties"]["name"].removesuffix("网格") for f in seed["grids"]["features"]]
    return [n if n.endswith("路") else n + "路" for n in names]


def _point_in(polygon, rng: random.Random) -> tuple[float, float]:
    x0, y0, x1, y1 = polygon.bounds
    while True:
        p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if polygon.contains(p):
            return round(p.x, 6), round(p.y, 6)


def rows(n: int, bad: int = 0, seed: int = 7, start: int = 0) -> tuple[list[dict], list[int]]:
    """`n` rows, `bad` of them wrong, spread evenly; and the spreadsheet row numbers of the bad
    ones (the header is row 1). Shops are numbered from `start`, so two files can hold different
    shops."""
    rng = random.Random(seed)
    grids, roads = _grids(), _roads()
    every = n // bad if bad else 0
    out, wrong = [], []
    for i in range(n):
        trade, nature = rng.choice(TRADES)
        surname = rng.choice(SURNAMES)
        road, shop = roads[i % len(grids)], start + i + 1
        lon, lat = _point_in(grids[i % len(grids)], rng)
        written = nature if i % 3 else {"catering": "餐饮", "retail": "零售"}.get(nature, nature)  # clerks write both
        row = {
            "name": f"{surname}记{trade}{shop:05d}",
            "sign": f"{surname}记{trade}",
            "operator": f"{surname}某{i % 97}",
            "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            "address": f"{road} {shop} 号",
            "lon": lon,
            "lat": lat,
            "business_nature": written,
            "credit_code": _credit_code(rng) if i % 4 == 0 else "",
        }
        if every and i % every == every - 1 and len(wrong) < bad:
            kind = BAD[len(wrong) % len(BAD)]
            if kind == "name":
                row["name"] = ""
            elif kind == "credit_code":
                code = _credit_code(rng)
                row["credit_code"] = code[:17] + CHARS[(CHARS.index(code[17]) + 1) % 31]
            elif kind == "phone":
                row["phone"] = "12345"
            elif kind == "business_nature":
                row["business_nature"] = "饭店"
            elif kind == "lon":
                row["lon"] = "东经113度"
            else:
                row["lon"], row["lat"] = 2.3522, 48.8566
            wrong.append(i + 2)
        out.append(row)
    return out, wrong


def as_csv(data: list[dict], chinese: bool = False) -> bytes:
    from ledger.adapters.survey_files import CHINESE

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([CHINESE[c] if chinese else c for c in COLUMNS])
    for r in data:
        writer.writerow([r[c] for c in COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def as_xlsx(data: list[dict]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("摸底")
    sheet.append(list(COLUMNS))
    for r in data:
        sheet.append([r[c] if r[c] != "" else None for c in COLUMNS])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
