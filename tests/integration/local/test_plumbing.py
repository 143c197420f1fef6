"""The local event-source mappings: Lambda's stream semantics, in-process."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto.dynamodbstreams.models import dynamodbstreams_backends

from infra.local.aws import ACCOUNT_ID, REGION, client, create_resources
from infra.local.plumbing import Plumbing, first_failed_index, lambda_record
from tests.integration.local import stream_handler

HANDLER = "tests.integration.local.stream_handler.handle"


def consumer_template(
    table: str, queue: str, *, batch_size: int = 10, retries: int = 2, handler: str = HANDLER
) -> dict:
    """A throwaway template: one streamed table, one consumer, one dead-letter queue."""
    return {
        "Resources": {
            "Things": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": table,
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                },
            },
            "DeadLetters": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue}},
            "Consumer": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": handler,
                    "Timeout": 30,
                    "MemorySize": 256,
                    "Events": {
                        "Stream": {
                            "Type": "DynamoDB",
                            "Properties": {
                                "Stream": {"Fn::GetAtt": ["Things", "StreamArn"]},
                                "StartingPosition": "TRIM_HORIZON",
                                "BatchSize": batch_size,
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                                "MaximumRetryAttempts": retries,
                                "DestinationConfig": {
                                    "OnFailure": {"Destination": {"Fn::GetAtt": ["DeadLetters", "Arn"]}}
                                },
                            },
                        }
                    },
                },
            },
        }
    }


class Setup:
    def __init__(self, endpoint_url: str, **options: Any) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.table, self.queue = f"things-{suffix}", f"dead-{suffix}"
        self.endpoint_url = endpoint_url
        self.template = consumer_template(self.table, self.queue, **options)
        create_resources(self.template, endpoint_url, secrets={})
        self.dynamodb = client("dynamodb", endpoint_url)
        self.plumbing = Plumbing(self.template, endpoint_url)

    def put(self, *ids: str, **attributes: str) -> None:
        for item_id in ids:
            item = {"id": {"S": item_id}, **{k: {"S": v} for k, v in attributes.items()}}
            self.dynamodb.put_item(TableName=self.table, Item=item)

    def stream_arn(self) -> str:
        return str(self.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"])

    def dead_letters(self) -> list[dict[str, Any]]:
        sqs = client("sqs", self.endpoint_url)
        url = sqs.get_queue_url(QueueName=self.queue)["QueueUrl"]
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def make(endpoint_url: str) -> Iterator[Any]:
    created: list[Setup] = []

    def factory(**options: Any) -> Setup:
        created.append(Setup(endpoint_url, **options))
        return created[-1]

    stream_handler.reset()
    yield factory
    for setup in created:
        setup.plumbing.stop()


def test_records_written_before_start_arrive_in_order_shaped_as_lambda_sends_them(make: Any) -> None:
    setup = make()
    setup.put("a", "b", "c", colour="red")
    setup.plumbing.start()
    assert setup.plumbing.drain(10)

    assert stream_handler.delivered_ids() == [["a", "b", "c"]]
    records = stream_handler.deliveries[0]
    assert [r["eventName"] for r in records] == ["INSERT"] * 3
    record = records[0]
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert (record["eventSource"], record["awsRegion"], record["eventSourceARN"]) == (
        "aws:dynamodb",
        "us-east-1",
        setup.stream_arn(),
    )
    body = record["dynamodb"]
    assert body["Keys"] == {"id": {"S": "a"}}
    assert body["NewImage"] == {"id": {"S": "a"}, "colour": {"S": "red"}}
    assert body["StreamViewType"] == "NEW_IMAGE" and body["SizeBytes"] > 0
    assert isinstance(body["ApproximateCreationDateTime"], int)
    sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    json.dumps(stream_handler.deliveries)  # the event is plain JSON, as Lambda delivers it

    context = stream_handler.contexts[0]
    assert context.function_name == "Consumer" and context.memory_limit_in_mb == 256
    assert context.invoked_function_arn.endswith(":function:Consumer") and context.aws_request_id
    assert 0 < context.get_remaining_time_in_millis() <= 30_000


def test_records_written_while_running_arrive_batch_by_batch(make: Any) -> None:
    setup = make(batch_size=2)
    setup.plumbing.start()
    assert setup.plumbing.drain(10) and stream_handler.delivered_ids() == []
    setup.put("a", "b", "c")
    assert setup.plumbing.drain(10)
    assert stream_handler.delivered_ids() == [["a", "b"], ["c"]]
    setup.put("a", colour="blue")
    assert setup.plumbing.drain(10)
    last = stream_handler.deliveries[-1][0]
    assert last["eventName"] == "MODIFY" and last["dynamodb"]["NewImage"]["colour"] == {"S": "blue"}


def test_a_partial_batch_failure_is_redelivered_from_the_first_failed_record(make: Any) -> None:
    setup = make()
    stream_handler.reset(c="fail_once")
    setup.put("a", "b", "c", "d")
    setup.plumbing.start()
    assert setup.plumbing.drain(10)
    assert stream_handler.delivered_ids() == [["a", "b", "c", "d"], ["c", "d"]]
    assert setup.dead_letters() == []


def test_a_failing_batch_is_retried_then_sent_to_the_on_failure_queue(make: Any, capsys: Any) -> None:
    setup = make(batch_size=1, retries=2)
    stream_handler.reset(poison="raise")
    setup.put("ok1", "poison", "ok2")
    setup.plumbing.start()
    assert setup.plumbing.drain(10)

    assert stream_handler.delivered_ids() == [["ok1"], ["poison"], ["poison"], ["poison"], ["ok2"]]
    [message] = setup.dead_letters()
    info = message["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == setup.stream_arn()
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in message["Records"]] == ["poison"]
    assert "RuntimeError: poison record" in capsys.readouterr().err


def test_a_handler_that_cannot_be_imported_does_not_stop_the_plumbing(make: Any, capsys: Any) -> None:
    setup = make(retries=0, handler="tests.integration.local.no_such_module.handle")
    setup.put("x")
    setup.plumbing.start()
    assert setup.plumbing.drain(10)
    assert len(setup.dead_letters()) == 1
    assert "ModuleNotFoundError" in capsys.readouterr().err
    assert setup.plumbing._thread is not None and setup.plumbing._thread.is_alive()


def test_idle_and_drain(make: Any) -> None:
    setup = make()
    assert setup.plumbing.drain(0.5) is False  # not started: nothing will ever drain
    setup.plumbing.start()
    assert setup.plumbing.drain(10)
    assert setup.plumbing.idle()
    setup.put("a")
    assert setup.plumbing.drain(10) and setup.plumbing.idle()
    assert stream_handler.delivered_ids() == [["a"]]
    setup.plumbing.stop()
    assert setup.plumbing.drain(0.1) is False


def test_item_failures_with_an_unknown_identifier_fail_the_whole_batch() -> None:
    batch = [{"dynamodb": {"SequenceNumber": s}} for s in ("1", "2", "3")]
    assert first_failed_index({"batchItemFailures": []}, batch) is None
    assert first_failed_index(None, batch) is None
    assert first_failed_index({"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}, batch) == 1
    assert first_failed_index({"batchItemFailures": [{"itemIdentifier": "9"}]}, batch) == 0
    assert first_failed_index({"batchItemFailures": [{"itemIdentifier": ""}]}, batch) == 0


def test_binary_attributes_are_base64_as_on_the_wire() -> None:
    record = {
        "eventID": "e",
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"id": {"B": b"\x00\x01"}}, "SequenceNumber": "1"},
    }
    shaped = lambda_record(record, "arn:stream")
    assert shaped["dynamodb"]["Keys"] == {"id": {"B": "AAE="}}
    assert shaped["eventSourceARN"] == "arn:stream"


def test_a_recreated_table_is_followed_to_its_new_stream(make: Any) -> None:
    setup = make()
    setup.put("before")
    setup.plumbing.start()
    assert setup.plumbing.drain(10)
    old_stream = setup.stream_arn()
    setup.dynamodb.delete_table(TableName=setup.table)
    create_resources(setup.template, setup.endpoint_url, secrets={})
    assert setup.stream_arn() != old_stream
    setup.put("after")
    assert setup.plumbing.drain(10)
    assert stream_handler.delivered_ids() == [["before"], ["after"]]
    assert stream_handler.deliveries[-1][0]["eventSourceARN"] == setup.stream_arn()


def test_a_large_backlog_is_read_in_full_batches(make: Any) -> None:
    setup = make(batch_size=10)
    setup.put(*[f"i{n:03}" for n in range(45)])
    setup.plumbing.start()
    assert setup.plumbing.drain(20)
    assert [len(batch) for batch in stream_handler.delivered_ids()] == [10, 10, 10, 10, 5]
    assert [i for batch in stream_handler.delivered_ids() for i in batch] == [f"i{n:03}" for n in range(45)]


def test_polling_does_not_pile_up_iterators_in_moto(make: Any) -> None:
    # moto keeps every shard iterator it mints; ten polls a second would leak memory all day.
    setup = make()
    setup.plumbing.start()
    assert setup.plumbing.drain(10)
    iterators = dynamodbstreams_backends[ACCOUNT_ID][REGION].shard_iterators
    before = len(iterators)
    for _ in range(5):
        assert setup.plumbing.drain(10)
    assert len(iterators) <= before + 1
