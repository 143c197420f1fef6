"""The outbox: events recorded in the same transaction as their change, then published to the
EventBridge bus once each.

``outbox_put`` is the one writer of event items (the unit of work puts it in every
transaction).

Used by the stream consumer (the normal path, seconds after the commit) and by the
outbox-sweep schedule (the safety net for events whose stream delivery gave up). An event is
pending while its item carries ``pending`` (a sparse index lists exactly those, spread over
:data:`PENDING_SHARDS` partitions so no one index key is hot); publishing puts it on the bus,
then sets ``published_at`` and removes ``pending``.

An event the bus refuses (over 256 KB, say) is noted (``publish_failures``, ``last_error``) and
the sweep goes on to the next; the third failure sets it aside (``pending`` = ``failed``: out of
every sweep, an alarm in AWS) until `closeloop events retry` puts it back (CONTRACT §13).
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any

from shared.adapters.acting import current_actor
from shared.adapters.dynamo.faults import THROTTLE_CODES, batch_get, is_throttling
from shared.kernel.domain.events import Event
from shared.kernel.services.ports import Throttled

PENDING_SHARDS = 4
FAILED = "failed"  # the pending index's partition of events set aside
MAX_FAILURES = 3
KEEP_PUBLISHED_DAYS = 90  # a published event is kept this long (TTL), then removed
ERROR_CHARS = 500


def pending_shard(event_id: str) -> str:
    """The pending index partition an event waits in (a hash of its id: spread, and stable)."""
    return f"p#{hashlib.sha256(event_id.encode()).digest()[0] % PENDING_SHARDS}"


def pending_partitions() -> list[str]:
    return [f"p#{n}" for n in range(PENDING_SHARDS)]


# changes people make are listed by the audit's indexes; webhooks' and sweeps' (the bulk: every
# lead, every timer) carry their actor on the event and are listed by subject
AUDITED_KINDS = ("api_key", "link", "cli")


def outbox_put(event: Event, seq: int = 0) -> dict[str, Any]:
    """The transaction Put of one event item; ``seq`` keeps the order of one change's events."""
    from shared.adapters.dynamo.models import EventItem

    envelope = event.envelope()
    actor = current_actor()
    audited = actor["kind"] in AUDITED_KINDS or event.subject.startswith("rules/")
    item = EventItem(
        event_id=event.id,
        type=event.type,
        subject=event.subject,
        time=envelope["time"],
        rules_version=event.rules_version,
        data=event.data,
        seq=seq,
        pending=pending_shard(event.id),
        actor=actor,
        audit_actor=str(actor["name"]) if audited else None,
        audit_day=envelope["time"][:10] if audited else None,
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
    actor = image.get("actor")
    return {
        "id": image["event_id"],
        "type": image["type"],
        "time": image["time"],
        "subject": image["subject"],
        "rules_version": image.get("rules_version"),
        "data": json.loads(data) if isinstance(data, str) else (data or {}),
        "actor": json.loads(actor) if isinstance(actor, str) else (actor or None),
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
        try:
            result = events.put_events(Entries=[entry])
        except ClientError as error:
            if is_throttling(error):  # load, not this event's fault: the next run tries again
                raise Throttled(f"EventBridge throttled event {recorded['id']}") from error
            raise
        if result.get("FailedEntryCount"):
            refused = result["Entries"][0]
            if refused.get("ErrorCode") in THROTTLE_CODES:
                raise Throttled(f"EventBridge throttled event {recorded['id']}")
            why = f"{refused.get('ErrorCode')} {refused.get('ErrorMessage')}"
            raise RuntimeError(f"EventBridge refused event {recorded['id']}: {why}")
        # an audited change is kept: "who approved this discount" outlives the events' 90 days
        expiry, values = ("", {":now": {"S": recorded["time"]}})
        if not plain.get("audit_day"):
            expiry, values[":expires"] = ", expires_at = :expires", {"N": _expires(recorded)}
        try:
            dynamodb.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression=f"SET published_at = :now{expiry} REMOVE pending",
                ConditionExpression="attribute_exists(event_id)",
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        return True

    def pending(self, before: str, limit: int = 500) -> list[dict[str, Any]]:
        """Envelopes of events recorded before ``before`` (ISO time) and still not published,
        oldest first (of each partition: the sweep's order within a minute does not matter)."""
        found: list[dict[str, Any]] = []
        for partition in pending_partitions():
            found += self._query(partition, before, limit - len(found))
            if len(found) >= limit:
                break
        return sorted(found, key=lambda e: e["time"])[:limit]

    def set_aside(self) -> list[dict[str, Any]]:
        """Events set aside after failing to publish, with ``publish_failures`` and ``last_error``."""
        return self._query(FAILED, None, 10_000, whole=True)

    def note_failure(self, event_id: str, error: str) -> bool:
        """One more failure to publish; True when this one set the event aside."""
        _, dynamodb = self._clients
        key = {"event_id": {"S": event_id}}
        answer = dynamodb.update_item(
            TableName=self.table,
            Key=key,
            UpdateExpression="ADD publish_failures :one SET last_error = :error",
            ConditionExpression="attribute_exists(pending)",
            ExpressionAttributeValues={":one": {"N": "1"}, ":error": {"S": error[:ERROR_CHARS]}},
            ReturnValues="UPDATED_NEW",
        )
        if int(answer["Attributes"]["publish_failures"]["N"]) < MAX_FAILURES:
            return False
        dynamodb.update_item(
            TableName=self.table,
            Key=key,
            UpdateExpression="SET pending = :failed",
            ConditionExpression="attribute_exists(pending)",
            ExpressionAttributeValues={":failed": {"S": FAILED}},
        )
        return True

    def retry(self, event_ids: list[str] | None = None) -> list[str]:
        """Put events set aside back in their pending partition (all when ``event_ids`` is None);
        the next outbox-sweep publishes them. Returns the ids put back."""
        _, dynamodb = self._clients
        chosen = [e["id"] for e in self.set_aside() if event_ids is None or e["id"] in event_ids]
        for event_id in chosen:
            dynamodb.update_item(
                TableName=self.table,
                Key={"event_id": {"S": event_id}},
                UpdateExpression="SET pending = :back REMOVE publish_failures, last_error",
                ConditionExpression="pending = :failed",
                ExpressionAttributeValues={":back": {"S": pending_shard(event_id)}, ":failed": {"S": FAILED}},
            )
        return chosen

    def _query(self, partition: str, before: str | None, limit: int, whole: bool = False) -> list[dict[str, Any]]:
        """The events in one pending partition: the index holds keys only, so the items are
        read in BatchGetItem calls of 100 (this runs only for events that are stuck)."""
        from boto3.dynamodb.types import TypeDeserializer

        from shared.adapters.dynamo.models import PendingIndex

        _, dynamodb = self._clients
        plain = TypeDeserializer()
        ids: list[str] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": PendingIndex.Meta.index_name,
            "KeyConditionExpression": "pending = :p",
            "ExpressionAttributeValues": {":p": {"S": partition}},
        }
        if before is not None:
            request["KeyConditionExpression"] += " AND #time < :before"
            request["ExpressionAttributeNames"] = {"#time": "time"}
            request["ExpressionAttributeValues"][":before"] = {"S": before}
        while len(ids) < limit:
            page = dynamodb.query(**request)
            ids += [item["event_id"]["S"] for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        found: list[dict[str, Any]] = []
        for start in range(0, min(len(ids), limit), 100):
            keys = [{"event_id": {"S": i}} for i in ids[start : min(start + 100, limit)]]
            items = batch_get(dynamodb, {self.table: {"Keys": keys, "ConsistentRead": True}}).get(self.table, [])
            for image in ({k: plain.deserialize(v) for k, v in item.items()} for item in items):
                if readable(image) and image.get("pending") == partition:  # still waiting there
                    found.append({**envelope_of(image), **_failure_of(image)} if whole else envelope_of(image))
        return sorted(found, key=lambda e: e["time"])


def _expires(envelope: dict[str, Any]) -> str:
    """When DynamoDB's TTL removes a published event: its facts live on the aggregates."""
    from datetime import timedelta

    from shared.kernel.domain.events import parse_iso

    return str(int((parse_iso(envelope["time"]) + timedelta(days=KEEP_PUBLISHED_DAYS)).timestamp()))


def _failure_of(image: dict[str, Any]) -> dict[str, Any]:
    return {"publish_failures": int(image.get("publish_failures") or 0), "last_error": image.get("last_error")}
