"""Outbox publisher: events table stream → EventBridge bus ``closeloop``.

Each new event item is published once (DetailType = event type, Detail = the envelope), then
marked ``published_at``. A record that fails is reported back (partial batch response) so the
stream retries just it; a record already marked published is skipped, so a retried batch
sends nothing twice.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

logger = Logger(service="closeloop-outbox")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def _clients() -> tuple[Any, Any]:
    import boto3

    return boto3.client("events"), boto3.client("dynamodb")


def envelope_of(image: dict[str, Any]) -> dict[str, Any]:
    data = image.get("data")
    return {
        "id": image["event_id"],
        "type": image["type"],
        "time": image["time"],
        "subject": image["subject"],
        "rules_version": image.get("rules_version"),
        "data": json.loads(data) if isinstance(data, str) else (data or {}),
    }


def publish(record: DynamoDBRecord) -> None:
    if record.event_name is None or record.event_name.name != "INSERT" or record.dynamodb is None:
        return  # only new events are published; MODIFY is our own "published" mark
    envelope = envelope_of(record.dynamodb.new_image)
    events, dynamodb = _clients()
    table = os.environ.get("EVENTS_TABLE", "closeloop-events")
    stored = dynamodb.get_item(TableName=table, Key={"event_id": {"S": envelope["id"]}}, ConsistentRead=True)
    if "published_at" in stored.get("Item", {}):
        return  # a retried batch: this one already went out
    bus = os.environ.get("EVENT_BUS_NAME", "closeloop")
    result = events.put_events(
        Entries=[
            {
                "Source": "closeloop",
                "DetailType": envelope["type"],
                "Detail": json.dumps(envelope, ensure_ascii=False),
                "EventBusName": bus,
            }
        ]
    )
    if result.get("FailedEntryCount"):
        raise RuntimeError(f"EventBridge refused event {envelope['id']}: {result['Entries'][0]}")
    dynamodb.update_item(
        TableName=table,
        Key={"event_id": {"S": envelope["id"]}},
        UpdateExpression="SET published_at = :now",
        ExpressionAttributeValues={":now": {"S": envelope["time"]}},
    )
    logger.info("event published", extra={"event_id": envelope["id"], "type": envelope["type"]})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=publish, processor=processor, context=context)
