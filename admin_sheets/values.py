"""Cell text → typed, JSON-ready value, per column type.

Each converter takes the trimmed, non-blank cell text and either returns the value or
raises ``BadValue`` with a message an ops person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from admin_sheets.tabs import Column

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "是", "对"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "否", "不"})
LIST_SEPARATORS = re.compile(r"[,，]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # 500,000 / 1,234.5
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(:00)?$")


class BadValue(ValueError):
    """A cell value that does not fit its column; the message is shown as is."""


def convert(column: Column, text: str | None) -> Any:
    """Typed value of one cell; blank → the column default, [] for lists, else None."""
    text = (text or "").strip()
    if not text:
        if column.default is not None:
            return list(column.default) if isinstance(column.default, list | tuple) else column.default
        return [] if column.is_list else None
    return _CONVERTERS[column.type](column, text)


def _got(text: str) -> str:
    return f'got "{text}"'


# A sheet shows amounts as it is formatted: "¥500,000.00", "CNY 500,000", "$1,200" all mean a number.
_CURRENCY = re.compile(r"^(?:[¥￥$€£]|CNY|RMB|USD|EUR)\s*|\s*(?:元|CNY|RMB|USD|EUR)$", re.IGNORECASE)


def _number_or_none(text: str) -> float | int | None:
    cleaned = _CURRENCY.sub("", text.strip()).replace(" ", "").replace("\u00a0", "")
    if _GROUPED_NUMBER.match(cleaned):
        cleaned = cleaned.replace(",", "")
    if not _PLAIN_NUMBER.match(cleaned):
        return None
    value = float(cleaned)
    # Whole numbers stay ints so content (and its hash) reads the same from CSV and xlsx.
    return int(value) if value.is_integer() else value


def _to_str(column: Column, text: str) -> str:
    return text


def _to_int(column: Column, text: str) -> int:
    value = _number_or_none(text)
    if not isinstance(value, int):
        raise BadValue(f"{column.name} must be a whole number, {_got(text)}")
    return value


def _to_number(column: Column, text: str) -> float | int:
    value = _number_or_none(text)
    if value is None:
        raise BadValue(f"{column.name} must be a number like 500,000 or 1.5, {_got(text)}")
    return value


def _to_percent(column: Column, text: str) -> float:
    bad = BadValue(f"{column.name} must be a percentage like 20% or 0.2, {_got(text)}")
    cleaned = text.replace("％", "%").replace(" ", "")
    if cleaned.endswith("%"):
        value = _number_or_none(cleaned[:-1])
        if value is None:
            raise bad
        share = round(value / 100, 10)  # 20% → 0.2, not 0.20000000000000001
    else:
        value = _number_or_none(cleaned)
        if value is None or abs(value) > 1:
            raise bad  # "20" is ambiguous (20% or 2000%?): ask for the % sign
        share = value
    return float(share)  # a share is always a float: 100% → 1.0


def _to_bool(column: Column, text: str) -> bool:
    word = text.casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadValue(f"{column.name} must be TRUE or FALSE (yes/no, 是/否), {_got(text)}")


def _enum_value(column: Column, item: str) -> str:
    value = item.casefold()
    if value not in column.enum:
        raise BadValue(f"{column.name} must be one of {', '.join(column.enum)}; {_got(item)}")
    return value


def _to_enum(column: Column, text: str) -> str:
    return _enum_value(column, text)


def split_list(text: str) -> list[str]:
    return [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]


def _to_list(column: Column, text: str) -> list[str]:
    return split_list(text)


def _to_enum_list(column: Column, text: str) -> list[str]:
    return [_enum_value(column, item) for item in split_list(text)]


def _to_date(column: Column, text: str) -> str:
    cleaned = text.replace("/", "-").split(" ")[0].split("T")[0]  # 2026/10/01, or a datetime
    try:
        return datetime.strptime(cleaned, "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise BadValue(f"{column.name} must be a date like 2026-10-01, {_got(text)}") from None


def _to_time(column: Column, text: str) -> str:
    match = _TIME.match(text.replace("：", ":"))
    if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    raise BadValue(f"{column.name} must be a time like 09:00, {_got(text)}")


_CONVERTERS: dict[str, Callable[[Column, str], Any]] = {
    "str": _to_str,
    "int": _to_int,
    "number": _to_number,
    "percent": _to_percent,
    "bool": _to_bool,
    "list": _to_list,
    "enum": _to_enum,
    "enum_list": _to_enum_list,
    "date": _to_date,
    "time": _to_time,
}
