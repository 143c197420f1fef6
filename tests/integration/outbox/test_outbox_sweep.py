"""Nothing recorded is lost on the bus: events the stream never delivered are published by the
outbox-sweep schedule, once each, and only after the stream has had its chance."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from infra.local.inspect import pending_events
from schedules.outbox_sweep import handler as sweep
from shared.adapters.container import utc_now
from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from shared.kernel.domain.events import iso
from shared.leads.services.capture import capture_lead


@pytest.fixture
def downstream(aws, clean_aws):
    """A queue subscribed to the closeloop bus, as a downstream system would have."""
    sqs, events = boto3.client("sqs", endpoint_url=aws), boto3.client("events", endpoint_url=aws)
    url = sqs.create_queue(QueueName="sweep-downstream")["QueueUrl"]
    received(sqs, url)  # what an earlier test left (PurgeQueue is allowed once a minute)
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


def refuse_over_256kb(publisher) -> None:
    """EventBridge refuses an entry over 256 KB with a failed entry (moto does not): do as it does."""
    events, _ = publisher._clients

    def check(params, **_):
        entries = json.loads(params["body"])["Entries"]  # the request as sent (JSON protocol)
        sizes = [len(e["Detail"].encode()) + len(e["DetailType"]) + len(e["Source"]) for e in entries]
        if max(sizes) > 256 * 1024:
            failed = {"ErrorCode": "ValidationException", "ErrorMessage": "Total size of the entries exceeds 256KB"}
            parsed = {"FailedEntryCount": len(sizes), "Entries": [failed for _ in sizes]}
            return AWSResponse(params["url"], 200, {}, None), parsed
        return None

    events.meta.events.register("before-call.events.PutEvents", check)


def test_an_event_the_bus_refuses_never_blocks_the_others_and_is_set_aside(clean_aws, example_rules, downstream):
    import argparse

    from infra.cli_outbox import cmd_events_retry, cmd_events_unpublished
    from shared.kernel.services.ports import Change
    from tests.unit.services.helpers import note_on

    sqs, url = downstream
    publisher = clean_aws.publisher
    refuse_over_256kb(publisher)
    now = utc_now()
    huge = note_on("lead/ld_huge", now - timedelta(minutes=5), "x" * 300_000)
    small = [note_on(f"lead/ld_{n}", now - timedelta(minutes=4), f"note {n}") for n in range(5)]
    DynamoUnitOfWork().commit(Change(events=[huge, *small]))
    received(sqs, url)

    first = sweep({"time": iso(now)}, None)
    assert first["published"] >= 5 and first["failed"] == 1 and first["set_aside"] == 0
    assert {m["detail"]["subject"] for m in received(sqs, url)} >= {f"lead/ld_{n}" for n in range(5)}
    for minute in (1, 2):
        last = sweep({"time": iso(now + timedelta(minutes=minute))}, None)
    assert last["set_aside"] == 1 and pending_events() == 0
    assert sweep({"time": iso(now + timedelta(minutes=3))}, None)["failed"] == 0  # out of the sweep

    [aside] = publisher.set_aside()
    assert aside["id"] == huge.id and aside["publish_failures"] == 3
    assert "256KB" in aside["last_error"]
    listing = argparse.Namespace(type=None, subject=None, json=True)
    assert cmd_events_unpublished(listing) == 0
    assert cmd_events_retry(argparse.Namespace(ids=[huge.id], failed=False)) == 0
    assert publisher.set_aside() == [] and pending_events() == 1
