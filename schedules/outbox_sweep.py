"""outbox-sweep (every minute): publish events the stream could not deliver.

The stream consumer publishes within seconds; when it fails or its retries run out (an
EventBridge outage), the event stays pending in the table. The sweep publishes every event
still pending a minute after it was recorded — at most once each, like the stream consumer.
The index it reads holds only pending events, so a quiet minute costs one empty query per
partition. An event the bus keeps refusing is set aside (``EventsSetAside`` metric, an alarm in
AWS; `closeloop events list --unpublished`, `events retry`), never blocking the others.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.adapters.acting import on_schedule

GRACE = timedelta(minutes=1)  # leave the newest events to the stream consumer


@on_schedule("outbox-sweep")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from schedules.timer_sweep import time_left
    from shared.adapters.container import container, utc_now
    from shared.adapters.dynamo.faults import is_transient
    from shared.adapters.observability import count, logger
    from shared.kernel.domain.events import iso, parse_iso
    from shared.kernel.services.outbox import sweep_outbox

    now = parse_iso(event["time"]) if event.get("time") else utc_now()
    publisher = container().publisher
    result = sweep_outbox(publisher, before=iso(now - GRACE), time_left=time_left(context), is_load=is_transient)
    summary = {**result.summary(), "at": iso(now)}
    if result.set_aside:
        count("EventsSetAside", len(result.set_aside))
    if result.failed:
        logger().error("outbox-sweep: events the bus refused", extra={**summary, "failed_events": result.failed})
    else:
        logger().info("outbox-sweep finished", extra=summary)
    return summary
