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

An alert with action links (CONTRACT §12) gets buttons where the format has them: DingTalk's
``actionCard`` (``btns`` of ``{"title", "actionURL"}``), a Feishu ``interactive`` card (``button``
elements with ``url``), a Slack ``actions`` block (``button`` elements with ``url``); WeCom's
group-robot markdown has no buttons, so there they are markdown links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args
from urllib.parse import quote_plus

from shared.deliveries.domain.deliveries import Answer

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


# Escaping (CONTRACT §14): alert text is plain text with outside words in it (a lead's name, a case
# subject, a finance reason), so each robot gets it with its markup made inert.
# - Slack documents exactly three control characters for text in mrkdwn and the top-level
#   ``text``: "&", "<", ">" must be sent as &amp; &lt; &gt; (api.slack.com/reference/surfaces/
#   formatting#escaping); with them escaped "<!channel>", "<@U…>" and "<url|label>" are just text.
# - WeCom (developer.work.weixin.qq.com/document/path/91770, 群机器人 markdown), DingTalk
#   (open.dingtalk.com/document/orgapp/custom-robot-access, markdown) and Feishu
#   (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot, text with ``<at user_id="all">``)
#   document their syntax (links ``[t](url)``, ``**bold**``, ``*i*``, `` `code` ``, ``# title``,
#   ``> quote``, ``<font>``, ``<@userid>``, ``<at …>``) but no escape character, so the syntax
#   characters are replaced by their full-width look-alikes, which no robot reads as markup.
_LOOKALIKES = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞", "*": "＊", "`": "｀", "~": "～", "#": "＃"})
# "_" emphasises only at a word's edge: ids such as cs_01J… keep theirs, "_x_" loses its markup
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")

# The most each robot takes (CONTRACT §14): WeCom markdown content 4,096 bytes (document 91770);
# Slack 3,000 characters in a section block's text (api.slack.com/reference/block-kit/blocks#section);
# DingTalk 20,000 bytes; Feishu 20 KB for the whole request body (add-custom-bot, 请求体大小).
LIMITS: dict[RobotKind, int] = {"wecom": 4096, "slack": 3000, "dingtalk": 20_000, "feishu": 19_000}


def escape(kind: RobotKind, text: str) -> str:
    """``text`` as inert characters in ``kind``'s message format."""
    if kind == "slack":
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _EDGE_UNDERSCORE.sub("＿", text.translate(_LOOKALIKES))


def _size(kind: RobotKind, message: str) -> int:
    """Slack counts characters; the others count UTF-8 bytes (as JSON, so quotes count twice)."""
    return len(message) if kind == "slack" else len(json.dumps(message, ensure_ascii=False).encode()) - 2


def _more(title: str, left_out: int) -> str:
    # titles come from the alert templates: a Chinese title means a Chinese alert
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in title)
    return f"…（另有 {left_out} 行）" if chinese else f"… and {left_out} more line(s)"


def fit(kind: RobotKind, title: str, text: str, frame: Callable[[str], str] = lambda body: body) -> str:
    """``text`` escaped for ``kind`` and shortened, when ``frame(text)`` would pass the robot's limit,
    to its first whole lines and "… and N more" (a first line too long alone is cut): a long
    alert arrives shortened instead of being refused for good."""
    limit = LIMITS[kind]

    def fits(candidate: str) -> bool:
        return _size(kind, frame(escape(kind, candidate))) <= limit

    if fits(text):
        return escape(kind, text)
    lines = text.split("\n")
    kept: list[str] = []
    for line in lines:
        if not fits("\n".join([*kept, line, _more(title, len(lines))])):
            break
        kept.append(line)
    if not kept:  # the first line alone is too long: as much of it as fits
        low, high = 0, len(lines[0])
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (
                (middle, high) if fits(lines[0][:middle] + "…\n" + _more(title, len(lines))) else (low, middle - 1)
            )
        kept = [lines[0][:low] + "…"]
        left_out = len(lines) - 1
    else:
        left_out = len(lines) - len(kept)
    return escape(kind, "\n".join([*kept, _more(title, left_out)]))


@dataclass(frozen=True)
class RobotLink:
    """One action link of an alert (CONTRACT §12): its action, its button's words, its URL."""

    action: str
    label: str
    url: str


# a button's look per action, where the robot has one: the yes is primary, the no a warning
_SLACK_STYLE = {"approve": "primary", "reject": "danger"}
_FEISHU_TYPE = {"approve": "primary", "reject": "danger"}


def _link_line(kind: RobotKind, links: list[RobotLink]) -> str:
    """The links as one markdown line (WeCom has no buttons in a group robot's markdown)."""
    return " · ".join(f"[{escape(kind, link.label)}]({link.url})" for link in links)


def robot_post(
    channel: ChatChannel, title: str, text: str, now: datetime, links: list[RobotLink] | None = None
) -> RobotPost:
    """The request that posts one alert through one robot, signed when the channel has a secret.
    ``title`` and ``text`` are plain text: they are escaped and shortened here for the robot.
    ``links``: the alert's action links — buttons where the robot's format has them (DingTalk
    actionCard, Feishu interactive card, Slack actions block), markdown links on WeCom."""
    kind, links = channel.kind, links or []
    if kind == "wecom":
        head = f"**{escape(kind, title)}**\n"
        tail = f"\n{_link_line(kind, links)}" if links else ""
        content = head + fit(kind, title, text, lambda body: head + body + tail) + tail
        return RobotPost(channel.url, {"msgtype": "markdown", "markdown": {"content": content}})
    if kind == "dingtalk":
        return _dingtalk(channel, title, text, now, links)
    if kind == "feishu":
        return _feishu(channel, title, text, now, links)
    return _slack(channel, title, text, links)


def _dingtalk(channel: ChatChannel, title: str, text: str, now: datetime, links: list[RobotLink]) -> RobotPost:
    kind: RobotKind = "dingtalk"
    url = channel.url
    if channel.secret:
        ms = int(now.timestamp() * 1000)
        sign = quote_plus(dingtalk_sign(channel.secret, ms))
        url += ("&" if "?" in url else "?") + f"timestamp={ms}&sign={sign}"
    head = f"#### {escape(kind, title)}\n"
    markdown = {"title": title, "text": head + fit(kind, title, text, lambda body: head + body)}
    if not links:
        return RobotPost(url, {"msgtype": "markdown", "markdown": markdown})
    buttons = [{"title": link.label, "actionURL": link.url} for link in links]
    card = {**markdown, "btnOrientation": "1" if len(buttons) <= 2 else "0", "btns": buttons}
    return RobotPost(url, {"msgtype": "actionCard", "actionCard": card})


def _feishu(channel: ChatChannel, title: str, text: str, now: datetime, links: list[RobotLink]) -> RobotPost:
    kind: RobotKind = "feishu"
    body: dict[str, Any]
    if links:
        buttons = [
            {
                "tag": "button",
                "text": {"tag": "plain_text", "content": link.label},
                "type": _FEISHU_TYPE.get(link.action, "default"),
                "url": link.url,
            }
            for link in links
        ]
        card = {
            "header": {"title": {"tag": "plain_text", "content": title[:150]}},
            "elements": [
                {"tag": "div", "text": {"tag": "plain_text", "content": fit(kind, title, text)}},
                {"tag": "action", "actions": buttons},
            ],
        }
        body = {"msg_type": "interactive", "card": card}
    else:
        head = f"{escape(kind, title)}\n"
        body = {"msg_type": "text", "content": {"text": head + fit(kind, title, text)}}
    if channel.secret:
        seconds = int(now.timestamp())
        body = {"timestamp": str(seconds), "sign": feishu_sign(channel.secret, seconds), **body}
    return RobotPost(channel.url, body)


def _slack(channel: ChatChannel, title: str, text: str, links: list[RobotLink]) -> RobotPost:
    kind: RobotKind = "slack"
    section = fit(kind, title, text)
    blocks: list[dict[str, Any]] = [
        # a header is plain_text (never parsed for mentions), at most 150 characters
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": section}},
    ]
    fallback = f"{escape(kind, title)}\n{section}"
    if links:
        buttons = [
            {
                "type": "button",
                "action_id": f"closeloop_{link.action}",
                "text": {"type": "plain_text", "text": link.label[:75]},
                "url": link.url,
                **({"style": _SLACK_STYLE[link.action]} if link.action in _SLACK_STYLE else {}),
            }
            for link in links
        ]
        blocks.append({"type": "actions", "elements": buttons})
        # the notification's text (no blocks shown): the links as Slack's <url|label>
        fallback += "\n" + " · ".join(f"<{link.url}|{escape(kind, link.label)}>" for link in links)
    return RobotPost(channel.url, {"text": fallback, "blocks": blocks})


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
