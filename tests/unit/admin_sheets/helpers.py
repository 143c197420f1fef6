"""Helpers to edit a raw workbook cell by cell, the way an ops person would."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

from openpyxl.utils import column_index_from_string
from openpyxl.utils.cell import coordinate_from_string

from admin_sheets.parse import ParseResult, parse_workbook
from admin_sheets.readers import RawWorkbook, read_csv_dir

EXAMPLES = Path(__file__).resolve().parents[3] / "admin_sheets" / "examples"


@cache
def _example() -> RawWorkbook:
    return read_csv_dir(EXAMPLES)


def example_raw() -> RawWorkbook:
    """A fresh, editable copy of the example workbook."""
    return copy.deepcopy(_example())


def set_cell(raw: RawWorkbook, tab: str, cell: str, value: str) -> RawWorkbook:
    letters, number = coordinate_from_string(cell)
    col = column_index_from_string(letters) - 1
    rows = raw[tab]
    while len(rows) < number:
        rows.append([])
    row = rows[number - 1]
    while len(row) <= col:
        row.append("")
    row[col] = value
    return raw


def add_row(raw: RawWorkbook, tab: str, values: dict[str, str]) -> int:
    """Append a row filled by English header name; returns its sheet row number."""
    header = raw[tab][0]
    raw[tab].append([values.get(h, "") for h in header])
    return len(raw[tab])


def messages(result: ParseResult) -> list[str]:
    return [str(p) for p in result.problems]


def parse_edited(*edits: tuple[str, str, str]) -> list[str]:
    raw = example_raw()
    for tab, cell, value in edits:
        set_cell(raw, tab, cell, value)
    return messages(parse_workbook(raw))
