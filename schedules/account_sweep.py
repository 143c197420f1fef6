"""One run of a daily sweep over every account (health-sweep, segment-sweep): as of the instant
the schedule fired for, within the function's time budget, saving where it stopped so its
``-continue`` schedule carries on from there (a no-op of one read when nothing is pending)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def run_account_sweep(name: str, sweep: Callable[..., Any], event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``sweep(rules, uow, now, after=, time_left=)`` → a report with ``next_after``, ``failed``
    and ``summary()``; the summary is logged and returned."""
    from schedules.timer_sweep import time_left
    from shared.adapters.container import container, utc_now
    from shared.adapters.observability import logger
    from shared.kernel.domain.events import iso, parse_iso
    from shared.kernel.services.ports import SweepCursor

    c = container()
    after = None
    if event.get("continue"):  # the continuation schedule: carry on where a run stopped, if one did
        cursor = c.sweeps.get(name)
        if cursor is None or cursor.after is None:
            return {"continued": False}
        now, after = cursor.at, cursor.after
    else:
        now = parse_iso(event["time"]) if event.get("time") else utc_now()
    report = sweep(c.rules.current(), c.uow, now, after=after, time_left=time_left(context))
    c.sweeps.save(name, SweepCursor(now, report.next_after))
    summary = {**report.summary(), "at": iso(now), "continued": after is not None}
    if report.failed:  # the next run (or the account's next change) tries them again
        logger().error(f"{name} could not write some accounts", extra=summary)
    else:
        logger().info(f"{name} finished" if report.next_after is None else f"{name} paused", extra=summary)
    return summary
