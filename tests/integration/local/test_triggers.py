"""Every trigger of a template played locally: SQS queues, EventBridge rules, schedules.

The template is written as a developer would add to template.yaml (YAML, short tags); the
plumbing plays it with no wiring of its own. Schedules run on an injected clock: the tests
count invocations, they never wait for time to pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import template as cfn
from infra.cli_rules import cmd_schedule_run
from infra.local.aws import ACCOUNT_ID, REGION, client, create_resources, queue_arn
from infra.local.control import request_drain
from infra.local.plumbing import Plumbing
from tests.integration.local import handlers

TEMPLATE = """\
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: bus-{s}
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: work-{s}
      VisibilityTimeout: {visibility}
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt WorkDeadLetters.Arn
        maxReceiveCount: 3
  WorkDeadLetters:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: work-dlq-{s}
  AsyncFailures:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: failed-{s}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.integration.local.handlers.on_queue
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: {batch_size}
            MaximumBatchingWindowInSeconds: 1
            FunctionResponseTypes: [ReportBatchItemFailures]
  Listener:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.integration.local.handlers.on_event
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: !GetAtt AsyncFailures.Arn
      Events:
        Orders:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            Pattern:
              source: [closeloop]
              detail-type: [OrderPlaced]
  Ticker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: tests.integration.local.handlers.on_schedule
      Events:
        Tick:
          Type: Schedule
          Properties:
            Name: tick-{s}
            Schedule: rate(1 minute)
        Nightly:
          Type: Schedule
          Properties:
            Name: nightly-{s}
            Schedule: cron(0 2 * * ? *)
            Input: '{{"job": "nightly"}}'
"""

T0 = dt.datetime(2026, 11, 22, 8, 0, 0, tzinfo=dt.UTC)


class Clock:
    """The scheduler's clock, moved by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Setup:
    def __init__(self, endpoint_url: str, tmp_path: Path, *, visibility: int = 0, batch_size: int = 10) -> None:
        self.s = uuid.uuid4().hex[:8]
        path = tmp_path / f"template-{self.s}.yaml"
        path.write_text(TEMPLATE.format(s=self.s, visibility=visibility, batch_size=batch_size), encoding="utf-8")
        self.template = cfn.load_template(path)
        self.endpoint_url = endpoint_url
        create_resources(self.template, endpoint_url, secrets={})
        self.sqs, self.events = client("sqs", endpoint_url), client("events", endpoint_url)
        self.clock = Clock(T0)
        self.plumbing: Plumbing | None = None

    def start(self, *, schedules: bool = False) -> Plumbing:
        self.plumbing = Plumbing(self.template, self.endpoint_url, schedules=schedules, clock=self.clock)
        self.plumbing.start()
        return self.plumbing

    def drain(self) -> None:
        assert self.plumbing is not None and self.plumbing.drain(20)

    def url(self, queue: str) -> str:
        return str(self.sqs.get_queue_url(QueueName=f"{queue}-{self.s}")["QueueUrl"])

    def send(self, *bodies: str, **options: Any) -> None:
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.url("work"), MessageBody=body, **options)

    def received(self, queue: str) -> list[str]:
        messages = self.sqs.receive_message(QueueUrl=self.url(queue), MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [m["Body"] for m in messages.get("Messages", [])]

    def counts(self, queue: str) -> tuple[int, int]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        found = self.sqs.get_queue_attributes(QueueUrl=self.url(queue), AttributeNames=names)["Attributes"]
        return int(found[names[0]]), int(found[names[1]])

    def put_event(self, detail_type: str, detail: dict[str, Any], bus: str | None = None) -> None:
        entry = {"Source": "closeloop", "DetailType": detail_type, "Detail": json.dumps(detail)}
        response = self.events.put_events(Entries=[{**entry, "EventBusName": bus or f"bus-{self.s}"}])
        assert response["FailedEntryCount"] == 0


@pytest.fixture
def make(endpoint_url: str, tmp_path: Path) -> Iterator[Any]:
    created: list[Setup] = []

    def factory(**options: Any) -> Setup:
        created.append(Setup(endpoint_url, tmp_path, **options))
        return created[-1]

    handlers.reset()
    yield factory
    for setup in created:
        if setup.plumbing is not None:
            setup.plumbing.stop()


# ------------------------------------------------------------------ SQS


def test_queue_messages_reach_the_handler_in_batches_shaped_as_lambda_sends_them(make: Any) -> None:
    setup = make(batch_size=5)
    sent = [f"m{n:02}" for n in range(12)]
    setup.send(*sent)
    attributes = {"kind": {"DataType": "String", "StringValue": "order"}}
    setup.send("with-attributes", MessageAttributes=attributes)
    setup.start()
    setup.drain()

    batches = handlers.bodies()
    assert [len(b) for b in batches] == [5, 5, 3]
    assert sorted(body for batch in batches for body in batch) == sorted([*sent, "with-attributes"])
    assert setup.counts("work") == (0, 0)  # every handled message deleted
    record = next(r for e in handlers.invocations["queue"] for r in e["Records"] if r["body"] == "with-attributes")
    assert set(record) >= {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody"}
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs",
        queue_arn(f"work-{setup.s}"),
        REGION,
    )
    assert record["attributes"]["ApproximateReceiveCount"] == "1" and "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "order",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    json.dumps(handlers.invocations["queue"])  # plain JSON, as Lambda delivers it


def test_a_partially_failing_batch_redelivers_only_the_failed_messages(make: Any) -> None:
    setup = make()
    setup.send("a", "b", "fail_once", "d")
    setup.start()
    setup.drain()
    assert handlers.bodies() == [["a", "b", "fail_once", "d"], ["fail_once"]]
    again = handlers.invocations["queue"][1]["Records"][0]
    assert again["attributes"]["ApproximateReceiveCount"] == "2"
    assert setup.received("work-dlq") == [] and setup.counts("work") == (0, 0)


def test_an_exception_fails_the_whole_batch(make: Any) -> None:
    setup = make()
    setup.send("a", "raise_once")
    setup.start()
    setup.drain()
    assert [sorted(b) for b in handlers.bodies()] == [["a", "raise_once"], ["a", "raise_once"]]
    assert setup.counts("work") == (0, 0)


def test_a_poison_message_moves_to_the_dead_letter_queue_after_max_receive_count(make: Any, capsys: Any) -> None:
    setup = make()
    setup.send("ok1", "fail", "ok2")
    setup.start()
    setup.drain()
    deliveries = [body for batch in handlers.bodies() for body in batch]
    assert deliveries.count("fail") == 3  # maxReceiveCount
    assert deliveries.count("ok1") == deliveries.count("ok2") == 1
    assert setup.received("work-dlq") == ["fail"]
    assert setup.counts("work") == (0, 0)
    assert "failed on 1 of" in capsys.readouterr().err


def test_a_failed_message_comes_back_only_after_its_visibility_timeout(make: Any) -> None:
    setup = make(visibility=30)
    setup.send("fail_once")
    setup.start()
    setup.drain()  # idle: the failed message is not due for 30 s
    assert handlers.bodies() == [["fail_once"]]
    assert setup.counts("work") == (0, 1)  # still in the queue, invisible


def test_a_delayed_message_waits_for_its_delay(make: Any) -> None:
    setup = make()
    setup.send("later", DelaySeconds=60)
    setup.send("now")
    setup.start()
    setup.drain()
    assert handlers.bodies() == [["now"]]


# ------------------------------------------------------------------ EventBridge


def test_an_event_matching_the_pattern_reaches_the_handler_once_and_others_never(make: Any) -> None:
    setup = make()
    setup.start()
    setup.drain()  # the rule exists in the embedded EventBridge from here on
    setup.put_event("OrderPlaced", {"order_id": "o-1", "amount": 12})
    setup.put_event("OrderCancelled", {"order_id": "o-2"})  # other detail-type
    setup.put_event("OrderPlaced", {"order_id": "o-3"}, bus="default")  # other bus
    setup.drain()

    [event] = handlers.invocations["bus"]
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "closeloop",
        "OrderPlaced",
        {"order_id": "o-1", "amount": 12},
    )
    assert (event["account"], event["region"], event["version"]) == (ACCOUNT_ID, REGION, "0")
    assert event["time"].endswith("Z") and dt.datetime.fromisoformat(event["time"])


def test_a_failing_event_is_retried_then_sent_to_the_on_failure_destination(make: Any) -> None:
    setup = make()
    setup.start()
    setup.drain()
    setup.put_event("OrderPlaced", {"order_id": "o-9", "fail": True})
    setup.drain()
    assert len(handlers.invocations["bus"]) == 2  # the call and MaximumRetryAttempts: 1
    [body] = setup.received("failed")
    record = json.loads(body)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"]["detail"] == {"order_id": "o-9", "fail": True}
    assert "this event always fails" in record["responsePayload"]["errorMessage"]


# ------------------------------------------------------------------ schedules


def test_schedule_run_gives_the_handler_the_instant_it_fires_at(make: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("CLOSELOOP_RULES", "")  # schedule run sets it for the handler: undone after the test
    setup = make()
    plumbing = setup.start()
    args = argparse.Namespace(name=f"tick-{setup.s}", at="2026-11-22T08:00:00Z", settings=argparse.Namespace(rules=""))
    assert cmd_schedule_run(args, lambda: plumbing.drain(10), template=setup.template) == 0

    [event] = handlers.invocations["schedule"]
    assert event["time"] == "2026-11-22T08:00:00Z"
    assert (event["detail-type"], event["source"], event["detail"]) == ("Scheduled Event", "aws.events", {})
    assert event["resources"] == [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/tick-{setup.s}"]
    assert json.loads(capsys.readouterr().out) == {"fired_at": "2026-11-22T08:00:00Z"}

    args.name = f"nightly-{setup.s}"  # a constant Input replaces the event, as in AWS
    cmd_schedule_run(args, lambda: plumbing.drain(10), template=setup.template)
    assert handlers.invocations["schedule"][-1] == {"job": "nightly"}


def test_schedule_run_names_the_known_schedules_when_the_name_is_unknown(make: Any, monkeypatch: Any) -> None:
    from infra.cli_rules import CommandError

    monkeypatch.setenv("CLOSELOOP_RULES", "")  # as above

    setup = make()
    args = argparse.Namespace(name="no-such-job", at=None, settings=argparse.Namespace(rules=""))
    with pytest.raises(CommandError, match=f"nightly-{setup.s}, tick-{setup.s}"):
        cmd_schedule_run(args, lambda: True, template=setup.template)


def test_with_schedules_off_nothing_fires_by_itself(make: Any) -> None:
    setup = make()
    setup.start(schedules=False)
    setup.clock.advance(3 * 86400)
    setup.drain()
    setup.drain()
    assert handlers.invocations["schedule"] == []


def test_with_schedules_on_each_fires_by_itself_at_its_rate(make: Any) -> None:
    setup = make()
    setup.start(schedules=True)
    setup.drain()
    setup.clock.advance(59)
    setup.drain()
    assert handlers.invocations["schedule"] == []  # the first minute has not passed

    setup.clock.advance(1)
    setup.drain()
    [tick] = handlers.invocations["schedule"]
    assert tick["time"] == "2026-11-22T08:01:00Z" and tick["resources"][0].endswith(f"rule/tick-{setup.s}")

    setup.clock.advance(60)
    setup.drain()
    assert [e["time"] for e in handlers.invocations["schedule"]] == ["2026-11-22T08:01:00Z", "2026-11-22T08:02:00Z"]

    # Asleep until past 02:00 the next day: each schedule fires once, not once per missed minute.
    setup.clock.advance(18 * 3600 + 30)
    setup.drain()
    fired = handlers.invocations["schedule"][2:]
    assert len(fired) == 2 and {"job": "nightly"} in fired


# ------------------------------------------------------------------ idle, from another process


def test_a_drain_request_from_another_process_waits_for_queue_messages(make: Any) -> None:
    setup = make()
    setup.start()
    setup.drain()
    setup.send("x", "y", "z")
    assert request_drain(setup.endpoint_url, 10) is True
    assert sorted(body for batch in handlers.bodies() for body in batch) == ["x", "y", "z"]
