"""Action links' keys and their single use (CONTRACT §12).

- URLs: the claims an alert's delivery carries (shared/kernel/domain/links.py) become
  ``<public url>/a/<token>``, signed with the ``closeloop-<stage>-link-secret`` (locally
  ``CLOSELOOP_LINK_SECRET``). The same claims give the same URL in the courier that sends the
  message and in `closeloop notifications list`, so the token is stored nowhere.
- Single use: the first POST of a link claims its id with one conditional put in the idempotency
  table (like a signature's replay claim); the claim outlives the link by a day, then TTL removes it.
  A POST the services refuse (not your turn yet) gives its claim back: the link was not used.
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import cached_property
from typing import Any

from shared.adapters.idempotency import TABLE as IDEMPOTENCY
from shared.adapters.secrets import Secrets
from shared.adapters.settings import Settings
from shared.kernel.domain.links import LinkClaims, link_url, make_token, read_token

KEEP_AFTER_EXPIRY_SECONDS = 24 * 3600


class ActionLinks:
    def __init__(self, settings: Settings, secrets: Secrets) -> None:
        self._settings = settings
        self._secrets = secrets

    @cached_property
    def _client(self) -> Any:
        import boto3

        from shared.adapters.aws_sessions import session

        return boto3.Session(botocore_session=session()).client("dynamodb")

    def _secret(self) -> str:
        return self._secrets.link_secret() or ""

    def urls(self, links: Any) -> list[dict[str, str]]:
        """``[{"action", "url"}]`` for the claims a delivery carries (none without a link secret)."""
        secret = self._secret()
        if not secret or not isinstance(links, list):
            return []
        found = []
        for value in links:
            claims = LinkClaims.from_dict(value)
            url = link_url(self._settings.public_url, make_token(claims, secret))
            found.append({"action": claims.action, "url": url})
        return found

    def read(self, token: str, now: datetime) -> LinkClaims:
        """The claims of a token we made that has not expired (else LinkNotFound / LinkGone)."""
        return read_token(token, self._secret(), now)

    def claim(self, claims: LinkClaims) -> bool:
        """True when this is the link's first use (now claimed); False when it was used."""
        try:
            self._client.put_item(
                TableName=self._settings.table(IDEMPOTENCY),
                Item={
                    "id": {"S": f"link#{claims.link_id}"},
                    "expiration": {"N": str(claims.expires_at + KEEP_AFTER_EXPIRY_SECONDS)},
                    "action": {"S": claims.action},
                    "used_at": {"N": str(int(time.time()))},
                },
                ConditionExpression="attribute_not_exists(id)",
            )
            return True
        except self._client.exceptions.ConditionalCheckFailedException:
            return False

    def used(self, claims: LinkClaims) -> bool:
        """Whether the link was used (a read: the confirm page of a used link says so)."""
        key = {"id": {"S": f"link#{claims.link_id}"}}
        found = self._client.get_item(TableName=self._settings.table(IDEMPOTENCY), Key=key, ConsistentRead=True)
        return "Item" in found

    def release(self, claims: LinkClaims) -> None:
        """The action was refused or failed: the link was not used after all."""
        key = {"id": {"S": f"link#{claims.link_id}"}}
        self._client.delete_item(TableName=self._settings.table(IDEMPOTENCY), Key=key)
