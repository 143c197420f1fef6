"""Discount cells outside 0–100 % are publishing errors at their cell (CONTRACT §14): a −5 % lower
bound would make every quote need approval, a 150 % one would match no quote at all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.cli_rules import CommandError, _candidate
from tests.unit.admin_sheets.helpers import EXAMPLES, parse_edited


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("Discounts", "D3", "-5%")], ["Discounts!D3: min_discount must be 0% or more, got -5%"], id="minus-5"
        ),
        pytest.param(
            [("Discounts", "E3", "150%")], ["Discounts!E3: max_discount must be 100% or less, got 150%"], id="150"
        ),
        pytest.param(
            [("Discounts", "D2", "-0.05")], ["Discounts!D2: min_discount must be 0% or more, got -5%"], id="min-share"
        ),
        pytest.param(
            [("Products", "D2", "150%")], ["Products!D2: max_discount must be 100% or less, got 150%"], id="product-cap"
        ),
        pytest.param(
            [("Products", "D3", "-5%")], ["Products!D3: max_discount must be 0% or more, got -5%"], id="product-minus"
        ),
        pytest.param([("Discounts", "E3", "100%"), ("Products", "D2", "0%")], [], id="the-ends-are-fine"),
    ],
)
def test_discounts_outside_0_to_100_percent_are_refused(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected


def test_a_backtest_of_a_minus_5_percent_row_stops_at_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reported case: `rules backtest` said "0 would change" for a −5 % row that makes every
    quote need approval. It now refuses the workbook and names the cell."""
    for csv in EXAMPLES.glob("*.csv"):
        shutil.copy(csv, tmp_path / csv.name)
    discounts = tmp_path / "Discounts.csv"
    discounts.write_text(
        discounts.read_text(encoding="utf-8").replace("20,,,5%,,manager", "20,,,-5%,,manager"), encoding="utf-8"
    )
    with pytest.raises(CommandError, match="1 problem"):
        _candidate(f"dir:{tmp_path}")
    assert "Discounts!D3: min_discount must be 0% or more, got -5%" in capsys.readouterr().err
