"""health-sweep (daily): recompute every account's health as of the instant the schedule fired
for (the event's ``time``; `closeloop schedule run health-sweep --at T` drives it).

Time alone moves health — an invoice falls overdue, activity ages out of its 30 days — so once a
day each account is recomputed and its trend gets the day's point; an account that newly fell
below a threshold gets its ``HealthWarning`` (once: not again while it stays below).
"""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.adapters.container import container, utc_now
    from shared.adapters.observability import logger
    from shared.domain.events import iso, parse_iso
    from shared.services.health import sweep_health

    c = container()
    now = parse_iso(event["time"]) if event.get("time") else utc_now()
    report = sweep_health(c.rules.current(), c.uow, now)
    summary = {**report.summary(), "at": iso(now)}
    if report.failed:  # the next run (or the next change on the account) tries them again
        logger().error("health-sweep could not write some accounts", extra=summary)
    else:
        logger().info("health-sweep finished", extra=summary)
    return summary
