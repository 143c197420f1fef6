"""CLOSELOOP_API_KEYS: the local stack's scoped keys, beside the admin key (CONTRACT §12)."""

from __future__ import annotations

import json

import pytest

from infra.local.stack import StackSettings, local_secrets
from shared.adapters.settings import Settings
from shared.kernel.domain.access import api_keys, caller_of


def test_the_local_secret_holds_the_scoped_keys_and_the_admin_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOSELOOP_API_KEYS", json.dumps({"fin": {"key": "fin-key", "scopes": ["finance"]}}))
    monkeypatch.setenv("CLOSELOOP_ADMIN_KEY", "my-admin")
    secret = json.loads(local_secrets(StackSettings.from_env())[Settings().secret("api-keys")])
    keys, problems = api_keys(secret)
    assert not problems
    assert caller_of("fin-key", keys) is not None and caller_of("fin-key", keys).scopes == {"finance"}  # type: ignore[union-attr]
    assert caller_of("my-admin", keys).scopes == {"admin"}  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["{not json", "[1, 2]"])
def test_a_mistake_in_the_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLOSELOOP_API_KEYS", value)
    with pytest.raises(ValueError, match="CLOSELOOP_API_KEYS"):
        local_secrets(StackSettings.from_env())
