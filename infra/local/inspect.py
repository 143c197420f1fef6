"""Reading the local stack's state for the CLI: recorded events and what is still pending."""

from __future__ import annotations

from typing import Any


def _envelope(item: Any) -> dict[str, Any]:
    from shared.adapters.outbox import envelope_of

    return envelope_of(item.attribute_values)


def list_events(event_type: str | None = None, subject: str | None = None) -> list[dict[str, Any]]:
    """Every recorded event, oldest first (ties keep their order within the transaction)."""
    from shared.adapters.dynamo.models import EventItem, bind_tables

    bind_tables()
    items = list(EventItem.by_subject.query(subject)) if subject else list(EventItem.scan())
    items.sort(key=lambda i: (i.time, i.seq or 0))
    return [_envelope(i) for i in items if event_type is None or i.type == event_type]


def pending_events() -> int:
    """Events recorded but not yet published to the bus."""
    from shared.adapters.dynamo.models import EventItem, bind_tables

    bind_tables()
    return sum(1 for _ in EventItem.pending_index.query("yes"))
