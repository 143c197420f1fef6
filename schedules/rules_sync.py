"""rules-sync (every 5 minutes): publish the Google Sheets workbook's rules if they changed.

Reads every tab in one request, validates the whole workbook, publishes a new version or keeps
the last good one live, and writes the outcome back into the sheet in one request.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.acting import on_schedule


def rules_source(spreadsheet_id: str, local_source: str | None) -> str | None:
    """In AWS the workbook named by the SpreadsheetId parameter; locally, the stack's own source."""
    if spreadsheet_id:
        return f"sheets:{spreadsheet_id}"
    return local_source or None


def source_to_sync(c: Any, local_source: str | None) -> str | None:
    """What a sync reads when nobody names a source: the workbook in AWS (nothing without one);
    on a local stack (CLOSELOOP_RULES set), the source the live rules were last published from
    (`closeloop rules sync --source dir:…` stays the source until another is named), else the
    stack's own. A sync never silently puts the example rules back over rules just published."""
    if c.settings.spreadsheet_id or not local_source:  # AWS: the workbook or nothing
        return rules_source(c.settings.spreadsheet_id, None)
    live = c.rules_store.active()
    return (live.source if live is not None and live.source else None) or local_source


@on_schedule("rules-sync")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from admin_sheets.publishing import sync_rules
    from shared.adapters.container import container
    from shared.adapters.observability import logger

    c = container()
    source = source_to_sync(c, c.settings.local_rules_source)
    if source is None:
        logger().warning("rules-sync: no SpreadsheetId configured; nothing to do")
        return {"status": "skipped", "reason": "no spreadsheet configured"}
    result = sync_rules(source, c)
    summary = {
        "source": source,
        "status": result.status,
        "version_id": result.version_id,
        "problems": len(result.problems),
        "report_error": result.report_error,
        "at": event.get("time"),
    }
    logger().info("rules-sync finished", extra=summary)
    return summary
