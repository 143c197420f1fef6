"""timer-sweep (every minute): fire every timer due at or before the instant the schedule
fired for (the event's ``time``; `closeloop schedule run timer-sweep --at T` drives it)."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.adapters.container import container, utc_now
    from shared.adapters.observability import logger
    from shared.domain.events import iso, parse_iso
    from shared.services.timer_handlers import handlers
    from shared.services.timers import sweep_timers

    c = container()
    now = parse_iso(event["time"]) if event.get("time") else utc_now()
    result = sweep_timers(now, c.uow, handlers(c.rules))
    summary = {**result.summary(), "at": iso(now), "latest_seconds": max(result.late_seconds.values(), default=0)}
    logger().info("timer-sweep finished", extra=summary)
    return summary
