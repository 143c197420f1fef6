"""Shared fixtures. The embedded AWS (a moto server) is created from template.yaml once per
test process; each test that needs clean state gets fresh tables via `clean_aws`."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from admin_sheets.parse import validate_source
from shared.domain.routing import RoutingIndex
from shared.domain.rules import Content, RuleSet
from shared.services.ports import ActiveRules

EXAMPLES = "dir:admin_sheets/examples"
ADMIN_KEY = "test-admin-key"
WEBHOOK_SECRET = "test-webhook-secret"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def example_content() -> Content:
    result = validate_source(EXAMPLES)
    assert not result.problems, result.problems
    assert result.content is not None
    return result.content


@pytest.fixture(scope="session")
def example_rules(example_content: Content) -> ActiveRules:
    rules = RuleSet.from_content(example_content, "v1-test")
    return ActiveRules(rules, RoutingIndex(rules.routing))


@pytest.fixture(scope="session")
def aws() -> Iterator[str]:
    """An embedded AWS with every resource of template.yaml; yields its endpoint URL."""
    from infra.local.aws import aws_env, create_resources, start_moto
    from infra.template import load_template

    port = free_port()
    server = start_moto(port)
    endpoint = f"http://127.0.0.1:{port}"
    template = load_template()
    secrets = {
        "closeloop-dev-webhook-secrets": json.dumps({"*": WEBHOOK_SECRET}),
        "closeloop-dev-api-keys": json.dumps({"test": ADMIN_KEY}),
    }
    create_resources(template, endpoint, secrets=secrets)
    saved = dict(os.environ)
    os.environ.update(aws_env(endpoint, template))
    os.environ["CLOSELOOP_RULES_CHECK_SECONDS"] = "0"
    yield endpoint
    os.environ.clear()
    os.environ.update(saved)
    server.stop()


def _empty_tables(endpoint: str) -> None:
    import boto3

    from infra.template import load_template, tables

    client = boto3.client("dynamodb", endpoint_url=endpoint)
    for spec in tables(load_template()):
        keys = [k["AttributeName"] for k in spec.key_schema]
        paginator = client.get_paginator("scan")
        for page in paginator.paginate(
            TableName=spec.name,
            ProjectionExpression=",".join(f"#{i}" for i in range(len(keys))),
            ExpressionAttributeNames={f"#{i}": k for i, k in enumerate(keys)},
        ):
            for item in page["Items"]:
                client.delete_item(TableName=spec.name, Key={k: item[k] for k in keys})


@pytest.fixture
def clean_aws(aws: str) -> Iterator[Any]:
    """Empty tables, a fresh container and the example rules published; yields the container."""
    from admin_sheets.publishing import sync_rules
    from shared.adapters.container import Container, reset_container

    _empty_tables(aws)
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    container = Container()
    reset_container(container)
    result = sync_rules(EXAMPLES, container)
    assert result.status == "published", result.problems
    yield container
    reset_container(None)
