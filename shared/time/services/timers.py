"""sweep_timers: fire every timer due at or before ``now``, exactly once each.

What a timer does is its kind's handler: it reads what it needs and returns the Change to
commit. The sweep adds "this timer fired" (a Delete conditioned on the timer still being there)
to that change, so the effect and the firing commit together: two sweeps racing, a retried
sweep or a crash half-way never fire a timer twice, and never lose one. A late timer fires once,
late, with its lateness given to the handler (and so recorded in what it emits).

A sweep is only as strong as its worst timer, so each timer is on its own (CONTRACT §13): an
effect that fails (a handler error, a kind nobody handles, a change the store refuses) is noted
on that timer and the sweep goes on; the third failure sets it aside with ``TimerFailed``.
Throttling (and an AWS server fault that outlasted the client's retries) is load, not the
timer's fault: the timer stays due and nothing is counted. The
sweep stops when its time budget runs low and the next run carries on where it stopped.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from shared.kernel.domain.errors import Busy, Conflict
from shared.kernel.domain.events import Event, iso
from shared.kernel.services.ports import Change, Save, Throttled, UnitOfWork
from shared.time.domain.timers import Timer
from shared.time.services.ports import TimersWork

SWEEP_LIMIT = 1000  # timers per run; the rest stay due and go in the next minute's run
SAFETY_SECONDS = 5.0  # stop this long before the time budget ends: one more effect and its commit

# what a kind of timer does, given the unit of work its capability reads through (``Handler[LeadsWork]``)
W = TypeVar("W", bound=UnitOfWork)
Handler = Callable[[Timer, datetime, W], Change]
Sweeping = TypeVar("Sweeping", bound=TimersWork)  # the unit of work a sweep is given, handed on to each handler
TimeLeft = Callable[[], float]  # seconds left of the run's budget (Lambda's remaining time)
IsLoad = Callable[[Exception], bool]  # the store's own transient fault (an adapter knows which)


def never(_exc: Exception) -> bool:
    return False


@dataclass
class SweepResult:
    fired: list[str] = field(default_factory=list)  # timer ids
    skipped: list[str] = field(default_factory=list)  # fired by someone else meanwhile
    unknown: list[str] = field(default_factory=list)  # no handler: a failure like any other
    failed: dict[str, str] = field(default_factory=dict)  # timer id -> error, noted and left due
    set_aside: list[str] = field(default_factory=list)  # failed for the last time this run
    busy: list[str] = field(default_factory=list)  # throttled: left due, not counted
    held: list[str] = field(default_factory=list)  # after a failed timer of the same subject: left due
    stopped_early: bool = False  # the time budget ran out; the next run carries on
    late_seconds: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return {
            "fired": len(self.fired),
            "skipped": len(self.skipped),
            "unknown": len(self.unknown),
            "failed": len(self.failed),
            "set_aside": len(self.set_aside),
            "busy": len(self.busy),
            "held": len(self.held),
            "stopped_early": int(self.stopped_early),
        }


def sweep_timers(
    now: datetime,
    uow: Sweeping,
    handlers: Mapping[str, Handler[Sweeping]],
    limit: int = SWEEP_LIMIT,
    time_left: TimeLeft | None = None,
    is_load: IsLoad = never,
) -> SweepResult:
    """Fire what is due, soonest first. A timer a handler sets that is already due (the next
    escalation step of a breach found days late) joins this run in its place by due time, so a
    late run does what timely runs would have done, in the same order — also after a failure: the
    later timers of a subject whose timer failed wait for the next run (a breach never goes out
    before its warning), until the failed one is set aside."""
    result = SweepResult()
    failed_subjects: set[str] = set()
    queue = [(t.due_at, t.timer_id, t) for t in uow.timers.due(now, limit)]
    heapq.heapify(queue)
    handled = 0
    while queue and handled < limit:
        if time_left is not None and time_left() < SAFETY_SECONDS:
            result.stopped_early = True
            break
        _, _, timer = heapq.heappop(queue)
        handled += 1
        if timer.about in failed_subjects:
            result.held.append(timer.timer_id)
            continue
        change = _fire_isolated(timer, now, uow, handlers, result, is_load)
        if timer.timer_id in result.failed and timer.timer_id not in result.set_aside:
            failed_subjects.add(timer.about)
        if change is None:
            continue
        result.fired.append(timer.timer_id)
        result.late_seconds[timer.timer_id] = timer.late_by_seconds(now)
        for save in change.saves:
            if isinstance(save.aggregate, Timer) and save.aggregate.due_at <= now:
                heapq.heappush(queue, (save.aggregate.due_at, save.aggregate.timer_id, save.aggregate))
    return result


def _fire_isolated(
    timer: Timer,
    now: datetime,
    uow: Sweeping,
    handlers: Mapping[str, Handler[Sweeping]],
    result: SweepResult,
    is_load: IsLoad = never,
) -> Change | None:
    """Fire one timer; whatever goes wrong stays with this timer. The change, or None."""
    handler = handlers.get(timer.kind)
    if handler is None:
        result.unknown.append(timer.timer_id)
        note_failure(timer, f"no handler for timers of kind {timer.kind!r}", now, uow, result)
        return None
    try:
        change = _fire(timer, now, uow, handler)
    except (Throttled, Busy):
        result.busy.append(timer.timer_id)
        return None
    except Exception as exc:  # the timer's own failure: noted on it, never the sweep's
        if is_load(exc):  # AWS's own fault outlasted its retries: not the timer's, try next run
            result.busy.append(timer.timer_id)
            return None
        note_failure(timer, f"{type(exc).__name__}: {exc}", now, uow, result)
        return None
    if change is None:
        result.skipped.append(timer.timer_id)
    return change


def note_failure(timer: Timer, error: str, now: datetime, uow: TimersWork, result: SweepResult) -> None:
    """One more failure on the timer; the last one sets it aside and records ``TimerFailed``.
    If even that cannot be written (the store is down, the timer fired meanwhile), the timer is
    as it was: the next run sees it again."""
    noted = timer.failed_once_more(error, now)
    result.failed[timer.timer_id] = noted.last_error or error
    events = []
    if noted.failed_at is not None:
        events.append(timer_failed(noted, now))
    try:
        uow.commit(Change(saves=[Save(noted, timer.version)], events=events))
    except Exception:
        return
    if noted.failed_at is not None:
        result.set_aside.append(timer.timer_id)


def timer_failed(timer: Timer, now: datetime) -> Event:
    return Event(
        "TimerFailed",
        timer.about,
        now,
        {
            "timer_id": timer.timer_id,
            "kind": timer.kind,
            "due_at": iso(timer.due_at),
            "failures": timer.failures,
            "error": timer.last_error,
            "set_by": timer.set_by,
        },
    )


def retry_failed(uow: TimersWork, timer_ids: list[str] | None = None) -> list[Timer]:
    """Put timers set aside back in the due index (all of them when ``timer_ids`` is None): the
    next sweep fires them at once, their due time being past. Returns the timers put back."""
    chosen = [t for t in uow.timers.failed() if timer_ids is None or t.timer_id in timer_ids]
    for timer in chosen:
        uow.commit(Change(saves=[Save(timer.retried(), timer.version)]))
    return chosen


def _fire(timer: Timer, now: datetime, uow: Sweeping, handler: Handler[Sweeping]) -> Change | None:
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
