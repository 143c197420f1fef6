"""KPI rollups: what one event adds to the small aggregate items a KPI query reads.

A rollup item is one (scope, period) — scope = (team, owner), each or both ``*`` — holding
counters as attributes: ``mql_n``, ``won_amt``, ``ft_17`` (a sketch bucket, kpi_sketch) ...
A period is a day in Settings ``timezone`` (``d#2026-11-23``); the contract value deltas behind
net revenue retention are also kept per month (``m#2026-11``) and year (``y#2026``), so the value
live at any date is a short prefix sum. Every event adds to its (team, owner), (team, *),
(*, owner) and (*, *) items, so each filter reads one item per day.

Most events add fixed amounts (an :class:`Observation`). Leads, cases, SLA clocks and accounts
contribute through *facts* folded order-independently (earliest mql, latest assignment, latest
resolution, a clock's last word, every contract): the subject's state keeps its facts and what it contributed, and
an event moves the contribution from the old one to the new one (a lead reassigned moves its
cohort entry to the new owner; a case reopened leaves the resolved count). The final rollups
are therefore the same whatever order events arrive in, and a repeat changes nothing.

Each event is counted once. A fact's event is remembered on its subject's state (a short tag of
its id, the subject's last ``COUNTED_KEPT``), which is written anyway and at the version read: a
redelivery finds its tag and writes nothing, for no extra write. An observation has no state, so
its event gets a marker item of its own (``seen#<id>``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from shared.kernel.domain.events import parse_iso
from shared.kpis.domain import kpi_sketch
from shared.kpis.domain.kpi_events import Fact, Observation

ALL = "*"
MAX_WINDOW_DAYS = 400  # a longer KPI window is refused; lags and ages beyond it share one bucket
LATE = "late"  # mql → sql lags and contract ages over MAX_WINDOW_DAYS days
# tags of the events a subject's state remembers: far more than a lead, case or account gets
# while a queue may still redeliver one (days), and small (17 bytes each)
COUNTED_KEPT = 64

# (period key, team, owner, attribute) -> amount
Cell = tuple[str, str | None, str | None, str]
Counts = dict[Cell, float]


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def day_key(day: date) -> str:
    return f"d#{day.isoformat()}"


def month_key(day: date) -> str:
    return f"m#{day.year:04d}-{day.month:02d}"


def year_key(day: date) -> str:
    return f"y#{day.year:04d}"


def scope_key(team: str | None, owner: str | None) -> str:
    """The partition of one scope: ``kpi|<team>|<owner>`` with ``*`` for all (names %-escaped)."""
    return f"kpi|{quote(team or ALL, safe='')}|{quote(owner or ALL, safe='')}"


def scopes(team: str | None, owner: str | None) -> list[str]:
    keys = [scope_key(None, None)]
    if team:
        keys.append(scope_key(team, None))
    if owner:
        keys.append(scope_key(None, owner))
    if team and owner:
        keys.append(scope_key(team, owner))
    return keys


def _lag_bucket(days: int) -> str:
    return str(days) if days <= MAX_WINDOW_DAYS else LATE


# ------------------------------------------------------------------ contributions


def observation_counts(observation: Observation, timezone: str) -> Counts:
    period = day_key(local_day(observation.at, timezone))
    who = (observation.team, observation.owner)
    counts: Counts = defaultdict(float)
    for attr, amount in observation.counts.items():
        counts[(period, *who, attr)] += amount
    for prefix, value in observation.durations.items():
        counts[(period, *who, f"{prefix}_{kpi_sketch.bucket_of(value)}")] += 1
    for what in observation.skipped:
        counts[(period, *who, "skip_" + what.replace(".", "__"))] += 1
    return dict(counts)


def _earliest(old: list[Any] | None, new: list[Any]) -> list[Any]:
    return new if old is None or tuple(new[:2]) < tuple(old[:2]) else old


def _latest(old: list[Any] | None, new: list[Any]) -> list[Any]:
    return new if old is None or tuple(new[:2]) > tuple(old[:2]) else old


def _last_word(old: list[Any] | None, new: list[Any]) -> list[Any]:
    """A clock's outcome: the one with the latest due time (a pause or a reopen moves it later);
    at the same due time, met over breached — a SlaMet comes from the clock recomputed on its whole
    history, so a breach told at that due time (a sweep run ahead of a stop recorded later) was
    premature. Then the latest event, for a repeat of the same outcome."""

    def rank(value: list[Any]) -> tuple[Any, ...]:
        return (value[2], value[3], value[0], value[1])

    return new if old is None or rank(new) > rank(old) else old


def fold(facts: Mapping[str, Any], fact: Fact) -> dict[str, Any]:
    """The subject's facts with one more; the same whatever order facts come in, and idempotent."""
    out = dict(facts)
    if fact.kind == "contract":
        contracts = dict(out.get("contracts") or {})
        contract_id = str(fact.value[2])
        contracts[contract_id] = _latest(contracts.get(contract_id), fact.value)
        out["contracts"] = contracts
    elif fact.kind in ("mql", "sql"):
        out["mql"] = _earliest(out.get("mql"), fact.value)
        if fact.kind == "sql":
            out["sql"] = _earliest(out.get("sql"), fact.value)
    elif fact.kind == "opened":
        out["opened"] = _earliest(out.get("opened"), fact.value)
    elif fact.kind == "sla":
        out["sla"] = _last_word(out.get("sla"), fact.value)
    else:  # who, resolved, reopened: the latest one counts
        out[fact.kind] = _latest(out.get(fact.kind), fact.value)
    return out


def contribution(facts: Mapping[str, Any], timezone: str) -> Counts:
    """What a subject with these facts adds to the rollups."""
    if "contracts" in facts:
        return _account(facts["contracts"])
    if "nps" in facts:
        return _nps(facts["nps"], timezone)
    if "sla" in facts:
        return _sla(facts["sla"], timezone)
    if "resolved" in facts or "opened" in facts or "reopened" in facts:
        return _case(facts, timezone)
    return _lead(facts, timezone)


def _lead(facts: Mapping[str, Any], timezone: str) -> Counts:
    mql = facts.get("mql")
    if mql is None:
        return {}
    who = facts.get("who") or [None, None, None, None]
    owner, team = who[2], who[3]
    day = local_day(parse_iso(mql[0]), timezone)
    period = day_key(day)
    counts: Counts = {(period, team, owner, "mql_n"): 1}
    sql = facts.get("sql")
    if sql is not None:
        lag = (local_day(parse_iso(sql[0]), timezone) - day).days
        counts[(period, team, owner, f"mql_lag_{_lag_bucket(max(lag, 0))}")] = 1
    return counts


def _nps(answer: list[Any], timezone: str) -> Counts:
    """A net promoter answer (the respondent's latest of the quarter) on its day: one answer, and
    one promoter (9–10) or detractor (0–6)."""
    at, _, score, owner, team = answer[:5]
    period = day_key(local_day(parse_iso(at), timezone))
    return {
        (period, team, owner, "nps_n"): 1,
        (period, team, owner, "nps_pro"): 1 if score >= 9 else 0,
        (period, team, owner, "nps_det"): 1 if score <= 6 else 0,
    }


def _sla(outcome: list[Any], timezone: str) -> Counts:
    """One clock, met or breached once: on the day it stopped (met) or its target passed (breached)."""
    at, _, _, _, attr, owner, team = outcome[:7]
    return {(day_key(local_day(parse_iso(at), timezone)), team, owner, attr): 1}


def _case(facts: Mapping[str, Any], timezone: str) -> Counts:
    resolved, reopened, opened = facts.get("resolved"), facts.get("reopened"), facts.get("opened")
    if resolved is None or (reopened is not None and tuple(reopened[:2]) > tuple(resolved[:2])):
        return {}
    owner = resolved[2] or (opened[2] if opened else None)
    team = (opened[3] if opened else None) or resolved[3]
    period = day_key(local_day(parse_iso(resolved[0]), timezone))
    return {(period, team, owner, "res_n"): 1, (period, team, owner, "fcr_n"): 1 if resolved[4] else 0}


# A contract of the same account starting at most this many days after the last one ended continues
# the customer's run (CONTRACT §14, net revenue retention): a renewal signed a little late is a
# renewal, not churn plus a new customer. Fixed here rather than a Settings key: rollups are folded
# as facts arrive, and a setting changed later could not re-fold the stored ones.
RENEWAL_GRACE_DAYS = 30


def _bridged(deltas: Mapping[date, float], grace_days: int) -> list[tuple[date, float]]:
    """The deltas by day, with a lapse to no live contract that a new contract ends within
    ``grace_days`` moved to that contract's first day: in between, the account still counts
    with what it had (a renewal that came in late), so no day of the gap reads as churn."""
    days = [day for day in sorted(deltas) if abs(deltas[day]) >= 1e-9]
    out: list[tuple[date, float]] = []
    level, carried = 0.0, 0.0
    for i, day in enumerate(days):
        delta = deltas[day] + carried
        carried = 0.0
        after = days[i + 1] if i + 1 < len(days) else None
        if level > 1e-9 and level + delta <= 1e-9 and after is not None and (after - day).days <= grace_days:
            carried = delta  # lapsed, but renewed in time: the lapse happens on the renewal's day
            continue
        level += delta
        if abs(delta) >= 1e-9:
            out.append((day, delta))
    return out


def _account(contracts: Mapping[str, list[Any]], grace_days: int = RENEWAL_GRACE_DAYS) -> Counts:
    """Contract value deltas: +amount on a contract's first day, −amount the day after its last
    (that −amount moved to the next contract's first day when it starts within ``grace_days``).

    Each delta is kept with the age of the customer's run it belongs to (days since the account
    last went from no live contract to one), so a query can tell the deltas of accounts that
    were already customers at ``from`` (net revenue retention) from new and returning ones.
    The account is attributed to the owner and team of its latest signed contract."""
    if not contracts:
        return {}
    latest = max(contracts.values(), key=lambda c: (c[0], c[1]))
    owner, team = latest[6], latest[7]
    deltas: dict[date, float] = defaultdict(float)
    for c in contracts.values():
        amount, start, end = float(c[3]), date.fromisoformat(c[4]), date.fromisoformat(c[5])
        deltas[start] += amount
        deltas[end + timedelta(days=1)] -= amount
    counts: Counts = defaultdict(float)
    level, run_start = 0.0, None
    for day, delta in _bridged(deltas, grace_days):
        if run_start is None or level <= 1e-9:
            run_start = day
        age = (day - run_start).days
        level += delta
        for period in (day_key(day), month_key(day), year_key(day)):
            counts[(period, team, owner, "arr_d")] += delta
        counts[(day_key(day), team, owner, f"arr_age_{_lag_bucket(age)}")] += delta
    return dict(counts)


def diff(old: Mapping[Cell, float], new: Mapping[Cell, float]) -> Counts:
    out: Counts = {}
    for cell in set(old) | set(new):
        delta = new.get(cell, 0) - old.get(cell, 0)
        if abs(delta) > 1e-9:
            out[cell] = delta
    return out


# ------------------------------------------------------------------ what to write


@dataclass(frozen=True)
class SubjectState:
    """A lead's, case's or account's facts and what they contributed, as stored."""

    key: str
    facts: dict[str, Any]
    contributed: Counts
    version: int  # 0 = not stored yet
    counted: tuple[str, ...] = ()  # tags of the events folded in (event_tag), oldest first


def event_tag(event_id: str) -> str:
    """A short stand-in for an event id on its subject's state: 64 bits of its hash."""
    return hashlib.sha256(event_id.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RollupWrite:
    """Events' effect, applied atomically: each counted once (its marker), subjects' states,
    counters. One event's write, or a batch's (:func:`combine`): a batch folds its counters into
    one addition per rollup item, so a busy day item takes one write per batch, not per event."""

    event_ids: tuple[str, ...]  # the events that need a marker (observations)
    updates: dict[tuple[str, str], dict[str, float]]  # (scope key, period key) -> attribute -> delta
    states: tuple[tuple[SubjectState, int], ...] = ()  # new state, the version it was read at
    notes: list[str] = field(default_factory=list)

    def item_count(self) -> int:
        return len(self.event_ids) + len(self.updates) + len(self.states)


def combine(writes: Iterable[RollupWrite]) -> RollupWrite:
    """Several events' writes as one: counters summed per item, each subject's last state kept
    with the version its first write read (the later ones were planned on the earlier ones)."""
    event_ids: list[str] = []
    updates: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    states: dict[str, tuple[SubjectState, int]] = {}
    for write in writes:
        event_ids.extend(write.event_ids)
        for key, attrs in write.updates.items():
            for attr, amount in attrs.items():
                updates[key][attr] += amount
        for state, expected in write.states:
            states[state.key] = (state, states[state.key][1] if state.key in states else expected)
    kept = {key: {a: v for a, v in attrs.items() if abs(v) > 1e-9} for key, attrs in updates.items()}
    return RollupWrite(tuple(event_ids), {k: v for k, v in kept.items() if v}, tuple(states.values()))


def updates_of(counts: Iterable[tuple[Cell, float]]) -> dict[tuple[str, str], dict[str, float]]:
    """Counters per rollup item, each cell added to every scope it belongs to."""
    items: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (period, team, owner, attr), amount in counts:
        for scope in scopes(team, owner):
            items[(scope, period)][attr] += amount
    kept = {key: {a: v for a, v in attrs.items() if abs(v) > 1e-9} for key, attrs in items.items()}
    return {key: attrs for key, attrs in kept.items() if attrs}  # a move within one item adds nothing


def encode_counts(counts: Mapping[Cell, float]) -> list[list[Any]]:
    return [[*cell, amount] for cell, amount in sorted(counts.items(), key=lambda kv: tuple(map(str, kv[0])))]


def decode_counts(rows: Iterable[list[Any]]) -> Counts:
    return {(str(r[0]), r[1], r[2], str(r[3])): float(r[4]) for r in rows}


def plan(
    event_id: str,
    reading: Observation | Fact,
    timezone: str,
    load_state: Callable[[str], SubjectState | None],
) -> RollupWrite | None:
    """What recording one event's reading writes (a Fact reads its subject's state first);
    None when the subject's state shows the event counted already (a redelivery)."""
    if isinstance(reading, Observation):
        return RollupWrite((event_id,), updates_of(observation_counts(reading, timezone).items()))
    stored = load_state(reading.subject)
    tag = event_tag(event_id)
    if stored and tag in stored.counted:
        return None
    facts = fold(stored.facts if stored else {}, reading)
    new = contribution(facts, timezone)
    old = stored.contributed if stored else {}
    version = stored.version if stored else 0
    counted = (*(stored.counted if stored else ()), tag)[-COUNTED_KEPT:]
    state = SubjectState(reading.subject, facts, new, version + 1, counted)
    return RollupWrite((), updates_of(diff(old, new).items()), ((state, version),))
