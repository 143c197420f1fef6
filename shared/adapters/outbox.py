"""Publishing recorded events to the EventBridge bus, once each.

Used by the stream consumer (the normal path, seconds after the commit) and by the
outbox-sweep schedule (the safety net for events whose stream delivery gave up). An event is
pending while its item carries ``pending`` (a sparse index lists exactly those); publishing
puts it on the bus, then sets ``published_at`` and removes ``pending``.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from typing import Any


def envelope_of(image: dict[str, Any]) -> dict[str, Any]:
    """The event envelope (CONTRACT §4) from a stored event item (plain, deserialised values)."""
    data = image.get("data")
    return {
        "id": image["event_id"],
        "type": image["type"],
        "time": image["time"],
        "subject": image["subject"],
        "rules_version": image.get("rules_version"),
        "data": json.loads(data) if isinstance(data, str) else (data or {}),
    }


class EventBusPublisher:
    def __init__(self, bus: str | None = None, table: str | None = None) -> None:
        self.bus = bus or os.environ.get("EVENT_BUS_NAME", "closeloop")
        self.table = table or os.environ.get("EVENTS_TABLE", "closeloop-events")

    @cached_property
    def _clients(self) -> tuple[Any, Any]:
        import boto3

        return boto3.client("events"), boto3.client("dynamodb")

    def publish(self, envelope: dict[str, Any]) -> bool:
        """Put the event on the bus unless it already went out; True when it was sent now."""
        events, dynamodb = self._clients
        key = {"event_id": {"S": envelope["id"]}}
        stored = dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        if "published_at" in stored.get("Item", {}):
            return False  # a retried batch or a sweep racing the stream: it already went out
        entry = {
            "Source": "closeloop",
            "DetailType": envelope["type"],
            "EventBusName": self.bus,
            "Detail": json.dumps(envelope, ensure_ascii=False),
        }
        result = events.put_events(Entries=[entry])
        if result.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused event {envelope['id']}: {result['Entries'][0]}")
        dynamodb.update_item(
            TableName=self.table,
            Key=key,
            UpdateExpression="SET published_at = :now REMOVE pending",
            ExpressionAttributeValues={":now": {"S": envelope["time"]}},
        )
        return True

    def pending(self, before: str, limit: int = 500) -> list[dict[str, Any]]:
        """Envelopes of events recorded before ``before`` (ISO time) and still not published."""
        from boto3.dynamodb.types import TypeDeserializer

        _, dynamodb = self._clients
        plain = TypeDeserializer()
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "pending",
            "KeyConditionExpression": "pending = :yes AND #time < :before",
            "ExpressionAttributeNames": {"#time": "time"},
            "ExpressionAttributeValues": {":yes": {"S": "yes"}, ":before": {"S": before}},
        }
        while len(found) < limit:
            page = dynamodb.query(**request)
            found += [envelope_of({k: plain.deserialize(v) for k, v in item.items()}) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]
