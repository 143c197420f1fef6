"""Where a person's data lies outside the aggregates (CONTRACT §12) — read from indexes, never a
scan: a subject's recorded events from ``by_subject`` (keys only, then BatchGetItem), a contact's
cases from the cases' ``by_contact`` (sparse, keys only)."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamo.faults import batch_get
from shared.adapters.dynamo.models import CaseItem, EventItem
from shared.composition.services.ports import RecordedEvent
from shared.kernel.domain.stored_json import dumps


class DynamoPersonalRecords:
    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client

    def events_of(self, subject: str) -> list[RecordedEvent]:
        from boto3.dynamodb.types import TypeDeserializer

        ids = [str(item.event_id) for item in EventItem.by_subject.query(subject)]
        found: dict[str, RecordedEvent] = {}
        for first in range(0, len(ids), 100):
            request = {self.table: {"Keys": [{"event_id": {"S": e}} for e in dict.fromkeys(ids[first : first + 100])]}}
            for raw in batch_get(self.client, request).get(self.table, []):
                item = {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}
                data = _json(item.get("data"))
                found[str(item["event_id"])] = RecordedEvent(
                    str(item["event_id"]), str(item.get("type")), str(item.get("subject")), str(item.get("time")), data
                )
        return [found[i] for i in ids if i in found]  # an event expired since the query is gone

    def rewrite(self, event: RecordedEvent, data: dict[str, Any]) -> None:
        """The event's data replaced; conditioned on the event still being there (an expired one
        is not brought back as a stub)."""
        from botocore.exceptions import ClientError

        try:
            self.client.update_item(
                TableName=self.table,
                Key={"event_id": {"S": event.event_id}},
                UpdateExpression="SET #data = :data",
                ConditionExpression="attribute_exists(event_id)",
                ExpressionAttributeNames={"#data": "data"},
                ExpressionAttributeValues={":data": {"S": dumps(data)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def cases_of_contact(self, key: str) -> list[str]:
        return sorted(str(item.case_id) for item in CaseItem.by_contact.query(key))


def _json(value: Any) -> dict[str, Any]:
    import json

    if isinstance(value, str):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return dict(value) if isinstance(value, dict) else {}
