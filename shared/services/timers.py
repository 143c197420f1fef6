"""sweep_timers: fire every timer due at or before ``now``, exactly once each.

What a timer does is its kind's handler: it reads what it needs and returns the Change to
commit. The sweep adds "this timer fired" (a Delete conditioned on the timer still being there)
to that change, so the effect and the firing commit together: two sweeps racing, a retried
sweep or a crash half-way never fire a timer twice, and never lose one. A late timer fires once,
late, with its lateness given to the handler (and so recorded in what it emits).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shared.domain.errors import Conflict
from shared.domain.timers import Timer
from shared.services.ports import Change, UnitOfWork

SWEEP_LIMIT = 1000  # timers per run; the rest stay due and go in the next minute's run

Handler = Callable[[Timer, datetime, UnitOfWork], Change]


@dataclass
class SweepResult:
    fired: list[str] = field(default_factory=list)  # timer ids
    skipped: list[str] = field(default_factory=list)  # fired by someone else meanwhile
    unknown: list[str] = field(default_factory=list)  # no handler: left pending, reported
    late_seconds: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return {"fired": len(self.fired), "skipped": len(self.skipped), "unknown": len(self.unknown)}


def sweep_timers(
    now: datetime, uow: UnitOfWork, handlers: Mapping[str, Handler], limit: int = SWEEP_LIMIT
) -> SweepResult:
    """Fire what is due, soonest first. A timer a handler sets that is already due (the next
    escalation step of a breach found days late) joins this run in its place by due time, so a
    late run does what timely runs would have done, in the same order."""
    result = SweepResult()
    queue = [(t.due_at, t.timer_id, t) for t in uow.timers.due(now, limit)]
    heapq.heapify(queue)
    handled = 0
    while queue and handled < limit:
        _, _, timer = heapq.heappop(queue)
        handled += 1
        handler = handlers.get(timer.kind)
        if handler is None:
            result.unknown.append(timer.timer_id)
            continue
        change = _fire(timer, now, uow, handler)
        if change is None:
            result.skipped.append(timer.timer_id)
            continue
        result.fired.append(timer.timer_id)
        result.late_seconds[timer.timer_id] = timer.late_by_seconds(now)
        for save in change.saves:
            if isinstance(save.aggregate, Timer) and save.aggregate.due_at <= now:
                heapq.heappush(queue, (save.aggregate.due_at, save.aggregate.timer_id, save.aggregate))
    return result


def _fire(timer: Timer, now: datetime, uow: UnitOfWork, handler: Handler) -> Change | None:
    """The change this sweep committed firing it; None when another got there first."""

    attempts = 0

    def attempt() -> Change | None:
        nonlocal attempts
        attempts += 1
        # the due query just read it: look again only after a lost race (fired elsewhere?),
        # so a sweep reads each due timer once
        if attempts > 1 and uow.timers.get(timer.timer_id) is None:
            return None
        change = handler(timer, now, uow)
        change.fired.append(timer.subject)
        uow.commit(change)
        return change

    # a lost race (the timer fired elsewhere, the lead moved on) is read again: the next
    # attempt sees the timer gone and stops, or recomputes the effect on fresh state
    return uow.retry.run(attempt, give_up=lambda: Conflict(f"timer {timer.timer_id} kept losing races"))
