"""The outbox: events recorded in the same transaction as their change, then published to the
EventBridge bus once each.

``outbox_put`` is the one writer of event items (the unit of work puts it in every
transaction).

Used by the stream consumer (the normal path, seconds after the commit) and by the
outbox-sweep schedule (the safety net for events whose stream delivery gave up). An event is
pending while its item carries ``pending`` (a sparse index lists exactly those); publishing
puts it on the bus, then sets ``published_at`` and removes ``pending``.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from shared.adapters.settings import EVENTS_PENDING_INDEX
from shared.domain.events import Event


def outbox_put(event: Event, seq: int = 0) -> dict[str, Any]:
    """The transaction Put of one event item; ``seq`` keeps the order of one change's events."""
    from shared.adapters.dynamo.models import EventItem

    envelope = event.envelope()
    item = EventItem(
        event_id=event.id,
        type=event.type,
        subject=event.subject,
        time=envelope["time"],
        rules_version=event.rules_version,
        data=event.data,
        seq=seq,
        pending="yes",
    )
    # An event id is new by construction; the condition makes a replayed Put fail loudly.
    kwargs: dict[str, Any] = item.get_save_kwargs_from_instance(condition=EventItem.event_id.does_not_exist())
    return kwargs


def readable(image: dict[str, Any]) -> bool:
    """A stored item that is a whole event (not a stub or an item of another shape)."""
    return all(isinstance(image.get(k), str) and image.get(k) for k in ("event_id", "type", "time", "subject"))


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
    def __init__(self, bus: str, table: str) -> None:
        self.bus = bus
        self.table = table

    @cached_property
    def _clients(self) -> tuple[Any, Any]:
        import boto3

        return boto3.client("events"), boto3.client("dynamodb")

    def publish(self, envelope: dict[str, Any]) -> bool:
        """Put the recorded event on the bus unless it already went out; True when sent now.

        The stored item is the truth: an event that is not in the table (a stream record of a
        change that never committed) or is not readable is not published, and the "published"
        mark is conditioned on the item existing, so it can never create a stub.
        """
        from boto3.dynamodb.types import TypeDeserializer
        from botocore.exceptions import ClientError

        events, dynamodb = self._clients
        key = {"event_id": {"S": envelope["id"]}}
        stored = dynamodb.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        if stored is None or "published_at" in stored:
            return False  # never committed, or a retried batch / a sweep racing the stream
        plain = {k: TypeDeserializer().deserialize(v) for k, v in stored.items()}
        if not readable(plain):
            return False
        recorded = envelope_of(plain)
        entry = {
            "Source": "closeloop",
            "DetailType": recorded["type"],
            "EventBusName": self.bus,
            "Detail": json.dumps(recorded, ensure_ascii=False),
        }
        result = events.put_events(Entries=[entry])
        if result.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused event {recorded['id']}: {result['Entries'][0]}")
        try:
            dynamodb.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression="SET published_at = :now REMOVE pending",
                ConditionExpression="attribute_exists(event_id)",
                ExpressionAttributeValues={":now": {"S": recorded["time"]}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        return True

    def pending(self, before: str, limit: int = 500) -> list[dict[str, Any]]:
        """Envelopes of events recorded before ``before`` (ISO time) and still not published."""
        from boto3.dynamodb.types import TypeDeserializer

        _, dynamodb = self._clients
        plain = TypeDeserializer()
        found: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": EVENTS_PENDING_INDEX,
            "KeyConditionExpression": "pending = :yes AND #time < :before",
            "ExpressionAttributeNames": {"#time": "time"},
            "ExpressionAttributeValues": {":yes": {"S": "yes"}, ":before": {"S": before}},
        }
        while len(found) < limit:
            page = dynamodb.query(**request)
            images = [{k: plain.deserialize(v) for k, v in item.items()} for item in page["Items"]]
            found += [envelope_of(image) for image in images if readable(image)]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]
