"""Shared fixtures. The embedded AWS (a moto server) is created from template.yaml once per
test process; each test that needs clean state gets fresh tables via `clean_aws`.

``CLOSELOOP_TEST_NOW=2028-02-29T23:30:00Z`` (or ``--now``) runs the test process at that instant:
time-machine moves its clock there for the whole session and lets it tick on, so the suite can
be proved at any hour (tests/unit/test_any_hour.py). Subprocesses it starts (``closeloop dev``
in tests/e2e) keep the real clock."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from admin_sheets.parse import validate_source
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet

EXAMPLES = "dir:admin_sheets/examples"
ADMIN_KEY = "test-admin-key"
WEBHOOK_SECRET = "test-webhook-secret"
LINK_SECRET = "test-link-secret"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


TEST_NOW = "CLOSELOOP_TEST_NOW"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--now", default=None, help=f"run the tests at this UTC instant (or set {TEST_NOW})")


def pytest_configure(config: pytest.Config) -> None:
    instant = config.getoption("--now", None) or os.environ.get(TEST_NOW)
    if not instant:
        return
    import time_machine

    at = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise pytest.UsageError(f"{TEST_NOW}={instant}: give an instant with its offset, e.g. 2027-02-28T23:30:00Z")
    traveller = time_machine.travel(at, tick=True)
    traveller.start()
    config.stash[_TRAVELLER] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    traveller = config.stash.get(_TRAVELLER, None)
    return None if traveller is None else f"clock travelled to {datetime.now(UTC).isoformat()} ({TEST_NOW})"


_TRAVELLER = pytest.StashKey[Any]()
_BOOT = (
    "import runpy, sys, time_machine; time_machine.travel(float(sys.argv[1]), tick=True).start(); "
    "sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


def python_script(script: str, *args: str) -> list[str]:
    """The command that runs a Python script in a subprocess on this process's clock: a test that
    signs a request now must be read by a receiver whose now is the same, travelled or not."""
    if not os.environ.get(TEST_NOW):
        return [sys.executable, script, *args]
    return [sys.executable, "-c", _BOOT, str(datetime.now(UTC).timestamp()), script, *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _every_event_matches_its_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every event a test commits, through the memory fake or the DynamoDB outbox, is checked
    against its type's model (shared/*/messages): a data key or a type the model does not name fails
    the test, so the models say exactly what the services emit."""
    from shared.adapters import memory
    from shared.adapters.dynamo import rules, unit_of_work
    from shared.composition.messages.events import check
    from shared.kernel.domain.events import Event

    put = unit_of_work.outbox_put

    def checked_put(event: Event, seq: int = 0) -> dict[str, Any]:
        check(event)
        return put(event, seq)

    commit = memory.MemoryUnitOfWork.commit

    def checked_commit(self: memory.MemoryUnitOfWork, change: Any) -> None:
        for event in change.events:
            check(event)
        commit(self, change)

    monkeypatch.setattr(unit_of_work, "outbox_put", checked_put)
    monkeypatch.setattr(rules, "outbox_put", checked_put)
    monkeypatch.setattr(memory.MemoryUnitOfWork, "commit", checked_commit)


@pytest.fixture(scope="session")
def example_content() -> Content:
    result = validate_source(EXAMPLES)
    assert not result.problems, result.problems
    assert result.content is not None
    return result.content


@pytest.fixture(scope="session")
def example_rules(example_content: Content) -> ActiveRules:
    rules = RuleSet.from_content(example_content, "v1-test")
    return ActiveRules(rules)


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
        "closeloop-dev-link-secret": json.dumps({"secret": LINK_SECRET}),
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
