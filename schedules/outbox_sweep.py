"""outbox-sweep (every minute): publish events the stream could not deliver.

The stream consumer publishes within seconds; when it fails or its retries run out (an
EventBridge outage), the event stays pending in the table. The sweep publishes every event
still pending a minute after it was recorded — at most once each, like the stream consumer.
The index it reads holds only pending events, so a quiet minute costs one empty query.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

GRACE = timedelta(minutes=1)  # leave the newest events to the stream consumer


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.adapters.container import container, utc_now
    from shared.adapters.observability import logger
    from shared.domain.events import iso, parse_iso

    now = parse_iso(event["time"]) if event.get("time") else utc_now()
    publisher = container().publisher
    pending = publisher.pending(before=iso(now - GRACE))
    sent = sum(1 for envelope in pending if publisher.publish(envelope))
    summary = {"pending": len(pending), "published": sent, "at": iso(now)}
    logger().info("outbox-sweep finished", extra=summary)
    return summary
