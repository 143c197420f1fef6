"""A freshly deployed stack's secrets hold a generated placeholder (template.yaml's
GenerateSecretString, key "placeholder") until an operator fills them: that value is never a
valid API key, nor a source's signing secret."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from chalice.test import Client

from functions.api.app import app
from shared.adapters.secrets import PLACEHOLDER_KEY, Secrets
from shared.adapters.settings import Settings
from tests.conftest import ADMIN_KEY, WEBHOOK_SECRET

GENERATED = "Qx7dW2mLkP9sVb4nRt6yHc1gFj8aZe3u"  # what GenerateSecretString leaves: 32 letters and digits


@pytest.fixture
def as_deployed(aws: str, clean_aws: object) -> Iterator[str]:
    """The api-keys and webhook-secrets secrets as CloudFormation creates them (plus one real key)."""
    client = boto3.client("secretsmanager", endpoint_url=aws)
    names = Settings()
    client.put_secret_value(
        SecretId=names.secret("api-keys"), SecretString=json.dumps({PLACEHOLDER_KEY: GENERATED, "ops": ADMIN_KEY})
    )
    client.put_secret_value(
        SecretId=names.secret("webhook-secrets"), SecretString=json.dumps({PLACEHOLDER_KEY: GENERATED})
    )
    parameters.clear_caches()
    yield aws
    client.put_secret_value(SecretId=names.secret("api-keys"), SecretString=json.dumps({"test": ADMIN_KEY}))
    client.put_secret_value(SecretId=names.secret("webhook-secrets"), SecretString=json.dumps({"*": WEBHOOK_SECRET}))
    parameters.clear_caches()


def test_the_generated_placeholder_is_not_an_api_key(as_deployed: str) -> None:
    with Client(app) as client:
        refused = client.http.get("/leads/ld_missing", headers={"X-Api-Key": GENERATED})
        assert refused.status_code == 401
        assert json.loads(refused.body)["error"]["code"] == "unauthorized"
        # the operator's own key, in the same secret, still works
        assert client.http.get("/leads/ld_missing", headers={"X-Api-Key": ADMIN_KEY}).status_code == 404


def test_the_generated_placeholder_is_no_sources_signing_secret(as_deployed: str) -> None:
    secrets = Secrets(Settings())
    assert secrets.webhook_secret(PLACEHOLDER_KEY) is None
    assert secrets.webhook_secret("website") is None
