"""``closeloop sheets init``: create the admin workbook in Google Sheets.

Everything is derived from :mod:`admin_sheets.tabs`: one sheet per declared tab (plus a
``Status`` tab, laid out by the same code that ``rules sync`` writes its report with:
``google_sheets.report_requests``), the header row in English or
Chinese, a note on every header cell explaining the column with an example, the header
frozen, bold and protected (warning only), dropdowns for every enumerated or referencing
column, and the example rules of ``admin_sheets/examples`` as the first rows.

The request bodies are built by pure functions (:func:`create_body`, :func:`init_requests`)
so they can be checked without a network; :func:`create_workbook` sends them: exactly one
``spreadsheets.create``, one ``:batchUpdate`` and, when asked, one share.

Dropdowns (``setDataValidation``), on rows 2 to the tab's row limit:

- booleans: ``TRUE``/``FALSE`` (``是``/``否`` in the zh-CN workbook), strict;
- enum columns (roles included): the declared values, strict;
- references to other tabs: ``ONE_OF_RANGE`` over the referenced column (teams → Owners
  team, owners → Owners owner_id, calendars → Calendars calendar; for list columns also
  tiers, sources and regions), strict;
- list columns (``list``/``enum_list``, comma-separated): the same dropdown but *not*
  strict — picking one value is easy, typing several (``ae,senior_ae``) is allowed — with
  an input message saying so;
- Settings: the key column lists the keys; a key typed as a boolean or enum gets the
  matching dropdown on its value cell.

Free-text, number, percentage, date and time columns get no validation: the parser
reports a bad value there at its cell, in a message an ops person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from openpyxl.utils import get_column_letter

from admin_sheets.google_sheets import (
    LABELS,
    STATUS_TITLES,
    TABLE_HEADER_ROW,
    GoogleWorkbook,
    SyncReport,
    escape_cell,  # the formula-injection guard: every text written goes through it
    report_requests,
)
from admin_sheets.readers import RawWorkbook, read_csv_dir
from admin_sheets.tabs import SETTINGS_KEYS, TAB_BY_NAME, TABS, Column, Tab, canonical_tab_name, normalize_header
from admin_sheets.values import BadValue, convert

EN, ZH = "en", "zh-CN"
LOCALES = (EN, ZH)
SHEETS_LOCALE = {EN: "en_US", ZH: "zh_CN"}
TIME_ZONE = "Asia/Shanghai"
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"

STATUS_TAB = "Status"
STATUS_TITLE = {EN: STATUS_TITLES["en"], ZH: STATUS_TITLES["zh-CN"]}
STATUS_FROZEN_ROWS = TABLE_HEADER_ROW + 1  # the sync summary and the problems' header, as write_report leaves it
STATUS_NOTE = {
    EN: "Written by rules sync after each check: the result and, if rejected, every problem. Do not edit.",
    ZH: "每次规则同步检查后自动写入：检查结果；未通过时列出每个问题。请勿手工修改。",
}
STATUS_NOT_SYNCED = {EN: "not synced yet: run `closeloop rules sync`", ZH: "尚未同步：请运行 closeloop rules sync"}
SETTINGS_HELP_HEADER = {EN: "help", ZH: "说明"}  # an extra column: the parser ignores it

DEFAULT_ROWS = 1000  # validation ranges and grid size: rows 2..DEFAULT_ROWS
ROW_LIMITS = {"Routing": 20000}
MIN_COLUMNS = 26  # room for the ops team's own columns, as a new sheet has
SHEET_ID_BASE = 100  # client-chosen sheetIds: declaration order from here, Status last
HEADER_COLOR = {"red": 0.85, "green": 0.9, "blue": 0.97}
BOOL_VALUES = {EN: ("TRUE", "FALSE"), ZH: ("是", "否")}

# Where a referencing column's dropdown takes its values (role refs use the ROLES enum).
REF_SOURCES: dict[str, tuple[str, str]] = {
    "team": ("Owners", "team"),
    "owner": ("Owners", "owner_id"),
    "calendar": ("Calendars", "calendar"),
    "tier": ("Tiers", "tier"),
    "source": ("Sources", "source"),
    "region": ("Regions", "region"),
    "segment": ("Segments", "segment"),
}

_FORMAT = {
    EN: {
        "str": "text",
        "int": "whole number",
        "number": "number (500,000 or 1.5)",
        "percent": "percentage (20% or 0.2)",
        "bool": "TRUE or FALSE",
        "list": "list, comma-separated",
        "enum": "one of: {values}",
        "enum_list": "list of {values}, comma-separated",
        "date": "date like 2026-10-01",
        "time": "time like 09:00",
    },
    ZH: {
        "str": "文本",
        "int": "整数",
        "number": "数字（如 500,000 或 1.5）",
        "percent": "百分比（如 20% 或 0.2）",
        "bool": "是 或 否",
        "list": "列表，多个用逗号分隔",
        "enum": "可选值：{values}",
        "enum_list": "列表，多个用逗号分隔，可选值：{values}",
        "date": "日期，如 2026-10-01",
        "time": "时间，如 09:00",
    },
}
_TEXT = {
    EN: {
        "required": "Required.",
        "required_blank": "Required column; the cell may be blank.",
        "optional": "Optional.",
        "format": "Format: {format}.",
        "pick": "Pick from {tab} → {column}.",
        "tab": "{tab} tab: {help}",
        "list_hint": "Pick one, or type several separated by commas.",
        "pick_hint": "Pick a value from the list.",
    },
    ZH: {
        "required": "必填。",
        "required_blank": "必须有此列，单元格可以留空。",
        "optional": "选填。",
        "format": "格式：{format}。",
        "pick": "从【{tab}】表的“{column}”列中选择。",
        "tab": "【{tab}】{help}",
        "list_hint": "可从下拉列表选一个，也可以用逗号分隔填写多个。",
        "pick_hint": "请从下拉列表中选择。",
    },
}


class SheetsApi(Protocol):
    """What :func:`create_workbook` needs of ``admin_sheets.google_sheets.SheetsClient``."""

    def create_spreadsheet(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def batch_update(self, spreadsheet_id: str, requests: list[dict[str, Any]]) -> dict[str, Any]: ...

    def share(self, spreadsheet_id: str, email: str, role: str = "writer") -> None: ...


# ---------------------------------------------------------------------------------------
# Locale and naming


def normalize_locale(locale: str) -> str:
    """``en`` or ``zh-CN`` (also accepts ``en_US``, ``zh``, ``zh_CN``, any case)."""
    key = locale.strip().replace("_", "-").casefold()
    if key in ("en", "en-us", "en-gb"):
        return EN
    if key in ("zh", "zh-cn", "zh-hans", "zh-hans-cn"):
        return ZH
    raise ValueError(f"unknown locale {locale!r}: use en or zh-CN")


def tab_title(name: str, locale: str) -> str:
    """The sheet title of a tab (English name) in a locale; ``Status`` included."""
    locale = normalize_locale(locale)
    if name == STATUS_TAB:
        return STATUS_TITLE[locale]
    tab = TAB_BY_NAME[name]
    return tab.zh if locale == ZH else tab.name


def header_text(column: Column, locale: str) -> str:
    return column.zh if normalize_locale(locale) == ZH and column.zh else column.name


def column_help(column: Column, locale: str) -> str:
    return column.help_zh if normalize_locale(locale) == ZH and column.help_zh else column.help


def tab_help(tab: Tab, locale: str) -> str:
    return tab.help_zh if normalize_locale(locale) == ZH and tab.help_zh else tab.help


def headers(name: str, locale: str) -> list[str]:
    """The header row of a tab as written: declared columns in order (+ Settings help)."""
    locale = normalize_locale(locale)
    if name == STATUS_TAB:
        return list(LABELS[locale]["header"])  # the problems' table that write_report fills
    row = [header_text(col, locale) for col in TAB_BY_NAME[name].columns]
    if name == "Settings":
        row.append(SETTINGS_HELP_HEADER[locale])
    return row


def row_limit(name: str) -> int:
    return ROW_LIMITS.get(name, DEFAULT_ROWS)


def default_sheet_ids() -> dict[str, int]:
    """The sheetIds :func:`create_body` asks for: English tab name (and Status) → id."""
    names = [tab.name for tab in TABS] + [STATUS_TAB]
    return {name: SHEET_ID_BASE + i for i, name in enumerate(names)}


def sheet_ids_from_response(response: Mapping[str, Any]) -> dict[str, int]:
    """English tab name → sheetId, from a ``spreadsheets.create`` (or get) response."""
    found: dict[str, int] = {}
    status_titles = {normalize_header(t) for t in STATUS_TITLE.values()}
    for sheet in response.get("sheets") or []:
        props = sheet.get("properties") or {}
        title = str(props.get("title", ""))
        name = STATUS_TAB if normalize_header(title) in status_titles else canonical_tab_name(title)
        if name is not None and "sheetId" in props:
            found[name] = int(props["sheetId"])
    return found


# ---------------------------------------------------------------------------------------
# spreadsheets.create


def create_body(title: str, locale: str) -> dict[str, Any]:
    """Body of ``POST https://sheets.googleapis.com/v4/spreadsheets``: every tab, empty."""
    locale = normalize_locale(locale)
    if not title.strip():
        raise ValueError("the workbook needs a title")
    sheets = []
    for index, (name, sheet_id) in enumerate(default_sheet_ids().items()):
        sheets.append(
            {
                "properties": {
                    "sheetId": sheet_id,
                    "title": tab_title(name, locale),
                    "index": index,
                    "gridProperties": {
                        "rowCount": row_limit(name),
                        "columnCount": max(MIN_COLUMNS, len(headers(name, locale))),
                        "frozenRowCount": STATUS_FROZEN_ROWS if name == STATUS_TAB else 1,
                    },
                }
            }
        )
    return {
        "properties": {"title": title, "locale": SHEETS_LOCALE[locale], "timeZone": TIME_ZONE},
        "sheets": sheets,
    }


# ---------------------------------------------------------------------------------------
# The one batchUpdate


def init_requests(sheet_ids: Mapping[str, int], locale: str) -> list[dict[str, Any]]:
    """Requests of the single ``:batchUpdate`` that fills a workbook made by :func:`create_body`.

    ``sheet_ids`` maps English tab names (and ``Status``) to sheetIds, as
    :func:`sheet_ids_from_response` returns them.
    """
    locale = normalize_locale(locale)
    missing = [name for name in default_sheet_ids() if name not in sheet_ids]
    if missing:
        raise ValueError(f"no sheetId for tab(s): {', '.join(missing)}")
    requests: list[dict[str, Any]] = []
    for tab in TABS:
        sheet_id = sheet_ids[tab.name]
        rows = [_header_cells(tab, locale), *_example_cells(tab, locale)]
        requests.append(_update_cells(sheet_id, rows))
        requests.extend(_header_style(tab.name, sheet_id, locale))
        requests.extend(_validations(tab, sheet_ids, locale))
    requests.extend(_status(sheet_ids[STATUS_TAB], locale))
    return requests


def _status(sheet_id: int, locale: str) -> list[dict[str, Any]]:
    """The Status tab laid out exactly as ``rules sync`` writes it (same code), marked "not synced yet",
    and protected as a whole (warning only): people read it, rules sync writes it."""
    title = STATUS_TITLE[locale]
    book = GoogleWorkbook("", "", {}, {title: sheet_id}, {}, grid_sizes={title: (DEFAULT_ROWS, MIN_COLUMNS)})
    report = SyncReport("—", STATUS_NOT_SYNCED[locale], None, [], locale=locale)
    protect = {"sheetId": sheet_id}
    return [
        *report_requests(book, report),
        {
            "addProtectedRange": {
                "protectedRange": {"range": protect, "description": STATUS_NOTE[locale], "warningOnly": True}
            }
        },
    ]


def _update_cells(sheet_id: int, rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": row} for row in rows],
            "fields": "userEnteredValue,userEnteredFormat.numberFormat,note",
        }
    }


def _header_style(name: str, sheet_id: int, locale: str) -> list[dict[str, Any]]:
    header_row = {
        "sheetId": sheet_id,
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": len(headers(name, locale)),
    }
    description = {
        EN: "Headers: the rules engine finds columns by these names. Edit the rows below instead.",
        ZH: "表头：规则引擎按这些名称识别各列，请勿修改；请编辑下面的行。",
    }[locale]
    return [
        {
            "repeatCell": {
                "range": header_row,
                "cell": {"userEnteredFormat": {"textFormat": {"bold": True}, "backgroundColor": HEADER_COLOR}},
                "fields": "userEnteredFormat(textFormat.bold,backgroundColor)",
            }
        },
        {
            "addProtectedRange": {
                "protectedRange": {"range": header_row, "description": description, "warningOnly": True}
            }
        },
    ]


# ---------------------------------------------------------------------------------------
# Cells


def _text_cell(text: str) -> dict[str, Any]:
    if text == "":
        return {}
    return {"userEnteredValue": {"stringValue": escape_cell(text)}}


def _value_cell(column: Column, text: str, locale: str) -> dict[str, Any]:
    """A data cell: numbers as numbers (keeping 1,000,000 grouping), booleans per locale."""
    text = text.strip()
    if not text:
        return {}
    if column.type in ("int", "number"):
        try:
            number = convert(column, text)
        except BadValue:
            return _text_cell(text)
        cell: dict[str, Any] = {"userEnteredValue": {"numberValue": number}}
        if "," in text:
            pattern = "#,##0" if isinstance(number, int) else "#,##0.##"
            cell["userEnteredFormat"] = {"numberFormat": {"type": "NUMBER", "pattern": pattern}}
        return cell
    if column.type == "bool":
        try:
            flag = convert(column, text)
        except BadValue:
            return _text_cell(text)
        return _text_cell(BOOL_VALUES[locale][0 if flag else 1])
    return _text_cell(text)


def _header_cells(tab: Tab, locale: str) -> list[dict[str, Any]]:
    cells = []
    for i, column in enumerate(tab.columns):
        cell = _text_cell(header_text(column, locale))
        note = column_note(tab, column, locale)
        if i == 0:
            note = _TEXT[locale]["tab"].format(tab=tab_title(tab.name, locale), help=tab_help(tab, locale)) + (
                "\n\n" + note
            )
        cell["note"] = note
        cells.append(cell)
    if tab.name == "Settings":
        cells.append(_text_cell(SETTINGS_HELP_HEADER[locale]))
    return cells


def column_note(tab: Tab, column: Column, locale: str) -> str:
    """The note on a header cell: what the column means, with an example, in the locale."""
    locale = normalize_locale(locale)
    text = _TEXT[locale]
    if column.needs_value:
        need = text["required"]
    elif column.required:
        need = text["required_blank"]
    else:
        need = text["optional"]
    values = ", ".join(column.enum)
    lines = [
        column_help(column, locale),
        need,
        text["format"].format(format=_FORMAT[locale][column.type].format(values=values)),
    ]
    if column.ref in REF_SOURCES and not column.enum:
        ref_tab, ref_column = REF_SOURCES[column.ref]
        target = TAB_BY_NAME[ref_tab]
        lines.append(
            text["pick"].format(tab=tab_title(ref_tab, locale), column=header_text(target.column(ref_column), locale))
        )
    return "\n".join(lines)


@cache
def _examples() -> RawWorkbook:
    return read_csv_dir(EXAMPLES_DIR)


def example_rows(name: str) -> list[dict[str, str]]:
    """The example rows of a tab (``admin_sheets/examples/<Tab>.csv``), by English header."""
    rows = _examples().get(name) or []
    if not rows:
        return []
    tab = TAB_BY_NAME[name]
    index = {normalize_header(h): i for i, h in enumerate(rows[0])}
    result = []
    for row in rows[1:]:
        values = {}
        for col in tab.columns:
            i = index.get(normalize_header(col.name))
            values[col.name] = row[i].strip() if i is not None and i < len(row) else ""
        if any(values.values()):
            result.append(values)
    return result


def setting_text(key: Column) -> str:
    """A Settings key's default, written as an ops person would type it."""
    value = key.default
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if key.type == "percent":
        return f"{round(float(value) * 100, 10):g}%"
    return str(value)


def settings_rows(locale: str) -> list[list[str]]:
    """Every Settings key, in declaration order: key, value (the example's, else the default), help."""
    locale = normalize_locale(locale)
    given = {row["key"].casefold(): row["value"] for row in example_rows("Settings")}
    rows = []
    for key in SETTINGS_KEYS:
        value = given.get(key.name.casefold(), setting_text(key))
        help_text = f"{key.zh}：{column_help(key, locale)}" if locale == ZH else column_help(key, locale)
        rows.append([key.name, value, help_text])
    return rows


def _example_cells(tab: Tab, locale: str) -> list[list[dict[str, Any]]]:
    if tab.name == "Settings":  # the value column is text; a boolean key's value follows the locale
        specs = {k.name: k for k in SETTINGS_KEYS}
        return [
            [
                _text_cell(key),
                _value_cell(specs[key], value, locale) if specs[key].type == "bool" else _text_cell(value),
                _text_cell(help_text),
            ]
            for key, value, help_text in settings_rows(locale)
        ]
    return [[_value_cell(col, row[col.name], locale) for col in tab.columns] for row in example_rows(tab.name)]


# ---------------------------------------------------------------------------------------
# Dropdowns


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def column_range(name: str, column: str, locale: str) -> str:
    """A1 range of a tab's column from row 2 to its row limit, e.g. ``'Owners'!D2:D1000``."""
    tab = TAB_BY_NAME[name]
    letter = get_column_letter([c.name for c in tab.columns].index(column) + 1)
    return f"{_quote(tab_title(name, locale))}!{letter}2:{letter}{row_limit(name)}"


def dropdown_rule(column: Column, locale: str, *, tab: str = "") -> dict[str, Any] | None:
    """The validation rule of a column, or None for a free-text/number/date column."""
    locale = normalize_locale(locale)
    condition: dict[str, Any]
    if column.type == "bool":
        condition = _one_of_list(BOOL_VALUES[locale])
    elif column.enum:
        condition = _one_of_list(column.enum)
    elif column.ref in REF_SOURCES:
        ref_tab, ref_column = REF_SOURCES[column.ref]
        condition = {
            "type": "ONE_OF_RANGE",
            "values": [{"userEnteredValue": "=" + column_range(ref_tab, ref_column, locale)}],
        }
    elif tab == "Settings" and column.name == "key":
        condition = _one_of_list([k.name for k in SETTINGS_KEYS])
    else:
        return None
    hint = _TEXT[locale]["list_hint" if column.is_list else "pick_hint"]
    return {
        "condition": condition,
        "strict": not column.is_list,  # "ae,senior_ae" is not one item of the list: allow it
        "showCustomUi": True,
        "inputMessage": f"{column_help(column, locale)}\n{hint}",
    }


def _one_of_list(values: Sequence[str]) -> dict[str, Any]:
    return {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": escape_cell(v)} for v in values]}


def _validations(tab: Tab, sheet_ids: Mapping[str, int], locale: str) -> list[dict[str, Any]]:
    sheet_id = sheet_ids[tab.name]
    requests = []
    for i, column in enumerate(tab.columns):
        rule = dropdown_rule(column, locale, tab=tab.name)
        if rule is None:
            continue
        grid = {
            "sheetId": sheet_id,
            "startRowIndex": 1,
            "endRowIndex": row_limit(tab.name),
            "startColumnIndex": i,
            "endColumnIndex": i + 1,
        }
        requests.append({"setDataValidation": {"range": grid, "rule": rule}})
    if tab.name == "Settings":  # a key typed bool/enum gets its dropdown on its own value cell
        value_index = [c.name for c in tab.columns].index("value")
        for row_index, key in enumerate(SETTINGS_KEYS, start=1):
            rule = dropdown_rule(key, locale)
            if rule is None:
                continue
            grid = {
                "sheetId": sheet_id,
                "startRowIndex": row_index,
                "endRowIndex": row_index + 1,
                "startColumnIndex": value_index,
                "endColumnIndex": value_index + 1,
            }
            requests.append({"setDataValidation": {"range": grid, "rule": rule}})
    return requests


# ---------------------------------------------------------------------------------------
# Sending


def create_workbook(client: SheetsApi, title: str, *, share: str | None = None, locale: str = EN) -> str:
    """Create, fill and (optionally) share the admin workbook; returns the spreadsheet id.

    Exactly two requests (create, batchUpdate), three with ``share``.
    """
    locale = normalize_locale(locale)
    created = client.create_spreadsheet(create_body(title, locale))
    spreadsheet_id = str(created["spreadsheetId"])
    sheet_ids = {**default_sheet_ids(), **sheet_ids_from_response(created)}
    client.batch_update(spreadsheet_id, init_requests(sheet_ids, locale))
    if share:
        client.share(spreadsheet_id, share)
    return spreadsheet_id


__all__ = [
    "LOCALES",
    "STATUS_TAB",
    "column_note",
    "create_body",
    "create_workbook",
    "dropdown_rule",
    "escape_cell",
    "example_rows",
    "init_requests",
    "normalize_locale",
    "settings_rows",
    "sheet_ids_from_response",
]
