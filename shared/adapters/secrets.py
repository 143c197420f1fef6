"""Secrets from AWS Secrets Manager (the local stack serves them from moto), cached."""

from __future__ import annotations

from typing import Any

from shared.adapters.settings import Settings
from shared.kernel.domain.access import PLACEHOLDER_NAME, Caller, api_keys, caller_of

CACHE_SECONDS = 300

# The key template.yaml's GenerateSecretString puts a random value under until an operator
# fills the secret: the value exists in the account, never given to anyone, so it is never a
# valid API key or a source's signing secret (a source named "placeholder" has none).
PLACEHOLDER_KEY = PLACEHOLDER_NAME
_reported: set[str] = set()


# each secret's one name (template.yaml's closeloop-<stage>-<name>; the local stack fills the same)
WEBHOOK_SECRETS, API_KEYS, GOOGLE_ACCOUNT = "webhook-secrets", "api-keys", "google-service-account"
CHAT_WEBHOOKS, DELIVERY_SECRET, LINK_SECRET = "chat-webhooks", "delivery-secret", "link-secret"


class Secrets:
    def __init__(self, settings: Settings | None = None) -> None:
        names = settings or Settings()
        self._webhook_id = names.secret(WEBHOOK_SECRETS)
        self._api_keys_id = names.secret(API_KEYS)
        self._google_id = names.secret(GOOGLE_ACCOUNT)
        self._chat_id = names.secret(CHAT_WEBHOOKS)
        self._delivery_id = names.secret(DELIVERY_SECRET)
        self._link_id = names.secret(LINK_SECRET)  # signs action links (CONTRACT §12)

    def chat_webhooks(self) -> dict[str, Any]:
        """``{name: {"kind", "url", "secret"?}}``: the chat channels alerts can name."""
        return self._json(self._chat_id)

    def delivery_secret(self) -> str | None:
        """The key outbound deliveries are signed with (JSON ``{"secret": …}``)."""
        value = self._json(self._delivery_id).get("secret")
        return str(value) if value else None

    def link_secret(self) -> str | None:
        """The key action links are signed with (JSON ``{"secret": …}``, generated at deploy)."""
        value = self._json(self._link_id).get("secret")
        return str(value) if value else None

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
        secrets = {k: v for k, v in self._json(self._webhook_id).items() if k != PLACEHOLDER_KEY}
        value = secrets.get(source, secrets.get("*"))
        return str(value) if value else None

    def api_caller(self, presented: str | None) -> Caller | None:
        """Who this X-Api-Key is (its name, scopes and person), or None for no key or a wrong one."""
        if not presented:
            return None
        keys, problems = api_keys(self._json(self._api_keys_id))
        if problems and set(problems) - _reported:
            from shared.adapters.observability import logger

            _reported.update(problems)  # once per process, not on every call
            logger().warning("api-keys secret entries that are not keys", extra={"problems": problems})
        return caller_of(presented, keys)

    def api_key_valid(self, presented: str | None) -> bool:
        return self.api_caller(presented) is not None
