"""A real HTTP receiver on a free port (answers scripted per test, every post recorded) and the
local plumbing playing template.yaml's deliveries stream against the embedded AWS."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state


@pytest.fixture
def plumbing(aws: str, clean_aws: Any) -> Iterator[Any]:
    from infra.local.plumbing import Plumbing
    from infra.template import load_template

    running = Plumbing(load_template(), aws, poll_interval=0.05)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def configure(clean_aws: Any) -> Any:
    """Point the process's container at URLs and chat channels, as the stack's settings would."""
    from aws_lambda_powertools.utilities import parameters

    from infra.local.aws import client
    from shared.adapters.container import Container, reset_container

    def apply(chat: dict[str, Any] | None = None, **settings: str) -> Any:
        import os

        secrets = client("secretsmanager", os.environ["AWS_ENDPOINT_URL"])
        secrets.put_secret_value(SecretId="closeloop-dev-chat-webhooks", SecretString=json.dumps(chat or {}))
        secrets.put_secret_value(
            SecretId="closeloop-dev-delivery-secret", SecretString='{"secret": "test-delivery-secret"}'
        )
        parameters.clear_caches()
        container = Container(dataclasses.replace(clean_aws.settings, **settings))
        reset_container(container)
        return container

    return apply
