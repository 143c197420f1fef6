"""Outbound deliveries (CONTRACT §10): one message to one destination — an alert to a person on
one channel, an event to the ERP or finance — sent at least once, retried with back-off, never
sent again once a 2xx came back.

Pure: the answer of each attempt comes in, the decision goes out (delivered, retry at T, failed).
A delivery is created in the same Change as the state change that causes it, with an id derived
from its cause, so a retried request or timer never creates a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.kernel.domain.events import Event, iso, parse_iso
from shared.time.domain.timers import Timer, TimerKind, timer_id_for

DeliveryStatus = Literal["pending", "delivered", "failed", "cancelled"]
ERASED_TEXT = "[erased]"  # what an alert about an erased person says (CONTRACT §12)
Verdict = Literal["delivered", "retry", "final"]

# about 1 min, 5 min, 30 min, 2 h, then every 6 h, for up to 3 days (CONTRACT §10)
BACKOFF_SECONDS = (60, 300, 1800, 7200)
THEN_EVERY_SECONDS = 6 * 3600
GIVE_UP_AFTER = timedelta(days=3)
JITTER = 0.2  # each wait is stretched or shrunk by up to 20 %: retries of one outage spread out
MAX_RETRY_AFTER_SECONDS = 6 * 3600  # a receiver asking for more waits the 6 h step
WAITING_RECHECK = timedelta(minutes=15)  # nowhere to send yet: look again this often
TIMEOUT_SECONDS = 10.0
RETRY_TIMER: TimerKind = "delivery_retry"


@dataclass(frozen=True)
class Answer:
    """What one attempt got back: an HTTP status, or an error without one (time-out, refused)."""

    status: int | None = None
    error: str | None = None  # "timeout", "refused", "connection", or a receiver's refusal in its words
    retry_after: float | None = None  # seconds, from a 429's Retry-After
    throttled: bool = False  # a 200 that says "too fast" (chat robots answer that way)

    @property
    def verdict(self) -> Verdict:
        if self.throttled:
            return "retry"
        if self.status is None:
            return "retry" if self.error in ("timeout", "refused", "connection") else "final"
        if self.status == 429 or self.status >= 500:
            return "retry"
        if 200 <= self.status < 300 and self.error is None:
            return "delivered"
        return "final"

    def describe(self) -> str:
        text = str(self.status) if self.status is not None else ""
        if self.error:
            text = f"{text} {self.error}".strip()
        return text or "no answer"


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """A Retry-After header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not header:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def backoff(attempt: int, jitter: float) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based); ``jitter`` in [0, 1)."""
    base = BACKOFF_SECONDS[attempt - 1] if attempt <= len(BACKOFF_SECONDS) else THEN_EVERY_SECONDS
    return timedelta(seconds=base * (1 - JITTER + 2 * JITTER * jitter))


@dataclass
class Delivery:
    delivery_id: str
    kind: str  # what it is: "alert", "erp", "finance"
    channel: str  # where it goes: "email", a chat channel's name, "erp", "finance"
    about: str  # the subject it is about: "lead/ld_…", "invoice/inv_…"
    created_at: str
    payload: dict[str, Any] = field(default_factory=dict)  # alerts: title, text; ERP/finance: the envelope
    to: str | None = None  # the person (owner id) an alert is for
    address: str | None = None  # email: the recipient's address
    cause: str | None = None  # the event id or timer id that caused it
    status: DeliveryStatus = "pending"
    attempts: list[dict[str, Any]] = field(default_factory=list)
    started_at: str | None = None  # start of the current attempt sequence (the 3-day window)
    next_attempt_at: str | None = None  # a retry timer is set; until it fires nothing is sent
    waiting: str | None = None  # nowhere to send it yet (no URL or channel configured)
    delivered_at: str | None = None
    failed_at: str | None = None
    dead_lettered: bool = False
    version: int = 0

    @property
    def subject(self) -> str:
        return f"delivery/{self.delivery_id}"

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))

    @property
    def due_now(self) -> bool:
        """To be sent when its stream record arrives: pending, no retry scheduled, not waiting."""
        return self.status == "pending" and self.next_attempt_at is None and self.waiting is None

    @property
    def last_answer(self) -> str | None:
        return self.attempts[-1]["answer"] if self.attempts else None

    def wait_for_destination(self, reason: str, now: datetime) -> Timer:
        """Nowhere to send yet: wait, and look again later (no attempt is counted)."""
        self.waiting = reason
        due = now + WAITING_RECHECK
        self.next_attempt_at = iso(due)
        key = f"waiting|{iso(now)}"
        return Timer(RETRY_TIMER, self.subject, due, {"delivery_id": self.delivery_id}, reason, _timer_id(self, key))

    def record(self, answer: Answer, now: datetime, jitter: float) -> tuple[Timer | None, list[Event]]:
        """One attempt's answer: delivered, a retry (its timer), or failed (DeliveryFailed)."""
        started = parse_iso(self.started_at) if self.started_at else now
        self.started_at = iso(started)
        self.waiting = None
        number = len(self.attempts) + 1
        verdict = answer.verdict
        retry_at: datetime | None = None
        if verdict == "retry":
            wait = backoff(len(self.attempts_in_sequence()) + 1, jitter)
            if answer.retry_after is not None:
                wait = timedelta(seconds=min(answer.retry_after, MAX_RETRY_AFTER_SECONDS))
            retry_at = now + wait
            if retry_at - started > GIVE_UP_AFTER:
                verdict, retry_at = "final", None
        self.attempts.append(
            {
                "number": number,
                "at": iso(now),
                "answer": answer.describe(),
                "status": answer.status,
                "verdict": verdict,
                "retry_at": iso(retry_at) if retry_at else None,
                "sequence": self.started_at,
            }
        )
        if verdict == "delivered":
            self.status, self.delivered_at, self.next_attempt_at = "delivered", iso(now), None
            return None, []
        if verdict == "retry" and retry_at is not None:
            self.next_attempt_at = iso(retry_at)
            data = {"delivery_id": self.delivery_id, "attempt": number}
            timer = Timer(RETRY_TIMER, self.subject, retry_at, data, f"attempt {number}", _timer_id(self, str(number)))
            return timer, []
        self.status, self.failed_at, self.next_attempt_at = "failed", iso(now), None
        return None, [self.failed_event(now, answer)]

    def attempts_in_sequence(self) -> list[dict[str, Any]]:
        return [a for a in self.attempts if a.get("sequence") == self.started_at]

    def failed_event(self, now: datetime, answer: Answer) -> Event:
        data = {
            "delivery_id": self.delivery_id,
            "kind": self.kind,
            "channel": self.channel,
            "to": self.to,
            "cause": self.cause,
            "attempts": len(self.attempts_in_sequence()),
            "last_answer": answer.describe(),
        }
        return Event("DeliveryFailed", self.about, now, data)

    def retry_due(self, timer: Timer) -> bool:
        """A retry timer still applies: the delivery is pending and waits for exactly it."""
        return self.status == "pending" and self.next_attempt_at == iso(timer.due_at)

    def send_again(self, now: datetime) -> Event:
        """`deliveries retry`: a new attempt sequence, sent at once (the old attempts are kept);
        DeliveryRetried says who sent it again (the audit)."""
        if self.status == "delivered":
            raise ValueError(f"delivery {self.delivery_id} was delivered; it is never sent again")
        if self.status == "cancelled":
            raise ValueError(f"delivery {self.delivery_id} was cancelled (its person was erased); it is never sent")
        data = {
            "delivery_id": self.delivery_id,
            "kind": self.kind,
            "channel": self.channel,
            "to": self.to,
            "status_before": self.status,
            "attempts_before": len(self.attempts),
        }
        self.status = "pending"
        self.started_at = iso(now)
        self.next_attempt_at = None
        self.waiting = None
        self.failed_at = None
        self.dead_lettered = False
        return Event("DeliveryRetried", self.about, now, data)

    def forget_person(self, erased_payload: dict[str, Any]) -> bool:
        """The person it is about was erased (CONTRACT §12): a pending delivery is cancelled (never
        sent), and our copy of what it says — sent or not — is replaced by ``erased_payload``.
        False when there was nothing left to change."""
        changed = self.payload != erased_payload or self.status == "pending"
        self.payload = erased_payload
        if self.status == "pending":
            self.status = "cancelled"
            self.next_attempt_at = None
            self.waiting = None
        return changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "kind": self.kind,
            "channel": self.channel,
            "about": self.about,
            "to": self.to,
            "status": self.status,
            "created_at": self.created_at,
            "attempts": self.attempts,
            "last_answer": self.last_answer,
            "next_attempt_at": self.next_attempt_at,
            "waiting": self.waiting,
            "delivered_at": self.delivered_at,
            "failed_at": self.failed_at,
            "cause": self.cause,
            "text": self.payload.get("text"),
        }


def _timer_id(delivery: Delivery, key: str) -> str:
    return timer_id_for(RETRY_TIMER, delivery.delivery_id, key)


def delivery_id_for(*parts: str) -> str:
    """Derived from the cause (timer + recipient + channel; an event + destination): the same
    cause, retried, is the same delivery, and the unit of work refuses to create it twice."""
    return "dl_" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def event_delivery(envelope: dict[str, Any], destination: str, now: datetime) -> Delivery:
    """An event for the ERP or finance (CONTRACT §10): the envelope is the body; the event id
    is the idempotency key the receiver drops repeats by."""
    return Delivery(
        delivery_id=delivery_id_for(envelope["id"], destination),
        kind=destination,
        channel=destination,
        about=envelope["subject"],
        created_at=iso(now),
        payload=envelope,
        cause=envelope["id"],
    )
