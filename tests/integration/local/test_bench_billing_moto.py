"""The bench's DynamoDB bill counted in the embedded AWS (bench/billing.billing_moto): each write
billed from the item as it was before and after, whichever client asked."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bench.billing import Bill, billing_moto, set_caller
from infra.local.aws import client

TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Notes": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "bill-notes",
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [
                    {"AttributeName": "id", "AttributeType": "S"},
                    {"AttributeName": "day", "AttributeType": "S"},
                ],
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by_day",
                        "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
            },
        }
    }
}
BODY = "x" * 1500  # "id"+"n_000" 7 bytes, "body"+1500: 1,511 bytes, 2 KB started


@pytest.fixture(scope="module")
def dynamodb(endpoint_url: str) -> Any:
    ddb = client("dynamodb", endpoint_url)
    props = TEMPLATE["Resources"]["Notes"]["Properties"]
    ddb.create_table(**{k: v for k, v in props.items() if k != "BillingMode"}, BillingMode="PAY_PER_REQUEST")
    return ddb


def _id() -> dict[str, str]:
    return {"S": f"n_{uuid.uuid4().hex[:3]}"}


def test_updates_are_billed_on_the_larger_image_and_each_index_they_enter(dynamodb: Any) -> None:
    key = {"id": _id()}
    with billing_moto(Bill(), TEMPLATE) as bill:
        set_caller("Writer")
        dynamodb.put_item(TableName="bill-notes", Item={**key, "body": {"S": BODY}})
        assert dict(bill.write) == {"bill-notes": 2}  # not in the index: no day
        dynamodb.update_item(
            TableName="bill-notes",
            Key=key,
            UpdateExpression="SET #d = :d",
            ExpressionAttributeNames={"#d": "day"},
            ExpressionAttributeValues={":d": {"S": "2026-12-07"}},
        )
        assert dict(bill.write) == {"bill-notes": 4, "bill-notes/by_day": 2}  # the whole item, twice
        dynamodb.update_item(TableName="bill-notes", Key=key, UpdateExpression="REMOVE body")
        assert dict(bill.write) == {"bill-notes": 6, "bill-notes/by_day": 4}  # the larger image: before
        set_caller(None)
    assert bill.write_by["Writer"] == 10
    assert bill.requests["UpdateItem"] == 2


def test_transactions_bill_twice_and_a_failed_condition_still_bills(dynamodb: Any) -> None:
    key = {"id": _id()}
    with billing_moto(Bill(), TEMPLATE) as bill:
        dynamodb.transact_write_items(
            TransactItems=[{"Put": {"TableName": "bill-notes", "Item": {**key, "body": {"S": BODY}}}}]
        )
        assert dict(bill.write) == {"bill-notes": 4}
        with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.put_item(
                TableName="bill-notes",
                Item={**key, "body": {"S": "short"}},
                ConditionExpression="attribute_not_exists(id)",
            )
        assert dict(bill.write) == {"bill-notes": 6}  # the larger of the item there and the one sent
        dynamodb.delete_item(TableName="bill-notes", Key=key)
        assert dict(bill.write) == {"bill-notes": 8}  # the item deleted
        assert bill.refused["PutItem"] == 1
