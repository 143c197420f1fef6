"""Timers: every future action (an SLA warning, a breach, a reminder, an approval time-out) is
a timer with a due time. A sweep fires what is due, exactly once; cancelling is deleting."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.domain.events import iso

DUE_SHARDS = 4  # due-index partitions: spreads writes; a sweep reads each one's due part


@dataclass
class Timer:
    kind: str  # what firing does: "sla_warn", "sla_breach", "renewal_reminder", ...
    about: str  # the subject it acts on: "lead/ld_…", "case/cs_…"
    due_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    set_by: str | None = None  # the rule that set it (e.g. "SLA row 2, v3-…"), for `timers list`
    timer_id: str = field(default_factory=lambda: f"tm_{uuid.uuid4().hex[:20]}")
    version: int = 0

    @property
    def subject(self) -> str:
        return f"timer/{self.timer_id}"

    @property
    def due_shard(self) -> str:
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
        }


def timer_id_for(kind: str, about: str, key: str = "") -> str:
    """A deterministic id: setting the same timer twice (a retried request) is one timer."""
    digest = hashlib.sha256(f"{kind}|{about}|{key}".encode()).hexdigest()[:20]
    return f"tm_{digest}"
