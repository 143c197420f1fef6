"""Delivery sender: deliveries table stream → email, chat robots, ERP, finance.

Each record names a delivery; ``deliver`` reads it as stored now and sends it only when it is
due (a new pending one, or one a retry timer or `deliveries retry` made due again), so a
duplicate or replayed record never sends after a 2xx. A record that fails (the store or the
dead-letter queue unreachable) is reported back and retried by the stream alone.
"""

from __future__ import annotations

import random
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from shared.adapters.observability import DELIVERIES_SERVICE

logger = Logger(service=DELIVERIES_SERVICE)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def send(record: DynamoDBRecord) -> None:
    from shared.adapters.container import container
    from shared.deliveries.services.deliveries import deliver

    if record.dynamodb is None or record.event_name is None or record.event_name.name == "REMOVE":
        return
    delivery_id = record.dynamodb.keys.get("delivery_id") if record.dynamodb.keys else None
    if not isinstance(delivery_id, str):
        return
    c = container()
    outcome = deliver(delivery_id, c.uow, c.courier, c.clock(), random.random)
    if outcome != "skipped":  # ids and outcomes only: never an address, a name or a text
        logger.info("delivery", extra={"delivery_id": delivery_id, "outcome": outcome})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=send, processor=processor, context=context)
