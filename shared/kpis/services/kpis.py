"""KPI use cases: count one recorded event into the rollups; answer a KPI query from them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from shared.kernel.domain.errors import Conflict, ValidationFailed
from shared.kernel.services.ports import RetryPolicy
from shared.kpis.domain.kpi_definitions import Window, compute, parse_window
from shared.kpis.domain.kpi_events import Fact, Observation, read_event
from shared.kpis.domain.kpi_rollups import RollupWrite, SubjectState, combine, local_day, plan, scope_key
from shared.kpis.services.kpi_ports import AlreadyCounted, KpiStore
from shared.rules.domain.rules import RuleSet

QUERY_PARAMS = ("from", "to", "team", "owner_id")
MAX_ROLLUP_ITEMS = 100  # one transaction: markers, states and rollup items together
NAME_LIMIT = 100


def team_lookup(rules: RuleSet) -> Callable[[str | None], str | None]:
    def team_of(owner_id: str | None) -> str | None:
        owner = rules.owners.get(owner_id) if owner_id else None
        return owner.team if owner else None

    return team_of


def record_event(envelope: Mapping[str, Any], store: KpiStore, rules: RuleSet, retry: RetryPolicy) -> str:
    """Count one event into the rollups, exactly once: ``counted``, ``duplicate`` (its marker
    exists: a redelivery) or ``ignored`` (an event no KPI reads)."""
    outcome = record_events([envelope], store, rules, retry)[str(envelope.get("id"))]
    if outcome.startswith("failed"):
        raise ValueError(f"cannot count event {envelope.get('id')}: {outcome}")
    return outcome


class _Unfoldable(Exception):
    def __init__(self, event_id: str, error: Exception) -> None:
        super().__init__(event_id)
        self.event_id, self.error = event_id, error


def record_events(
    envelopes: Iterable[Mapping[str, Any]], store: KpiStore, rules: RuleSet, retry: RetryPolicy
) -> dict[str, str]:
    """Count a batch of events, each exactly once, folded into as few transactions as fit (one
    addition per rollup item per transaction: a busy day item is written once per batch, not
    once per event). The outcome per event id: ``counted``, ``duplicate``, ``ignored``, or
    ``failed: <error>`` for an event that cannot be read or folded — set aside on its own (the
    queue retries it, then its dead-letter queue keeps it), never blocking the others."""
    outcomes: dict[str, str] = {}
    readings: list[tuple[str, Observation | Fact]] = []
    team_of = team_lookup(rules)
    for envelope in envelopes:
        event_id = str(envelope.get("id"))
        if event_id in outcomes or any(event_id == seen for seen, _ in readings):
            outcomes.setdefault(event_id, "duplicate")  # delivered twice in one batch
            continue
        try:
            reading = read_event(envelope, team_of)
        except Exception as exc:  # a malformed event: its own failure
            outcomes[event_id] = f"failed: {type(exc).__name__}: {exc}"
            continue
        if reading is None:
            outcomes[event_id] = "ignored"
        else:
            readings.append((event_id, reading))
    timezone = rules.settings.timezone
    while readings:
        try:
            done = retry.run(
                partial(_record_some, list(readings), store, timezone),
                lambda: Conflict("the KPI rollups are busy; the events will be retried"),
            )
        except AlreadyCounted as repeat:
            outcomes[repeat.event_id] = "duplicate"
            readings = [r for r in readings if r[0] != repeat.event_id]
            continue
        except _Unfoldable as bad:
            outcomes[bad.event_id] = f"failed: {type(bad.error).__name__}: {bad.error}"
            readings = [r for r in readings if r[0] != bad.event_id]
            continue
        outcomes.update(done)
        readings = [r for r in readings if r[0] not in done]
    return outcomes


def _record_some(readings: list[tuple[str, Observation | Fact]], store: KpiStore, timezone: str) -> dict[str, str]:
    """Plan the first readings that fit one transaction (each on the states the earlier ones
    leave), commit them as one write; the outcome of each reading planned (``counted``, or
    ``duplicate`` when its subject's state shows it counted)."""
    planned: dict[str, SubjectState | None] = {}

    def state_of(key: str) -> SubjectState | None:
        if key not in planned:
            planned[key] = store.state(key)
        return planned[key]

    writes: list[RollupWrite] = []
    done: dict[str, str] = {}
    for event_id, reading in readings:
        try:
            write = plan(event_id, reading, timezone, state_of)
        except Exception as exc:
            raise _Unfoldable(event_id, exc) from None
        if write is None:
            done[event_id] = "duplicate"
            continue
        if writes and combine([*writes, write]).item_count() > MAX_ROLLUP_ITEMS:
            break
        writes.append(write)
        done[event_id] = "counted"
        planned.update((state.key, state) for state, _ in write.states)
    if writes:
        store.apply(combine(writes))
    return done


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
