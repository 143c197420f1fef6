"""Nothing recorded is lost on the bus: events the stream never delivered are published by the
outbox-sweep schedule, once each, and only after the stream has had its chance."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from infra.local.inspect import pending_events
from schedules.outbox_sweep import handler as sweep
from shared.adapters.container import utc_now
from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from shared.domain.events import iso
from shared.services.capture import capture_lead


@pytest.fixture
def downstream(aws, clean_aws):
    """A queue subscribed to the closeloop bus, as a downstream system would have."""
    sqs, events = boto3.client("sqs", endpoint_url=aws), boto3.client("events", endpoint_url=aws)
    url = sqs.create_queue(QueueName="sweep-downstream")["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="sweep-all", EventBusName="closeloop-dev", EventPattern=json.dumps({"source": ["closeloop"]}))
    events.put_targets(Rule="sweep-all", EventBusName="closeloop-dev", Targets=[{"Id": "q", "Arn": arn}])
    return sqs, url


def received(sqs, url) -> list[dict]:
    messages = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        messages += [json.loads(m["Body"]) for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return messages


def test_undelivered_events_are_published_by_the_sweep_once(clean_aws, example_rules, downstream):
    sqs, url = downstream
    source = example_rules.rules.sources["hubspot"]
    capture_lead({"email": "sweep@example.cn", "employees": 300}, source, example_rules, DynamoUnitOfWork(), utc_now)
    waiting = pending_events()
    assert waiting >= 2  # no stream consumer runs here: as if its retries had run out

    early = sweep({"time": iso(utc_now())}, None)
    assert early["published"] == 0  # recent events are left to the stream consumer

    later = sweep({"time": iso(utc_now() + timedelta(minutes=10))}, None)
    assert later["published"] == waiting and pending_events() == 0
    types = [m["detail-type"] for m in received(sqs, url)]
    assert {"LeadCaptured", "RulesPublished"} <= set(types) and len(types) == waiting

    again = sweep({"time": iso(utc_now() + timedelta(minutes=20))}, None)
    assert again == {**again, "pending": 0, "published": 0} and received(sqs, url) == []
