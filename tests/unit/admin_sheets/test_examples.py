"""The shipped example workbook is valid, complete, and loads into the domain rules."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook

from admin_sheets.parse import parse_workbook, validate_source
from admin_sheets.tabs import TABS
from shared.rules.domain.rules import RuleSet, content_hash
from tests.unit.admin_sheets.helpers import EXAMPLES, example_raw


def test_every_tab_has_an_example_csv() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.csv")) == sorted(t.name for t in TABS)


def test_examples_parse_with_no_problems() -> None:
    result = validate_source(f"dir:{EXAMPLES}")
    assert [str(p) for p in result.problems] == []
    assert result.content is not None
    assert list(result.content) == [t.name for t in TABS]


def test_every_row_has_every_declared_column_and_is_json_ready() -> None:
    content = parse_workbook(example_raw()).content
    assert content is not None
    for tab in TABS:
        if tab.name == "Settings":
            continue
        for row in content[tab.name]:
            assert list(row) == [c.name for c in tab.columns]
    json.dumps(content, ensure_ascii=False)  # raises on anything not JSON-ready


def test_typed_values() -> None:
    content = parse_workbook(example_raw()).content
    assert content is not None
    owners = {r["owner_id"]: r for r in content["Owners"]}
    assert owners["u_wang"]["capacity"] == 50 and isinstance(owners["u_wang"]["capacity"], int)
    assert owners["u_zhou"]["active"] is False
    assert owners["u_chen"]["notify"] == ["email", "wecom"]
    settings = {r["key"]: r["value"] for r in content["Settings"]}
    assert settings["wake_click_rate"] == 0.08
    assert settings["quality_fields"][0] == "email"
    scoring = {r["rule_id"]: r for r in content["Scoring"]}
    assert scoring["fit_budget"]["value"] == 500000
    assert scoring["fit_industry"]["value"] == ["manufacturing", "energy"]
    assert scoring["bhv_email_open"]["value"] is None
    assert content["Tiers"][1]["min_budget"] == 1000000


def test_ruleset_loads_the_example_content() -> None:
    content = parse_workbook(example_raw()).content
    assert content is not None
    rules = RuleSet.from_content(content, "v1")
    assert rules.settings.sql_threshold == 80
    assert rules.settings.wake_events == ("whitepaper_download", "demo_request")
    assert rules.owners["u_zhou"].active is False
    assert rules.owners["u_chen"].capacity is None and rules.owners["u_chen"].weight == 1
    assert [r.priority for r in rules.routing] == [10, 20, 30, 40, 50, 90, 100, 110, 190, 200]
    assert [r.routes for r in rules.routing][-4:] == ["case", "case", "account", "account"]
    assert rules.routing[-2].segment == ("高价值客户",) and rules.routing[-1].segment == ()
    assert rules.settings.rfm_window_days == 365
    assert [r["segment"] for r in content["Segments"]] == ["高价值客户", "流失风险客户", "潜力客户", "新客户"]
    assert content["Segments"][0]["min_monetary"] == 500000
    assert rules.routing[0].role == ("senior_ae",)
    assert rules.industries["manufacturer"] == "manufacturing"
    assert {o.team for o in rules.owners_of("SMB East")} == {"SMB East"}
    assert any(r.province is None and r.country == "US" for r in rules.regions)
    assert rules.scoring[3].value == ["总监", "Director", "VP", "经理"]
    assert rules.sources["website"].allowed_origins == ("https://www.example.com", "https://example.com")


def _write_xlsx(path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, rows in example_raw().items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([_typed(cell) for cell in row])
    book.save(path)


def _typed(cell: str) -> object:
    """Numbers as real numbers, like a person typing them into Excel would get."""
    try:
        return int(cell)
    except ValueError:
        return {"TRUE": True, "FALSE": False}.get(cell, cell)


def test_xlsx_parses_to_the_same_content(tmp_path: Path) -> None:
    path = tmp_path / "rules.xlsx"
    _write_xlsx(path)
    from_xlsx = validate_source(f"xlsx:{path}")
    from_csv = validate_source(f"dir:{EXAMPLES}")
    assert [str(p) for p in from_xlsx.problems] == []
    assert from_xlsx.content == from_csv.content
    assert content_hash(from_xlsx.content or {}) == content_hash(from_csv.content or {})
