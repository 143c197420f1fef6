"""Cell text → typed value, one column type at a time."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admin_sheets.tabs import Column
from admin_sheets.values import BadValue, convert

ENUM = ("sdr", "ae", "manager")


@pytest.mark.parametrize(
    ("column", "text", "expected"),
    [
        (Column("n", "int"), "42", 42),
        (Column("n", "int"), "1,000", 1000),
        (Column("n", "int"), "3.0", 3),
        (Column("n", "number"), "500,000", 500000),
        (Column("n", "number"), "500000", 500000),
        (Column("n", "number"), "1.5", 1.5),
        (Column("n", "number"), "-30", -30),
        (Column("n", "number"), "1,234.5", 1234.5),
        (Column("p", "percent"), "20%", 0.2),
        (Column("p", "percent"), "20 ％", 0.2),
        (Column("p", "percent"), "0.2", 0.2),
        (Column("p", "percent"), "7.5%", 0.075),
        (Column("p", "percent"), "100%", 1.0),
        (Column("b", "bool"), "TRUE", True),
        (Column("b", "bool"), "false", False),
        (Column("b", "bool"), "yes", True),
        (Column("b", "bool"), "N", False),
        (Column("b", "bool"), "1", True),
        (Column("b", "bool"), "是", True),
        (Column("b", "bool"), "否", False),
        (Column("l", "list"), "a, b ,,c", ["a", "b", "c"]),
        (Column("l", "list"), "上海，江苏, 浙江", ["上海", "江苏", "浙江"]),
        (Column("e", "enum", enum=ENUM), "AE", "ae"),
        (Column("e", "enum_list", enum=ENUM), "SDR，ae", ["sdr", "ae"]),
        (Column("d", "date"), "2026-10-01", "2026-10-01"),
        (Column("d", "date"), "2026/1/5", "2026-01-05"),
        (Column("d", "date"), "2026-10-01 00:00", "2026-10-01"),
        (Column("t", "time"), "9:00", "09:00"),
        (Column("t", "time"), "18:30", "18:30"),
        (Column("s", "str"), "  padded  ", "padded"),
    ],
)
def test_good_values(column: Column, text: str, expected: Any) -> None:
    value = convert(column, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (Column("s", "str"), None),
        (Column("l", "list"), []),
        (Column("e", "enum_list", enum=ENUM), []),
        (Column("b", "bool", default=True), True),
        (Column("w", "int", default=1), 1),
    ],
)
def test_blank_cells(column: Column, expected: Any) -> None:
    assert convert(column, "   ") == expected


@pytest.mark.parametrize(
    ("column", "text", "message"),
    [
        (Column("capacity", "int"), "three", 'capacity must be a whole number, got "three"'),
        (Column("capacity", "int"), "2.5", 'capacity must be a whole number, got "2.5"'),
        (Column("list_price", "number"), "12k", 'list_price must be a number like 500,000 or 1.5, got "12k"'),
        (Column("list_price", "number"), "1,5", 'list_price must be a number like 500,000 or 1.5, got "1,5"'),
        (Column("warn_at", "percent"), "75", 'warn_at must be a percentage like 20% or 0.2, got "75"'),
        (Column("warn_at", "percent"), "high%", 'warn_at must be a percentage like 20% or 0.2, got "high%"'),
        (Column("active", "bool"), "maybe", 'active must be TRUE or FALSE (yes/no, 是/否), got "maybe"'),
        (Column("role", "enum", enum=ENUM), "boss", 'role must be one of sdr, ae, manager; got "boss"'),
        (
            Column("role", "enum_list", enum=ENUM),
            "ae,boss",
            'role must be one of sdr, ae, manager; got "boss"',
        ),
        (Column("date", "date"), "10/01/2026", 'date must be a date like 2026-10-01, got "10/01/2026"'),
        (Column("date", "date"), "2026-02-30", 'date must be a date like 2026-10-01, got "2026-02-30"'),
        (Column("start", "time"), "9am", 'start must be a time like 09:00, got "9am"'),
        (Column("start", "time"), "25:00", 'start must be a time like 09:00, got "25:00"'),
    ],
)
def test_bad_values(column: Column, text: str, message: str) -> None:
    with pytest.raises(BadValue) as error:
        convert(column, text)
    assert str(error.value) == message


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_amounts_read_back_with_or_without_thousands_separators(amount: int) -> None:
    column = Column("amount", "number")
    assert convert(column, f"{amount:,}") == convert(column, str(amount)) == amount


@given(st.integers(min_value=0, max_value=100))
def test_percent_with_sign_equals_the_share(percent: int) -> None:
    column = Column("share", "percent")
    assert convert(column, f"{percent}%") == pytest.approx(convert(column, str(percent / 100)))
