"""摸底 survey files in and out: CSV (UTF-8, with or without its BOM, or GB18030 as Excel in
China saves it) or XLSX (openpyxl). The header row names the columns in English or in Chinese;
rows are numbered as the spreadsheet numbers them (the header is row 1), so a clerk finds a
rejected row where the report says it is."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from openpyxl import load_workbook

from common.refusals import Unprocessable
from common.spreadsheets import CSV, XLSX, csv_bytes, xlsx_bytes

COLUMNS = ("name", "sign", "operator", "phone", "address", "lon", "lat", "business_nature", "credit_code")
CHINESE = {
    "name": "店名",
    "sign": "门头",
    "operator": "经营者",
    "phone": "联系电话",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "business_nature": "经营性质",
    "credit_code": "统一社会信用代码",
}
REQUIRED = ("name", "operator", "address", "business_nature")
_HEADER = {**{c: c for c in COLUMNS}, **{zh: c for c, zh in CHINESE.items()}}
MAX_COLUMNS = 64
"""Columns read of a sheet: the survey's nine, wherever they stand among the first 64."""


class SurveyFileRefused(Unprocessable):
    """The file as a whole cannot be read (not CSV or XLSX, no header, a required column missing)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, detail=f"file: {message}")


class SurveyFileTooLarge(SurveyFileRefused):
    """The file is out of proportion: too many rows, unpacks too large, or takes too long to read."""

    status = 413


@dataclass(frozen=True)
class ReadLimits:
    max_rows: int
    max_unpacked_bytes: int = 256 * 1024 * 1024
    max_ratio: int = 100
    seconds: float = 20.0


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
        raise SurveyFileRefused(
            f"the header row has no column {', '.join(missing)} "
            f"({', '.join(CHINESE[c] for c in missing)}); columns: "
            + ", ".join(f"{c} ({CHINESE[c]})" for c in COLUMNS)
            + (f"; not known: {', '.join(unknown)}" if unknown else "")
        )
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


def _check_zip(data: bytes, limits: ReadLimits) -> None:
    """Read the zip's directory before openpyxl does: a workbook whose parts unpack out of all
    proportion (a deflate bomb in sharedStrings.xml, which openpyxl loads whole) is refused."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SurveyFileRefused(f"the XLSX file cannot be read: {exc}") from None
    total = sum(m.file_size for m in members)
    if total > limits.max_unpacked_bytes:
        raise SurveyFileTooLarge(
            f"the XLSX file unpacks to {total // (1024 * 1024)} MiB, more than "
            f"{limits.max_unpacked_bytes // (1024 * 1024)} MiB: split it, or save it as CSV"
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            raise SurveyFileTooLarge(
                f"the XLSX file's part {m.filename} unpacks {ratio:.0f} times its size "
                f"(at most {limits.max_ratio}): it is not a spreadsheet a survey makes"
            )


def _xlsx_rows(data: bytes, limits: ReadLimits) -> Iterator[tuple]:
    _check_zip(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise SurveyFileRefused(f"the XLSX file cannot be read: {exc}") from None
    # The dimension a sheet declares is ignored (A1:XFD1048576 would pad every row to 16,384 cells);
    # only the first MAX_COLUMNS columns are read.
    sheet.reset_dimensions()
    try:
        yield from sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    except SurveyFileRefused:
        raise
    except Exception as exc:
        raise SurveyFileRefused(f"the XLSX file cannot be read: {exc}") from None


def read_rows(filename: str | None, data: bytes, limits: ReadLimits) -> list[tuple[int, dict]]:
    """(row number, {column: value}) for every row that is not empty. Blocking (openpyxl, csv): call
    it off the event loop. Every row counts towards the limit, empty or not, and reading stops
    at the limit plus one or when `limits.seconds` have passed."""
    rows = _xlsx_rows(data, limits) if _kind(filename, data) == "xlsx" else csv.reader(io.StringIO(_text(data)))
    header = next(rows, None)
    if header is None:
        raise SurveyFileRefused("the file is empty: it needs a header row and a row per shop")
    columns = _columns(list(header))
    deadline = time.monotonic() + limits.seconds
    out = []
    for number, row in enumerate(rows, start=2):
        if number - 1 > limits.max_rows:
            raise SurveyFileTooLarge(f"more than {limits.max_rows} rows (empty rows count too): split the file")
        if number % 1000 == 0 and time.monotonic() > deadline:
            raise SurveyFileTooLarge(
                f"the file could not be read within {limits.seconds:.0f} s (row {number}): split it, or save it as CSV"
            )
        values = {columns[i]: v for i, v in enumerate(row) if i in columns}
        if all(v in (None, "") or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        out.append((number, {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}))
    return out


def write_rows(rows: list[dict], kind: str, chinese: bool) -> tuple[bytes, str]:
    """The register in the import's own columns: (bytes, media type); text stays text
    (common.spreadsheets)."""
    header = [CHINESE[c] if chinese else c for c in COLUMNS]
    values = ([r.get(c) for c in COLUMNS] for r in rows)
    if kind == "xlsx":
        return xlsx_bytes([("商户台账", header, values)]), XLSX
    return csv_bytes(header, values), CSV
