"""The timer engine over the in-memory unit of work: due timers fire once, with their effect."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from shared.adapters.memory import MemoryUnitOfWork
from shared.domain.events import Event
from shared.domain.timers import Timer
from shared.services.ports import Change, Save, UnitOfWork
from shared.services.timers import sweep_timers

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def remind(timer: Timer, now: datetime, uow: UnitOfWork) -> Change:
    data = {"timer_id": timer.timer_id, "late_seconds": timer.late_by_seconds(now)}
    return Change(events=[Event("RenewalReminder", timer.about, now, data)])


HANDLERS = {"remind": remind}


def set_timers(uow: MemoryUnitOfWork, *dues: datetime) -> list[Timer]:
    timers = [Timer("remind", f"lead/ld_{n}", due) for n, due in enumerate(dues)]
    uow.commit(Change(saves=[Save(t, None) for t in timers]))
    return timers


def test_only_due_timers_fire_and_each_once() -> None:
    uow = MemoryUnitOfWork()
    due, later = set_timers(uow, T0 - timedelta(minutes=1), T0 + timedelta(hours=1))
    first = sweep_timers(T0, uow, HANDLERS)
    again = sweep_timers(T0, uow, HANDLERS)
    assert first.fired == [due.timer_id] and again.fired == []
    assert [e.subject for e in uow.events] == [due.about]
    assert [t.timer_id for t in uow.timers.pending()] == [later.timer_id]


def test_a_late_timer_fires_once_and_says_how_late() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)
    result = sweep_timers(T0 + timedelta(days=2), uow, HANDLERS)
    assert result.late_seconds == {timer.timer_id: 2 * 86400}
    assert [e.data["late_seconds"] for e in uow.events] == [2 * 86400]


def test_concurrent_sweeps_fire_every_timer_exactly_once() -> None:
    uow = MemoryUnitOfWork()
    timers = set_timers(uow, *(T0 - timedelta(seconds=n) for n in range(50)))
    results = []
    threads = [threading.Thread(target=lambda: results.append(sweep_timers(T0, uow, HANDLERS))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    fired = [timer_id for r in results for timer_id in r.fired]
    assert sorted(fired) == sorted(t.timer_id for t in timers)
    assert len(uow.events) == 50


def test_a_timer_whose_effect_loses_a_race_is_retried_not_lost() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)
    calls = []

    def flaky(t: Timer, now: datetime, u: UnitOfWork) -> Change:
        calls.append(now)
        change = remind(t, now, u)
        if len(calls) == 1:  # the first attempt fires a timer someone else is firing too
            change.fired.append("timer/tm_gone")
        return change

    result = sweep_timers(T0, uow, {"remind": flaky})
    assert result.fired == [timer.timer_id] and len(calls) == 2 and len(uow.events) == 1


def test_a_timer_of_unknown_kind_stays_pending_and_is_reported() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)
    result = sweep_timers(T0, uow, {})
    assert result.unknown == [timer.timer_id] and uow.timers.pending() == [timer]


def test_cancelling_is_deleting() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)
    uow.commit(Change(deletes=[timer.subject]))
    assert sweep_timers(T0, uow, HANDLERS).fired == [] and uow.events == []
