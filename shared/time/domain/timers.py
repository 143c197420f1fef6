"""Timers: every future action (an SLA warning, a breach, a reminder, an approval time-out) is
a timer with a due time. A sweep fires what is due, exactly once; cancelling is deleting.

A timer whose effect fails is noted (``failures``, ``last_error``) and left due for the next
sweep; at the third failure it is set aside (``failed_at``): out of the due index, so it never
delays another timer, until someone retries it (CONTRACT §13).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, get_args

from shared.kernel.domain.events import iso

# What firing does — one handler each (shared/composition/services/timer_handlers.py; a test keeps them equal).
TimerKind = Literal[
    "sla_warn",  # a lead's first-touch clock: the owner is warned
    "sla_breach",  # ... breached (step 0), then each escalation step
    "sla_reassign",  # ... still untouched: the lead goes to someone else
    "case_sla_warn",  # a case clock (first response, resolution): warned
    "case_sla_breach",  # ... breached
    "delivery_retry",  # a delivery's back-off is over
    "renewal_reminder",  # a contract's end is near
    "approval_timeout",  # an approval step waited too long: escalate
    "opportunity_stalled",  # an opportunity sat in its stage too long
]
TIMER_KINDS: tuple[TimerKind, ...] = get_args(TimerKind)

DUE_SHARDS = 4  # due-index partitions: spreads writes; a sweep reads each one's due part
FAILED_SHARD = "failed"  # the due index's partition of timers set aside (never read by a sweep)
MAX_FAILURES = 3  # a timer whose effect failed this many times is set aside
ERROR_CHARS = 500  # what is kept of an error's text (it is shown, not parsed)


@dataclass
class Timer:
    kind: TimerKind  # what firing does
    about: str  # the subject it acts on: "lead/ld_…", "case/cs_…"
    due_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    set_by: str | None = None  # the rule that set it (e.g. "SLA row 2, v3-…"), for `timers list`
    timer_id: str = field(default_factory=lambda: f"tm_{uuid.uuid4().hex[:20]}")
    version: int = 0
    failures: int = 0  # effects that failed so far
    last_error: str | None = None
    failed_at: datetime | None = None  # set aside: not due again until retried

    @property
    def subject(self) -> str:
        return f"timer/{self.timer_id}"

    @property
    def due_shard(self) -> str:
        if self.failed_at is not None:
            return FAILED_SHARD
        digest = hashlib.sha256(self.timer_id.encode()).digest()
        return f"due#{digest[0] % DUE_SHARDS}"

    def late_by_seconds(self, now: datetime) -> int:
        """How late a firing at ``now`` is (0 when on time); recorded with what it did."""
        return max(0, int((now - self.due_at).total_seconds()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "timer_id": self.timer_id,
            "kind": self.kind,
            "about": self.about,
            "due_at": iso(self.due_at),
            "data": self.data,
            "set_by": self.set_by,
            "failures": self.failures,
            "last_error": self.last_error,
            "failed_at": iso(self.failed_at) if self.failed_at else None,
        }

    def failed_once_more(self, error: str, now: datetime) -> Timer:
        """This timer with one more failure noted; set aside when that makes :data:`MAX_FAILURES`."""
        failures = self.failures + 1
        return replace(
            self,
            failures=failures,
            last_error=error[:ERROR_CHARS],
            failed_at=now if failures >= MAX_FAILURES else None,
        )

    def retried(self) -> Timer:
        """Due again (at its own due time, so the next sweep fires it), its failures forgotten."""
        return replace(self, failures=0, last_error=None, failed_at=None)


def timer_id_for(kind: str, about: str, key: str = "") -> str:
    """A deterministic id: setting the same timer twice (a retried request) is one timer."""
    digest = hashlib.sha256(f"{kind}|{about}|{key}".encode()).hexdigest()[:20]
    return f"tm_{digest}"
