"""The embedded AWS holds exactly what template.yaml declares."""

from __future__ import annotations

import contextlib
import json
import time

import pytest

from infra import template as cfn
from infra.local.aws import PortInUseError, aws_env, client, create_resources, start_moto

TEMPLATE = cfn.load_template()
SECRETS = {"closeloop/webhook-secrets": json.dumps({"web-form": "s3cret"})}


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
    assert client("events", stack).describe_event_bus(Name="closeloop")["Name"] == "closeloop"
    assert client("sqs", stack).get_queue_url(QueueName="closeloop-outbox-dlq")["QueueUrl"]
    secrets = client("secretsmanager", stack)
    assert json.loads(secrets.get_secret_value(SecretId="closeloop/webhook-secrets")["SecretString"]) == {
        "web-form": "s3cret"
    }
    # a secret the caller gave no value for is still readable, as a JSON object
    for name in ("closeloop/api-keys", "closeloop/google-service-account"):
        assert isinstance(json.loads(secrets.get_secret_value(SecretId=name)["SecretString"]), dict)


def test_creating_again_is_harmless_and_updates_given_secrets(stack: str) -> None:
    create_resources(TEMPLATE, stack, secrets={"closeloop/api-keys": '{"admin": "k"}'})
    create_resources(TEMPLATE, stack, secrets={})
    secrets = client("secretsmanager", stack)
    assert secrets.get_secret_value(SecretId="closeloop/api-keys")["SecretString"] == '{"admin": "k"}'
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
    assert env["LEADS_TABLE"] == "closeloop-leads" and env["EVENTS_TABLE"] == "closeloop-events"
    assert env["EVENT_BUS_NAME"] == "closeloop" and env["LOG_LEVEL"] == "INFO"
    secrets = client("secretsmanager", stack)
    assert env["WEBHOOK_SECRETS_ARN"] == secrets.describe_secret(SecretId="closeloop/webhook-secrets")["ARN"]
    assert env["API_KEYS_ARN"] == secrets.describe_secret(SecretId="closeloop/api-keys")["ARN"]


def test_a_taken_port_fails_fast_with_one_line(endpoint_url: str) -> None:
    port = int(endpoint_url.rsplit(":", 1)[1])
    started = time.monotonic()
    with pytest.raises(PortInUseError) as error:
        start_moto(port)
    assert time.monotonic() - started < 5
    assert str(port) in str(error.value) and "\n" not in str(error.value)
