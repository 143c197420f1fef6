"""The embedded AWS holds exactly what template.yaml declares, and stays fast and small."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import ShardIterator

from infra import template as cfn
from infra.local import moto_fixes
from infra.local.aws import (
    ACCOUNT_ID,
    REGION,
    PortInUseError,
    aws_env,
    client,
    create_resources,
    forget_stream_iterator,
    start_moto,
)

TEMPLATE = cfn.load_template()
SECRETS = {"closeloop-dev-webhook-secrets": json.dumps({"web-form": "s3cret"})}


@pytest.fixture(scope="module")
def stack(endpoint_url: str):
    # moto keeps one state per process: put back the secret values other test modules rely on
    secrets = client("secretsmanager", endpoint_url)
    before = {}
    for spec in cfn.secrets(TEMPLATE):
        with contextlib.suppress(secrets.exceptions.ResourceNotFoundException):
            before[spec.name] = secrets.get_secret_value(SecretId=spec.name)["SecretString"]
    create_resources(TEMPLATE, endpoint_url, secrets=SECRETS)
    yield endpoint_url
    if before:
        create_resources(TEMPLATE, endpoint_url, secrets=before)


def _pairs(key_schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in key_schema]


@pytest.mark.parametrize("spec", cfn.tables(TEMPLATE), ids=lambda s: s.logical_id)
def test_every_table_exists_with_its_keys_indexes_and_stream(stack: str, spec: cfn.TableSpec) -> None:
    dynamodb = client("dynamodb", stack)
    table = dynamodb.describe_table(TableName=spec.name)["Table"]
    assert _pairs(table["KeySchema"]) == _pairs(spec.key_schema)
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in spec.attribute_definitions
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {g["IndexName"] for g in spec.global_secondary_indexes}
    for gsi in spec.global_secondary_indexes:
        assert _pairs(indexes[gsi["IndexName"]]["KeySchema"]) == _pairs(gsi["KeySchema"])
        assert indexes[gsi["IndexName"]]["Projection"]["ProjectionType"] == gsi["Projection"]["ProjectionType"]
    if spec.stream_view_type:
        assert table["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": spec.stream_view_type,
        }
        assert table["LatestStreamArn"]
    else:
        assert "LatestStreamArn" not in table
    ttl = dynamodb.describe_time_to_live(TableName=spec.name)["TimeToLiveDescription"]
    assert ttl.get("AttributeName") == spec.ttl_attribute


def test_bus_queue_and_secrets_exist(stack: str) -> None:
    assert client("events", stack).describe_event_bus(Name="closeloop-dev")["Name"] == "closeloop-dev"
    assert client("sqs", stack).get_queue_url(QueueName="closeloop-dev-outbox-dlq")["QueueUrl"]
    secrets = client("secretsmanager", stack)
    assert json.loads(secrets.get_secret_value(SecretId="closeloop-dev-webhook-secrets")["SecretString"]) == {
        "web-form": "s3cret"
    }
    # a secret the caller gave no value for is still readable, as a JSON object
    for name in ("closeloop-dev-api-keys", "closeloop-dev-google-service-account"):
        assert isinstance(json.loads(secrets.get_secret_value(SecretId=name)["SecretString"]), dict)


def test_creating_again_is_harmless_and_updates_given_secrets(stack: str) -> None:
    create_resources(TEMPLATE, stack, secrets={"closeloop-dev-api-keys": '{"admin": "k"}'})
    create_resources(TEMPLATE, stack, secrets={})
    secrets = client("secretsmanager", stack)
    assert secrets.get_secret_value(SecretId="closeloop-dev-api-keys")["SecretString"] == '{"admin": "k"}'
    names = set(client("dynamodb", stack).list_tables()["TableNames"])
    assert {t.name for t in cfn.tables(TEMPLATE)} <= names


def test_aws_env_resolves_every_global_variable_locally(stack: str) -> None:
    env = aws_env(stack)
    assert env["AWS_ENDPOINT_URL"] == stack
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_DEFAULT_REGION"]) == (
        "test",
        "test",
        "us-east-1",
    )
    assert set(cfn.function_globals(TEMPLATE)["Environment"]["Variables"]) <= set(env)
    assert all(isinstance(v, str) for v in env.values())
    assert env["LEADS_TABLE"] == "closeloop-dev-leads" and env["EVENTS_TABLE"] == "closeloop-dev-events"
    assert env["EVENT_BUS_NAME"] == "closeloop-dev" and env["LOG_LEVEL"] == "INFO"
    secrets = client("secretsmanager", stack)
    assert env["WEBHOOK_SECRETS_ARN"] == secrets.describe_secret(SecretId="closeloop-dev-webhook-secrets")["ARN"]
    assert env["API_KEYS_ARN"] == secrets.describe_secret(SecretId="closeloop-dev-api-keys")["ARN"]


def test_a_taken_port_fails_fast_with_one_line(endpoint_url: str) -> None:
    port = int(endpoint_url.rsplit(":", 1)[1])
    raised: list[BaseException] = []

    def start() -> None:
        try:
            start_moto(port)
        except BaseException as exc:  # collected for the assertions below
            raised.append(exc)

    # it used to wait for ever: the check is that it returns at all (a liveness bound, not a speed)
    attempt = threading.Thread(target=start, daemon=True)
    attempt.start()
    attempt.join(timeout=60)
    assert not attempt.is_alive(), "start_moto hung on a taken port"
    [error] = raised
    assert isinstance(error, PortInUseError)
    assert str(port) in str(error) and "\n" not in str(error)


# ------------------------------------------------------------------ the server itself (infra.local.moto_fixes)


def _streamed_table(endpoint_url: str) -> tuple[Any, str]:
    dynamodb = client("dynamodb", endpoint_url)
    name = f"kept-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return dynamodb, name


def _iterator(endpoint_url: str, table: str, kind: str = "TRIM_HORIZON") -> tuple[Any, str]:
    dynamodb, streams = client("dynamodb", endpoint_url), client("dynamodbstreams", endpoint_url)
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    found = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=kind)
    return streams, found["ShardIterator"]


def test_stream_records_older_than_a_day_are_trimmed_and_a_reader_behind_resumes_at_the_oldest(
    endpoint_url: str,
) -> None:
    dynamodb, table = _streamed_table(endpoint_url)
    for item_id in ("old1", "old2"):
        dynamodb.put_item(TableName=table, Item={"id": {"S": item_id}})
    streams, behind = _iterator(endpoint_url, table)  # a reader parked before the old records
    shard = dynamodb_backends[ACCOUNT_ID][REGION].get_table(table).stream_shard
    for record in shard.items:  # as if written 25 hours ago
        record.record["dynamodb"]["ApproximateCreationDateTime"] -= timedelta(hours=25)

    dynamodb.put_item(TableName=table, Item={"id": {"S": "new"}})

    def ids(records: list[dict[str, Any]]) -> list[str]:
        return [r["dynamodb"]["Keys"]["id"]["S"] for r in records]

    assert ids(streams.get_records(ShardIterator=behind)["Records"]) == ["new"]
    _, fresh = _iterator(endpoint_url, table)
    assert ids(streams.get_records(ShardIterator=fresh)["Records"]) == ["new"]


def test_polling_a_stream_keeps_no_model_instances_alive(endpoint_url: str) -> None:
    dynamodb, table = _streamed_table(endpoint_url)
    streams, iterator = _iterator(endpoint_url, table, "LATEST")
    for n in range(50):  # what the stream poller does, writes in between
        dynamodb.put_item(TableName=table, Item={"id": {"S": f"i{n % 5}"}})
        used, iterator = iterator, streams.get_records(ShardIterator=iterator)["NextShardIterator"]
        forget_stream_iterator(used)
    assert ShardIterator.instances_tracked == [] and Item.instances_tracked == []  # type: ignore[attr-defined]
    assert len(dynamodb_backends[ACCOUNT_ID][REGION].get_table(table).stream_shard.items) == 50


def test_one_connection_carries_many_requests(endpoint_url: str) -> None:
    host, port = endpoint_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    signed = (
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"
    )
    headers = {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}
    local_ports = set()
    for body in (b"{}", b'{"Limit": 5}', b"{}"):
        connection.request("POST", "/", body, {**headers, "Authorization": signed})
        response = connection.getresponse()
        assert response.status == 200 and "TableNames" in json.loads(response.read())
        assert response.getheader("Connection") != "close"
        local_ports.add(connection.sock.getsockname()[1])
    assert len(local_ports) == 1


@pytest.mark.parametrize(
    "expressions",
    [
        [["case_id"], ["list_shard"], ["listed_at"], ["list_fields"]],  # an INCLUDE index's projection
        [["listed_at"], ["list_fields", "_row"], ["list_fields", "_row_version"]],  # a list page's
        [["list_fields"], ["list_fields", "_row"]],  # overlapping: the map, and one of its keys again
        [["doc", "history"], ["missing"], ["tags[1]"]],
    ],
)
def test_a_projection_read_once_is_the_projection_moto_makes(expressions: list[list[str]]) -> None:
    """moto_fixes reads an item as JSON once per projection (moto: once per attribute projected)."""
    attrs = {
        "case_id": {"S": "cs_1"},
        "list_shard": {"S": "2"},
        "listed_at": {"S": "2026-11-21T14:00:00.000Z#cs_1"},
        "list_fields": {
            "M": {"status": {"S": "open"}, "_row": {"S": '{"case_id": "cs_1"}'}, "_row_version": {"S": "1"}}
        },
        "doc": {"M": {"history": {"L": [{"M": {"type": {"S": "opened"}}}]}, "n": {"N": "1.50"}}},
        "tags": {"L": [{"S": "a"}, {"S": "b"}]},
    }
    item = Item(hash_key=None, range_key=None, attrs=attrs)  # type: ignore[arg-type]
    assert moto_fixes._project(item, expressions).to_json() == moto_fixes._moto_project(item, expressions).to_json()


def _indexed_table(endpoint_url: str) -> tuple[Any, str]:
    """A table with a string-keyed index, holding items of every attribute type (binary aside)."""
    dynamodb = client("dynamodb", endpoint_url)
    name = f"reads-{uuid.uuid4().hex[:8]}"
    strings = {"AttributeType": "S"}
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", **strings},
            {"AttributeName": "shard", **strings},
            {"AttributeName": "at", **strings},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-shard",
                "KeySchema": [
                    {"AttributeName": "shard", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["row"]},
            }
        ],
    )
    for n in range(30):
        dynamodb.put_item(
            TableName=name,
            Item={
                "id": {"S": f"i{n:02}"},
                "shard": {"S": str(n % 3)},
                "at": {"S": f"2026-12-0{1 + n % 7}T10:00:00Z#i{n:02}"},  # ties broken by the id
                "row": {"M": {"n": {"N": f"{n}.50"}, "l": {"L": [{"NULL": True}, {"BOOL": n % 2 == 0}]}}},
                "tags": {"SS": ["é", "\u2028", "</x>"]},
                "counts": {"NS": ["1", "2.0"]},
            },
        )
    return dynamodb, name


def _reads(table: str) -> list[tuple[str, dict[str, Any]]]:
    window = {":s": {"S": "1"}, ":from": {"S": "2026-12-02"}}
    return [
        ("Query", {"TableName": table, "IndexName": "by-shard", "KeyConditionExpression": "shard = :s AND at >= :from",
                   "ExpressionAttributeValues": window, "ScanIndexForward": False, "Limit": 4,
                   "ProjectionExpression": "#r.#n", "ExpressionAttributeNames": {"#r": "row", "#n": "n"}}),
        ("Query", {"TableName": table, "KeyConditionExpression": "id = :i",
                   "ExpressionAttributeValues": {":i": {"S": "i07"}}, "ReturnConsumedCapacity": "INDEXES"}),
        ("Scan", {"TableName": table, "Limit": 5, "ReturnConsumedCapacity": "TOTAL"}),
        ("GetItem", {"TableName": table, "Key": {"id": {"S": "i03"}}}),
        ("GetItem", {"TableName": table, "Key": {"id": {"S": "missing"}}}),
        ("BatchGetItem", {"RequestItems": {table: {"Keys": [{"id": {"S": "i01"}}, {"id": {"S": "i02"}}]}}}),
    ]  # fmt: skip


def _answer(endpoint_url: str, action: str, body: dict[str, Any]) -> tuple[int, str | None, Any]:
    host, port = endpoint_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    signed = (
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x"
    )
    headers = {"X-Amz-Target": f"DynamoDB_20120810.{action}", "Content-Type": "application/x-amz-json-1.0"}
    connection.request("POST", "/", json.dumps(body), {**headers, "Authorization": signed})
    response = connection.getresponse()
    answer = (response.status, response.getheader("Content-Type"), json.loads(response.read()))
    connection.close()
    return answer


def test_an_item_read_answered_as_json_is_the_answer_moto_serialises(
    endpoint_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto_fixes dumps a read's DynamoDB JSON as it is; moto walks its output shape value by value."""
    _, table = _indexed_table(endpoint_url)
    ours = [_answer(endpoint_url, action, body) for action, body in _reads(table)]
    monkeypatch.setattr(DynamoHandler, "serialized", moto_fixes._moto_serialized)
    theirs = [_answer(endpoint_url, action, body) for action, body in _reads(table)]
    assert ours == theirs
    assert [len(answer[2].get("Items", [])) for answer in ours][:3] == [4, 1, 5]  # the reads read something


def test_an_index_query_orders_and_matches_as_moto_does(endpoint_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto_fixes compares strings by value and reads each sort key once; moto casts on every comparison."""
    _, table = _indexed_table(endpoint_url)
    queries = [body for action, body in _reads(table) if action == "Query"]
    ours = [_answer(endpoint_url, "Query", {**q, "Limit": 100}) for q in queries]
    monkeypatch.setattr(Table, "sorted_items", moto_fixes._moto_sorted_items)
    monkeypatch.setattr(DynamoType, "__eq__", moto_fixes._moto_eq)
    monkeypatch.setattr(DynamoType, "__ne__", moto_fixes._moto_ne)
    monkeypatch.setattr(DynamoType, "__lt__", moto_fixes._moto_lt)
    theirs = [_answer(endpoint_url, "Query", {**q, "Limit": 100}) for q in queries]
    assert ours == theirs
    # newest first within shard "1", the day before the window left out
    expected = sorted((n for n in range(30) if n % 3 == 1 and n % 7 >= 1), key=lambda n: (n % 7, n), reverse=True)
    assert [row["row"]["M"]["n"]["N"] for row in ours[0][2]["Items"]] == [f"{n}.50" for n in expected]
