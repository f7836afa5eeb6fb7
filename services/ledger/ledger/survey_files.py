"""摸底 survey files in and out: CSV (UTF-8, with or without its BOM, or GB18030 as Excel in
China saves it) or XLSX (openpyxl). The header row names the columns in English or in Chinese;
rows are numbered as the spreadsheet numbers them (the header is row 1), so a clerk finds a
rejected row where the report says it is."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook, load_workbook

COLUMNS = ("name", "sign", "operator", "phone", "address", "lon", "lat", "business_nature", "credit_code")
CHINESE = {"name": "店名", "sign": "门头", "operator": "经营者", "phone": "联系电话", "address": "地址", "lon": "经度",
           "lat": "纬度", "business_nature": "经营性质", "credit_code": "统一社会信用代码"}
REQUIRED = ("name", "operator", "address", "business_nature")
_HEADER = {**{c: c for c in COLUMNS}, **{zh: c for c, zh in CHINESE.items()}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SurveyFileRefused(ValueError):
    """The file as a whole cannot be read (not CSV or XLSX, no header, a required column missing)."""


def _columns(header: list) -> dict[int, str]:
    found, unknown = {}, []
    for i, cell in enumerate(header):
        name = str(cell or "").strip().lstrip("\ufeff")
        if not name:
            continue
        column = _HEADER.get(name) or _HEADER.get(name.lower())
        if column is None:
            unknown.append(name)
        else:
            found[i] = column
    missing = [c for c in REQUIRED if c not in found.values()]
    if missing:
        raise SurveyFileRefused(f"the header row has no column {', '.join(missing)} "
                                f"({', '.join(CHINESE[c] for c in missing)}); columns: "
                                + ", ".join(f"{c} ({CHINESE[c]})" for c in COLUMNS)
                                + (f"; not known: {', '.join(unknown)}" if unknown else ""))
    return found


def _kind(filename: str | None, data: bytes) -> str:
    if data[:4] == b"PK\x03\x04":  # a zip: XLSX
        return "xlsx"
    if filename and filename.lower().endswith((".xls",)):
        raise SurveyFileRefused("an .xls file (Excel 97-2003): save it as .xlsx or .csv")
    return "csv"


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SurveyFileRefused("the CSV file is neither UTF-8 nor GB18030 text")


def read_rows(filename: str | None, data: bytes, max_rows: int) -> Iterator[tuple[int, dict]]:
    """(row number, {column: value}) for every row that is not empty."""
    if _kind(filename, data) == "xlsx":
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise SurveyFileRefused(f"the XLSX file cannot be read: {exc}") from None
        rows = book.worksheets[0].iter_rows(values_only=True)
    else:
        rows = csv.reader(io.StringIO(_text(data)))
    header = next(rows, None)
    if header is None:
        raise SurveyFileRefused("the file is empty: it needs a header row and a row per shop")
    columns = _columns(list(header))
    count = 0
    for number, row in enumerate(rows, start=2):
        values = {columns[i]: v for i, v in enumerate(row) if i in columns}
        if all(v in (None, "") or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        count += 1
        if count > max_rows:
            raise SurveyFileRefused(f"more than {max_rows} rows: split the file")
        yield number, {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}


def write_rows(rows: list[dict], kind: str, chinese: bool) -> tuple[bytes, str]:
    """The register in the import's own columns: (bytes, media type)."""
    header = [CHINESE[c] if chinese else c for c in COLUMNS]
    if kind == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("商户台账")
        sheet.append(header)
        for r in rows:
            sheet.append([r.get(c) for c in COLUMNS])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), XLSX
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with its BOM as Chinese text
    writer = csv.writer(out)
    writer.writerow(header)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in COLUMNS])
    return out.getvalue().encode("utf-8"), "text/csv; charset=utf-8"
