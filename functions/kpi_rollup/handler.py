"""KPI rollups: every event the KPIs read, from the bus (an EventBridge rule on ``closeloop``),
counted once into closeloop-kpis (shared/services/kpis.record_event).

The event arrives as EventBridge delivers it; its ``detail`` is the envelope. A lost race is
retried in the service; anything else fails the invocation, and Lambda's asynchronous retries
then the dead-letter queue take it from there — a redelivery is harmless (the event's marker).
"""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.adapters.container import container
    from shared.adapters.observability import logger
    from shared.services.kpis import record_event
    from shared.services.retry import ConflictRetry

    c = container()
    envelope = event.get("detail") if isinstance(event.get("detail"), dict) else event
    outcome = record_event(envelope, c.kpis, c.rules.current().rules, ConflictRetry())
    summary = {"event_id": envelope.get("id"), "type": envelope.get("type"), "outcome": outcome}
    # one line per event would drown the dev console and CloudWatch; a redelivery is worth seeing
    (logger().info if outcome == "duplicate" else logger().debug)("kpi rollup", extra=summary)
    return summary
