"""Reading the local stack's state for the CLI: recorded events and what is still pending."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

_EVENT_FIELDS = ("event_id", "type", "time", "subject")


def is_event(values: dict[str, Any]) -> bool:
    """A whole event item: every envelope field present as text (not a stub or a stray item)."""
    return all(isinstance(values.get(name), str) and values[name] for name in _EVENT_FIELDS)


def _seq(values: dict[str, Any]) -> float:
    seq = values.get("seq")
    return float(seq) if isinstance(seq, (int, float)) else 0.0


def list_events(event_type: str | None = None, subject: str | None = None) -> list[dict[str, Any]]:
    """Every recorded event, oldest first (ties keep their order within the transaction).

    An item that is not a whole event (e.g. a stub holding only ``event_id`` and
    ``published_at``, left by an older publisher that marked an event that never committed)
    is not listed: it is no event, was never on the bus, and a pseudo-envelope would break
    ``--json`` readers and ``--type`` filters. It is named on stderr instead, so it is seen.
    """
    from shared.adapters.dynamo.models import EventItem, bind_tables
    from shared.adapters.outbox import envelope_of

    bind_tables()
    items = _subject_events(subject) if subject else EventItem.scan()
    events: list[dict[str, Any]] = []
    odd: list[dict[str, Any]] = []
    for item in items:
        values = dict(item.attribute_values)
        (events if is_event(values) else odd).append(values)
    if odd:
        ids = ", ".join(str(v.get("event_id")) for v in odd[:5]) + (", …" if len(odd) > 5 else "")
        sys.stderr.write(
            f"closeloop: {len(odd)} item(s) of {EventItem.Meta.table_name} are not whole events "
            f"(no type, time or subject), not listed: {ids}\n"
        )
    events.sort(key=lambda v: (v["time"], _seq(v)))
    return [envelope_of(v) for v in events if event_type is None or v["type"] == event_type]


def _subject_events(subject: str, start: str = "") -> list[Any]:
    """The events of one subject: by_subject holds keys only, so the items are BatchGot."""
    from shared.adapters.dynamo.models import EventItem

    keys = [item.event_id for item in EventItem.by_subject.query(subject, EventItem.time >= start if start else None)]
    return list(EventItem.batch_get(keys, consistent_read=True)) if keys else []


def pending_events() -> int:
    """Events recorded but not yet published to the bus."""
    from shared.adapters.dynamo.models import EventItem, bind_tables
    from shared.adapters.outbox import pending_partitions

    bind_tables()
    return sum(1 for partition in pending_partitions() for _ in EventItem.pending_index.query(partition))


# Events of one transaction share a time and a slow writer may commit an event stamped a moment
# before one already seen: each poll re-reads this far behind the newest time it has seen.
FOLLOW_OVERLAP_SECONDS = 10.0


def follow_events(
    event_type: str | None = None,
    subject: str | None = None,
    *,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Every recorded event, oldest first, then each new one as it is recorded — until the caller
    stops iterating (Ctrl-C). Polls: a Scan (or, with a subject, a Query of by_subject) for events
    at or after the newest time seen less :data:`FOLLOW_OVERLAP_SECONDS`; ids already told are
    skipped. Made for the local stack; on a deployed stack each poll reads the events table."""
    seen: dict[str, str] = {}  # event id -> time, within the overlap window
    newest = ""
    while True:
        fresh = [e for e in _events_from(_back(newest), subject) if e["id"] not in seen]
        for envelope in fresh:
            seen[envelope["id"]] = envelope["time"]
            newest = max(newest, envelope["time"])
            if event_type is None or envelope["type"] == event_type:
                yield envelope
        horizon = _back(newest)
        seen = {i: t for i, t in seen.items() if t >= horizon}
        sleep(interval)


def _back(moment: str) -> str:
    if not moment:
        return ""
    from shared.kernel.domain.events import iso, parse_iso

    return iso(parse_iso(moment) - timedelta(seconds=FOLLOW_OVERLAP_SECONDS))


def _events_from(start: str, subject: str | None) -> list[dict[str, Any]]:
    """Whole events recorded at or after ``start`` (ISO time; "" = all), oldest first."""
    from shared.adapters.dynamo.models import EventItem, bind_tables
    from shared.adapters.outbox import envelope_of

    bind_tables()
    since = EventItem.time >= start if start else None
    items: Any = _subject_events(subject, start) if subject else EventItem.scan(since)
    values = [v for item in items if is_event(v := dict(item.attribute_values))]
    values.sort(key=lambda v: (v["time"], _seq(v)))
    return [envelope_of(v) for v in values]
