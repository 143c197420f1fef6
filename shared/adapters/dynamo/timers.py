"""Timers in DynamoDB: a Put when set, a conditional Delete when fired, queries by due time; a
failure noted (or a timer set aside, or retried) is a Put conditioned on the version read."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, cast

from shared.adapters.dynamo.faults import read_again
from shared.adapters.dynamo.models import TimerItem
from shared.kernel.domain.events import iso, parse_iso
from shared.time.domain.timers import DUE_SHARDS, FAILED_SHARD, Timer, TimerKind


def timer_item(timer: Timer) -> TimerItem:
    return TimerItem(
        timer_id=timer.timer_id,
        kind=timer.kind,
        about=timer.about,
        due_at=iso(timer.due_at),
        due_shard=timer.due_shard,
        data=timer.data,
        set_by=timer.set_by,
        version=timer.version + 1,
        failures=timer.failures or None,
        last_error=timer.last_error,
        failed_at=iso(timer.failed_at) if timer.failed_at else None,
    )


def timer_from_item(item: TimerItem) -> Timer:
    return Timer(
        kind=cast(TimerKind, str(item.kind)),  # an unknown kind (older code) has no handler: set aside
        about=str(item.about),
        due_at=parse_iso(str(item.due_at)),
        data=dict(item.data or {}),
        set_by=item.set_by,
        timer_id=str(item.timer_id),
        version=int(item.version or 1),
        failures=int(item.failures or 0),
        last_error=item.last_error,
        failed_at=parse_iso(str(item.failed_at)) if item.failed_at else None,
    )


class TimerTable:
    """How the unit of work stores a timer: set once (setting one that exists, a retried request,
    is a lost race like any other); changed only to note a failure, set it aside or retry it, each
    conditioned on the version read."""

    def put(self, aggregate: Any, expected_version: int | None) -> dict[str, Any]:
        item = timer_item(aggregate)
        item.version = (expected_version or 0) + 1
        condition: Any
        if expected_version is None:
            condition = TimerItem.timer_id.does_not_exist()
        elif expected_version == 1:  # timers set before versions were stored count as version 1
            condition = TimerItem.timer_id.exists() & (TimerItem.version.does_not_exist() | (TimerItem.version == 1))
        else:
            condition = TimerItem.version == expected_version
        kwargs: dict[str, Any] = item.get_save_kwargs_from_instance(condition=condition)
        return kwargs

    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]:
        return TimerItem.Meta.table_name, {"timer_id": {"S": subject_id}}


class DynamoTimerRepository:
    """Each read is read again when AWS sheds it or fails past PynamoDB's retries (faults.read_again):
    one shed Query must not stop the sweep of every clock (CI's chaos run saw both)."""

    def due(self, now: datetime, limit: int) -> list[Timer]:
        """Timers due at or before ``now``, soonest first: one query per shard, due items only."""
        found: list[Timer] = []
        for shard in range(DUE_SHARDS):
            found += read_again(partial(_due_in, shard, now, limit))
        return sorted(found, key=lambda t: t.due_at)[:limit]

    def pending(self, about: str | None = None) -> list[Timer]:
        items = read_again(lambda: list(TimerItem.by_about.query(about) if about else TimerItem.scan()))
        timers = (timer_from_item(i) for i in items)
        return sorted((t for t in timers if t.failed_at is None), key=lambda t: t.due_at)

    def failed(self) -> list[Timer]:
        """Timers set aside, oldest due first: one query of the due index's "failed" partition."""
        return read_again(lambda: [timer_from_item(item) for item in TimerItem.by_due.query(FAILED_SHARD)])

    def get(self, timer_id: str) -> Timer | None:
        try:
            return timer_from_item(TimerItem.get(timer_id, consistent_read=True))
        except TimerItem.DoesNotExist:
            return None


def _due_in(shard: int, now: datetime, limit: int) -> list[Timer]:
    """One shard's due timers."""
    query = TimerItem.by_due.query(f"due#{shard}", TimerItem.due_at <= iso(now), limit=limit)
    return [timer_from_item(item) for item in query]
