"""The fault injector answers what AWS answers, as botocore and PynamoDB read it: the exceptions
the product's fault handling keys on (shared/adapters/dynamo/faults.py), and DynamoDB's
ClientRequestToken idempotency that makes a lost TransactWriteItems answer safe to send again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local.aws import client, start_moto
from infra.local.chaos import ChaosSettings
from shared.adapters.dynamo.faults import THROTTLE_CODES, THROTTLE_REASONS
from tests.conftest import free_port

ONCE = Config(retries={"total_max_attempts": 1, "mode": "standard"})  # see each answer, no retry


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    # moto's backends are per process: this server shares them with the session's, so its table
    # has a name of its own and is dropped at the end.
    server = start_moto(free_port(), chaos=ChaosSettings(seed=7))
    endpoint = f"http://127.0.0.1:{server._port}"
    dynamodb = client("dynamodb", endpoint, ONCE)
    table = f"chaos-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(  # control plane: never faulted
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client("events", endpoint, ONCE).create_event_bus(Name=table)
    server.test_table = table
    server.endpoint = endpoint
    yield server
    server.chaos.settings = ChaosSettings()
    dynamodb.delete_table(TableName=table)
    server.stop()


def faults(server: Any, **shares: float) -> Any:
    assert server.chaos is not None
    server.chaos.settings = ChaosSettings(seed=7, **shares)
    return client("dynamodb", server.endpoint, ONCE)


def transaction(server: Any, *keys: str, token: str | None = None) -> dict[str, Any]:
    items = [
        {
            "Update": {
                "TableName": server.test_table,
                "Key": {"pk": {"S": key}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
        for key in keys
    ]
    return {"TransactItems": items, **({"ClientRequestToken": token} if token else {})}


def count(server: Any, key: str) -> int:
    faults(server)
    item = client("dynamodb", server.endpoint).get_item(TableName=server.test_table, Key={"pk": {"S": key}})
    return int(item.get("Item", {}).get("n", {}).get("N", 0))


def test_a_throttled_read_or_write_is_provisioned_throughput_exceeded_and_botocore_knows_it(server: Any) -> None:
    dynamodb = faults(server, throttle=1.0)
    for call, kwargs in (
        (dynamodb.get_item, {"Key": {"pk": {"S": "a"}}}),
        (dynamodb.put_item, {"Item": {"pk": {"S": "a"}}}),
        (dynamodb.query, {"KeyConditionExpression": "pk = :k", "ExpressionAttributeValues": {":k": {"S": "a"}}}),
    ):
        with pytest.raises(dynamodb.exceptions.ProvisionedThroughputExceededException) as raised:
            call(TableName=server.test_table, **kwargs)
        assert raised.value.response["Error"]["Code"] in THROTTLE_CODES
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert count(server, "a") == 0  # nothing applied


def test_botocore_retries_a_throttle_by_itself_as_it_does_in_aws(server: Any) -> None:
    faults(server, throttle=0.5)  # legacy mode (boto3's default): DynamoDB's own 50 ms back-off
    patient = client("dynamodb", server.endpoint, Config(retries={"max_attempts": 20, "mode": "legacy"}))
    injected = server.chaos.injected["throttle GetItem"]
    for _ in range(6):
        patient.get_item(TableName=server.test_table, Key={"pk": {"S": "b"}})  # no error reaches us
    assert server.chaos.injected["throttle GetItem"] > injected


def test_a_throttled_transaction_is_either_throttled_or_cancelled_with_a_throttling_reason(server: Any) -> None:
    dynamodb = faults(server, throttle=1.0)
    seen = set()
    for _ in range(12):
        try:
            dynamodb.transact_write_items(**transaction(server, "t1", "t2", "t3"))
        except dynamodb.exceptions.TransactionCanceledException as cancelled:
            reasons = [r["Code"] for r in cancelled.response["CancellationReasons"]]
            assert sorted(reasons) == ["None", "None", "ThrottlingError"]
            assert set(reasons) & THROTTLE_REASONS
            seen.add("cancelled")
        except dynamodb.exceptions.ProvisionedThroughputExceededException:
            seen.add("throttled")
    assert seen == {"cancelled", "throttled"}
    assert count(server, "t1") == count(server, "t2") == count(server, "t3") == 0


def test_a_conflict_cancels_the_transaction_on_one_item_and_pynamodb_reads_the_reasons(server: Any) -> None:
    from pynamodb.connection import Connection
    from pynamodb.exceptions import TransactWriteError

    faults(server, conflict=1.0)
    connection = Connection(
        host=server.endpoint, region="us-east-1", max_retry_attempts=0, aws_access_key_id="test",
        aws_secret_access_key="test",
    )  # fmt: skip
    with pytest.raises(TransactWriteError) as raised:
        items = [item["Update"] for item in transaction(server, "c1", "c2")["TransactItems"]]
        connection.transact_write_items([], [], [], items)
    codes = [None if r is None else r.code for r in raised.value.cancellation_reasons]
    assert sorted(codes, key=str) == [None, "TransactionConflict"]
    assert count(server, "c1") == count(server, "c2") == 0


def test_an_eventbridge_throttle_is_a_throttling_exception(server: Any) -> None:
    faults(server, throttle=1.0)
    events = client("events", server.endpoint, ONCE)
    with pytest.raises(ClientError) as raised:
        events.put_events(
            Entries=[{"EventBusName": server.test_table, "Source": "t", "DetailType": "x", "Detail": "{}"}]
        )
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"


def test_streams_and_the_control_plane_are_never_faulted(server: Any) -> None:
    dynamodb = faults(server, throttle=1.0)
    assert dynamodb.describe_table(TableName=server.test_table)["Table"]["TableName"] == server.test_table
    client("dynamodbstreams", server.endpoint, ONCE).list_streams()


def test_a_lost_answer_is_a_500_after_the_write_was_applied_and_never_for_single_item_writes(server: Any) -> None:
    dynamodb = faults(server, timeout=1.0)
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(**transaction(server, "lost"))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    dynamodb.put_item(TableName=server.test_table, Item={"pk": {"S": "single"}})  # answered: not safe to repeat
    assert count(server, "lost") == 1  # applied, though the caller heard a 500


def test_a_repeated_client_request_token_answers_the_first_answer_without_applying_again(server: Any) -> None:
    token = uuid.uuid4().hex
    dynamodb = faults(server, timeout=1.0)
    patient = client("dynamodb", server.endpoint, Config(retries={"total_max_attempts": 3, "mode": "standard"}))
    with pytest.raises(ClientError):  # three answers lost: botocore sent the same token three times
        patient.transact_write_items(**transaction(server, "token", token=token))
    assert count(server, "token") == 1
    dynamodb = faults(server)
    dynamodb.transact_write_items(**transaction(server, "token", token=token))  # the first answer, again
    assert count(server, "token") == 1
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(**transaction(server, "token", "other", token=token))
    assert raised.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    dynamodb.transact_write_items(**transaction(server, "token", token=uuid.uuid4().hex))  # another token applies
    assert count(server, "token") == 2


def test_the_status_page_tells_what_was_injected(server: Any) -> None:
    import requests

    dynamodb = faults(server, throttle=1.0)
    for _ in range(3):
        with pytest.raises(dynamodb.exceptions.ProvisionedThroughputExceededException):
            dynamodb.get_item(TableName=server.test_table, Key={"pk": {"S": "s"}})
    faults(server, conflict=1.0)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(**transaction(server, "s"))
    status = requests.get(f"{server.endpoint}/_closeloop/chaos", timeout=10).json()
    assert status["injected"]["throttle GetItem"] >= 3
    assert status["injected"]["conflict TransactWriteItems"] >= 1


def test_faults_stop_and_resume_when_the_status_page_is_told(server: Any) -> None:
    import requests

    dynamodb = faults(server, throttle=1.0)
    page = f"{server.endpoint}/_closeloop/chaos"
    try:
        assert requests.post(page, json={"active": False}, timeout=10).json()["active"] is False
        dynamodb.get_item(TableName=server.test_table, Key={"pk": {"S": "calm"}})  # passes: no fault
        assert requests.post(page, json={"active": True}, timeout=10).json()["active"] is True
        with pytest.raises(dynamodb.exceptions.ProvisionedThroughputExceededException):
            dynamodb.get_item(TableName=server.test_table, Key={"pk": {"S": "calm"}})
    finally:
        server.chaos.active = True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("off", None),
        ("throttle=0.2,conflict=0.1,timeout=0.02,seed=7", ChaosSettings(0.2, 0.1, 0.02, 7)),
        (" Throttle = 0.5 ", ChaosSettings(throttle=0.5)),
    ],
)
def test_closeloop_chaos_is_read(text: str, expected: ChaosSettings | None) -> None:
    assert ChaosSettings.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("throttle=2", "throttle"),
        ("conflict=x", "conflict"),
        ("seed=0.5", "seed"),
        ("hang=0.1", "hang"),
        ("throttle=0.6,conflict=0.6", "at most 1"),
    ],
)
def test_a_wrong_closeloop_chaos_says_what_is_wrong(text: str, named: str) -> None:
    with pytest.raises(ValueError, match="CLOSELOOP_CHAOS") as raised:
        ChaosSettings.parse(text)
    assert named in str(raised.value)
