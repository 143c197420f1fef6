"""Small hand-written rule sets for unit tests (content in the published, typed form)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet

ROUTING_COLUMNS = ("role", "country", "region", "industry", "tier", "source", "channel", "grade")


def owner(
    owner_id: str,
    team: str = "Sales",
    role: str = "ae",
    *,
    capacity: int | None = None,
    weight: int | None = 1,
    active: bool | None = True,
) -> dict[str, Any]:
    return {
        "owner_id": owner_id,
        "name": owner_id.title(),
        "email": f"{owner_id}@example.com",
        "team": team,
        "role": role,
        "manager_id": None,
        "capacity": capacity,
        "weight": weight,
        "active": active,
        "timezone": None,
        "notify": [],
    }


def routing(
    priority: int,
    team: str = "Sales",
    *,
    owner_id: str | None = None,
    min_employees: int | None = None,
    max_employees: int | None = None,
    note: str | None = None,
    **lists: list[str],
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "priority": priority,
        "team": team,
        "owner_id": owner_id,
        "min_employees": min_employees,
        "max_employees": max_employees,
        "note": note,
    }
    for column in ROUTING_COLUMNS:
        row[column] = list(lists.pop(column, []))
    assert not lists, f"unknown routing columns {lists}"
    return row


def scoring(
    rule_id: str, field: str, op: str, value: Any = None, points: float = 0, max_times: int | None = None
) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "field": field,
        "op": op,
        "value": value,
        "points": points,
        "max_times": max_times,
        "note": None,
    }


def settings(**values: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": list(v) if isinstance(v, tuple) else v} for k, v in values.items()]


SOURCES: list[dict[str, Any]] = [
    {"source": "website", "kind": "public", "allowed_origins": [], "channel": "web", "campaign": None, "active": True},
    {"source": "expo", "kind": "signed", "allowed_origins": [], "channel": "event", "campaign": "expo", "active": True},
]


Rows = Sequence[dict[str, Any]]


def ruleset(
    *,
    owners: Rows = (),
    routing_rows: Rows = (),
    scoring_rows: Rows = (),
    settings_rows: Rows = (),
    tiers: Rows = (),
    industries: Rows = (),
    regions: Rows = (),
    version: str = "v-test",
) -> RuleSet:
    content: Content = {
        "Settings": list(settings_rows),
        "Sources": SOURCES,
        "Owners": list(owners),
        "Tiers": list(tiers),
        "Routing": list(routing_rows),
        "Scoring": list(scoring_rows),
        "Industries": list(industries),
        "Regions": list(regions),
    }
    return RuleSet.from_content(content, version)


def active(rules: RuleSet) -> ActiveRules:
    return ActiveRules(rules)
