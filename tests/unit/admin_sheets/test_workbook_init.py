"""`closeloop sheets init`: the request bodies, derived from the tab declarations.

The requests are "rendered" here the way Google applies them (updateCells from a start
cell), so the workbook an ops person would see can be parsed back and compared with the
examples, in English and in Chinese.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from admin_sheets import workbook_init as wi
from admin_sheets.google_sheets import LABELS, TABLE_HEADER_ROW
from admin_sheets.parse import parse_workbook
from admin_sheets.readers import RawWorkbook, cell_text, read_csv_dir
from admin_sheets.tabs import SETTINGS_KEYS, TAB_BY_NAME, TABS, Column, Tab
from admin_sheets.values import convert
from shared.rules.domain.rules import BEHAVIOR_EVENTS, ROLES

LOCALES = ("en", "zh-CN")
CJK = re.compile(r"[\u4e00-\u9fff]")
EXAMPLES = read_csv_dir(wi.EXAMPLES_DIR)
EXPECTED = parse_workbook(EXAMPLES).content
ALL_TABS = [t.name for t in TABS] + ["Status"]
STATUS = {"en": "Status", "zh-CN": "状态"}


# -- rendering the requests ----------------------------------------------------------------------


def _requests(locale: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    body = wi.create_body("Closeloop rules", locale)
    ids = wi.sheet_ids_from_response(body)
    return body, wi.init_requests(ids, locale)


def _titles(body: dict[str, Any]) -> dict[int, str]:
    return {s["properties"]["sheetId"]: s["properties"]["title"] for s in body["sheets"]}


def _cell_value(cell: dict[str, Any]) -> str:
    value = cell.get("userEnteredValue") or {}
    if "stringValue" in value:
        return value["stringValue"]
    if "numberValue" in value:
        return cell_text(value["numberValue"])
    if "boolValue" in value:
        return cell_text(value["boolValue"])
    assert not value, value
    return ""


def _grids(body: dict[str, Any], requests: list[dict[str, Any]]) -> dict[str, dict[tuple[int, int], dict[str, Any]]]:
    titles = _titles(body)
    grids: dict[str, dict[tuple[int, int], dict[str, Any]]] = {t: {} for t in titles.values()}
    for request in requests:
        if "updateCells" not in request:
            continue
        update = request["updateCells"]
        start = update.get("start") or update["range"]
        top, left = (
            start.get("rowIndex", start.get("startRowIndex", 0)),
            start.get("columnIndex", start.get("startColumnIndex", 0)),
        )
        grid = grids[titles[start["sheetId"]]]
        for i, row in enumerate(update["rows"]):
            for j, cell in enumerate(row.get("values", [])):
                grid[(top + i, left + j)] = cell
    return grids


def render(locale: str) -> RawWorkbook:
    """The workbook as its cells read after create + batchUpdate: {title: rows of text}."""
    body, requests = _requests(locale)
    raw: RawWorkbook = {}
    for title, grid in _grids(body, requests).items():
        height = max((r for r, _ in grid), default=-1) + 1
        width = max((c for _, c in grid), default=-1) + 1
        raw[title] = [[_cell_value(grid.get((r, c), {})) for c in range(width)] for r in range(height)]
    return raw


def _of_kind(requests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r[kind] for r in requests if kind in r]


def _validations(locale: str, tab: str) -> dict[str, dict[str, Any]]:
    """Column name → the setDataValidation request of that column (whole-column ranges only)."""
    body, requests = _requests(locale)
    sheet_id = wi.sheet_ids_from_response(body)[tab]
    names = [c.name for c in TAB_BY_NAME[tab].columns]
    found: dict[str, dict[str, Any]] = {}
    for v in _of_kind(requests, "setDataValidation"):
        grid = v["range"]
        if grid["sheetId"] != sheet_id or grid["endRowIndex"] - grid["startRowIndex"] == 1:
            continue
        assert grid["endColumnIndex"] == grid["startColumnIndex"] + 1
        name = names[grid["startColumnIndex"]]
        assert name not in found, f"{tab}.{name} validated twice"
        found[name] = v
    return found


def _has_dropdown(tab: Tab, col: Column) -> bool:
    return bool(col.enum) or col.type == "bool" or col.ref is not None or (tab.name, col.name) == ("Settings", "key")


# -- Chinese texts -----------------------------------------------------------------------------


@pytest.mark.parametrize("tab", TABS, ids=lambda t: t.name)
def test_every_tab_and_column_has_a_chinese_help_with_an_example(tab: Tab) -> None:
    assert CJK.search(tab.help_zh), tab.name
    for col in tab.columns:
        assert CJK.search(col.help_zh) and "例如：" in col.help_zh, f"{tab.name}.{col.name}"


def test_every_setting_has_a_chinese_help_with_an_example() -> None:
    for key in SETTINGS_KEYS:
        assert CJK.search(key.help_zh) and "例如：" in key.help_zh, key.name


# -- spreadsheets.create -------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_create_body_has_every_tab_in_order_then_status(locale: str) -> None:
    body = wi.create_body("Closeloop rules", locale)
    zh = locale == "zh-CN"
    assert body["properties"] == {
        "title": "Closeloop rules",
        "locale": "zh_CN" if zh else "en_US",
        "timeZone": "Asia/Shanghai",
    }
    titles = [s["properties"]["title"] for s in body["sheets"]]
    assert titles == [t.zh if zh else t.name for t in TABS] + ["状态" if zh else "Status"]
    ids = [s["properties"]["sheetId"] for s in body["sheets"]]
    assert len(set(ids)) == len(ids) and all(isinstance(i, int) and i > 0 for i in ids)
    for name, sheet in zip(ALL_TABS, body["sheets"], strict=True):
        grid = sheet["properties"]["gridProperties"]
        assert grid["frozenRowCount"] == (TABLE_HEADER_ROW + 1 if name == "Status" else 1)
        assert grid["columnCount"] >= len(wi.headers(name, locale))
        assert grid["rowCount"] >= (20000 if name == "Routing" else 1000)


def test_create_body_refuses_a_bad_locale_or_title() -> None:
    with pytest.raises(ValueError, match="locale"):
        wi.create_body("x", "fr")
    with pytest.raises(ValueError, match="title"):
        wi.create_body("  ", "en")
    assert wi.normalize_locale("zh_CN") == wi.normalize_locale("ZH") == "zh-CN"


# -- header row ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_every_tab_has_its_headers(locale: str) -> None:
    raw = render(locale)
    zh = locale == "zh-CN"
    for tab in TABS:
        title = tab.zh if zh else tab.name
        expected = [c.zh if zh else c.name for c in tab.columns]
        if tab.name == "Settings":
            expected.append("说明" if zh else "help")
        assert raw[title][0] == expected, title


@pytest.mark.parametrize("locale", LOCALES)
def test_the_status_tab_is_laid_out_as_rules_sync_writes_it(locale: str) -> None:
    body, requests = _requests(locale)
    status_id = wi.sheet_ids_from_response(body)["Status"]
    rows = render(locale)[STATUS[locale]]
    assert rows[TABLE_HEADER_ROW] == list(LABELS[locale]["header"])
    assert rows[2][1] == wi.STATUS_NOT_SYNCED[locale]
    protected = [p["protectedRange"] for p in _of_kind(requests, "addProtectedRange")]
    assert {"range": {"sheetId": status_id}, "description": wi.STATUS_NOTE[locale], "warningOnly": True} in protected
    assert not [v for v in _of_kind(requests, "setDataValidation") if v["range"]["sheetId"] == status_id]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_header_is_bold_coloured_and_protected(locale: str) -> None:
    body, requests = _requests(locale)
    ids = wi.sheet_ids_from_response(body)
    bold = {r["range"]["sheetId"]: r for r in _of_kind(requests, "repeatCell")}
    protected = {
        p["protectedRange"]["range"]["sheetId"]: p["protectedRange"] for p in _of_kind(requests, "addProtectedRange")
    }
    for name in [t.name for t in TABS]:
        header_row = {
            "sheetId": ids[name],
            "startRowIndex": 0,
            "endRowIndex": 1,
            "startColumnIndex": 0,
            "endColumnIndex": len(wi.headers(name, locale)),
        }
        fmt = bold[ids[name]]
        assert fmt["range"] == header_row
        assert fmt["cell"]["userEnteredFormat"]["textFormat"]["bold"] is True
        assert fmt["cell"]["userEnteredFormat"]["backgroundColor"]
        assert set(fmt["fields"].replace("userEnteredFormat(", "").rstrip(")").split(",")) == {
            "textFormat.bold",
            "backgroundColor",
        }
        assert protected[ids[name]]["range"] == header_row
        assert protected[ids[name]]["warningOnly"] is True


@pytest.mark.parametrize("locale", LOCALES)
def test_a_note_on_every_header_cell_in_the_right_language(locale: str) -> None:
    body, requests = _requests(locale)
    grids = _grids(body, requests)
    zh = locale == "zh-CN"
    for tab in TABS:
        grid = grids[tab.zh if zh else tab.name]
        for i, col in enumerate(tab.columns):
            note = grid[(0, i)]["note"]
            assert (col.help_zh if zh else col.help) in note, f"{tab.name}.{col.name}"
            assert ("例如" if zh else "Example") in note
            if zh:
                assert col.help not in note
                assert "必填" in note if col.needs_value else "必填" not in note
            else:
                assert "Required" in note if col.required else "Required" not in note
        first = grid[(0, 0)]["note"]
        assert (tab.help_zh if zh else tab.help) in first
    ref_note = grids["分配规则" if zh else "Routing"][(0, 1)]["note"]  # Routing.team
    assert ("【负责人】表的“团队”列" if zh else "Owners → team") in ref_note


# -- dropdowns -----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("tab", TABS, ids=lambda t: t.name)
def test_a_dropdown_for_every_enum_and_ref_column_and_none_for_free_text(locale: str, tab: Tab) -> None:
    found = _validations(locale, tab.name)
    assert set(found) == {c.name for c in tab.columns if _has_dropdown(tab, c)}
    limit = 20000 if tab.name == "Routing" else 1000
    for name, request in found.items():
        col = tab.column(name)
        rule = request["rule"]
        assert (request["range"]["startRowIndex"], request["range"]["endRowIndex"]) == (1, limit)
        assert rule["strict"] is (not col.is_list), f"{tab.name}.{name}"
        assert rule["showCustomUi"] is True and rule["inputMessage"]
        condition = rule["condition"]
        listed = [v["userEnteredValue"] for v in condition["values"]]
        if col.type == "bool":
            assert condition["type"] == "ONE_OF_LIST"
            assert listed == (["是", "否"] if locale == "zh-CN" else ["TRUE", "FALSE"])
        elif col.enum:
            assert condition["type"] == "ONE_OF_LIST" and listed == list(col.enum)
        elif col.ref:
            assert condition["type"] == "ONE_OF_RANGE" and len(listed) == 1
        if col.is_list:
            assert ("逗号" if locale == "zh-CN" else "comma") in rule["inputMessage"]


@pytest.mark.parametrize(
    ("locale", "tab", "column", "formula"),
    [
        ("en", "Routing", "team", "='Owners'!D2:D1000"),
        ("en", "Routing", "owner_id", "='Owners'!A2:A1000"),
        ("en", "Owners", "manager_id", "='Owners'!A2:A1000"),
        ("en", "Holidays", "calendar", "='Calendars'!A2:A1000"),
        ("en", "SLA", "calendar", "='Calendars'!A2:A1000"),
        ("en", "Routing", "region", "='Regions'!C2:C1000"),
        ("en", "Routing", "source", "='Sources'!A2:A1000"),
        ("en", "Routing", "tier", "='Tiers'!B2:B1000"),
        ("zh-CN", "Routing", "team", "='负责人'!D2:D1000"),
        ("zh-CN", "Owners", "manager_id", "='负责人'!A2:A1000"),
        ("zh-CN", "Holidays", "calendar", "='工作日历'!A2:A1000"),
    ],
)
def test_references_point_at_the_referenced_column(locale: str, tab: str, column: str, formula: str) -> None:
    rule = _validations(locale, tab)[column]["rule"]
    assert rule["condition"] == {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": formula}]}


@pytest.mark.parametrize(("tab", "column"), [("Owners", "role")])
def test_roles_are_a_strict_list(tab: str, column: str) -> None:
    rule = _validations("en", tab)[column]["rule"]
    assert rule["strict"] is True
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == list(ROLES)


@pytest.mark.parametrize(
    ("tab", "column"),
    [("Routing", "role"), ("Discounts", "approvers"), ("Renewals", "notify"), ("SLA", "escalate_to")],
)
def test_role_lists_are_not_strict(tab: str, column: str) -> None:
    rule = _validations("zh-CN", tab)[column]["rule"]
    assert rule["strict"] is False
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == list(ROLES)


def test_settings_keys_and_typed_values_have_dropdowns() -> None:
    body, requests = _requests("en")
    settings_id = wi.sheet_ids_from_response(body)["Settings"]
    key_rule = _validations("en", "Settings")["key"]["rule"]
    assert [v["userEnteredValue"] for v in key_rule["condition"]["values"]] == [k.name for k in SETTINGS_KEYS]
    cells = [
        v
        for v in _of_kind(requests, "setDataValidation")
        if v["range"]["sheetId"] == settings_id and v["range"]["endRowIndex"] - v["range"]["startRowIndex"] == 1
    ]
    names = [k.name for k in SETTINGS_KEYS]
    rows = [names.index(k) + 1 for k in ("wake_events", "locale", "invoice_on", "create_opportunity_on")]
    assert [(c["range"]["startRowIndex"], c["range"]["startColumnIndex"]) for c in cells] == [(r, 1) for r in rows]
    assert cells[0]["rule"]["strict"] is False
    assert [v["userEnteredValue"] for v in cells[0]["rule"]["condition"]["values"]] == list(BEHAVIOR_EVENTS)
    assert [v["userEnteredValue"] for v in cells[1]["rule"]["condition"]["values"]] == ["en", "zh-CN"]
    assert [v["userEnteredValue"] for v in cells[2]["rule"]["condition"]["values"]] == [
        "order_signed",
        "shipment_signed",
    ]
    assert [v["userEnteredValue"] for v in cells[3]["rule"]["condition"]["values"]] == ["manual", "sql", "first_touch"]


# -- example rows --------------------------------------------------------------------------------


def _normalised(tab: Tab, header: list[str], rows: list[list[str]]) -> list[dict[str, Any]]:
    """Rows by English column name; numbers and booleans compared by value, not spelling."""
    by_header = {h: i for i, h in enumerate(header)}
    out = []
    for row in rows:
        values: dict[str, Any] = {}
        for col in tab.columns:
            i = by_header.get(col.name, by_header.get(col.zh))
            text = row[i] if i is not None and i < len(row) else ""
            values[col.name] = convert(col, text) if text and col.type in ("int", "number", "bool") else text
        out.append(values)
    return out


@pytest.mark.parametrize("locale", LOCALES)
def test_example_rows_equal_the_csvs(locale: str) -> None:
    raw = render(locale)
    for tab in TABS:
        if tab.name == "Settings":
            continue  # below: every key, with its help
        written = raw[tab.zh if locale == "zh-CN" else tab.name]
        csv = EXAMPLES[tab.name]
        assert _normalised(tab, written[0], written[1:]) == _normalised(tab, csv[0], csv[1:]), tab.name


@pytest.mark.parametrize("locale", LOCALES)
def test_settings_has_every_key_with_its_default_and_help(locale: str) -> None:
    raw = render(locale)
    rows = raw["设置" if locale == "zh-CN" else "Settings"][1:]
    assert [r[0] for r in rows] == [k.name for k in SETTINGS_KEYS]  # keys stay English: the parser needs them
    for key, (_, value, help_text) in zip(SETTINGS_KEYS, rows, strict=True):
        typed = convert(key, value)
        assert typed == (list(key.default) if isinstance(key.default, list) else key.default), key.name
        assert (key.help_zh if locale == "zh-CN" else key.help) in help_text
    assert dict(r[:2] for r in rows) == dict(EXAMPLES["Settings"][1:])


def test_numbers_are_written_as_numbers_and_booleans_per_locale() -> None:
    body, requests = _requests("zh-CN")
    grids = _grids(body, requests)
    scoring = grids["评分规则"]
    points = [c.name for c in TAB_BY_NAME["Scoring"].columns].index("points")
    unsubscribe = next(r for (r, c), cell in scoring.items() if c == 0 and _cell_value(cell) == "bhv_unsubscribe")
    assert scoring[(unsubscribe, points)]["userEnteredValue"] == {"numberValue": -30}  # not '-30
    tiers = grids["客户分级"]
    assert tiers[(2, 6)] == {
        "userEnteredValue": {"numberValue": 1000000},
        "userEnteredFormat": {"numberFormat": {"type": "NUMBER", "pattern": "#,##0"}},
    }
    sources = render("zh-CN")["线索来源"]
    assert {row[5] for row in sources[1:]} == {"是", "否"}
    assert {row[5] for row in render("en")["Sources"][1:]} == {"TRUE", "FALSE"}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_written_workbook_parses_to_the_example_content(locale: str) -> None:
    result = parse_workbook(render(locale))
    assert [str(p) for p in result.problems] == []
    assert result.content == EXPECTED


def test_the_chinese_workbook_parses_the_same_as_the_english_one() -> None:
    zh, en = render("zh-CN"), render("en")
    assert set(zh).isdisjoint(t.name for t in TABS)  # really Chinese tab names ...
    assert zh["负责人"][0][:5] == ["负责人ID", "姓名", "邮箱", "团队", "角色"]  # ... and headers
    assert parse_workbook(zh).content == parse_workbook(en).content == EXPECTED


# -- formula injection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written"),
    [("=IMPORTXML(A1)", "'=IMPORTXML(A1)"), ("+1", "'+1"), ("-x", "'-x"), ("@me", "'@me"), ("ok=1", "ok=1")],
)
def test_escape_cell(text: str, written: str) -> None:
    assert wi.escape_cell(text) == written


def test_cells_are_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = read_csv_dir(wi.EXAMPLES_DIR)
    raw["Stages"][1][2] = '=HYPERLINK("http://evil.example","x")'
    raw["Scoring"][1][6] = "@SUM(1)"
    monkeypatch.setattr(wi, "_examples", lambda: raw)
    _, requests = _requests("en")
    strings = [
        cell["userEnteredValue"]["stringValue"]
        for update in _of_kind(requests, "updateCells")
        for row in update["rows"]
        for cell in row.get("values", [])
        if "stringValue" in cell.get("userEnteredValue", {})
    ]
    assert '\'=HYPERLINK("http://evil.example","x")' in strings and "'@SUM(1)" in strings
    assert not [s for s in strings if s[:1] in "=+-@"]


# -- sending -------------------------------------------------------------------------------------


class RecordingClient:
    def __init__(self, ids: dict[str, int] | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.ids = ids

    def create_spreadsheet(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("create", body))
        sheets = [dict(s, properties=dict(s["properties"])) for s in body["sheets"]]
        if self.ids:
            for sheet, name in zip(sheets, ALL_TABS, strict=True):
                sheet["properties"]["sheetId"] = self.ids[name]
        return {"spreadsheetId": "sheet-123", "properties": body["properties"], "sheets": sheets}

    def batch_update(self, spreadsheet_id: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(("batch_update", (spreadsheet_id, requests)))
        return {"spreadsheetId": spreadsheet_id, "replies": [{} for _ in requests]}

    def share(self, spreadsheet_id: str, email: str, role: str = "writer") -> None:
        self.calls.append(("share", (spreadsheet_id, email, role)))


@pytest.mark.parametrize("locale", LOCALES)
def test_create_workbook_makes_two_requests(locale: str) -> None:
    client = RecordingClient()
    assert wi.create_workbook(client, "Rules", share=None, locale=locale) == "sheet-123"
    assert [c[0] for c in client.calls] == ["create", "batch_update"]
    assert client.calls[0][1] == wi.create_body("Rules", locale)
    assert client.calls[1][1][0] == "sheet-123"


def test_create_workbook_shares_when_asked() -> None:
    client = RecordingClient()
    wi.create_workbook(client, "Rules", share="ops@example.com", locale="en")
    assert client.calls[-1] == ("share", ("sheet-123", "ops@example.com", "writer"))
    assert [c[0] for c in client.calls] == ["create", "batch_update", "share"]


def test_create_workbook_uses_the_sheet_ids_google_returns() -> None:
    ids = {name: 7000 + i for i, name in enumerate(ALL_TABS)}
    client = RecordingClient(ids)
    wi.create_workbook(client, "Rules", locale="zh-CN")
    requests = client.calls[1][1][1]
    used = {(u.get("start") or u["range"])["sheetId"] for u in _of_kind(requests, "updateCells")}
    used |= {v["range"]["sheetId"] for v in _of_kind(requests, "setDataValidation")}
    assert used == set(ids.values())
    team = next(
        v for v in _of_kind(requests, "setDataValidation") if v["range"]["sheetId"] == ids["Routing"]
    )  # Routing's first dropdown: team
    assert team["range"]["startColumnIndex"] == 1


def test_init_requests_needs_every_sheet_id() -> None:
    ids = wi.default_sheet_ids()
    del ids["Health"]
    with pytest.raises(ValueError, match="Health"):
        wi.init_requests(ids, "en")
