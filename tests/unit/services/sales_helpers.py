"""Shared bits for the sales service tests: rules variants, an opportunity and a quote."""

from __future__ import annotations

import copy
from typing import Any

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet
from shared.sales.domain.opportunities import Opportunity
from shared.sales.messages.sales import OpportunityNew, QuoteNew
from shared.sales.services.opportunities import create_opportunity
from shared.sales.services.quotes import create_quote
from tests.unit.services.helpers import TickingClock, now_of

ACCOUNT = {"company": "上海精密制造 Shanghai Precision", "country": "CN"}
# 2 × enterprise at 25 % off: 960,000 list, 720,000 net — over 500,000 and over 20 %
BIG = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
# 1 × standard at 10 %: 108,000 — over 5 %, under 500,000
MEDIUM = [{"sku": "IOT-PLAT-STD", "quantity": 1, "discount": 0.1}]
# 1 × standard at exactly 5 %: not over 5 % → approved at once
SMALL = [{"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "5%"}]


def rules_with(content: Content, version: str = "v2-test", **settings: str) -> ActiveRules:
    changed = copy.deepcopy(content)
    for key, value in settings.items():
        changed["Settings"] = [r for r in changed["Settings"] if r["key"] != key] + [{"key": key, "value": value}]
    rules = RuleSet.from_content(changed, version)
    return ActiveRules(rules)


def open_opportunity(active: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, **extra: Any) -> str:
    body = {"name": "IoT rollout", "owner_id": "u_wang", "account": ACCOUNT, **extra}
    return str(
        create_opportunity(read(OpportunityNew, body, now=now_of(clock), active=active), active, store, clock)[
            "opportunity_id"
        ]
    )


def quote(
    active: ActiveRules,
    store: MemoryUnitOfWork,
    clock: TickingClock,
    opportunity_id: str,
    lines: list[dict[str, Any]],
    by: str = "u_wang",
) -> dict[str, Any]:
    return create_quote(
        read(QuoteNew, {"opportunity_id": opportunity_id, "by": by, "lines": lines}, now=now_of(clock), active=active),
        active,
        store,
        clock,
    )


def stored_opportunity(store: MemoryUnitOfWork, opportunity_id: str) -> Opportunity:
    found = store.opportunities.get(opportunity_id)
    assert found is not None
    return found


def types_of(store: MemoryUnitOfWork, subject: str) -> list[str]:
    return [e.type for e in store.events if e.subject == subject]
