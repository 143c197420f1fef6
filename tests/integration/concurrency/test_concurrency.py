"""Uniqueness and fairness under real concurrency: threads against the embedded moto server.

Each thread runs the real capture service over the real DynamoDB store, so every guarantee
here comes from DynamoDB conditions and atomic counters, not from a lock in our process.
"""

from __future__ import annotations

import copy
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from shared.adapters.container import utc_now
from shared.adapters.dynamo.models import LeadItem, LeadKeyItem
from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from shared.leads.services.capture import capture_lead
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet

THREADS = 16


def rules_with_team(example_content, owners: list[dict], *, version: str) -> ActiveRules:
    """The example rules, with one routing row sending every lead to team "Pool"."""
    content = copy.deepcopy(example_content)
    template = content["Owners"][1]
    content["Owners"] = content["Owners"] + [{**template, **o, "team": "Pool", "manager_id": None} for o in owners]
    fallback = {**content["Routing"][-1], "priority": 1, "team": "Pool", "role": [], "owner_id": None}
    fallback.update(object=None, case_priority=[])  # a lead row (the example's last rows route cases)
    content["Routing"] = [fallback] + content["Routing"]
    rules = RuleSet.from_content(content, version)
    return ActiveRules(rules)


def lead(n: int, **extra) -> dict:
    return {
        "email": f"buyer{n}@factory{n}.cn",
        "company": f"工厂{n}",
        "province": "江苏",
        "industry": "制造业",
        "employees": 1200,
        "budget": 900000,
        "title": "采购总监",
        **extra,
    }


def run_parallel(jobs) -> list:
    with ThreadPoolExecutor(THREADS) as pool:
        return [f.result() for f in [pool.submit(job) for job in jobs]]


def test_fifty_parallel_posts_of_one_person_make_one_lead(clean_aws, example_rules):
    store, source = DynamoUnitOfWork(), example_rules.rules.sources["hubspot"]
    payloads = [lead(1, campaign=f"c{i}", phone="13800138000" if i % 2 else None) for i in range(50)]
    results = run_parallel([lambda p=p: capture_lead(p, source, example_rules, store, utc_now) for p in payloads])
    assert len({r.lead.lead_id for r in results}) == 1
    assert Counter(r.status for r in results) == {"created": 1, "merged": 49}
    assert sum(1 for _ in LeadItem.scan()) == 1
    keys = {k.key: k.lead_id for k in LeadKeyItem.scan()}
    assert set(keys) == {"email#buyer1@factory1.cn", "phone#+8613800138000"}
    stored = store.leads.get(results[0].lead.lead_id)
    assert len(stored.touches) == 50  # every post is kept as a touch: nothing lost in the race


def test_sixty_leads_over_six_equal_owners_split_evenly(clean_aws, example_content):
    owners = [
        {"owner_id": f"u_pool{i}", "name": f"P{i}", "role": "ae", "weight": 1, "capacity": None, "active": True}
        for i in range(6)
    ]
    active = rules_with_team(example_content, owners, version="v-pool")
    store, source = DynamoUnitOfWork(), active.rules.sources["hubspot"]
    results = run_parallel([lambda n=n: capture_lead(lead(n), source, active, store, utc_now) for n in range(60)])
    split = Counter(r.lead.owner_id for r in results)
    assert set(split) == {f"u_pool{i}" for i in range(6)}
    assert all(9 <= count <= 11 for count in split.values()), split


def test_an_owner_with_capacity_three_never_holds_a_fourth(clean_aws, example_content):
    owners = [{"owner_id": "u_small", "name": "Small", "role": "ae", "weight": 1, "capacity": 3, "active": True}]
    active = rules_with_team(example_content, owners, version="v-cap")
    store, source = DynamoUnitOfWork(), active.rules.sources["hubspot"]
    results = run_parallel([lambda n=n: capture_lead(lead(100 + n), source, active, store, utc_now) for n in range(12)])
    assigned = [r for r in results if r.lead.owner_id == "u_small"]
    assert len(assigned) == 3
    assert sum(1 for r in results if r.lead.owner_id is None) == 9
    assert sum(1 for i in LeadItem.scan() if i.owner_id == "u_small") == 3
