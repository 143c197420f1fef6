"""Header drift: columns are found by name, whatever order, case or language."""

from __future__ import annotations

from admin_sheets.parse import parse_workbook
from admin_sheets.readers import RawWorkbook
from admin_sheets.tabs import TAB_BY_NAME
from tests.unit.admin_sheets.helpers import example_raw, messages, set_cell

EXPECTED = parse_workbook(example_raw()).content


def _reverse_columns(raw: RawWorkbook, tab: str) -> None:
    width = len(raw[tab][0])
    raw[tab] = [list(reversed(row + [""] * (width - len(row)))) for row in raw[tab]]


def test_reordered_columns_parse_the_same(raw: RawWorkbook) -> None:
    for tab in ("Owners", "Routing", "Scoring", "Settings"):
        _reverse_columns(raw, tab)
    assert parse_workbook(raw).content == EXPECTED


def test_header_case_and_whitespace_do_not_matter(raw: RawWorkbook) -> None:
    raw["Owners"][0] = [f"  {h.upper()} " for h in raw["Owners"][0]]
    assert parse_workbook(raw).content == EXPECTED


def test_chinese_headers_and_tab_names(raw: RawWorkbook) -> None:
    for name in ("Owners", "Routing", "Regions"):
        tab = TAB_BY_NAME[name]
        rows = raw.pop(name)
        rows[0] = [tab.column(h).zh for h in rows[0]]
        raw[tab.zh] = rows
    assert parse_workbook(raw).content == EXPECTED


def test_extra_columns_and_unknown_tabs_are_ignored(raw: RawWorkbook) -> None:
    for row in raw["Owners"]:
        row.insert(2, "ops note")
    raw["Status"] = [["anything"], ["at all"]]
    assert parse_workbook(raw).content == EXPECTED


def test_blank_rows_are_skipped(raw: RawWorkbook) -> None:
    raw["Owners"].insert(3, ["", "  ", ""])
    raw["Owners"].append([])
    raw["Scoring"].insert(1, [""] * 7)
    assert parse_workbook(raw).content == EXPECTED


def test_missing_required_column(raw: RawWorkbook) -> None:
    raw["Owners"] = [row[:3] + row[4:] for row in raw["Owners"]]  # drop "team" (D)
    assert messages(parse_workbook(raw))[:1] == ['Owners!K1: missing required column "team" (团队)']


def test_missing_optional_column_uses_defaults(raw: RawWorkbook) -> None:
    raw["Owners"] = [row[:7] + row[8:] for row in raw["Owners"]]  # drop "weight" (H)
    result = parse_workbook(raw)
    assert result.content is not None
    assert {r["weight"] for r in result.content["Owners"]} == {1}


def test_duplicate_header_english_and_chinese(raw: RawWorkbook) -> None:
    set_cell(raw, "Owners", "L1", "团队")
    assert messages(parse_workbook(raw)) == ['Owners!L1: duplicate column "team": also in D1']


def test_blank_header_with_data_under_it(raw: RawWorkbook) -> None:
    set_cell(raw, "Sources", "G1", "")
    set_cell(raw, "Sources", "G3", "orphan")
    assert messages(parse_workbook(raw)) == ["Sources!G1: this column has data but no header"]


def test_blank_header_without_data_is_fine(raw: RawWorkbook) -> None:
    set_cell(raw, "Sources", "H1", "")
    assert parse_workbook(raw).content == EXPECTED


def test_missing_required_tab_and_optional_tab(raw: RawWorkbook) -> None:
    del raw["Scoring"]
    del raw["Health"]
    assert messages(parse_workbook(raw)) == ["Scoring!A1: the Scoring (评分规则) tab is missing"]


def test_optional_tabs_may_be_absent() -> None:
    raw = {
        name: rows
        for name, rows in example_raw().items()
        if name in ("Settings", "Sources", "Owners", "Routing", "Scoring")
    }
    raw["Routing"] = [r for r in raw["Routing"] if not {"vip", "americas,emea,apac", "高价值客户"} & set(r)]
    raw["Routing"] = [[c if c not in ("east", "north") else "" for c in r] for r in raw["Routing"]]
    result = parse_workbook(raw)
    assert messages(result) == []
    assert result.content is not None and result.content["Health"] == []


def test_empty_required_tab(raw: RawWorkbook) -> None:
    raw["Sources"] = []
    assert messages(parse_workbook(raw))[:2] == [
        'Sources!A1: missing required column "source" (来源)',
        'Sources!B1: missing required column "kind" (类型)',
    ]


def test_same_tab_twice(raw: RawWorkbook) -> None:
    raw["负责人"] = raw["Owners"]
    assert messages(parse_workbook(raw)) == ['负责人!A1: this tab is the same as "Owners": keep only one']
