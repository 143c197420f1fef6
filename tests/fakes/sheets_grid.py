"""The data behind the fake Google Sheets API: spreadsheets, grids, field masks, batchUpdate requests.

Kept apart from the HTTP layer (sheets_api.py) so each stays small. Only what Closeloop and
`sheets init` send is modelled, but what is modelled follows the v4 API's documented rules:
field masks select fields, updateCells clears masked fields the rows do not cover, a batch is
atomic, a sheet title is unique (case-insensitively), sheet ids are integers.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

Cell = dict[str, Any]  # CellData: userEnteredValue, note, userEnteredFormat
DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def letters(col: int) -> str:
    out = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def a1(row: int, col: int) -> str:
    return f"{letters(col)}{row + 1}"


_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def parse_cell(text: str) -> tuple[int | None, int | None]:
    """ "B3" → (2, 1); "B" → (None, 1); "3" → (2, None). 0-based."""
    match = _CELL.match(text.replace("$", ""))
    if not match:
        raise ApiError(400, f"Unable to parse range: {text}")
    col_text, row_text = match.groups()
    col = None
    if col_text:
        col = 0
        for ch in col_text.upper():
            col = col * 26 + ord(ch) - 64
        col -= 1
    return (int(row_text) - 1 if row_text else None), col


def parse_mask(text: str) -> dict[str, Any]:
    """A field mask ("a,b.c,d(e,f(g))") → a tree; an empty subtree means "all of it"."""
    tree: dict[str, Any] = {}
    stack, token = [tree], ""

    def flush() -> dict[str, Any]:
        nonlocal token
        node, path, token = stack[-1], token.strip(), ""
        for part in path.split(".") if path else []:
            node = node.setdefault(part, {})
        return node

    for ch in text:
        if ch == ",":
            flush()
        elif ch == "(":
            stack.append(flush())
        elif ch == ")":
            flush()
            stack.pop()
        else:
            token += ch
    flush()
    return {} if "*" in tree else tree


def masked(value: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [masked(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: masked(value[k], sub) for k, sub in tree.items() if k in value}
    return value


def merge(into: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
    return into


def shown(value: dict[str, Any] | None) -> str:
    """The formattedValue of a userEnteredValue (HYPERLINK shows its label)."""
    if not value:
        return ""
    if "formulaValue" in value:
        link = re.match(r'^=HYPERLINK\("(?:[^"]|"")*",\s*"((?:[^"]|"")*)"\)$', value["formulaValue"], re.I)
        return link.group(1).replace('""', '"') if link else value["formulaValue"]
    if "boolValue" in value:
        return "TRUE" if value["boolValue"] else "FALSE"
    if "numberValue" in value:
        number = float(value["numberValue"])
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value.get("stringValue", ""))


def entered(text: Any, user_entered: bool) -> dict[str, Any]:
    if isinstance(text, bool):
        return {"boolValue": text}
    if isinstance(text, int | float):
        return {"numberValue": text}
    text = str(text)
    if user_entered and text.startswith("="):
        return {"formulaValue": text}
    return {"stringValue": text}


@dataclass
class Sheet:
    props: dict[str, Any]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    validations: dict[tuple[int, int], Any] = field(default_factory=dict)

    @property
    def grid(self) -> dict[str, Any]:
        grid: dict[str, Any] = self.props.setdefault("gridProperties", {})
        return grid

    def fit(self, row: int, col: int, strict: bool, where: str) -> None:
        for key, index, name in (("rowCount", row, "row"), ("columnCount", col, "column")):
            if index >= self.grid[key]:
                if strict:
                    raise ApiError(400, f"{where}: {name} index {index} is outside the grid ({self.grid[key]} {name}s)")
                self.grid[key] = index + 1

    def write(self, row: int, col: int, data: Cell, tree: dict[str, Any], strict: bool, where: str) -> None:
        """Set (or, when absent from data, clear) the masked fields of one cell."""
        keys = tree or {"userEnteredValue": {}, "note": {}, "userEnteredFormat": {}}
        cell = self.cells.get((row, col), {})
        if not cell and not any(k in data for k in keys):
            return  # clearing an empty cell: nothing to do (and no grid check)
        self.fit(row, col, strict, where)
        for key, sub in keys.items():
            if key not in data:
                cell.pop(key, None)
            elif key == "userEnteredFormat" and sub:
                cell[key] = merge(cell.get(key, {}), masked(data[key], sub))
            else:
                cell[key] = copy.deepcopy(data[key])
        if cell:
            self.cells[(row, col)] = cell
        else:
            self.cells.pop((row, col), None)

    def grid_data(self) -> list[dict[str, Any]]:
        if not self.cells:
            return [{"rowData": []}]
        rows: list[dict[str, Any]] = [{} for _ in range(max(r for r, _ in self.cells) + 1)]
        for (r, c), cell in sorted(self.cells.items()):
            values = rows[r].setdefault("values", [])
            values.extend({} for _ in range(c + 1 - len(values)))
            out = dict(cell)  # shallow: the answer is serialised at once, under the lock
            if "userEnteredValue" in cell:
                out["formattedValue"] = shown(cell["userEnteredValue"])
            values[c] = out
        return [{"rowData": rows}]

    def bounds(self, grid_range: dict[str, Any]) -> tuple[int, int, int, int]:
        return (
            grid_range.get("startRowIndex", 0),
            grid_range.get("endRowIndex", self.grid["rowCount"]),
            grid_range.get("startColumnIndex", 0),
            grid_range.get("endColumnIndex", self.grid["columnCount"]),
        )


_ids = itertools.count(1_000_001)


@dataclass
class Book:
    id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    protected: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    locale: str = "en_US"
    charts: list[dict[str, Any]] = field(default_factory=list)  # embedded charts, as added

    def sheet(self, *, title: str | None = None, sheet_id: int | None = None) -> Sheet:
        for sheet in self.sheets:
            if sheet.props["sheetId"] == sheet_id or (title is not None and sheet.props["title"] == title):
                return sheet
        raise ApiError(400, f"Unable to parse range: {title}" if title is not None else f"No grid with id: {sheet_id}")

    def add_sheet(self, props: dict[str, Any]) -> Sheet:
        props = copy.deepcopy(props)
        taken = {s.props["sheetId"] for s in self.sheets}
        if props.get("sheetId") in taken:
            raise ApiError(400, f"Invalid requests[0].addSheet: A sheet with id {props['sheetId']} already exists.")
        if "sheetId" not in props:
            props["sheetId"] = next(i for i in _ids if i not in taken) if self.sheets else 0
        props.setdefault("title", f"Sheet{len(self.sheets) + 1}")
        if any(s.props["title"].casefold() == props["title"].casefold() for s in self.sheets):
            raise ApiError(400, f'A sheet with the name "{props["title"]}" already exists. Please enter another name.')
        props.setdefault("sheetType", "GRID")
        grid = props.setdefault("gridProperties", {})
        grid.setdefault("rowCount", DEFAULT_ROWS)
        grid.setdefault("columnCount", DEFAULT_COLUMNS)
        sheet = Sheet(props)
        self.sheets.insert(min(props.pop("index", len(self.sheets)), len(self.sheets)), sheet)
        self.reindex()
        return sheet

    def reindex(self) -> None:
        for i, sheet in enumerate(self.sheets):
            sheet.props["index"] = i

    def resource(self, grid: bool, ranges: list[str] | None = None) -> dict[str, Any]:
        wanted = {r.rpartition("!")[0].strip("'") or r.strip("'") for r in ranges or []}
        sheets = []
        for sheet in self.sheets:
            if wanted and sheet.props["title"] not in wanted:
                continue
            item: dict[str, Any] = {"properties": copy.deepcopy(sheet.props)}
            if grid:
                item["data"] = sheet.grid_data()
            charts = [c for c in self.charts if _chart_sheet(c) == sheet.props["sheetId"]]
            if charts:
                item["charts"] = copy.deepcopy(charts)
            mine = [p for p in self.protected if p["range"].get("sheetId") == sheet.props["sheetId"]]
            if mine:
                item["protectedRanges"] = copy.deepcopy(mine)
            sheets.append(item)
        return {
            "spreadsheetId": self.id,
            "properties": {"title": self.title, "locale": self.locale, "timeZone": "Etc/GMT"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.id}/edit",
        }

    def apply(self, index: int, request: dict[str, Any], strict: bool) -> dict[str, Any]:
        """One batchUpdate request → its reply."""
        if len(request) != 1:
            raise ApiError(400, f"Invalid requests[{index}]: exactly one kind of request expected")
        kind, body = next(iter(request.items()))
        where = f"Invalid requests[{index}].{kind}"
        if kind == "addSheet":
            return {"addSheet": {"properties": copy.deepcopy(self.add_sheet(body.get("properties", {})).props)}}
        if kind == "deleteSheet":
            self.sheets.remove(self.sheet(sheet_id=body["sheetId"]))
            self.charts = [c for c in self.charts if _chart_sheet(c) != body["sheetId"]]  # charts go with it
            self.reindex()
        elif kind == "addChart":
            chart = dict(copy.deepcopy(body["chart"]), chartId=next(_ids))
            self.sheet(sheet_id=_chart_sheet(chart))
            for source in _chart_sources(chart):  # every range must name a sheet that exists
                self.sheet(sheet_id=source.get("sheetId", 0))
            self.charts.append(chart)
            return {"addChart": {"chart": copy.deepcopy(chart)}}
        elif kind == "updateSheetProperties":
            props = body["properties"]
            merge(self.sheet(sheet_id=props["sheetId"]).props, masked(props, parse_mask(body.get("fields", "*"))))
        elif kind == "updateSpreadsheetProperties":
            new = masked(body["properties"], parse_mask(body.get("fields", "*")))
            self.title, self.locale = new.get("title", self.title), new.get("locale", self.locale)
        elif kind == "updateCells":
            self.update_cells(body, strict, where)
        elif kind == "repeatCell":
            sheet = self.sheet(sheet_id=body["range"].get("sheetId", 0))
            r0, r1, c0, c1 = sheet.bounds(body["range"])
            tree = parse_mask(body["fields"])
            for r, c in itertools.product(range(r0, r1), range(c0, c1)):
                sheet.write(r, c, body.get("cell", {}), tree, strict, where)
        elif kind == "setDataValidation":
            sheet = self.sheet(sheet_id=body["range"].get("sheetId", 0))
            r0, r1, c0, c1 = sheet.bounds(body["range"])
            for key in itertools.product(range(r0, r1), range(c0, c1)):
                if body.get("rule"):
                    sheet.validations[key] = copy.deepcopy(body["rule"])
                else:
                    sheet.validations.pop(key, None)
        elif kind == "addProtectedRange":
            protected = dict(copy.deepcopy(body["protectedRange"]), protectedRangeId=next(_ids))
            self.sheet(sheet_id=protected["range"].get("sheetId", 0))
            self.protected.append(protected)
            return {"addProtectedRange": {"protectedRange": protected}}
        elif kind == "appendDimension":
            sheet = self.sheet(sheet_id=body["sheetId"])
            sheet.grid["rowCount" if body["dimension"] == "ROWS" else "columnCount"] += body["length"]
        elif kind not in ("updateDimensionProperties", "autoResizeDimensions"):
            raise ApiError(400, f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{index}]'")
        return {}

    def update_cells(self, body: dict[str, Any], strict: bool, where: str) -> None:
        if "fields" not in body:
            raise ApiError(400, f"{where}: At least one field must be specified in 'fields'.")
        tree, rows = parse_mask(body["fields"]), body.get("rows", [])
        if "range" in body:
            sheet = self.sheet(sheet_id=body["range"].get("sheetId", 0))
            r0, r1, c0, c1 = sheet.bounds(body["range"])
            r1, c1 = max(r1, r0 + len(rows)), max(c1, c0 + max((len(r.get("values", [])) for r in rows), default=0))
            for r in range(r0, r1):
                values = rows[r - r0].get("values", []) if r - r0 < len(rows) else []
                for c in range(c0, c1):
                    sheet.write(r, c, values[c - c0] if c - c0 < len(values) else {}, tree, strict, where)
        else:
            start = body["start"]
            sheet = self.sheet(sheet_id=start.get("sheetId", 0))
            for i, row in enumerate(rows):
                for j, data in enumerate(row.get("values", [])):
                    r, c = start.get("rowIndex", 0) + i, start.get("columnIndex", 0) + j
                    sheet.write(r, c, data, tree, strict, where)

    def write_values(self, a1_range: str, values: list[list[Any]], user_entered: bool) -> dict[str, Any]:
        title, _, corner = a1_range.partition("!")
        sheet = self.sheet(title=title.strip("'").replace("''", "'"))
        row, col = parse_cell(corner.split(":")[0]) if corner else (0, 0)
        r0, c0 = row or 0, col or 0
        for i, line in enumerate(values):
            for j, text in enumerate(line):
                data = {"userEnteredValue": entered(text, user_entered)} if text not in (None, "") else {}
                sheet.write(r0 + i, c0 + j, data, {"userEnteredValue": {}}, False, "values")
        width = max((len(line) for line in values), default=0)
        return {
            "spreadsheetId": self.id,
            "updatedRange": f"{title}!{a1(r0, c0)}:{a1(r0 + max(len(values), 1) - 1, c0 + max(width, 1) - 1)}",
            "updatedRows": len(values),
            "updatedColumns": width,
            "updatedCells": sum(len(line) for line in values),
        }

    def read_values(self, a1_range: str) -> dict[str, Any]:
        title, _, corner = a1_range.partition("!")
        sheet = self.sheet(title=title.strip("'").replace("''", "'"))
        first, _, last = corner.partition(":")
        r0, c0 = parse_cell(first) if first else (0, 0)
        r1, c1 = parse_cell(last) if last else ((r0, c0) if first else (None, None))
        rows: list[list[str]] = []
        for (r, c), cell in sorted(self.cells_in(sheet, r0 or 0, r1, c0 or 0, c1)):
            while len(rows) <= r - (r0 or 0):
                rows.append([])
            line = rows[r - (r0 or 0)]
            line.extend("" for _ in range(c - (c0 or 0) + 1 - len(line)))
            line[c - (c0 or 0)] = shown(cell.get("userEnteredValue"))
        out: dict[str, Any] = {"range": a1_range, "majorDimension": "ROWS"}
        if rows:
            out["values"] = rows
        return out

    @staticmethod
    def cells_in(sheet: Sheet, r0: int, r1: int | None, c0: int, c1: int | None) -> list[tuple[tuple[int, int], Cell]]:
        return [
            ((r, c), cell)
            for (r, c), cell in sheet.cells.items()
            if r >= r0
            and (r1 is None or r <= r1)
            and c >= c0
            and (c1 is None or c <= c1)
            and "userEnteredValue" in cell
        ]


def _chart_sheet(chart: dict[str, Any]) -> int:
    return int(chart["position"]["overlayPosition"]["anchorCell"].get("sheetId", 0))


def _chart_sources(chart: dict[str, Any]) -> list[dict[str, Any]]:
    basic = chart["spec"]["basicChart"]
    parts = [d["domain"] for d in basic.get("domains", [])] + [s["series"] for s in basic.get("series", [])]
    return [source for part in parts for source in part["sourceRange"]["sources"]]
