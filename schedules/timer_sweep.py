"""timer-sweep (every minute): fire every timer due at or before the instant the schedule
fired for (the event's ``time``; `closeloop schedule run timer-sweep --at T` drives it).

Each timer is on its own: one that fails is noted and, at its third failure, set aside
(``TimersFailed`` metric, an alarm in AWS); the run stops before its time budget ends and the
next minute's run carries on (the schedule never retries a run, so runs do not overlap).
"""

from __future__ import annotations

from typing import Any

from shared.adapters.acting import on_schedule


@on_schedule("timer-sweep")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.adapters.container import container, utc_now
    from shared.adapters.dynamo.faults import is_transient
    from shared.adapters.observability import count, logger
    from shared.composition.services.timer_handlers import handlers
    from shared.kernel.domain.events import iso, parse_iso
    from shared.time.services.timers import sweep_timers

    c = container()
    now = parse_iso(event["time"]) if event.get("time") else utc_now()
    result = sweep_timers(now, c.uow, handlers(c.rules), time_left=time_left(context), is_load=is_transient)
    summary = {**result.summary(), "at": iso(now), "latest_seconds": max(result.late_seconds.values(), default=0)}
    if result.set_aside:
        count("TimersFailed", len(result.set_aside))
    if result.failed:  # ids and error classes only: an error's text may quote a person's data
        failed = {timer_id: error.split(":", 1)[0] for timer_id, error in result.failed.items()}
        logger().error("timer-sweep: timers failed", extra={**summary, "failed_timers": failed})
    else:
        logger().info("timer-sweep finished", extra=summary)
    return summary


def time_left(context: Any) -> Any:
    """Seconds left of this invocation (Lambda's context), or None when run without one."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return (lambda: remaining() / 1000) if callable(remaining) else None
