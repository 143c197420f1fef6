"""rules-sync (every 5 minutes): publish the Google Sheets workbook's rules if they changed.

Reads every tab in one request, validates the whole workbook, publishes a new version or keeps
the last good one live, and writes the outcome back into the sheet in one request.
"""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from admin_sheets.publishing import sync_rules
    from shared.adapters.container import container
    from shared.adapters.observability import logger

    c = container()
    if not c.config.spreadsheet_id:
        logger().warning("rules-sync: no SpreadsheetId configured; nothing to do")
        return {"status": "skipped", "reason": "no spreadsheet configured"}
    result = sync_rules(f"sheets:{c.config.spreadsheet_id}", c)
    summary = {
        "status": result.status,
        "version_id": result.version_id,
        "problems": len(result.problems),
        "report_error": result.report_error,
        "at": event.get("time"),
    }
    logger().info("rules-sync finished", extra=summary)
    return summary
