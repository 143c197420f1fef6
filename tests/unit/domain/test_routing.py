"""Routing: the first matching Routing row, the pool it names, and weighted round robin (2.1 step 5)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.leads.domain.routing import (
    RoutingIndex,
    candidates_of,
    choose_owner,
    first_match_linear,
    pool_for,
    weighted_sequence,
)
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RoutingRule, RuleSet
from tests.unit.domain.builders import owner, routing, ruleset


def match_both(rules: RuleSet, lead: dict[str, Any]) -> RoutingRule | None:
    """The index's answer, after checking the plain scan agrees with it."""
    found = RoutingIndex(rules.routing).match(lead)
    assert found == first_match_linear(rules.routing, lead)
    return found


# --- which row ------------------------------------------------------------------------------------

ROWS = [
    routing(40, "SMB East", country=["CN"], region=["east"]),
    routing(10, "Enterprise", tier=["vip"]),
    routing(30, "International", region=["americas", "emea", "apac"]),
    routing(20, "Expo", source=["expo-2026"]),
    routing(35, "Big energy", industry=["energy"], min_employees=500, max_employees=5000),
    routing(90, "Fallback"),
]


@pytest.mark.parametrize(
    ("lead", "team"),
    [
        ({"country": "CN", "region": "east", "tier": "vip"}, "Enterprise"),  # 10 beats 40
        ({"country": "CN", "region": "east", "source": "expo-2026"}, "Expo"),  # 20 beats 40
        ({"country": "CN", "region": "east"}, "SMB East"),
        ({"country": "cn", "region": " East "}, "SMB East"),  # values compare case/space-insensitively
        ({"country": "CN", "region": "north"}, "Fallback"),
        ({"country": "US", "region": "americas", "tier": "standard"}, "International"),
        ({"country": "DE", "region": "emea", "source": "expo-2026"}, "Expo"),
        ({"industry": "energy", "employees": 500}, "Big energy"),
        ({"industry": "energy", "employees": 5000}, "Big energy"),
        ({"industry": "energy", "employees": 499}, "Fallback"),
        ({"industry": "energy", "employees": 5001}, "Fallback"),
        ({"industry": "energy"}, "Fallback"),  # an employee range needs a size
        ({}, "Fallback"),  # empty cells mean "any"
        ({"grade": "mql", "channel": "web", "tier": "standard"}, "Fallback"),
    ],
)
def test_first_matching_row_by_priority(lead: dict[str, Any], team: str) -> None:
    rule = match_both(ruleset(routing_rows=ROWS), lead)
    assert rule is not None and rule.team == team


def test_no_row_matches_gives_none() -> None:
    rules = ruleset(routing_rows=[routing(10, "East", region=["east"]), routing(20, "VIP", tier=["vip"])])
    assert match_both(rules, {"region": "west", "tier": "standard"}) is None
    assert match_both(rules, {}) is None
    assert match_both(ruleset(), {"region": "east"}) is None


def test_all_conditions_of_a_row_must_hold() -> None:
    rules = ruleset(
        routing_rows=[routing(10, "Strict", country=["CN"], industry=["energy"], grade=["sql"]), routing(99, "Rest")]
    )
    assert match_both(rules, {"country": "CN", "industry": "energy", "grade": "sql"}).team == "Strict"  # type: ignore[union-attr]
    assert match_both(rules, {"country": "CN", "industry": "energy", "grade": "mql"}).team == "Rest"  # type: ignore[union-attr]
    assert match_both(rules, {"country": "CN", "grade": "sql"}).team == "Rest"  # type: ignore[union-attr]


def test_missing_lead_value_only_matches_rows_that_leave_the_column_empty() -> None:
    """A row listing the word "none" must not catch leads that simply have no industry."""
    rules = ruleset(routing_rows=[routing(10, "Odd", industry=["None"]), routing(20, "Rest")])
    lead: dict[str, Any] = {"industry": None}
    assert RoutingIndex(rules.routing).match(lead).team == "Rest"  # type: ignore[union-attr]
    assert first_match_linear(rules.routing, lead).team == "Rest"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lead", "team", "owners"),
    [
        ({"tier": "vip", "country": "CN", "region": "east"}, "Enterprise", {"u_wu"}),
        ({"source": "expo-2026", "country": "CN", "region": "north"}, "SMB East", {"u_wang"}),
        ({"country": "DE", "region": "emea"}, "International", {"u_mueller", "u_tan"}),
        ({"country": "CN", "region": "east"}, "SMB East", {"u_wang", "u_zhang", "u_zhou"}),
        ({"country": "CN", "region": "north"}, "SMB North", {"u_li", "u_zhao"}),
        ({"country": "CN", "region": "south"}, "SMB East", {"u_wang", "u_zhang", "u_zhou"}),
    ],
)
def test_example_workbook_routes(example_rules: ActiveRules, lead: dict[str, Any], team: str, owners: set[str]) -> None:
    rule = match_both(example_rules.rules, {"grade": "sql", "tier": "standard", **lead})
    assert rule is not None
    pool = pool_for(rule, example_rules.rules)
    assert pool.team == team
    assert {o.owner_id for o in pool.owners} == owners


# --- the pool -------------------------------------------------------------------------------------

TEAM = [
    owner("u_a", role="sdr"),
    owner("u_b", role="sdr"),
    owner("u_c", role="ae"),
    owner("u_d", role="senior_ae"),
    owner("u_x", team="Other", role="sdr"),
]


def test_pool_is_the_team() -> None:
    rules = ruleset(owners=TEAM, routing_rows=[routing(10)])
    assert [o.owner_id for o in pool_for(rules.routing[0], rules).owners] == ["u_a", "u_b", "u_c", "u_d"]


@pytest.mark.parametrize(
    ("roles", "owners"),
    [(["sdr"], ["u_a", "u_b"]), (["ae"], ["u_c"]), (["sdr", "ae"], ["u_a", "u_b", "u_c"]), (["manager"], [])],
)
def test_role_filter(roles: list[str], owners: list[str]) -> None:
    rules = ruleset(owners=TEAM, routing_rows=[routing(10, role=roles)])
    assert [o.owner_id for o in pool_for(rules.routing[0], rules).owners] == owners


def test_named_owner_takes_every_lead() -> None:
    rules = ruleset(owners=TEAM, routing_rows=[routing(10, owner_id="u_c")])
    pool = pool_for(rules.routing[0], rules)
    assert [o.owner_id for o in pool.owners] == ["u_c"]
    assert {choose_owner(pool, turn, {}) for turn in range(20)} == {"u_c"}


def test_different_pools_of_one_team_rotate_separately() -> None:
    rules = ruleset(owners=TEAM, routing_rows=[routing(10, role=["sdr"]), routing(20, role=["ae"]), routing(30)])
    keys = {pool_for(rule, rules).counter_key for rule in rules.routing}
    assert len(keys) == 3


# --- choosing the person ----------------------------------------------------------------------------


def pool_of(*owners: dict[str, Any]) -> Any:
    rules = ruleset(owners=list(owners), routing_rows=[routing(10)])
    return pool_for(rules.routing[0], rules)


def test_equal_weights_take_turns() -> None:
    pool = pool_of(owner("u_a"), owner("u_b"), owner("u_c"))
    picks = [choose_owner(pool, turn, {}) for turn in range(9)]
    assert Counter(picks) == {"u_a": 3, "u_b": 3, "u_c": 3}
    assert all(picks[i] != picks[i + 1] for i in range(8))


def test_weights_three_to_one_over_400_turns_are_300_to_100_and_interleaved() -> None:
    pool = pool_of(owner("u_a", weight=3), owner("u_b", weight=1))
    picks = [choose_owner(pool, turn, {}) for turn in range(400)]
    assert Counter(picks) == {"u_a": 300, "u_b": 100}
    # smooth: every 4 consecutive turns hold exactly one u_b, so u_a never gets 4 in a row
    assert all(picks[i : i + 4].count("u_b") == 1 for i in range(397))
    assert "aaaa" not in "".join(p[-1] for p in picks)  # type: ignore[index]


def test_weighted_sequence_is_smooth() -> None:
    sequence = weighted_sequence(
        [o for o in pool_of(owner("a", weight=5), owner("b", weight=1), owner("c", weight=1)).owners]
    )
    assert Counter(sequence) == {"a": 5, "b": 1, "c": 1}
    assert sequence[0] == "a" and "aaaaa" not in "".join(sequence)


def test_inactive_owner_is_skipped() -> None:
    pool = pool_of(owner("u_a"), owner("u_b", active=False), owner("u_c"))
    picks = Counter(choose_owner(pool, turn, {}) for turn in range(100))
    assert picks == {"u_a": 50, "u_c": 50}
    assert [c.to_dict() for c in candidates_of(pool, {})] == [
        {"owner_id": "u_a", "available": True, "reason": "ok"},
        {"owner_id": "u_b", "available": False, "reason": "inactive"},
        {"owner_id": "u_c", "available": True, "reason": "ok"},
    ]


def test_owner_at_capacity_is_skipped() -> None:
    pool = pool_of(owner("u_a", capacity=3), owner("u_b", capacity=10), owner("u_c"))
    loads = {"u_a": 3, "u_b": 9, "u_c": 500}
    picks = {choose_owner(pool, turn, loads) for turn in range(30)}
    assert picks == {"u_b", "u_c"}
    assert [c.reason for c in candidates_of(pool, loads)] == ["at_capacity", "ok", "ok"]
    assert [c.reason for c in candidates_of(pool, {"u_a": 2})] == ["ok", "ok", "ok"]


def test_everyone_full_or_inactive_gives_none() -> None:
    pool = pool_of(owner("u_a", capacity=2), owner("u_b", active=False), owner("u_c", capacity=0))
    assert all(choose_owner(pool, turn, {"u_a": 2}) is None for turn in range(10))
    assert choose_owner(pool_of(), 0, {}) is None


def test_empty_capacity_means_no_limit() -> None:
    pool = pool_of(owner("u_a", capacity=None))
    assert choose_owner(pool, 7, {"u_a": 10_000}) == "u_a"


# --- the index always agrees with the plain scan ----------------------------------------------------

VALUES = {
    "country": ["CN", "US", "DE", "cn", "SG"],
    "region": ["east", "north", "EMEA", "apac", "emea"],
    "industry": ["energy", "manufacturing", "Retail", "other"],
    "tier": ["vip", "key", "standard"],
    "source": ["website", "expo", "hubspot"],
    "channel": ["web", "event", "social"],
    "grade": ["sql", "mql"],
}


@st.composite
def routing_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        lists: dict[str, Any] = {
            col: draw(
                st.lists(st.sampled_from(vals), max_size=2, unique=True)
                if draw(st.integers(0, 2)) == 0
                else st.just([])
            )
            for col, vals in VALUES.items()
        }
        low = draw(st.none() | st.integers(0, 2000))
        high = draw(st.none() | st.integers(0, 5000))
        rows.append(
            routing(
                draw(st.integers(1, 30)),
                draw(st.sampled_from(["A", "B", "C"])),
                min_employees=low,
                max_employees=high,
                **lists,
            )
        )
    return rows


@st.composite
def leads(draw: st.DrawFn) -> dict[str, Any]:
    lead: dict[str, Any] = {}
    for col, vals in VALUES.items():
        choice = draw(st.sampled_from(["missing", "none", "empty", "value", "VALUE", "spaced"]))
        if choice == "none":
            lead[col] = None
        elif choice == "empty":
            lead[col] = ""
        elif choice != "missing":
            value = draw(st.sampled_from(vals))
            lead[col] = value.upper() if choice == "VALUE" else f" {value} " if choice == "spaced" else value
    lead["employees"] = draw(st.none() | st.integers(0, 6000))
    return lead


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=routing_rows(), batch=st.lists(leads(), min_size=1, max_size=8))
def test_index_agrees_with_linear_scan(rows: list[dict[str, Any]], batch: list[dict[str, Any]]) -> None:
    rules = ruleset(routing_rows=rows)
    index = RoutingIndex(rules.routing)
    for lead in batch:
        assert index.match(lead) == first_match_linear(rules.routing, lead)


def test_weight_zero_pauses_an_owner():
    from shared.leads.domain.routing import Pool, candidates_of, choose_owner
    from shared.rules.domain.rules import Owner

    paused = Owner(owner_id="u_paused", name="P", team="T", role="ae", weight=0)
    working = Owner(owner_id="u_work", name="W", team="T", role="ae", weight=1)
    pool = Pool(team="T", owners=(paused, working), counter_key="T|*")
    assert {choose_owner(pool, turn, {}) for turn in range(10)} == {"u_work"}
    assert [c.reason for c in candidates_of(pool, {})] == ["paused", "ok"]
    assert choose_owner(Pool(team="T", owners=(paused,), counter_key="T|*"), 0, {}) is None
