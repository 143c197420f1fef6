"""Raw workbook → rules content, with every problem reported at its cell.

Content is ``{tab: [row, ...]}`` with every declared tab and, in each row, every
declared column under its English name with a typed, JSON-ready value. It is ``None``
when there is any problem: a workbook is published whole or not at all.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from openpyxl.utils import get_column_letter

from admin_sheets.checks import run_checks
from admin_sheets.holiday_warnings import holiday_warnings
from admin_sheets.model import Content, ParseResult, Problem, Row, Sheet
from admin_sheets.readers import RawWorkbook, read_source
from admin_sheets.source_checks import webhook_warnings
from admin_sheets.tabs import (
    TABS,
    Column,
    Tab,
    canonical_tab_name,
    header_index,
    normalize_header,
)
from admin_sheets.values import BadValue, convert


def validate_source(source: str) -> ParseResult:
    """Read a workbook source (``dir:``, ``xlsx:``, ``sheets:``) and parse it."""
    return parse_workbook(read_source(source))


def parse_workbook(raw: RawWorkbook, today: date | None = None) -> ParseResult:
    """``today`` (UTC by default) only dates the warnings about holidays the package estimates."""
    problems: list[Problem] = []
    found = _resolve_tabs(raw, problems)
    sheets: dict[str, Sheet] = {}
    for tab in TABS:
        if tab.name not in found:
            if tab.required:
                problems.append(Problem(tab.name, "A1", f"the {tab.name} ({tab.zh}) tab is missing"))
            sheets[tab.name] = Sheet(tab, tab.name)
            continue
        title = found[tab.name]
        sheets[tab.name] = read_sheet(tab, title, _as_text(raw[title]), problems)
    problems.extend(run_checks(sheets))
    problems.sort(key=_problem_order)
    if problems:
        return ParseResult(None, problems)
    warnings = [*holiday_warnings(sheets, today or datetime.now(UTC).date()), *webhook_warnings(sheets)]
    return ParseResult({name: [row.values for row in sheet.rows] for name, sheet in sheets.items()}, [], warnings)


def _resolve_tabs(raw: RawWorkbook, problems: list[Problem]) -> dict[str, str]:
    """English tab name → the title it has in the workbook. Unknown tabs are ignored."""
    found: dict[str, str] = {}
    for title in raw:
        name = canonical_tab_name(title)
        if name is None:
            continue  # e.g. a Status or README tab
        if name in found:
            problems.append(Problem(title, "A1", f'this tab is the same as "{found[name]}": keep only one'))
            continue
        found[name] = title
    return found


def _as_text(rows: list[list[Any]]) -> list[list[str]]:
    return [["" if cell is None else str(cell) for cell in row] for row in rows]


def read_sheet(tab: Tab, title: str, rows: list[list[str]], problems: list[Problem]) -> Sheet:
    header = rows[0] if rows else []
    data = rows[1:]
    positions = _map_headers(tab, title, header, data, problems)
    sheet = Sheet(tab, title, {col.name: get_column_letter(i + 1) for i, col in positions.items()})
    for offset, cells in enumerate(data):
        row = _read_row(sheet, positions, cells, offset + 2, problems)
        if row is not None:
            sheet.rows.append(row)
    return sheet


def _map_headers(
    tab: Tab, title: str, header: list[str], data: list[list[str]], problems: list[Problem]
) -> dict[int, Column]:
    """Header position → column; reports blank, duplicate and missing headers."""
    index = header_index(tab)
    positions: dict[int, Column] = {}
    seen: dict[str, str] = {}
    for i, text in enumerate(header):
        letter = get_column_letter(i + 1)
        if not text.strip():
            if any(i < len(r) and r[i].strip() for r in data):
                problems.append(Problem(title, f"{letter}1", "this column has data but no header"))
            continue
        col = index.get(normalize_header(text))
        if col is None:
            continue  # extra columns are the ops team's own notes
        if col.name in seen:
            problems.append(Problem(title, f"{letter}1", f'duplicate column "{col.name}": also in {seen[col.name]}'))
            continue
        seen[col.name] = f"{letter}1"
        positions[i] = col
    missing = [c for c in tab.columns if c.required and c.name not in seen]
    for n, col in enumerate(missing):
        cell = f"{get_column_letter(len(header) + n + 1)}1"
        problems.append(Problem(title, cell, f'missing required column "{col.name}" ({col.zh})'))
    return positions


def _read_row(
    sheet: Sheet, positions: dict[int, Column], cells: list[str], number: int, problems: list[Problem]
) -> Row | None:
    texts = {col.name: (cells[i].strip() if i < len(cells) else "") for i, col in positions.items()}
    if not any(texts.values()):
        return None  # blank rows separate groups of rules; they mean nothing
    row = Row(number, {})
    for col in sheet.tab.columns:
        text = texts.get(col.name, "")
        if not text and col.needs_value and col.name in texts:
            problems.append(sheet.problem(row, col.name, f"{col.name} is required"))
            row.values[col.name] = [] if col.is_list else None
            continue
        try:
            row.values[col.name] = convert(col, text)
        except BadValue as bad:
            problems.append(sheet.problem(row, col.name, str(bad)))
            row.values[col.name] = [] if col.is_list else None
    return row


_CELL = re.compile(r"^([A-Z]+)(\d+)$")
_TAB_ORDER = {tab.name: i for i, tab in enumerate(TABS)}


def _problem_order(problem: Problem) -> tuple[int, int, int, str]:
    tab = _TAB_ORDER.get(canonical_tab_name(problem.tab) or "", len(TABS))
    match = _CELL.match(problem.cell)
    if not match:
        return (tab, 0, 0, problem.cell)
    letters, number = match.groups()
    return (tab, int(number), len(letters), letters)


__all__ = ["Content", "ParseResult", "Problem", "parse_workbook", "read_sheet", "validate_source"]
