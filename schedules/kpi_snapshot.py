"""kpi-snapshot (hourly): the KPI set of the last 28 days and its 12-week trend, as CloudWatch
metrics (EMF) and, when the rules live in a Google workbook, its ``Dashboard`` tab (with the
number of accounts in each customer segment, counted on the accounts' ``by_segment`` index) and
its ``Work`` tab (open work at risk per team, shared/composition/services/work_at_risk.py), both in one
batch write. The Work tab's links start with ``CLOSELOOP_PUBLIC_URL`` (the API's address) when set.

"Now" is the schedule event's ``time`` (`closeloop schedule run kpi-snapshot --at T`).
"""

from __future__ import annotations

from typing import Any

from shared.adapters.acting import on_schedule


@on_schedule("kpi-snapshot")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from admin_sheets.google_sheets import SheetsError
    from admin_sheets.publishing import default_sheets_client
    from schedules.rules_sync import rules_source
    from shared.adapters.container import container, utc_now
    from shared.adapters.kpi_metrics import emit_kpi_metrics
    from shared.adapters.observability import logger
    from shared.customers.services.segments import accounts_per_segment
    from shared.kernel.domain.events import iso, parse_iso
    from shared.kpis.services.kpis import kpi_snapshot

    c = container()
    now = parse_iso(event["time"]) if event.get("time") else utc_now()
    snapshot = kpi_snapshot(c.kpis, c.rules.current().rules, now)
    snapshot["segments"] = accounts_per_segment(c.rules.current(), c.uow)
    metrics = emit_kpi_metrics(snapshot["current"])
    summary: dict[str, Any] = {"at": iso(now), "metrics": len(metrics), "dashboard": "no Google workbook configured"}
    source = rules_source(c.settings.spreadsheet_id, c.settings.local_rules_source) or ""
    if source.startswith("sheets:"):
        import os

        from admin_sheets.dashboard import WorkTab, write_dashboard
        from shared.composition.services.work_at_risk import work_at_risk

        active = c.rules.current()
        work = WorkTab(
            work_at_risk(c.uow, active, now),
            active.rules.settings.timezone,
            os.environ.get("CLOSELOOP_PUBLIC_URL") or None,
        )
        try:
            write_dashboard(default_sheets_client(c), source.removeprefix("sheets:"), snapshot, iso(now), work)
            summary["dashboard"] = "written"
        except SheetsError as exc:  # the metrics went out; the next hour tries the tab again
            summary["dashboard"] = f"failed: {exc}"
            logger().error("kpi-snapshot could not write the Dashboard tab", extra=summary)
            raise
    logger().info("kpi-snapshot finished", extra=summary)
    return summary
