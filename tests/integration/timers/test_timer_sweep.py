"""The timer engine over the embedded DynamoDB: due timers fire once under racing sweeps, the
sweep reads only what is due, and `schedule run timer-sweep --at` drives it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.dynamo.models import EventItem, TimerItem
from shared.kernel.services.ports import Change, Save, UnitOfWork
from shared.time.domain.timers import Timer
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import renewal_reminder

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def remind(timer: Timer, now: datetime, uow: UnitOfWork) -> Change:
    return Change(events=[renewal_reminder(timer, now)])


def set_timers(uow: UnitOfWork, dues: list[datetime]) -> list[Timer]:
    timers = [Timer("remind", f"contract/ct_{n:05d}", due, set_by="test") for n, due in enumerate(dues)]
    for start in range(0, len(timers), 50):
        uow.commit(Change(saves=[Save(t, None) for t in timers[start : start + 50]]))
    return timers


def count_items_read(client: Any) -> list[int]:
    read: list[int] = []
    client.meta.events.register("after-call.dynamodb.Query", lambda parsed, **_: read.append(parsed.get("Count", 0)))
    client.meta.events.register("after-call.dynamodb.GetItem", lambda parsed, **_: read.append(int("Item" in parsed)))
    return read


def test_racing_sweeps_fire_every_due_timer_exactly_once(clean_aws: Any) -> None:
    uow = clean_aws.uow
    due = set_timers(uow, [T0 - timedelta(minutes=n) for n in range(30)])
    later = set_timers(uow, [T0 + timedelta(hours=1)])
    results: list[Any] = []
    sweeps = [
        threading.Thread(target=lambda: results.append(sweep_timers(T0, uow, {"remind": remind}))) for _ in range(4)
    ]
    for sweep in sweeps:
        sweep.start()
    for sweep in sweeps:
        sweep.join()
    fired = sorted(timer_id for r in results for timer_id in r.fired)
    assert fired == sorted(t.timer_id for t in due)
    reminders = [e for e in EventItem.scan() if e.type == "RenewalReminder"]
    assert sorted(e.subject for e in reminders) == sorted(t.about for t in due)  # one event per timer
    assert [t.timer_id for t in uow.timers.pending()] == [later[0].timer_id]


def test_the_sweep_reads_only_what_is_due(clean_aws: Any) -> None:
    uow = clean_aws.uow
    set_timers(uow, [T0 + timedelta(minutes=1 + n) for n in range(300)])  # pending, not due
    set_timers(uow, [T0 - timedelta(seconds=n) for n in range(20)])
    read = count_items_read(TimerItem._get_connection().connection.client)
    result = sweep_timers(T0, uow, {"remind": remind})
    assert len(result.fired) == 20
    assert sum(read) == 20  # the due index returned the due timers and nothing else: one read each


def test_a_late_timer_fires_once_with_its_lateness(clean_aws: Any) -> None:
    uow = clean_aws.uow
    set_timers(uow, [T0])
    sweep_timers(T0 + timedelta(hours=5), uow, {"remind": remind})
    sweep_timers(T0 + timedelta(hours=6), uow, {"remind": remind})
    [event] = [e for e in EventItem.scan() if e.type == "RenewalReminder"]
    assert event.data["late_seconds"] == 5 * 3600
    assert TimerItem.count() == 0


def test_poison_timers_are_set_aside_in_dynamodb_listed_and_retried_by_the_cli(clean_aws: Any, capsys: Any) -> None:
    """The issue's reproduction over the real store: 10 poison timers due before 100 healthy ones."""
    import argparse

    from infra.cli_timers import cmd_timers_list, cmd_timers_retry

    uow = clean_aws.uow
    poison = [Timer("remind", f"contract/poison_{n}", T0 - timedelta(hours=1, minutes=n)) for n in range(10)]
    uow.commit(Change(saves=[Save(t, None) for t in poison]))
    set_timers(uow, [T0 - timedelta(minutes=n) for n in range(100)])

    def poisoned(timer: Timer, now: datetime, u: UnitOfWork) -> Change:
        if timer.about.startswith("contract/poison"):
            raise LookupError("the contract is gone")
        return remind(timer, now, u)

    first = sweep_timers(T0, uow, {"remind": poisoned})
    assert len(first.fired) == 100 and len(first.failed) == 10
    assert {item.failures for item in TimerItem.scan()} == {1}  # noted on each poison timer, still due
    for minute in (1, 2):
        sweep_timers(T0 + timedelta(minutes=minute), uow, {"remind": poisoned})
    assert uow.timers.pending() == [] and TimerItem.count() == 10
    assert {item.due_shard for item in TimerItem.scan()} == {"failed"}  # out of every due shard
    assert sum(1 for e in EventItem.scan() if e.type == "TimerFailed") == 10
    assert sweep_timers(T0 + timedelta(minutes=3), uow, {"remind": poisoned}).summary()["failed"] == 0

    capsys.readouterr()
    assert cmd_timers_list(argparse.Namespace(failed=True, subject=None, json=False)) == 0
    listed = capsys.readouterr()
    assert listed.out.count("LookupError: the contract is gone") == 10 and "(10 timers set aside)" in listed.err
    one = poison[0].timer_id
    assert cmd_timers_retry(argparse.Namespace(ids=[one], failed=False)) == 0
    assert cmd_timers_retry(argparse.Namespace(ids=["tm_nope"], failed=False)) == 1
    assert "tm_nope" in capsys.readouterr().err
    again = sweep_timers(T0 + timedelta(minutes=4), uow, {"remind": remind})  # the cause was mended
    assert again.fired == [one] and len(uow.timers.failed()) == 9
    assert cmd_timers_retry(argparse.Namespace(ids=[], failed=True)) == 0
    assert len(sweep_timers(T0 + timedelta(minutes=5), uow, {"remind": remind}).fired) == 9
    assert TimerItem.count() == 0


def test_a_shed_or_failed_due_query_is_read_again_and_every_clock_still_fires(clean_aws: Any, monkeypatch: Any) -> None:
    """DynamoDB sheds a shard's due Query, or fails it with its own fault, past PynamoDB's retries
    (CI's chaos run saw both): the shard is read again after a back-off instead of the sweep of
    every clock failing."""
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import QueryError

    from shared.adapters.dynamo import faults

    set_timers(clean_aws.uow, [T0 - timedelta(minutes=n) for n in range(1, 9)])
    query = TimerItem.by_due.query
    shed = ["ProvisionedThroughputExceededException", "InternalServerError", "Throttling"]

    def shedding(*args: Any, **kwargs: Any) -> Any:
        if shed:
            cause = ClientError({"Error": {"Code": shed.pop(0), "Message": "shed"}}, "Query")
            raise QueryError("Failed to query items", cause=cause)
        return query(*args, **kwargs)

    monkeypatch.setattr(TimerItem.by_due, "query", shedding)
    monkeypatch.setattr(faults.time, "sleep", lambda seconds: None)
    result = sweep_timers(T0, clean_aws.uow, {"remind": remind})
    assert len(result.fired) == 8 and shed == [] and not result.failed


def test_a_due_query_refused_for_a_bug_is_not_read_again(clean_aws: Any, monkeypatch: Any) -> None:
    """A validation refusal is a bug, not load: the sweep fails at once and says why."""
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import QueryError

    calls = []

    def refused(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        cause = ClientError({"Error": {"Code": "ValidationException", "Message": "bad key"}}, "Query")
        raise QueryError("Failed to query items", cause=cause)

    monkeypatch.setattr(TimerItem.by_due, "query", refused)
    with pytest.raises(QueryError):
        sweep_timers(T0, clean_aws.uow, {"remind": remind})
    assert len(calls) == 1
