"""The courier: sends one delivery and says what came back (CONTRACT §9–10).

- ``email``: Amazon SES SendEmail from the SesSender parameter to the person's address;
- a chat channel: the robot of ``closeloop-<stage>-chat-webhooks`` named by the channel, real HTTP in
  its own format and signing (``shared/deliveries/domain/chat.py``);
- ``erp`` / ``finance``: POST the event envelope to ``CLOSELOOP_ERP_URL`` / ``CLOSELOOP_FINANCE_URL``,
  signed with the delivery secret (``t=<unix>,v1=<hex HMAC-SHA256 over "<t>." + body>``).

Every answer is an :class:`Answer`; the domain decides what it means. Nothing here logs an
address, a name or a message text.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from typing import Any

import requests

from shared.adapters.secrets import Secrets
from shared.adapters.settings import Settings
from shared.deliveries.domain.chat import ChatChannel, RobotLink, robot_answer, robot_post
from shared.deliveries.domain.deliveries import TIMEOUT_SECONDS, Answer, Delivery, retry_after_seconds
from shared.kernel.domain.links import label
from shared.kernel.services.webhook_auth import sign, transport_now

EMAIL = "email"
HTTP_DESTINATIONS = ("erp", "finance")
DEFAULT_DELIVERY_SECRET = "dev-delivery-secret"  # CONTRACT §1's local default


class DeliveryCourier:
    def __init__(self, settings: Settings, secrets: Secrets, session: requests.Session | None = None) -> None:
        self._settings = settings
        self._secrets = secrets
        self._session = session or requests.Session()

    @cached_property
    def _ses(self) -> Any:
        import boto3

        return boto3.client("ses", region_name=self._settings.region)

    @cached_property
    def _sqs(self) -> Any:
        import boto3

        return boto3.client("sqs", region_name=self._settings.region)

    @cached_property
    def _links(self) -> Any:
        from shared.adapters.links import ActionLinks

        return ActionLinks(self._settings, self._secrets)

    def links(self, delivery: Delivery) -> list[RobotLink]:
        """The alert's action links as signed URLs with their words (CONTRACT §12)."""
        locale = str(delivery.payload.get("locale") or "en")
        urls = self._links.urls(delivery.payload.get("links"))
        return [RobotLink(u["action"], label(u["action"], locale), u["url"]) for u in urls]

    # ------------------------------------------------------------ where to

    def _url(self, destination: str) -> str:
        return self._settings.erp_url if destination == "erp" else self._settings.finance_url

    def _channel(self, name: str) -> ChatChannel | None:
        value = self._secrets.chat_webhooks().get(name)
        return ChatChannel.parse(name, value) if value is not None else None

    def blocked(self, delivery: Delivery) -> str | None:
        if delivery.channel == EMAIL:
            return None if delivery.address else "no email address"
        if delivery.channel in HTTP_DESTINATIONS:
            return None if self._url(delivery.channel) else f"no {delivery.channel} URL configured"
        try:
            channel = self._channel(delivery.channel)
        except ValueError as problem:
            return str(problem)
        return None if channel is not None else f"chat channel {delivery.channel!r} is not configured"

    # ------------------------------------------------------------ sending

    def send(self, delivery: Delivery, now: datetime) -> Answer:
        if delivery.channel == EMAIL:
            return self._email(delivery)
        if delivery.channel in HTTP_DESTINATIONS:
            return self._event(delivery, now)
        channel = self._channel(delivery.channel)
        if channel is None:  # removed between the check and now
            return Answer(error=f"chat channel {delivery.channel!r} is not configured")
        title, text = str(delivery.payload.get("title", "")), delivery.text
        # vendors check the signature against real time
        post = robot_post(channel, title, text, transport_now(), self.links(delivery))
        body = json.dumps(post.body, ensure_ascii=False).encode()
        answer = self._post(post.url, body, {"Content-Type": "application/json; charset=utf-8"}, now)
        if isinstance(answer, Answer):
            return answer
        status, content, retry_after = answer
        return robot_answer(channel.kind, status, content, retry_after)

    def _event(self, delivery: Delivery, now: datetime) -> Answer:
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
        secret = self._secrets.delivery_secret() or DEFAULT_DELIVERY_SECRET
        event_id = str(delivery.payload.get("id") or delivery.delivery_id)
        headers = {
            "Content-Type": "application/json",
            "X-Closeloop-Event-Id": event_id,
            "Idempotency-Key": event_id,
            "X-Closeloop-Signature": sign(secret, int(transport_now().timestamp()), body),
        }
        answer = self._post(self._url(delivery.channel), body, headers, now)
        if isinstance(answer, Answer):
            return answer
        status, content, retry_after = answer
        reason = None if 200 <= status < 300 else content[:120].decode("utf-8", "replace").strip() or None
        return Answer(status=status, error=reason, retry_after=retry_after)

    def _post(self, url: str, body: bytes, headers: dict[str, str], now: datetime) -> Answer | tuple[int, bytes, Any]:
        """(status, body, Retry-After seconds) — or the Answer for no answer at all."""
        try:
            response = self._session.post(
                url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
            )
        except requests.Timeout:
            return Answer(error="timeout")
        except requests.ConnectionError:
            return Answer(error="refused")
        except requests.RequestException as problem:  # a malformed URL: no retry will fix it
            return Answer(error=f"cannot post: {type(problem).__name__}")
        return response.status_code, response.content, retry_after_seconds(response.headers.get("Retry-After"), now)

    def _email_text(self, delivery: Delivery) -> str:
        """The alert's text, then one line per action link: "Approve: https://…/a/…"."""
        lines = [f"{link.label}: {link.url}" for link in self.links(delivery)]
        return "\n\n".join([delivery.text, "\n".join(lines)]) if lines else delivery.text

    def _email(self, delivery: Delivery) -> Answer:
        from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

        message = {
            "Subject": {"Data": str(delivery.payload.get("title", "")), "Charset": "UTF-8"},
            "Body": {"Text": {"Data": self._email_text(delivery), "Charset": "UTF-8"}},
        }
        try:
            # the stage's configuration set (in AWS): sends, bounces and complaints become metrics
            extra = {"ConfigurationSetName": self._settings.ses_configuration_set}
            self._ses.send_email(
                Source=self._settings.ses_sender,
                Destination={"ToAddresses": [delivery.address]},
                Message=message,
                **(extra if self._settings.ses_configuration_set else {}),
            )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
            if code in ("Throttling", "ThrottlingException"):
                status = 429
            return Answer(status=status, error=code or "refused by SES")
        except (EndpointConnectionError, ConnectTimeoutError):
            return Answer(error="refused")
        except BotoCoreError as error:
            return Answer(error="timeout" if "timeout" in str(error).lower() else "connection")
        return Answer(status=200)

    # ------------------------------------------------------------ giving up

    def dead_letter(self, delivery: Delivery) -> None:
        """The failed delivery's coordinates (no text, no address) on the dead-letter queue."""
        record = {k: v for k, v in delivery.to_dict().items() if k not in ("text",)}
        queue = self._settings.dead_letters("deliveries")
        url = queue if queue.startswith("http") else self._sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record, ensure_ascii=False))
