"""Rule sources for the rules-sync use case (shared/rules/services/rules_publishing.sync_rules).

A folder of CSVs or an xlsx file is read and parsed; a Google spreadsheet is read in one
request and, after publishing, told the outcome in one more — the Status tab and a note on
every offending cell. A Sheets failure publishes nothing: the last good version stays live.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from admin_sheets.model import Problem
from shared.kernel.domain.events import iso
from shared.rules.services.rules_publishing import PublishResult, ReadRules, SourceUnreadable
from shared.rules.services.rules_publishing import sync_rules as sync_rules_service

SHEETS_PREFIX = "sheets:"
OUTCOMES = {"published": "accepted", "unchanged": "unchanged", "rejected": "rejected", "held": "held"}


class FileSource:
    """``dir:PATH`` or ``xlsx:PATH``: read and parse; nothing to report back to."""

    def __init__(self, name: str) -> None:
        self.name = name

    def read(self) -> ReadRules:
        from admin_sheets.parse import validate_source

        parsed = validate_source(self.name)
        return ReadRules(parsed.content, [str(p) for p in parsed.problems], [str(w) for w in parsed.warnings])

    def report(self, result: PublishResult, at: datetime) -> None:
        """A file has no Status tab: the command line prints the outcome."""


class GoogleSource:
    """``sheets:ID``: one read of every tab, one write of the outcome (Status tab, cell notes)."""

    def __init__(self, name: str, connect: Callable[[], Any]) -> None:
        self.name = name
        self._connect = connect  # made on read: missing credentials are a failed read, not a crash
        self._client: Any = None
        self._workbook: Any = None
        self._problems: list[Problem] = []
        self._warnings: list[Problem] = []

    def read(self) -> ReadRules:
        from admin_sheets.google_sheets import SheetsError
        from admin_sheets.parse import parse_workbook

        try:
            self._client = self._connect()
            self._workbook = self._client.read_workbook(self.name[len(SHEETS_PREFIX) :])
        except SheetsError as exc:
            raise SourceUnreadable(str(exc)) from None
        parsed = parse_workbook(self._workbook.raw)
        self._problems, self._warnings = list(parsed.problems), list(parsed.warnings)
        return ReadRules(parsed.content, [str(p) for p in parsed.problems], [str(w) for w in parsed.warnings])

    def report(self, result: PublishResult, at: datetime) -> None:
        from admin_sheets.google_sheets import SheetsError, SyncReport

        outcome = OUTCOMES[result.status]
        locale = _locale(self._workbook.raw)
        report = SyncReport(iso(at), outcome, result.version_id, self._problems, locale, self._warnings)
        try:
            self._client.write_report(self._workbook, report)
        except SheetsError as exc:
            raise SourceUnreadable(str(exc)) from None


def rule_source(name: str, container: Any, sheets: Any = None) -> FileSource | GoogleSource:
    """The source a name stands for: ``sheets:ID`` or a file source (``dir:``, ``xlsx:``)."""
    if name.startswith(SHEETS_PREFIX):
        return GoogleSource(name, lambda: sheets or default_sheets_client(container))
    return FileSource(name)


def sync_rules(source: str, container: Any, *, dry_run: bool = False, sheets: Any = None) -> PublishResult:
    """Read, validate and (unless dry-run) publish the rules of a source; report back to Google."""
    return sync_rules_service(
        rule_source(source, container, sheets), container.rules_store, container.rules, container.clock, dry_run=dry_run
    )


def _locale(raw: dict[str, Any]) -> str:
    """A workbook whose tabs carry their Chinese names gets its Status tab in Chinese."""
    return workbook_locale(list(raw))


def workbook_locale(titles: list[str]) -> str:
    """``zh-CN`` when most tabs carry their Chinese names (Status and Work tabs follow), else ``en``."""
    from admin_sheets.tabs import canonical_tab_name

    chinese = sum(1 for title in titles if canonical_tab_name(title) not in (None, title))
    return "zh-CN" if chinese > len(titles) / 2 else "en"


def default_sheets_client(container: Any) -> Any:
    """Anonymous against CLOSELOOP_SHEETS_ENDPOINT (emulators, tests); else the service account
    from GOOGLE_APPLICATION_CREDENTIALS or, in AWS, from Secrets Manager."""
    import os

    from admin_sheets.google_sheets import sheets_client

    if os.environ.get("CLOSELOOP_SHEETS_ENDPOINT") or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        return sheets_client()
    return sheets_client(container.secrets.google_service_account())
