"""Action links (CONTRACT §12): the one tap in an alert that lets exactly its person do the one
thing the alert asks — decide an approval step, record the first call, answer a case — without
an API key.

Pure. A link is its *claims* (person, action, subject, expiry, link id) and a *token*: the
claims, base64url, a dot, and the base64url HMAC-SHA256 of that text keyed with the link secret.
The token is made from the claims alone, so the same claims always give the same URL (the courier
that sends the message and `closeloop notifications list` agree without storing the token), and
nothing but the secret can make one. What an alert asks of whom is decided here too
(:func:`links_for`); the claims ride on the alert's delivery, never the token.

One link id per alert and person: the approve and reject links of one message, and the copies of
it on email and chat, are used up together by the first POST (the single-use claim is on the id).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from shared.kernel.domain.errors import LinkGone, LinkNotFound
from shared.kernel.domain.events import subject_id, subject_parts

LinkAction = Literal["approve", "reject", "call", "email", "meeting", "first_response"]
LINK_ACTIONS: tuple[LinkAction, ...] = get_args(LinkAction)
APPROVAL_ACTIONS: tuple[LinkAction, ...] = ("approve", "reject")
FIRST_TOUCH_ACTIONS: tuple[LinkAction, ...] = ("call", "email", "meeting")
CASE_ACTIONS: tuple[LinkAction, ...] = ("first_response",)
TOKEN_VERSION = 1
MAX_TOKEN_CHARS = 1024  # ours are ~250; anything longer is not one of ours, read no further

# the button's words, by action (en, zh-CN)
LABELS: dict[str, tuple[str, str]] = {
    "approve": ("Approve", "批准"),
    "reject": ("Reject", "拒绝"),
    "call": ("Log a call", "记录电话"),
    "email": ("Log an email", "记录邮件"),
    "meeting": ("Log a meeting", "记录会议"),
    "first_response": ("Log first response", "记录首次响应"),
}


@dataclass(frozen=True)
class LinkClaims:
    person: str  # the owner id the action is done as
    action: LinkAction
    subject: str  # what it acts on: approval/ap_…, lead/ld_…, case/cs_…
    expires_at: int  # unix seconds
    link_id: str  # the single-use key, shared by every action of one alert to one person

    @property
    def target(self) -> str:
        return subject_id(self.subject)

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "action": self.action,
            "subject": self.subject,
            "expires_at": self.expires_at,
            "link_id": self.link_id,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> LinkClaims:
        action = value["action"]
        if action not in LINK_ACTIONS:
            raise ValueError(f"unknown link action {action!r}")
        return cls(str(value["person"]), action, str(value["subject"]), int(value["expires_at"]), str(value["link_id"]))


def label(action: str, locale: str) -> str:
    words = LABELS.get(action, (action, action))
    return words[1] if locale == "zh-CN" else words[0]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def make_token(claims: LinkClaims, secret: str) -> str:
    """The token for these claims: deterministic, and only the secret's holder can make it."""
    if not secret:
        raise ValueError("no link secret")
    compact = {
        "v": TOKEN_VERSION,
        "p": claims.person,
        "a": claims.action,
        "s": claims.subject,
        "e": claims.expires_at,
        "i": claims.link_id,
    }
    body = _b64(json.dumps(compact, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_mac(secret, body)}"


def read_token(token: str, secret: str, now: datetime) -> LinkClaims:
    """The claims of a token this secret made and that has not expired.
    Anything altered, forged or malformed → LinkNotFound; past its expiry → LinkGone."""
    refused = LinkNotFound("this link is not valid: it may have been altered or cut short")
    if not secret or not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise refused
    body, mac = token.split(".")
    if not hmac.compare_digest(_mac(secret, body).encode(), mac.encode()):
        raise refused
    try:
        raw = json.loads(_unb64(body))
        names = {"p": "person", "a": "action", "s": "subject", "e": "expires_at", "i": "link_id"}
        claims = LinkClaims.from_dict({name: raw[short] for short, name in names.items()})
    except (ValueError, KeyError, TypeError, binascii.Error):  # signed by us, yet unreadable: never issued
        raise refused from None
    if raw.get("v") != TOKEN_VERSION or "/" not in claims.subject:
        raise refused
    if now.timestamp() >= claims.expires_at:
        raise LinkGone("this link has expired")
    return claims


def link_url(public_base: str, token: str) -> str:
    return f"{public_base.rstrip('/')}/a/{token}"


def link_id_for(event_id: str, person: str) -> str:
    """One id per alert and person (every channel, every action of it)."""
    return hashlib.sha256(f"{event_id}\n{person}".encode()).hexdigest()[:24]


def links_for(
    event_type: str, subject: str, data: dict[str, Any], person: str, event_id: str, now: datetime, ttl_hours: int
) -> list[LinkClaims]:
    """The links an alert about this event carries for ``person``: only what they themselves can
    do, and only where the alert asks them to act."""
    actions: tuple[LinkAction, ...] = ()
    target = subject
    kind = subject_parts(subject)[0]
    if event_type in ("ApprovalRequested", "ApprovalEscalated") and data.get("approval_id"):
        actions, target = APPROVAL_ACTIONS, f"approval/{data['approval_id']}"
    elif event_type in ("SlaWarning", "SlaBreached", "SlaEscalated") and data.get("owner_id") == person:
        if kind == "lead" and data.get("clock") == "first_touch":
            actions = FIRST_TOUCH_ACTIONS
        elif kind == "case" and data.get("clock") == "first_response":
            actions = CASE_ACTIONS
    if not actions:
        return []
    expires = int((now + timedelta(hours=max(1, int(ttl_hours)))).timestamp())
    link_id = link_id_for(event_id, person)
    return [LinkClaims(person, action, target, expires, link_id) for action in actions]
