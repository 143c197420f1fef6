"""Outbox publisher: events table stream → EventBridge bus ``closeloop``.

Each new event item is published once (DetailType = event type, Detail = the envelope), then
marked ``published_at``. A record that fails is reported back (partial batch response) so the
stream retries just it; a record already marked published is skipped, so a retried batch
sends nothing twice. Events whose retries run out are published by the outbox-sweep schedule.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from shared.adapters.outbox import EventBusPublisher, envelope_of, readable

logger = Logger(service="closeloop-outbox")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def _publisher() -> EventBusPublisher:
    from shared.adapters.container import container

    return container().publisher


def publish(record: DynamoDBRecord) -> None:
    if record.event_name is None or record.event_name.name != "INSERT" or record.dynamodb is None:
        return  # only new events are published; MODIFY is our own "published" mark
    image = record.dynamodb.new_image
    if not readable(image):
        logger.warning("skipped an event item that is not a whole event", extra={"keys": sorted(image)})
        return
    envelope = envelope_of(image)
    if _publisher().publish(envelope):
        logger.info("event published", extra={"event_id": envelope["id"], "type": envelope["type"]})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=publish, processor=processor, context=context)
