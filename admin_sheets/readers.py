"""Readers: a workbook source → raw workbook ``{tab name: rows of cell text}``.

Rows are what a spreadsheet shows, header row first. Tab names are kept as found (English
or Chinese); the parser resolves them. Sources: ``dir:PATH`` (one CSV per tab),
``xlsx:PATH`` and ``sheets:ID`` (Google Sheets, see google_sheets.py).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from admin_sheets.model import RawWorkbook, SourceError

SCHEMES = ("dir", "xlsx", "sheets")
__all__ = ["SCHEMES", "RawWorkbook", "SourceError", "read_csv_dir", "read_source", "read_xlsx"]


def read_source(source: str) -> RawWorkbook:
    scheme, sep, location = source.partition(":")
    if not sep or scheme not in SCHEMES:
        accepted = ", ".join(f"{s}:..." for s in SCHEMES)
        raise ValueError(f"unknown rules source {source!r}: use one of {accepted}")
    if not location:
        raise SourceError(f"rules source {source!r} names no location")
    if scheme == "dir":
        return read_csv_dir(Path(location))
    if scheme == "xlsx":
        return read_xlsx(Path(location))
    from admin_sheets.google_sheets import sheets_client  # here, not above: gspread stays off the API's import path

    return sheets_client().read_workbook(location).raw


def read_csv_dir(path: Path) -> RawWorkbook:
    """One UTF-8 CSV per tab, named ``<Tab>.csv``; a missing file is a missing tab."""
    if not path.is_dir():
        raise SourceError(f"rules directory not found: {path}")
    raw: RawWorkbook = {}
    for file in sorted(path.glob("*.csv")):
        try:
            with file.open(encoding="utf-8-sig", newline="") as handle:  # -sig: Excel adds a BOM
                raw[file.stem] = [list(row) for row in csv.reader(handle)]
        except UnicodeDecodeError:
            raise SourceError(f"{file.name} is not UTF-8 text: save it as CSV UTF-8") from None
    return raw


def read_xlsx(path: Path) -> RawWorkbook:
    """One sheet per tab; values rendered as the sheet shows them."""
    from openpyxl import load_workbook  # imported here: only the CLI needs it
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise SourceError(f"rules workbook not found: {path}")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:  # all seen for bad files
        raise SourceError(f"cannot open {path.name} as an xlsx workbook: {exc}") from None
    try:
        return {
            sheet.title: [[cell_text(c.value, getattr(c, "number_format", "")) for c in row] for row in sheet.rows]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def cell_text(value: Any, number_format: str | None = "") -> str:
    """The text a spreadsheet would show for a cell value (ints without ".0")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            return f"{_plain(value * 100)}%"
        return _plain(value)
    return str(value)


def _plain(number: float) -> str:
    number = round(float(number), 10)  # float noise from 0.1 * 100 and friends
    return str(int(number)) if number.is_integer() else repr(number)
