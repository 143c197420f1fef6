"""Scoped API keys in the api-keys secret, as an operator fills it (CONTRACT §12)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from chalice.test import Client

from functions.api.app import app
from shared.adapters.settings import Settings
from tests.conftest import ADMIN_KEY

# name → (key, scopes, owner): one key per scope, an integration key, personal keys
KEYS: dict[str, dict[str, Any]] = {
    **{
        f"only-{scope}": {"key": f"key-only-{scope}", "scopes": [scope]}
        for scope in ("leads", "service", "sales", "finance", "accounts", "read", "privacy", "admin")
    },
    "finance-system": {"key": "key-finance-system", "scopes": ["finance"]},
    "crm": {"key": "key-crm", "scopes": ["leads", "sales"]},
    "wang-phone": {"key": "key-wang", "scopes": ["leads", "sales"], "owner_id": "u_wang"},
    "wu-phone": {"key": "key-wu", "scopes": ["leads"], "owner_id": "u_wu"},
    "liu-phone": {"key": "key-liu", "scopes": ["sales", "read"], "owner_id": "u_liu"},
    "broken": {"key": "key-broken", "scopes": ["everything"]},
}


def headers(key: str, json_body: bool = True) -> dict[str, str]:
    return {"X-Api-Key": key, **({"Content-Type": "application/json"} if json_body else {})}


@pytest.fixture
def scoped_keys(aws: str, clean_aws: Any) -> Iterator[Any]:
    client = boto3.client("secretsmanager", endpoint_url=aws)
    names = Settings()
    client.put_secret_value(SecretId=names.secret("api-keys"), SecretString=json.dumps({**KEYS, "test": ADMIN_KEY}))
    parameters.clear_caches()
    yield clean_aws
    client.put_secret_value(SecretId=names.secret("api-keys"), SecretString=json.dumps({"test": ADMIN_KEY}))
    parameters.clear_caches()


@pytest.fixture
def client(scoped_keys: Any) -> Iterator[Any]:
    with Client(app) as c:
        yield c


def call(client: Any, method: str, path: str, key: str, payload: Any = None) -> Any:
    body = None if payload is None else json.dumps(payload)
    return client.http.request(method, path, headers=headers(key, body is not None), body=body or b"")
