"""Readers: CSV directories, xlsx workbooks, and the sources not yet built."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from admin_sheets.parse import validate_source
from admin_sheets.readers import SourceError, cell_text, read_source
from tests.unit.admin_sheets.helpers import EXAMPLES


def test_csv_dir_accepts_a_bom_and_skips_missing_files(tmp_path: Path) -> None:
    (tmp_path / "Owners.csv").write_bytes("\ufeffowner_id,name\nu_1,王磊\n".encode())
    (tmp_path / "notes.txt").write_text("ignored")
    assert read_source(f"dir:{tmp_path}") == {"Owners": [["owner_id", "name"], ["u_1", "王磊"]]}


def test_csv_dir_with_chinese_file_names_parses(tmp_path: Path) -> None:
    for csv in EXAMPLES.glob("*.csv"):
        name = "负责人" if csv.stem == "Owners" else csv.stem
        (tmp_path / f"{name}.csv").write_bytes(csv.read_bytes())
    assert validate_source(f"dir:{tmp_path}").problems == []


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "Owners.csv").write_bytes("owner_id,name\nu_1,王磊\n".encode("gbk"))
    with pytest.raises(SourceError, match=r"Owners\.csv is not UTF-8"):
        read_source(f"dir:{tmp_path}")


@pytest.mark.parametrize(
    ("source", "error", "match"),
    [
        ("dir:/nonexistent/rules", SourceError, "rules directory not found"),
        ("xlsx:/nonexistent/rules.xlsx", SourceError, "rules workbook not found"),
        ("ftp:somewhere", ValueError, "use one of dir:..., xlsx:..., sheets:..."),
        ("examples", ValueError, "unknown rules source"),
        ("dir:", SourceError, "names no location"),
        ("sheets:1AbCdEf", SourceError, "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS"),
    ],
)
def test_source_errors(source: str, error: type[Exception], match: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("CLOSELOOP_SHEETS_ENDPOINT", raising=False)
    with pytest.raises(error, match=match):
        read_source(source)


def test_a_file_that_is_not_xlsx(tmp_path: Path) -> None:
    bad = tmp_path / "rules.xlsx"
    bad.write_text("not a workbook")
    with pytest.raises(SourceError, match=r"cannot open rules\.xlsx"):
        read_source(f"xlsx:{bad}")


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (None, "General", ""),
        (80, "General", "80"),
        (80.0, "General", "80"),
        (1.5, "General", "1.5"),
        (0.2, "0%", "20%"),
        (0.075, "0.0%", "7.5%"),
        (True, "General", "TRUE"),
        (False, "General", "FALSE"),
        (datetime(2026, 10, 1), "yyyy-mm-dd", "2026-10-01"),
        (date(2026, 10, 1), "yyyy-mm-dd", "2026-10-01"),
        (time(9, 0), "h:mm", "09:00"),
        ("  text ", "General", "  text "),
    ],
)
def test_cell_text(value: Any, number_format: str, expected: str) -> None:
    assert cell_text(value, number_format) == expected


def test_xlsx_with_real_dates_times_and_percentages(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "节假日"
    sheet.append(["calendar", "date", "name"])
    sheet.append(["cn-office", datetime(2026, 10, 1), "国庆节"])
    cal = book.create_sheet("Calendars")
    cal.append(["calendar", "timezone", "workdays", "start", "end"])
    cal.append(["cn-office", "Asia/Shanghai", "mon,tue", time(9, 0), time(18, 0)])
    health = book.create_sheet("Health")
    health.append(["dimension", "weight"])
    health.append(["usage", 1])
    health["B2"].number_format = "0%"
    path = tmp_path / "rules.xlsx"
    book.save(path)
    raw = read_source(f"xlsx:{path}")
    assert raw["节假日"][1] == ["cn-office", "2026-10-01", "国庆节"]
    assert raw["Calendars"][1][3:] == ["09:00", "18:00"]
    assert raw["Health"][1] == ["usage", "100%"]
