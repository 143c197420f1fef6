"""Routing: which team (and which person) takes a lead.

Finding the rule: rows are ranked by priority; the first whose conditions all hold wins.
With thousands of rows a linear scan is slow, so the index keeps, for every condition
column and value, the set of rows that accept that value as a bitset (a Python int, bit i =
i-th row by priority), plus the rows that leave the column empty ("any"). A lead's
candidates are the AND of one set per column; the lowest set bit is the first match. The
employee-count ranges are indexed the same way: the distinct range bounds cut the number
line into intervals, and each interval keeps the bitset of rows whose range covers it.

Choosing the person: weighted round robin over the team's eligible owners, driven by an
atomic counter kept in DynamoDB (the service passes the counter value in), so concurrent
requests each get their own slot and the split stays fair. Owners at capacity are skipped.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Owner, RoutingRule, RuleSet

# condition column on the rule -> field of the lead context it tests
SET_CONDITIONS = ("country", "region", "industry", "tier", "source", "channel", "grade")


def _key(value: Any) -> str:
    return str(value).strip().lower()


class RoutingIndex:
    """First-match lookup over the lead Routing rows in roughly constant time per lead.

    Rows for other objects (``object`` = case, account) are left out: a lead never matches
    them, and lead rows (``object`` empty) route exactly as before the column existed."""

    def __init__(self, rules: Iterable[RoutingRule]) -> None:
        leads_only = (r for r in rules if r.routes == "lead")
        self.rules: tuple[RoutingRule, ...] = tuple(sorted(leads_only, key=lambda r: r.priority))
        everything = (1 << len(self.rules)) - 1
        self._any: dict[str, int] = {}
        self._by_value: dict[str, dict[str, int]] = {}
        for column in SET_CONDITIONS:
            any_bits, by_value = 0, dict[str, int]()
            for i, rule in enumerate(self.rules):
                values = getattr(rule, column)
                if not values:
                    any_bits |= 1 << i
                for value in values:
                    by_value[_key(value)] = by_value.get(_key(value), 0) | (1 << i)
            # precompute "rows for value OR rows that accept anything" once, not per lead
            self._any[column] = any_bits
            self._by_value[column] = {v: bits | any_bits for v, bits in by_value.items()}
        self._everything = everything
        self._build_employee_index()

    def _build_employee_index(self) -> None:
        """Interval k covers [bounds[k-1], bounds[k]); its bitset holds rows whose range covers it.

        Built in one sweep: a row's bit is toggled on where its range starts and off where it
        ends, and a running XOR gives each interval's set.
        """
        ranged = [
            (i, r) for i, r in enumerate(self.rules) if r.min_employees is not None or r.max_employees is not None
        ]
        self._unranged = self._everything ^ sum(1 << i for i, _ in ranged)
        bounds = {r.min_employees for _, r in ranged if r.min_employees is not None}
        bounds |= {r.max_employees + 1 for _, r in ranged if r.max_employees is not None}  # max is inclusive
        self._bounds = sorted(bounds)
        toggles = [0] * (len(self._bounds) + 2)
        for i, rule in ranged:
            start = 0 if rule.min_employees is None else bisect_right(self._bounds, rule.min_employees)
            end = len(self._bounds) if rule.max_employees is None else bisect_right(self._bounds, rule.max_employees)
            if start <= end:
                toggles[start] ^= 1 << i
                toggles[end + 1] ^= 1 << i
        running, self._by_interval = 0, []
        for toggle in toggles[:-1]:
            running ^= toggle
            self._by_interval.append(running | self._unranged)

    def _employee_rows(self, employees: Any) -> int:
        if not isinstance(employees, int | float) or isinstance(employees, bool):
            return self._unranged
        return self._by_interval[bisect_right(self._bounds, employees)]

    def match(self, lead: Mapping[str, Any]) -> RoutingRule | None:
        candidates = self._everything
        for column in SET_CONDITIONS:
            value = lead.get(column)
            if value is None or value == "":
                candidates &= self._any[column]
            else:
                candidates &= self._by_value[column].get(_key(value), self._any[column])
            if not candidates:
                return None
        candidates &= self._employee_rows(lead.get("employees"))
        if not candidates:
            return None
        return self.rules[(candidates & -candidates).bit_length() - 1]


def _employees_fit(rule: RoutingRule, employees: Any) -> bool:
    if rule.min_employees is None and rule.max_employees is None:
        return True
    if employees is None:
        return False
    return (rule.min_employees is None or employees >= rule.min_employees) and (
        rule.max_employees is None or employees <= rule.max_employees
    )


def rule_matches(rule: RoutingRule, lead: Mapping[str, Any]) -> bool:
    """Plain evaluation of one row: the reference the index must agree with."""
    for column in SET_CONDITIONS:
        allowed, value = getattr(rule, column), lead.get(column)
        if allowed and (value is None or value == "" or _key(value) not in {_key(a) for a in allowed}):
            return False
    return _employees_fit(rule, lead.get("employees"))


def first_match_linear(rules: Iterable[RoutingRule], lead: Mapping[str, Any]) -> RoutingRule | None:
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule.routes == "lead" and rule_matches(rule, lead):
            return rule
    return None


def case_rule(
    rules: Iterable[RoutingRule], priority: str, channel: str | None, country: str | None
) -> RoutingRule | None:
    """The first Routing row for cases (by priority) whose case_priority, channel and country
    hold. A handful of rows: a plain scan. Lead-only columns are refused on case rows by the
    tab check, so they never decide here."""
    context = {"channel": channel, "country": country}
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule.routes != "case":
            continue
        if rule.case_priority and priority.lower() not in {p.lower() for p in rule.case_priority}:
            continue
        if all(
            not getattr(rule, column) or (context[column] or "").lower() in {_key(v) for v in getattr(rule, column)}
            for column in ("channel", "country")
        ):
            return rule
    return None


def account_rule(rules: Iterable[RoutingRule], country: str | None, segment: str | None = None) -> RoutingRule | None:
    """The first Routing row for accounts (by priority) whose country and segment hold: who
    becomes a new customer's account manager (CONTRACT §2.8), and who looks after an account that
    enters a segment a row names (CONTRACT §15). Account rows route on country and segment only."""
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule.routes != "account":
            continue
        if rule.country and (country or "").lower() not in {_key(v) for v in rule.country}:
            continue
        if rule.segment and _key(segment or "") not in {_key(v) for v in rule.segment}:
            continue
        return rule
    return None


@dataclass(frozen=True, slots=True)
class Pool:
    """The people a routing rule hands a lead to, and the counter that rotates among them."""

    team: str
    owners: tuple[Owner, ...]  # eligible by team, role and named owner; active or not
    counter_key: str


def pool_for(rule: RoutingRule, rules: RuleSet) -> Pool:
    owners = rules.owners_of(rule.team)
    if rule.owner_id:
        owners = [o for o in owners if o.owner_id == rule.owner_id]
    elif rule.role:
        roles = set(rule.role)
        owners = [o for o in owners if o.role in roles]
    roles_key = rule.owner_id or ",".join(sorted(rule.role)) or "*"
    return Pool(team=rule.team, owners=tuple(owners), counter_key=f"{rule.team}|{roles_key}")


def weighted_sequence(owners: Iterable[Owner]) -> list[str]:
    """Smooth weighted round robin (as nginx does): weights 3,1 give a,a,b,a not a,a,a,b."""
    people = [(o.owner_id, int(o.weight)) for o in owners if o.weight > 0]
    total = sum(w for _, w in people)
    current = dict.fromkeys((p for p, _ in people), 0)
    sequence: list[str] = []
    for _ in range(total):
        for person, weight in people:
            current[person] += weight
        chosen = max(people, key=lambda p: (current[p[0]], -people.index(p)))[0]
        current[chosen] -= total
        sequence.append(chosen)
    return sequence


@dataclass(frozen=True, slots=True)
class Candidate:
    owner_id: str
    available: bool
    reason: str  # "ok", "inactive", "paused" (weight 0), "at_capacity"

    def to_dict(self) -> dict[str, Any]:
        return {"owner_id": self.owner_id, "available": self.available, "reason": self.reason}


def candidates_of(pool: Pool, loads: Mapping[str, int]) -> list[Candidate]:
    result = []
    for owner in pool.owners:
        if not owner.active:
            result.append(Candidate(owner.owner_id, False, "inactive"))
        elif owner.weight <= 0:
            result.append(Candidate(owner.owner_id, False, "paused"))  # weight 0: no round-robin turns
        elif owner.capacity is not None and loads.get(owner.owner_id, 0) >= owner.capacity:
            result.append(Candidate(owner.owner_id, False, "at_capacity"))
        else:
            result.append(Candidate(owner.owner_id, True, "ok"))
    return result


def choose_owner(pool: Pool, counter: int, loads: Mapping[str, int]) -> str | None:
    """The owner at this counter's slot, skipping forward past anyone unavailable."""
    available = {c.owner_id for c in candidates_of(pool, loads) if c.available}
    if not available:
        return None
    sequence = weighted_sequence(o for o in pool.owners if o.owner_id in available)
    return sequence[counter % len(sequence)]


def index_of(active: ActiveRules) -> RoutingIndex:
    """The routing index of the active rules, built once per rules version."""
    return active.derive(_lead_index)


def _lead_index(rules: RuleSet) -> RoutingIndex:
    return RoutingIndex(rules.routing)
