"""Timers in DynamoDB: a Put when set, a conditional Delete when fired, queries by due time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.adapters.dynamo.models import TimerItem
from shared.domain.events import iso, parse_iso
from shared.domain.timers import DUE_SHARDS, Timer


def timer_item(timer: Timer) -> TimerItem:
    return TimerItem(
        timer_id=timer.timer_id,
        kind=timer.kind,
        about=timer.about,
        due_at=iso(timer.due_at),
        due_shard=timer.due_shard,
        data=timer.data,
        set_by=timer.set_by,
    )


def timer_from_item(item: TimerItem) -> Timer:
    return Timer(
        kind=str(item.kind),
        about=str(item.about),
        due_at=parse_iso(str(item.due_at)),
        data=dict(item.data or {}),
        set_by=item.set_by,
        timer_id=str(item.timer_id),
        version=1,
    )


class TimerTable:
    """How the unit of work stores a timer: set once; a timer is never changed, only fired or
    cancelled, so setting one that exists (a retried request) is a lost race like any other."""

    def put(self, aggregate: Any, expected_version: int | None) -> dict[str, Any]:
        condition = TimerItem.timer_id.does_not_exist()
        kwargs: dict[str, Any] = timer_item(aggregate).get_save_kwargs_from_instance(condition=condition)
        return kwargs

    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]:
        return TimerItem.Meta.table_name, {"timer_id": {"S": subject_id}}


class DynamoTimerRepository:
    def due(self, now: datetime, limit: int) -> list[Timer]:
        """Timers due at or before ``now``, soonest first: one query per shard, due items only."""
        found: list[Timer] = []
        for shard in range(DUE_SHARDS):
            query = TimerItem.by_due.query(f"due#{shard}", TimerItem.due_at <= iso(now), limit=limit)
            found += [timer_from_item(item) for item in query]
        return sorted(found, key=lambda t: t.due_at)[:limit]

    def pending(self, about: str | None = None) -> list[Timer]:
        items = TimerItem.by_about.query(about) if about else TimerItem.scan()
        return sorted((timer_from_item(i) for i in items), key=lambda t: t.due_at)

    def get(self, timer_id: str) -> Timer | None:
        try:
            return timer_from_item(TimerItem.get(timer_id, consistent_read=True))
        except TimerItem.DoesNotExist:
            return None
