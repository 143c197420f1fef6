"""The parser's data: problems, results, and sheets as parsed (rows with their positions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from admin_sheets.tabs import Tab

Content = dict[str, list[dict[str, Any]]]
RawWorkbook = dict[str, list[list[str]]]  # {tab name: rows of cell text}, header row first


class SourceError(Exception):
    """A workbook source that cannot be read; the message is one line for the operator."""


@dataclass(frozen=True, slots=True)
class Problem:
    tab: str
    cell: str
    message: str

    def __str__(self) -> str:
        return f"{self.tab}!{self.cell}: {self.message}"


@dataclass
class ParseResult:
    content: Content | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # told, but they do not stop publishing

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Row:
    number: int  # 1-based sheet row, for messages
    values: dict[str, Any]


@dataclass
class Sheet:
    """One tab as parsed: typed rows plus where each column sits, to point at cells."""

    tab: Tab
    title: str  # the tab's name as found in the workbook (may be Chinese)
    letters: dict[str, str] = field(default_factory=dict)  # column name → header letter
    rows: list[Row] = field(default_factory=list)

    def cell(self, row: Row | None, column: str) -> str:
        return f"{self.letters.get(column, 'A')}{row.number if row else 1}"

    def problem(self, row: Row | None, column: str, message: str) -> Problem:
        return Problem(self.title, self.cell(row, column), message)
