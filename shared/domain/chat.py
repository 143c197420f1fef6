"""Chat robots (CONTRACT §9): each robot's own message format and signing, and how to read its
answer. Pure: the time is passed in; the adapter posts what these build.

- WeCom (企业微信) group robot: ``{"msgtype": "markdown", "markdown": {"content": …}}``; no signing
  (the key is in the URL). Answers ``{"errcode": 0, "errmsg": "ok"}``.
- DingTalk (钉钉) custom robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; with a
  secret, ``timestamp`` (ms) and ``sign`` query parameters: base64 of HMAC-SHA256 keyed by the
  secret over ``"<timestamp>\\n<secret>"``, URL-encoded. Answers ``{"errcode": 0, …}``.
- Feishu / Lark (飞书) custom bot: ``{"msg_type": "text", "content": {"text"}}``; with a secret,
  ``timestamp`` (s, a string) and ``sign`` in the body: base64 of HMAC-SHA256 keyed by
  ``"<timestamp>\\n<secret>"`` over an empty message. Answers ``{"code": 0, …}``.
- Slack incoming webhook: ``{"text", "blocks": [section mrkdwn]}``; answers ``ok`` (200) or an
  error status with a reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args
from urllib.parse import quote_plus

from shared.domain.deliveries import Answer

RobotKind = Literal["wecom", "dingtalk", "feishu", "slack"]
ROBOT_KINDS: tuple[RobotKind, ...] = get_args(RobotKind)

# robot error codes that mean "too many messages, later" (a 200 that is a 429)
THROTTLED = {"wecom": {45009}, "dingtalk": {130101, 410100}, "feishu": {9499, 11232}, "slack": set()}


@dataclass(frozen=True)
class ChatChannel:
    """One entry of ``closeloop-<stage>-chat-webhooks``: ``{name: {"kind", "url", "secret"?}}``."""

    name: str
    kind: RobotKind
    url: str
    secret: str | None = None

    @classmethod
    def parse(cls, name: str, value: Any) -> ChatChannel:
        if not isinstance(value, dict) or value.get("kind") not in ROBOT_KINDS or not value.get("url"):
            raise ValueError(f"chat channel {name!r} needs kind ({', '.join(ROBOT_KINDS)}) and url")
        return cls(name, value["kind"], str(value["url"]), str(value["secret"]) if value.get("secret") else None)


@dataclass(frozen=True)
class RobotPost:
    url: str
    body: dict[str, Any]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_post(channel: ChatChannel, title: str, text: str, now: datetime) -> RobotPost:
    """The request that posts one alert through one robot, signed when the channel has a secret."""
    if channel.kind == "wecom":
        return RobotPost(channel.url, {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}})
    if channel.kind == "dingtalk":
        url = channel.url
        if channel.secret:
            ms = int(now.timestamp() * 1000)
            sign = quote_plus(dingtalk_sign(channel.secret, ms))
            url += ("&" if "?" in url else "?") + f"timestamp={ms}&sign={sign}"
        return RobotPost(url, {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n{text}"}})
    if channel.kind == "feishu":
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
        if channel.secret:
            seconds = int(now.timestamp())
            body = {"timestamp": str(seconds), "sign": feishu_sign(channel.secret, seconds), **body}
        return RobotPost(channel.url, body)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
    ]
    return RobotPost(channel.url, {"text": f"{title}\n{text}", "blocks": blocks})


def robot_answer(kind: RobotKind, status: int, body: bytes, retry_after: float | None = None) -> Answer:
    """A robot's answer: robots say most refusals with a 200 and an error code in the body."""
    if not 200 <= status < 300 or kind == "slack":
        reason = None if 200 <= status < 300 else body[:120].decode("utf-8", "replace").strip() or None
        return Answer(status=status, error=reason, retry_after=retry_after)
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return Answer(status=status, error="unreadable answer")
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(answer, dict) else 0
    if not code:
        return Answer(status=status)
    message = str(answer.get("errmsg") or answer.get("msg") or "")[:100]
    return Answer(status=status, error=f"robot error {code}: {message}".strip(), throttled=code in THROTTLED[kind])
