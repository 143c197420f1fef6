"""Reading a rule source and publishing it: the glue between the workbook and versions."""

from __future__ import annotations

from typing import Any

from shared.services.rules_publishing import PublishResult, publish_rules


def sync_rules(source: str, container: Any, *, dry_run: bool = False) -> PublishResult:
    """Read, validate and (unless dry-run) publish the rules of a source."""
    from admin_sheets.parse import validate_source
    from shared.adapters.dynamo.rules import VersionRecord

    parsed = validate_source(source)
    problems = [str(p) for p in parsed.problems]
    if dry_run:
        status = "rejected" if problems else "valid"
        return PublishResult(status, None, problems=problems)
    result = publish_rules(
        parsed.content, problems, source, container.rules_store, container.clock, make_record=VersionRecord
    )
    container.rules.invalidate()
    return result
