"""The timer engine over the in-memory unit of work: due timers fire once, with their effect."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.services.ports import Change, Save, Throttled, UnitOfWork
from shared.time.domain.timers import Timer
from shared.time.services.timers import retry_failed, sweep_timers
from tests.unit.services.helpers import renewal_reminder

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def remind(timer: Timer, now: datetime, uow: UnitOfWork) -> Change:
    return Change(events=[renewal_reminder(timer, now)])


HANDLERS = {"remind": remind}


def set_timers(uow: MemoryUnitOfWork, *dues: datetime) -> list[Timer]:
    timers = [Timer("remind", f"contract/ct_{n}", due) for n, due in enumerate(dues)]
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


def test_a_timer_of_unknown_kind_is_reported_and_set_aside_at_its_third_failure() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)
    result = sweep_timers(T0, uow, {})
    assert result.unknown == [timer.timer_id] and result.set_aside == []
    [pending] = uow.timers.pending()
    assert (pending.timer_id, pending.failures) == (timer.timer_id, 1)
    assert "no handler" in (pending.last_error or "")
    sweep_timers(T0 + timedelta(minutes=1), uow, {})
    third = sweep_timers(T0 + timedelta(minutes=2), uow, {})
    assert third.set_aside == [timer.timer_id] and uow.timers.pending() == []
    assert [t.timer_id for t in uow.timers.failed()] == [timer.timer_id]
    [failed] = [e for e in uow.events if e.type == "TimerFailed"]
    assert failed.subject == timer.about and failed.data["failures"] == 3 and failed.data["kind"] == "remind"


def poisoned(timer: Timer, now: datetime, uow: UnitOfWork) -> Change:
    if timer.about.startswith("lead/poison"):
        raise KeyError("the lead this timer acts on is gone")
    return remind(timer, now, uow)


def test_a_poison_timer_never_stops_the_healthy_ones_and_is_set_aside_after_three_runs() -> None:
    uow = MemoryUnitOfWork()
    poison = [Timer("remind", f"lead/poison_{n}", T0 - timedelta(hours=1, minutes=n)) for n in range(10)]
    uow.commit(Change(saves=[Save(t, None) for t in poison]))
    healthy = set_timers(uow, *[T0 - timedelta(minutes=n) for n in range(100)])
    first = sweep_timers(T0, uow, {"remind": poisoned})
    assert sorted(first.fired) == sorted(t.timer_id for t in healthy)  # all in the first run
    assert set(first.failed) == {t.timer_id for t in poison} and first.set_aside == []
    assert all("KeyError" in error for error in first.failed.values())
    for minute in (1, 2):
        last = sweep_timers(T0 + timedelta(minutes=minute), uow, {"remind": poisoned})
    assert set(last.set_aside) == {t.timer_id for t in poison}
    assert uow.timers.pending() == [] and len(uow.timers.failed()) == 10
    assert uow.event_types().count("TimerFailed") == 10
    assert sweep_timers(T0 + timedelta(minutes=3), uow, {"remind": poisoned}).summary()["failed"] == 0


def test_a_timer_set_aside_fires_once_retried() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)
    for minute in range(3):
        sweep_timers(T0 + timedelta(minutes=minute), uow, {})
    assert retry_failed(uow, ["tm_nope"]) == []
    [back] = retry_failed(uow)
    assert back.timer_id == timer.timer_id and uow.timers.failed() == []
    result = sweep_timers(T0 + timedelta(minutes=5), uow, HANDLERS)
    assert result.fired == [timer.timer_id] and uow.event_types().count("RenewalReminder") == 1
    assert uow.timers.pending() == []


def test_throttling_leaves_the_timer_due_and_counts_no_failure() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)

    def throttled(t: Timer, now: datetime, u: UnitOfWork) -> Change:
        raise Throttled("DynamoDB throttled")

    result = sweep_timers(T0, uow, {"remind": throttled})
    assert result.busy == [timer.timer_id] and result.failed == {}
    assert uow.timers.pending()[0].failures == 0


def test_a_sweep_stops_before_its_time_budget_ends_and_the_next_carries_on() -> None:
    uow = MemoryUnitOfWork()
    timers = set_timers(uow, *[T0 - timedelta(minutes=n) for n in range(10)])
    budget = iter([30.0] * 4 + [4.0] * 100)  # seconds left when each timer is about to fire
    first = sweep_timers(T0, uow, HANDLERS, time_left=lambda: next(budget))
    assert len(first.fired) == 4 and first.stopped_early
    second = sweep_timers(T0 + timedelta(minutes=1), uow, HANDLERS, time_left=lambda: 60.0)
    assert len(second.fired) == 6 and not second.stopped_early
    assert sorted(first.fired + second.fired) == sorted(t.timer_id for t in timers)


def test_cancelling_is_deleting() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)
    uow.commit(Change(deletes=[timer.subject]))
    assert sweep_timers(T0, uow, HANDLERS).fired == [] and uow.events == []


def test_an_aws_fault_the_adapter_calls_load_counts_no_failure() -> None:
    uow = MemoryUnitOfWork()
    (timer,) = set_timers(uow, T0)

    class ServerFault(Exception):
        pass

    def faulty(t: Timer, now: datetime, u: UnitOfWork) -> Change:
        raise ServerFault("InternalServerError after retries")

    result = sweep_timers(T0, uow, {"remind": faulty}, is_load=lambda exc: isinstance(exc, ServerFault))
    assert result.busy == [timer.timer_id] and result.failed == {}
    assert uow.timers.pending()[0].failures == 0
