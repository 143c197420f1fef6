"""The ops guide quotes what the program writes: the Status tab's Result and `rules diff` lines."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from admin_sheets.google_sheets import result_text
from admin_sheets.parse import parse_workbook
from admin_sheets.versions import describe, diff_content
from tests.unit.admin_sheets.helpers import example_raw

GUIDE = (Path(__file__).resolve().parents[3] / "docs" / "admin-sheets.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("result", "version"),
    [
        ("accepted", "v7-3f9a1c2e"),
        ("unchanged", "v7-3f9a1c2e"),
        ("rejected", "v7-3f9a1c2e"),
        ("rejected", None),
        ("held", "v7-3f9a1c2e"),
    ],
)
def test_the_guide_quotes_every_status_result(result: str, version: str | None) -> None:
    assert f"`{result_text(result, version, 2)}`" in GUIDE


def test_every_result_says_what_is_live_in_both_languages() -> None:
    for locale in ("en", "zh-CN"):
        for result in ("accepted", "unchanged", "rejected", "held"):
            assert "v7-3f9a1c2e" in result_text(result, "v7-3f9a1c2e", 2, locale), (locale, result)
        assert "2" in result_text("rejected", None, 2, locale)
    assert "edit it to publish again" in result_text("held", "v7", 0)
    assert "修改后才会重新发布" in result_text("held", "v7", 0, "zh-CN")


def test_the_guide_quotes_a_diff_as_rules_diff_prints_it() -> None:
    old = parse_workbook(example_raw()).content
    assert old is not None
    new = copy.deepcopy(old)
    next(r for r in new["Routing"] if r["priority"] == 50)["team"] = "SMB East"
    new["Scoring"] = [r for r in new["Scoring"] if r["rule_id"] != "fit_phone"]
    block = "\n".join(describe(diff_content(old, new)))
    assert f"```\n{block}\n```" in GUIDE
