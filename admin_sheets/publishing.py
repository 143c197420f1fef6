"""Reading a rule source and publishing it: the glue between the workbook and versions.

For a Google source the whole exchange is two requests: one read of every tab, and (unless
a dry run) one write of the result back into the sheet — the Status tab and a note on
every offending cell. A Sheets failure publishes nothing: the last good version stays live.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.domain.events import Event, iso
from shared.services.rules_publishing import PublishResult, publish_rules

SHEETS_PREFIX = "sheets:"


def sync_rules(source: str, container: Any, *, dry_run: bool = False, sheets: Any = None) -> PublishResult:
    """Read, validate and (unless dry-run) publish the rules of a source; report back to Google."""
    if source.startswith(SHEETS_PREFIX):
        return _sync_google(source, container, dry_run=dry_run, client=sheets)
    from admin_sheets.parse import validate_source

    parsed = validate_source(source)
    return _publish(source, parsed, container, dry_run=dry_run)


def _publish(source: str, parsed: Any, container: Any, *, dry_run: bool) -> PublishResult:
    from shared.adapters.dynamo.rules import VersionRecord

    problems = [str(p) for p in parsed.problems]
    if dry_run:
        return PublishResult("rejected" if problems else "valid", None, problems=problems)
    result = publish_rules(
        parsed.content, problems, source, container.rules_store, container.clock, make_record=VersionRecord
    )
    container.rules.invalidate()
    return result


def _sync_google(source: str, container: Any, *, dry_run: bool, client: Any) -> PublishResult:
    from admin_sheets.google_sheets import SheetsError, SyncReport
    from admin_sheets.parse import parse_workbook

    spreadsheet_id = source[len(SHEETS_PREFIX) :]
    try:
        client = client or default_sheets_client(container)
        workbook = client.read_workbook(spreadsheet_id)
    except SheetsError as exc:
        return _failed(source, str(exc), container, dry_run=dry_run)
    parsed = parse_workbook(workbook.raw)
    result = _publish(source, parsed, container, dry_run=dry_run)
    if dry_run or result.status == "conflict":  # a conflict: the other publisher reports its own result
        return result
    outcome = {"published": "accepted", "unchanged": "unchanged", "rejected": "rejected", "held": "held"}[result.status]
    report = SyncReport(
        iso(container.clock()), outcome, result.version_id, list(parsed.problems), locale=_locale(workbook.raw)
    )
    try:
        client.write_report(workbook, report)
    except SheetsError as exc:  # the version stands; only the report back to the sheet failed
        return replace(result, report_error=str(exc))
    return result


def _locale(raw: dict[str, Any]) -> str:
    """A workbook whose tabs carry their Chinese names gets its Status tab in Chinese."""
    from admin_sheets.tabs import canonical_tab_name

    chinese = sum(1 for title in raw if canonical_tab_name(title) not in (None, title))
    return "zh-CN" if chinese > len(raw) / 2 else "en"


def default_sheets_client(container: Any) -> Any:
    """Anonymous against CLOSELOOP_SHEETS_ENDPOINT (emulators, tests); else the service account
    from GOOGLE_APPLICATION_CREDENTIALS or, in AWS, from Secrets Manager."""
    import os

    from admin_sheets.google_sheets import sheets_client

    if os.environ.get("CLOSELOOP_SHEETS_ENDPOINT") or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        return sheets_client()
    return sheets_client(container.secrets.google_service_account())


def _failed(source: str, message: str, container: Any, *, dry_run: bool) -> PublishResult:
    active = container.rules_store.active()
    version = active.version_id if active else None
    if not dry_run:
        data = {"source": source, "error": message}
        container.rules_store.record_event(
            Event("RulesSyncFailed", f"rules/{source}", container.clock(), data, rules_version=version)
        )
    return PublishResult("failed", version, problems=[message])
