"""health-sweep (daily): recompute every account's health as of the instant the schedule fired
for (the event's ``time``; `closeloop schedule run health-sweep --at T` drives it).

Time alone moves health — an invoice falls overdue, activity ages out of its 30 days — so once a
day each account is recomputed and its trend gets the day's point; an account that newly fell
below a threshold gets its ``HealthWarning`` (once: not again while it stays below).

No run needs to finish the table: a run stops between pages before its time budget ends and
saves where it stopped; the ``health-sweep-continue`` schedule (every 15 minutes, a no-op of one
read when nothing is left) carries on from there, as of the same instant, until every account
is done.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.acting import on_schedule

NAME = "health-sweep"


@on_schedule("health-sweep")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from schedules.timer_sweep import time_left
    from shared.adapters.container import container, utc_now
    from shared.adapters.observability import logger
    from shared.domain.events import iso, parse_iso
    from shared.services import health
    from shared.services.ports import SweepCursor

    c = container()
    after = None
    if event.get("continue"):  # the continuation schedule: carry on where a run stopped, if one did
        cursor = c.sweeps.get(NAME)
        if cursor is None or cursor.after is None:
            return {"continued": False}
        now, after = cursor.at, cursor.after
    else:
        now = parse_iso(event["time"]) if event.get("time") else utc_now()
    report = health.sweep_health(
        c.rules.current(), c.uow, now, health.PAGE_SIZE, after=after, time_left=time_left(context)
    )
    c.sweeps.save(NAME, SweepCursor(now, report.next_after))
    summary = {**report.summary(), "at": iso(now), "continued": after is not None}
    if report.failed:  # the next run (or the next change on the account) tries them again
        logger().error("health-sweep could not write some accounts", extra=summary)
    else:
        logger().info("health-sweep finished" if report.next_after is None else "health-sweep paused", extra=summary)
    return summary
