"""TransactWriteItems on the embedded AWS is all or nothing, as in DynamoDB: a cancelled
transaction writes and streams nothing, so the outbox never publishes an event that did not
happen, even when many captures race over the same people."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local.aws import client

# ------------------------------------------------------------------ the transaction itself


class Things:
    """A throwaway streamed table: what a transaction wrote, and what its stream carries."""

    def __init__(self, endpoint: str) -> None:
        self.name = f"atomic-{uuid.uuid4().hex[:8]}"
        self.dynamodb = client("dynamodb", endpoint)
        self.streams = client("dynamodbstreams", endpoint)
        self.dynamodb.create_table(
            TableName=self.name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )

    def put(self, item_id: str, **attributes: Any) -> dict[str, Any]:
        item = {"id": {"S": item_id}, **{k: {"N": str(v)} for k, v in attributes.items()}}
        return {"Put": {"TableName": self.name, "Item": item}}

    def update(self, item_id: str, expression: str, **values: Any) -> dict[str, Any]:
        update: dict[str, Any] = {"TableName": self.name, "Key": {"id": {"S": item_id}}, "UpdateExpression": expression}
        if values:
            update["ExpressionAttributeValues"] = {f":{k}": {"N": str(v)} for k, v in values.items()}
        return {"Update": update}

    def items(self) -> dict[str, dict[str, Any]]:
        found = self.dynamodb.scan(TableName=self.name, ConsistentRead=True)["Items"]
        return {i["id"]["S"]: {k: v.get("N", v.get("S")) for k, v in i.items() if k != "id"} for i in found}

    def tail(self) -> Stream:
        """A reader of the table's stream from now on, as the outbox publisher reads it."""
        arn = self.dynamodb.describe_table(TableName=self.name)["Table"]["LatestStreamArn"]
        [shard] = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        iterator = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")
        return Stream(self.streams, iterator["ShardIterator"])

    def transact(self, *items: dict[str, Any]) -> None:
        self.dynamodb.transact_write_items(TransactItems=list(items))


class Stream:
    def __init__(self, streams: Any, iterator: str) -> None:
        self._streams, self._iterator = streams, iterator

    def read(self) -> list[tuple[str, str]]:
        """(eventName, id) of every record since the last read, oldest first."""
        response = self._streams.get_records(ShardIterator=self._iterator, Limit=1000)
        self._iterator = response["NextShardIterator"]
        return [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in response["Records"]]


@pytest.fixture
def things(aws: str) -> Iterator[Things]:
    table = Things(aws)
    yield table
    table.dynamodb.delete_table(TableName=table.name)


def test_a_failed_condition_writes_nothing_streams_nothing_and_says_why_per_item(things: Things) -> None:
    things.transact(things.put("taken", n=1), things.put("counter", n=10))
    before, stream = things.items(), things.tail()
    taken = things.put("taken", n=2)
    taken["Put"] |= {
        "ConditionExpression": "attribute_not_exists(id)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    check = {
        "ConditionCheck": {
            "TableName": things.name,
            "Key": {"id": {"S": "missing"}},
            "ConditionExpression": "attribute_exists(id)",
        }
    }
    with pytest.raises(ClientError) as cancelled:
        things.transact(things.put("new", n=1), things.update("counter", "SET n = n + :one", one=1), taken, check)

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = cancelled.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert reasons[2]["Item"] == {"id": {"S": "taken"}, "n": {"N": "1"}}  # ReturnValuesOnConditionCheckFailure
    assert "Item" not in reasons[3]
    assert things.items() == before  # nothing written, the counter not incremented
    assert stream.read() == []  # nothing streamed
    things.transact(things.put("later", n=1))
    assert stream.read() == [("INSERT", "later")]  # and the reader still sees what comes next


def test_a_committed_transaction_writes_and_streams_every_item_once(things: Things) -> None:
    things.transact(things.put("gone", n=1), things.put("counter", n=1))
    stream = things.tail()
    things.transact(
        things.put("new", n=5),
        things.update("counter", "SET n = n + :one", one=1),
        things.update("created", "SET n = :seven", seven=7),  # an upsert
        {"Delete": {"TableName": things.name, "Key": {"id": {"S": "gone"}}}},
    )
    assert things.items() == {"new": {"n": "5"}, "counter": {"n": "2"}, "created": {"n": "7"}}
    assert stream.read() == [("INSERT", "new"), ("MODIFY", "counter"), ("INSERT", "created"), ("REMOVE", "gone")]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda t: t.update("counter", "SET nested.deeper = :one", one=1), id="invalid-document-path"),
        pytest.param(lambda t: t.put("counter", n=3), id="two-operations-on-one-item"),
    ],
)
def test_a_request_invalid_for_one_item_fails_whole_and_writes_nothing(things: Things, bad: Any) -> None:
    things.transact(things.put("counter", n=1))
    before, stream = things.items(), things.tail()
    with pytest.raises(ClientError) as invalid:
        # the valid items come first: applied before the bad one is met, they must be undone
        things.transact(things.put("new", n=1), things.update("counter", "SET n = n + :one", one=1), bad(things))
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    assert things.items() == before
    assert stream.read() == []
    things.transact(things.put("later", n=1))
    assert stream.read() == [("INSERT", "later")]


# ------------------------------------------------------------------ racing captures → the outbox

PEOPLE, POSTS_PER_PERSON, THREADS = 10, 5, 16


def _post(api: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{api}/webhooks/leads/website",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read())


def _person_post(n: int) -> dict[str, Any]:
    """Post n: one person's posts are neighbours, so they race; each body distinct, some with a phone."""
    person = n // POSTS_PER_PERSON
    body = {
        "email": f"racer{person}@factory{person}.cn",
        "company": f"工厂{person}",
        "province": "江苏",
        "industry": "制造业",
        "employees": 300 + n,
        "campaign": f"wave{n}",
    }
    if n % 3 == 0:
        body["phone"] = f"1380013{person:04d}"
    return body


@pytest.fixture
def api(clean_aws: Any) -> Iterator[str]:
    """The API over HTTP in this process (the threaded local server), as `closeloop dev` runs it."""
    from functions.api.app import app
    from infra.local.api_server import LocalApiServer

    server = LocalApiServer(app, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture
def bus(aws: str) -> Iterator[Any]:
    """Every event put on the closeloop bus, through a queue subscribed to it."""
    sqs, events = boto3.client("sqs", endpoint_url=aws), boto3.client("events", endpoint_url=aws)
    url = sqs.create_queue(QueueName="atomic-downstream")["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="atomic-all", EventBusName="closeloop-dev", EventPattern=json.dumps({"source": ["closeloop"]}))
    events.put_targets(Rule="atomic-all", EventBusName="closeloop-dev", Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            messages += [json.loads(m["Body"]) for m in batch]
            for m in batch:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return messages

    yield received
    events.remove_targets(Rule="atomic-all", EventBusName="closeloop-dev", Ids=["q"])
    events.delete_rule(Name="atomic-all", EventBusName="closeloop-dev")


def test_racing_captures_publish_only_events_of_committed_changes(aws: str, api: str, bus: Any) -> None:
    from infra.local.inspect import pending_events
    from infra.local.plumbing import Plumbing
    from infra.template import load_template

    plumbing = Plumbing(load_template(), aws)
    plumbing.start()  # the publisher reads the stream while the captures race
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(lambda n: _post(api, _person_post(n)), range(PEOPLE * POSTS_PER_PERSON)))
        assert plumbing.drain(60)
    finally:
        plumbing.stop()

    assert Counter(status for status, _ in answers) == {201: PEOPLE, 200: PEOPLE * (POSTS_PER_PERSON - 1)}
    leads = {body["lead_id"] for _, body in answers}
    assert len(leads) == PEOPLE

    dynamodb = boto3.resource("dynamodb", endpoint_url=aws)
    stored = dynamodb.Table("closeloop-dev-events").scan(ConsistentRead=True)["Items"]
    whole = [e for e in stored if {"type", "time", "subject"} <= set(e)]
    assert whole == stored, "an event item without type/time/subject: the mark of a change that never committed"
    existing = {i["lead_id"] for i in dynamodb.Table("closeloop-dev-leads").scan(ConsistentRead=True)["Items"]}
    assert existing == leads
    lead_events = [e for e in stored if e["type"].startswith("Lead")]
    assert {e["subject"].removeprefix("lead/") for e in lead_events} == leads  # every subject is a stored lead
    captured = Counter(e["subject"] for e in lead_events if e["type"] == "LeadCaptured")
    assert len(captured) == PEOPLE and set(captured.values()) == {1}

    on_bus = bus()
    stored_ids = {e["event_id"] for e in stored}
    assert {m["detail"]["id"] for m in on_bus} == stored_ids  # everything recorded went out, nothing else did
    bus_captured = Counter(m["detail"]["subject"] for m in on_bus if m["detail-type"] == "LeadCaptured")
    assert len(bus_captured) == PEOPLE and set(bus_captured.values()) == {1}
    assert pending_events() == 0


def test_events_list_names_a_stub_left_by_an_older_publisher_and_lists_the_real_events(
    aws: str, clean_aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra.local.inspect import list_events

    events = boto3.client("dynamodb", endpoint_url=aws)
    stub = {"event_id": {"S": "evt_phantom"}, "published_at": {"S": "2026-11-22T08:00:00Z"}}
    events.put_item(TableName="closeloop-dev-events", Item=stub)

    listed = list_events()
    assert [e["type"] for e in listed] == ["RulesPublished"]  # the one real event (clean_aws publishes rules)
    assert "evt_phantom" in capsys.readouterr().err
