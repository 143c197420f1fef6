"""KPI rollups: every event the KPIs read — routed by an EventBridge rule on ``closeloop`` to
the KPI events queue, and received from it in batches — counted once into closeloop-kpis
(shared/kpis/services/kpis.record_events).

A batch is folded into as few transactions as fit, so a busy day's rollup item takes one write
per batch instead of one per event (and the queue's event source caps the concurrency, so
batches rarely race). An event that cannot be counted is reported back alone
(``batchItemFailures``): the queue retries just it, and after five receives its dead-letter
queue keeps it (an alarm in AWS). A redelivery is harmless (the event's marker).
"""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.adapters.container import container
    from shared.adapters.observability import logger
    from shared.kernel.services.retry import ConflictRetry
    from shared.kpis.services.kpis import record_events

    c = container()
    records = event.get("Records")
    if not isinstance(records, list):  # one event straight from EventBridge (a rule targeting the function)
        return _one(event, c)
    envelopes, failures = [], []
    for record in records:
        try:
            body = json.loads(record["body"])
            envelopes.append((record["messageId"], body["detail"] if isinstance(body.get("detail"), dict) else body))
        except (KeyError, TypeError, ValueError):
            failures.append(record.get("messageId"))
    outcomes = record_events([e for _, e in envelopes], c.kpis, c.rules.current().rules, ConflictRetry())
    failed = {message_id for message_id, e in envelopes if outcomes.get(str(e.get("id")), "").startswith("failed")}
    failures += sorted(failed)
    summary = {
        "events": len(records),
        "counted": sum(1 for o in outcomes.values() if o == "counted"),
        "duplicate": sum(1 for o in outcomes.values() if o == "duplicate"),
        "failed": len(failures),
    }
    if failures:  # ids and error classes only: an event's data may name a person
        errors = {event_id: o.split(":")[1].strip() for event_id, o in outcomes.items() if o.startswith("failed")}
        logger().error("kpi rollup: events not counted", extra={**summary, "errors": errors})
    else:
        logger().debug("kpi rollup", extra=summary)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures], **summary}


def _one(event: dict[str, Any], c: Any) -> dict[str, Any]:
    """One event, invoked by EventBridge: counted, or the invocation fails (async retries, DLQ)."""
    from shared.adapters.observability import logger
    from shared.kernel.services.retry import ConflictRetry
    from shared.kpis.services.kpis import record_event

    detail = event.get("detail")
    envelope: dict[str, Any] = detail if isinstance(detail, dict) else event
    outcome = record_event(envelope, c.kpis, c.rules.current().rules, ConflictRetry())
    summary = {"event_id": envelope.get("id"), "type": envelope.get("type"), "outcome": outcome}
    (logger().info if outcome == "duplicate" else logger().debug)("kpi rollup", extra=summary)
    return summary
