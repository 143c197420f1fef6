"""Secrets from AWS Secrets Manager (the local stack serves them from moto), cached."""

from __future__ import annotations

import hmac
from typing import Any

CACHE_SECONDS = 300


class Secrets:
    def __init__(
        self, webhook_secrets_id: str, api_keys_id: str, google_account_id: str = "closeloop/google-service-account"
    ) -> None:
        self._webhook_id = webhook_secrets_id
        self._api_keys_id = api_keys_id
        self._google_id = google_account_id

    def google_service_account(self) -> dict[str, Any] | None:
        """The Google service-account key (JSON) for reading and annotating the rules workbook."""
        value = self._json(self._google_id)
        return value if value.get("client_email") else None

    @staticmethod
    def _json(secret_id: str) -> dict[str, Any]:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(secret_id, transform="json", max_age=CACHE_SECONDS)
        return value if isinstance(value, dict) else {}

    def webhook_secret(self, source: str) -> str | None:
        """The signing secret of a source; the key ``*`` is the default for every source."""
        secrets = self._json(self._webhook_id)
        value = secrets.get(source, secrets.get("*"))
        return str(value) if value else None

    def api_key_valid(self, presented: str | None) -> bool:
        if not presented:
            return False
        keys = self._json(self._api_keys_id)
        return any(hmac.compare_digest(presented.encode(), str(k).encode()) for k in keys.values() if k)
