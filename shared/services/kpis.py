"""KPI use cases: count one recorded event into the rollups; answer a KPI query from them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from shared.domain.errors import Conflict, ValidationFailed
from shared.domain.kpi_definitions import Window, compute, parse_window
from shared.domain.kpi_events import read_event
from shared.domain.kpi_rollups import local_day, plan, scope_key
from shared.domain.rules import RuleSet
from shared.services.kpi_ports import AlreadyCounted, KpiStore
from shared.services.ports import RetryPolicy

QUERY_PARAMS = ("from", "to", "team", "owner_id")
NAME_LIMIT = 100


def team_lookup(rules: RuleSet) -> Callable[[str | None], str | None]:
    def team_of(owner_id: str | None) -> str | None:
        owner = rules.owners.get(owner_id) if owner_id else None
        return owner.team if owner else None

    return team_of


def record_event(envelope: Mapping[str, Any], store: KpiStore, rules: RuleSet, retry: RetryPolicy) -> str:
    """Count one event into the rollups, exactly once: ``counted``, ``duplicate`` (its marker
    exists: a redelivery) or ``ignored`` (an event no KPI reads)."""
    reading = read_event(envelope, team_lookup(rules))
    if reading is None:
        return "ignored"
    event_id, timezone = str(envelope["id"]), rules.settings.timezone

    def attempt() -> str:
        store.apply(plan(event_id, reading, timezone, store.state))
        return "counted"

    try:
        return retry.run(attempt, lambda: Conflict("the KPI rollups are busy; the event will be retried"))
    except AlreadyCounted:
        return "duplicate"


def today_in(rules: RuleSet, now: datetime) -> date:
    return local_day(now, rules.settings.timezone)


def _filters(params: Mapping[str, str]) -> tuple[str | None, str | None]:
    unknown = sorted(set(params) - set(QUERY_PARAMS))
    if unknown:
        fields = {name[:40]: f"unknown parameter; use {', '.join(QUERY_PARAMS)}" for name in unknown[:5]}
        raise ValidationFailed(f"unknown query parameter {unknown[0][:40]!r}", fields)
    found: dict[str, str | None] = {}
    for name in ("team", "owner_id"):
        value = (params.get(name) or "").strip()
        if len(value) > NAME_LIMIT:
            raise ValidationFailed(f"{name} is too long", {name: f"at most {NAME_LIMIT} characters"})
        found[name] = value or None
    return found["team"], found["owner_id"]


def read_items(store: KpiStore, scope: str, windows: list[Window]) -> dict[str, dict[str, float]]:
    """Every rollup item the windows need, each range read once (overlapping ranges merged)."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for window in windows:
        for first, last in window.ranges():
            by_kind.setdefault(first[:2], []).append((first, last))
    items: dict[str, dict[str, float]] = {}
    for ranges in by_kind.values():
        merged: list[list[str]] = []
        for first, last in sorted(ranges):
            if merged and first <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        for first, last in merged:
            items.update(store.items(scope, first, last))
    return items


def kpi_report(params: Mapping[str, str], store: KpiStore, rules: RuleSet, now: datetime) -> dict[str, Any]:
    """The KPI set for ``[from, to)`` (default: the last 28 days, today included), optionally for
    one team and/or owner: ``GET /kpis`` and ``closeloop kpis``."""
    team, owner = _filters(params)
    window = parse_window(params.get("from"), params.get("to"), today_in(rules, now))
    before = store.items_read
    result = compute(window, read_items(store, scope_key(team, owner), [window]))
    return {
        "from": window.start.isoformat(),
        "to": window.end.isoformat(),
        "timezone": rules.settings.timezone,
        "team": team,
        "owner_id": owner,
        **result,
        "items_read": store.items_read - before,
    }


def weekly_trend(store: KpiStore, rules: RuleSet, now: datetime, weeks: int = 12) -> list[dict[str, Any]]:
    """The KPI set of each of the last ``weeks`` weeks (7 days each, the last one ending today)."""
    end = today_in(rules, now) + timedelta(days=1)
    windows = [
        Window(end - timedelta(days=7 * (weeks - i)), end - timedelta(days=7 * (weeks - i - 1))) for i in range(weeks)
    ]
    items = read_items(store, scope_key(None, None), windows)
    return [{"from": w.start.isoformat(), "to": w.end.isoformat(), **compute(w, items)} for w in windows]


def kpi_snapshot(store: KpiStore, rules: RuleSet, now: datetime) -> dict[str, Any]:
    """What kpi-snapshot publishes: the KPI set of the last 28 days and of each of the last 12 weeks."""
    return {"current": kpi_report({}, store, rules, now), "weeks": weekly_trend(store, rules, now)}
