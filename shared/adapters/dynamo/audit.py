"""The audit (CONTRACT §12) read from the events table's indexes — never a scan.

- one subject: ``by_subject`` (every event of it, whoever made it);
- one actor: ``audit_by_actor`` (sparse: changes people made — an API key, an action link, the
  CLI — and rules publishing);
- everyone: ``audit_by_day``, one UTC day per Query from the newest day back to ``since``.

The indexes hold keys only; the events are read with one BatchGetItem a page. One entry more than
the page is read, so the last page has no cursor (never one that leads to an empty page).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.adapters.dynamo.faults import batch_get
from shared.adapters.dynamo.models import EventItem
from shared.adapters.outbox import envelope_of, readable
from shared.kernel.services.ports import AuditPage, AuditPosition

_MIN_PAGE = 25


class DynamoAuditLog:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client

    def page(
        self,
        subject: str | None,
        actor: str | None,
        since: str,
        until: str,
        limit: int,
        after: AuditPosition | None,
    ) -> AuditPage:
        wanted = limit + 1
        keys: list[tuple[str, str]] = []  # (time, event id), newest first
        window = EventItem.time.between(since, after.time if after else until)
        if subject is not None or actor is not None:
            index, hash_name, value = (
                (EventItem.by_subject, "subject", subject)
                if subject is not None
                else (EventItem.audit_by_actor, "audit_actor", actor)
            )
            keys = self._query(index, hash_name, str(value), window, wanted, after)
        else:
            day, last = date.fromisoformat((after.time if after else until)[:10]), date.fromisoformat(since[:10])
            while day >= last and len(keys) < wanted:
                keys += self._query(
                    EventItem.audit_by_day, "audit_day", day.isoformat(), window, wanted - len(keys), after
                )
                day -= timedelta(days=1)
        shown = keys[:limit]
        entries = self._events([event_id for _, event_id in shown])
        cursor = AuditPosition(*shown[-1]) if len(keys) > limit and shown else None
        return AuditPage(entries, cursor)

    def _query(
        self, index: Any, hash_name: str, value: str, window: Any, wanted: int, after: AuditPosition | None
    ) -> list[tuple[str, str]]:
        start = None
        if after is not None and (hash_name != "audit_day" or after.time[:10] == value):
            start = {hash_name: {"S": value}, "time": {"S": after.time}, "event_id": {"S": after.event_id}}
        results = index.query(
            value,
            window,
            scan_index_forward=False,
            limit=wanted,
            page_size=max(wanted, _MIN_PAGE),
            last_evaluated_key=start,
        )
        return [(str(item.time), str(item.event_id)) for item in results]

    def _events(self, event_ids: list[str]) -> list[dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer

        found: dict[str, dict[str, Any]] = {}
        for first in range(0, len(event_ids), 100):
            chunk = event_ids[first : first + 100]
            request = {self.table: {"Keys": [{"event_id": {"S": e}} for e in dict.fromkeys(chunk)]}}
            for item in batch_get(self.client, request).get(self.table, []):
                plain = {k: TypeDeserializer().deserialize(v) for k, v in item.items()}
                if readable(plain):
                    found[str(plain["event_id"])] = envelope_of(plain)
        return [found[e] for e in event_ids if e in found]  # an expired event is gone: skipped
