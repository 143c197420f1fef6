"""Routing 10,000 leads against 10,000 Routing rows: the index vs a plain first-match scan."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from shared.leads.domain.routing import RoutingIndex, rule_matches
from shared.rules.domain.rules import RoutingRule

COUNTRIES = ["CN", "US", "DE", "SG", "JP", "GB", "FR", "AU", "IN", "BR"]
REGIONS = ["east", "north", "south", "west", "americas", "emea", "apac"]
INDUSTRIES = ["manufacturing", "energy", "retail", "software", "logistics", "healthcare", "finance", "other"]
TIERS = ["vip", "key", "standard"]
SOURCES = [f"src{i}" for i in range(40)]
GRADES = ["sql", "mql"]


def _pick(rng: random.Random, values: list[str], chance: float, most: int = 2) -> tuple[str, ...]:
    return tuple(rng.sample(values, rng.randint(1, most))) if rng.random() < chance else ()


def make_rules(count: int, rng: random.Random) -> list[RoutingRule]:
    """Rows as a large routing table has them: most name a country, a source and an industry."""
    rules = []
    for i in range(count - 1):
        low = rng.choice([None, 10, 50, 200, 1000]) if rng.random() < 0.5 else None
        rules.append(
            RoutingRule(
                priority=i + 1,
                team=f"team{i % 50}",
                country=_pick(rng, COUNTRIES, 0.95, 1),
                region=_pick(rng, REGIONS, 0.4),
                industry=_pick(rng, INDUSTRIES, 0.8),
                tier=_pick(rng, TIERS, 0.3),
                source=_pick(rng, SOURCES, 0.85, 1),
                grade=_pick(rng, GRADES, 0.2),
                min_employees=low,
                max_employees=None if low is None else low * rng.choice([2, 5, 10]),
            )
        )
    rules.append(RoutingRule(priority=count, team="fallback", note="everything else"))
    return rules


def make_leads(count: int, rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "country": rng.choice(COUNTRIES),
            "region": rng.choice(REGIONS),
            "industry": rng.choice(INDUSTRIES),
            "tier": rng.choice(TIERS),
            "source": rng.choice(SOURCES),
            "grade": rng.choice(GRADES),
            "channel": "web",
            "employees": rng.choice([None, 5, 30, 120, 600, 3000]),
        }
        for _ in range(count)
    ]


def routing_speedup(progress: Callable[[str], None], rows: int = 10_000, leads: int = 10_000) -> dict[str, Any]:
    rng = random.Random(20261122)
    rules, sample = make_rules(rows, rng), make_leads(leads, rng)
    progress(f"routing: {leads} leads against {rows} rows, index vs linear first match")
    built = time.perf_counter()
    index = RoutingIndex(rules)
    build_seconds = time.perf_counter() - built
    started = time.perf_counter()
    fast = [index.match(lead) for lead in sample]
    index_seconds = time.perf_counter() - started
    ordered = sorted(rules, key=lambda r: r.priority)
    started = time.perf_counter()
    slow = [next((r for r in ordered if rule_matches(r, lead)), None) for lead in sample]  # plain first match
    linear_seconds = time.perf_counter() - started
    if fast != slow:
        raise AssertionError("the routing index disagrees with the linear scan")
    return {
        "value": round(linear_seconds / index_seconds, 1),
        "unit": "x",
        "note": f"{leads} leads x {rows} rows; linear {linear_seconds:.2f} s, index {index_seconds:.3f} s "
        f"(+ {build_seconds:.2f} s to build once per rules version); same answers checked",
    }
