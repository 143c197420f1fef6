"""capture_lead with the in-memory store: create, merge, route, nurture, events (contract 2.1)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.errors import SourceInactive, UnknownSource, ValidationFailed
from shared.rules.domain.active import ActiveRules
from tests.unit.domain.builders import active, owner, routing, ruleset, scoring, settings
from tests.unit.services.helpers import TickingClock, capture, event_data, events_of, stored

EMAIL_IS_ENOUGH = settings(quality_fields=("email",))  # so email-only leads need no enrichment

CREDIT_CODE = "91350100M000100Y43"

# 15 (200+ staff) + 20 (manufacturing) + 15 (总监) + 20 (budget 500k) + 5 (phone) + 5 (CN) = 80 → sql
SQL_LEAD = {
    "email": " Li.Lei@Acme-Mfg.CN ",
    "phone": "138 0013 8000",
    "name": "李雷",
    "company": "上海爱克米制造有限公司",
    "title": "采购总监",
    "country": "中国",
    "province": "上海市",
    "industry": "制造业",
    "employees": "500",
    "budget": "500,000",
    "consent": "yes",
}
SMB_EAST = {"u_wang", "u_zhang"}  # sdr/ae of SMB East who are active (u_zhou is not)


def test_new_lead_is_created_scored_tiered_and_routed(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    result = capture(SQL_LEAD, example_rules, store, clock)
    body = result.body()

    assert result.status == "created"
    assert set(body) == {"lead_id", "status", "score", "grade", "tier", "owner_id", "team", "rules_version", "quality"}
    assert body["status"] == "created"
    assert body["lead_id"].startswith("ld_")
    assert (body["score"], body["grade"], body["tier"]) == (80, "sql", "key")
    assert body["owner_id"] in SMB_EAST and body["team"] == "SMB East"
    assert body["rules_version"] == "v1-test"
    assert body["quality"] == {"score": 100, "missing": [], "flags": []}

    lead = stored(store, body["lead_id"])
    assert lead.fields["email"] == "li.lei@acme-mfg.cn"
    assert lead.fields["phone"] == "+8613800138000"
    assert (lead.fields["country"], lead.fields["region"], lead.fields["industry"]) == ("CN", "east", "manufacturing")
    assert lead.consent is True
    assert lead.owner_id == body["owner_id"] and lead.assigned_at is not None
    assert len(lead.touches) == 1 and lead.touches[0]["source"] == "website" and lead.touches[0]["channel"] == "web"

    assert events_of(store, lead.lead_id) == ["LeadCaptured", "LeadAssigned"]
    assigned = event_data(store, lead.lead_id, "LeadAssigned")[0]
    assert assigned["owner_id"] == lead.owner_id and assigned["team"] == "SMB East"
    assert all(e.rules_version == "v1-test" for e in store.events)


def test_decision_trace_explains_the_owner(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead = stored(store, capture(SQL_LEAD, example_rules, store, clock).lead.lead_id)
    decision = lead.decision
    assert decision["rules_version"] == "v1-test"
    assert decision["routing_rule"] == "routing:40"
    assert decision["tier_rule"] == "tiers:30"
    assert decision["chosen"] == lead.owner_id
    assert {c["owner_id"]: c["reason"] for c in decision["candidates"]} == {
        "u_wang": "ok",
        "u_zhang": "ok",
        "u_zhou": "inactive",
    }
    assert {line["rule_id"]: line["points"] for line in decision["scoring"]} == {
        "fit_size_200": 15,
        "fit_industry": 20,
        "fit_title": 15,
        "fit_budget": 20,
        "fit_phone": 5,
        "fit_country": 5,
    }


def test_same_email_twice_is_one_lead(example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    first_payload = {k: v for k, v in SQL_LEAD.items() if k != "company"}
    first = capture(first_payload, example_rules, store, clock)
    second = capture(
        {"email": "LI.LEI@acme-mfg.cn", "name": "Somebody Else", "company": "爱克米", "utm_campaign": "winter"},
        example_rules,
        store,
        clock,
        source="expo-2026",
    )

    assert second.status == "merged" and second.body()["status"] == "merged"
    assert second.lead.lead_id == first.lead.lead_id
    assert len(store.stored_leads) == 1
    lead = stored(store, first.lead.lead_id)
    assert len(lead.touches) == 2
    assert (lead.touches[1]["source"], lead.touches[1]["channel"], lead.touches[1]["campaign"]) == (
        "expo-2026",
        "event",
        "winter",
    )
    assert lead.touches[1]["at"] > lead.touches[0]["at"]
    assert lead.owner_id == first.lead.owner_id and lead.owner_id is not None  # owner kept
    assert lead.fields["name"] == "李雷"  # filled fields are never overwritten
    assert lead.fields["company"] == "爱克米"  # empty ones are filled
    assert second.body()["owner_id"] == first.lead.owner_id
    assert events_of(store, lead.lead_id) == ["LeadCaptured", "LeadAssigned", "LeadMerged"]
    assert event_data(store, lead.lead_id, "LeadMerged")[0]["filled"] == ["company"]
    assert sum(store.loads.values()) == 1  # merging takes no second slot


def test_phone_only_then_email_with_same_phone_is_merged(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    first = capture({"phone": "138 0013 8000", "name": "李雷"}, example_rules, store, clock)
    second = capture({"email": "li.lei@acme-mfg.cn", "phone": "+86 138-0013-8000"}, example_rules, store, clock)
    third = capture({"email": "Li.Lei@ACME-MFG.cn"}, example_rules, store, clock)  # the email now belongs to it

    assert first.status == "created"
    assert (second.status, third.status) == ("merged", "merged")
    assert first.lead.lead_id == second.lead.lead_id == third.lead.lead_id
    lead = stored(store, first.lead.lead_id)
    assert lead.fields["email"] == "li.lei@acme-mfg.cn" and lead.fields["phone"] == "+8613800138000"
    assert len(lead.touches) == 3
    assert len(store.stored_leads) == 1


def test_same_credit_code_is_the_same_lead(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    first = capture({"email": "a@acme.cn", "credit_code": CREDIT_CODE}, example_rules, store, clock)
    second = capture({"email": "b@acme.cn", "credit_code": CREDIT_CODE.lower()}, example_rules, store, clock)
    assert second.status == "merged" and second.lead.lead_id == first.lead.lead_id
    assert stored(store, first.lead.lead_id).fields["email"] == "a@acme.cn"


def test_different_people_are_different_leads(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    a = capture({"email": "a@acme.cn", "phone": "13800138000"}, example_rules, store, clock)
    b = capture({"email": "b@acme.cn", "phone": "13900139000"}, example_rules, store, clock)
    assert (a.status, b.status) == ("created", "created") and a.lead.lead_id != b.lead.lead_id


def test_nurture_lead_is_enrolled_not_routed(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    result = capture({"email": "someone@example.com", "consent": "on"}, example_rules, store, clock)
    body = result.body()
    assert (body["status"], body["grade"], body["score"]) == ("created", "nurture", 0)
    assert body["owner_id"] is None and body["team"] is None
    assert body["quality"]["score"] == 14
    assert set(body["quality"]["missing"]) == {"phone", "name", "company", "title", "industry", "country"}
    types = events_of(store, result.lead.lead_id)
    assert types == ["LeadCaptured", "LeadNurtureEnrolled", "LeadNeedsEnrichment"]
    assert "LeadAssigned" not in types and "LeadUnassigned" not in types
    assert store.loads == {}


def test_mql_lead_is_routed(example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    # 15 + 20 + 15 + 5 + 5 = 60: exactly nurture_below → mql
    payload = {
        "email": "mql@example.com",
        "phone": "13700137000",
        "employees": 300,
        "industry": "Manufacturing",
        "title": "销售总监",
        "country": "CN",
        "province": "北京",
    }
    body = capture(payload, example_rules, store, clock).body()
    assert (body["score"], body["grade"], body["team"]) == (60, "mql", "SMB North")
    assert body["owner_id"] in {"u_li", "u_zhao"}


def test_unmapped_industry_is_flagged_and_counts_as_missing(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    payload = {**SQL_LEAD, "industry": "航空航天"}
    body = capture(payload, example_rules, store, clock).body()
    assert body["quality"]["flags"] == ["industry_unmapped"]
    assert "industry" in body["quality"]["missing"]
    assert stored(store, body["lead_id"]).fields["industry"] == "other"


def test_vip_goes_to_enterprise_and_expo_to_named_owner(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    vip = capture({**SQL_LEAD, "employees": "5,000"}, example_rules, store, clock).body()
    assert (vip["tier"], vip["team"], vip["owner_id"]) == ("vip", "Enterprise", "u_wu")
    expo = capture(
        {**SQL_LEAD, "email": "x@expo.cn", "phone": "13600136000", "province": "北京"},
        example_rules,
        store,
        clock,
        source="expo-2026",
    ).body()
    assert (expo["team"], expo["owner_id"]) == ("SMB East", "u_wang")


def test_nurture_lead_reposted_with_more_detail_is_requalified(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    first = capture({"email": "li.lei@acme-mfg.cn"}, example_rules, store, clock)
    second = capture(SQL_LEAD, example_rules, store, clock)
    assert second.status == "merged" and second.lead.lead_id == first.lead.lead_id
    body = second.body()
    assert body["grade"] == "sql" and body["owner_id"] in SMB_EAST
    types = events_of(store, first.lead.lead_id)
    assert types[:3] == ["LeadCaptured", "LeadNurtureEnrolled", "LeadNeedsEnrichment"]
    assert {"LeadMerged", "LeadRequalified", "LeadAssigned"} <= set(types[3:])


def test_invalid_post_names_fields_and_stores_nothing(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        capture({"email": "nope", "employees": "-1"}, example_rules, store, clock)
    assert set(caught.value.fields) == {"email", "employees"}
    assert store.stored_leads == {} and store.events == []


def test_unknown_and_inactive_sources(example_rules: ActiveRules) -> None:
    with pytest.raises(UnknownSource):
        example_rules.rules.source_named("nope")
    with pytest.raises(SourceInactive):
        example_rules.rules.source_named("legacy-form")
    assert example_rules.rules.source_named("wechat").channel == "social"


# --- fairness and capacity with a hand-made team ------------------------------------------------------


def team_rules(*owners: dict[str, Any]) -> Any:
    return active(
        ruleset(
            owners=list(owners),
            routing_rows=[routing(10, "Sales")],
            settings_rows=EMAIL_IS_ENOUGH,
            scoring_rows=[scoring("known", "email", "exists", None, 90)],
        )
    )


def test_sixty_leads_split_evenly_over_six_equal_owners(store: MemoryUnitOfWork, clock: TickingClock) -> None:
    rules = team_rules(*(owner(f"u_{i}") for i in range(6)))
    owners = [capture({"email": f"lead{i}@example.com"}, rules, store, clock).body()["owner_id"] for i in range(60)]
    assert Counter(owners) == {f"u_{i}": 10 for i in range(6)}
    assert Counter(e.type for e in store.events) == {"LeadCaptured": 60, "LeadAssigned": 60}
    assert store.loads == {f"u_{i}": 10 for i in range(6)}


def test_capacity_is_never_exceeded_and_the_next_person_takes_over(
    store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    rules = team_rules(owner("u_a", capacity=3), owner("u_b"))
    owners = [capture({"email": f"lead{i}@example.com"}, rules, store, clock).body()["owner_id"] for i in range(10)]
    assert Counter(owners) == {"u_a": 3, "u_b": 7}
    assert "LeadUnassigned" not in [e.type for e in store.events]


def test_fourth_lead_for_a_full_owner_is_unassigned(store: MemoryUnitOfWork, clock: TickingClock) -> None:
    rules = team_rules(owner("u_a", capacity=3))
    bodies = [capture({"email": f"lead{i}@example.com"}, rules, store, clock).body() for i in range(4)]
    assert [b["owner_id"] for b in bodies] == ["u_a", "u_a", "u_a", None]
    assert bodies[3]["grade"] == "sql"
    fourth = bodies[3]["lead_id"]
    assert events_of(store, fourth) == ["LeadCaptured", "LeadUnassigned"]
    assert event_data(store, fourth, "LeadUnassigned")[0]["team"] == "Sales"
    assert stored(store, fourth).owner_id is None
    assert store.loads == {"u_a": 3}
    assert stored(store, fourth).decision["candidates"] == [
        {"owner_id": "u_a", "available": False, "reason": "at_capacity"}
    ]


def test_inactive_owner_gets_nothing(store: MemoryUnitOfWork, clock: TickingClock) -> None:
    rules = team_rules(owner("u_a"), owner("u_b", active=False))
    owners = {capture({"email": f"lead{i}@example.com"}, rules, store, clock).body()["owner_id"] for i in range(6)}
    assert owners == {"u_a"}


def test_no_matching_routing_row_is_unassigned(store: MemoryUnitOfWork, clock: TickingClock) -> None:
    rules = active(
        ruleset(
            owners=[owner("u_a")],
            routing_rows=[routing(10, "Sales", region=["east"])],
            settings_rows=EMAIL_IS_ENOUGH,
            scoring_rows=[scoring("known", "email", "exists", None, 90)],
        )
    )
    body = capture({"email": "far@away.com", "country": "US"}, rules, store, clock).body()
    assert body["grade"] == "sql" and body["owner_id"] is None and body["team"] is None
    assert events_of(store, body["lead_id"]) == ["LeadCaptured", "LeadUnassigned"]


# --- concurrent posts (real threads over the in-memory store) -----------------------------------------


def run_in_threads(jobs: list[Any], workers: int = 8) -> list[Any]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


def test_concurrent_posts_for_one_person_make_one_lead(example_rules: ActiveRules, store: MemoryUnitOfWork) -> None:
    clock = TickingClock()
    payloads = [{**SQL_LEAD, "utm_campaign": f"c{i}"} for i in range(16)]
    results = run_in_threads([lambda p=p: capture(p, example_rules, store, clock) for p in payloads])
    assert len(store.stored_leads) == 1
    assert Counter(r.status for r in results) == {"created": 1, "merged": 15}
    assert len({r.lead.lead_id for r in results}) == 1
    lead = next(iter(store.stored_leads.values()))
    assert len(lead.touches) == 16
    assert Counter(e.type for e in store.events) == {"LeadCaptured": 1, "LeadAssigned": 1, "LeadMerged": 15}


def test_round_robin_stays_fair_under_concurrency(store: MemoryUnitOfWork) -> None:
    rules = team_rules(*(owner(f"u_{i}") for i in range(6)))
    clock = TickingClock()
    results = run_in_threads(
        [lambda i=i: capture({"email": f"lead{i}@example.com"}, rules, store, clock) for i in range(60)]
    )
    assert Counter(r.lead.owner_id for r in results) == {f"u_{i}": 10 for i in range(6)}


def test_capacity_holds_under_concurrency(store: MemoryUnitOfWork) -> None:
    rules = team_rules(owner("u_a", capacity=3), owner("u_b", capacity=3))
    clock = TickingClock()
    results = run_in_threads(
        [lambda i=i: capture({"email": f"lead{i}@example.com"}, rules, store, clock) for i in range(10)]
    )
    assert Counter(r.lead.owner_id for r in results) == {"u_a": 3, "u_b": 3, None: 4}
    assert Counter(e.type for e in store.events)["LeadUnassigned"] == 4


def test_a_lead_keeps_recent_history_and_totals_so_its_item_stays_bounded(example_rules):
    from shared.adapters.memory import MemoryUnitOfWork
    from shared.leads.domain.leads import RECENT_TOUCHES
    from shared.leads.services.capture import capture_lead
    from tests.conftest import NOW

    store, source = MemoryUnitOfWork(), example_rules.rules.sources["hubspot"]
    for n in range(RECENT_TOUCHES + 10):
        result = capture_lead(
            {"email": "busy@example.cn", "message": f"visit {n}"}, source, example_rules, store, lambda: NOW
        )
    lead = store.get(result.lead.lead_id)
    assert lead.touch_count == RECENT_TOUCHES + 10 and len(lead.touches) == RECENT_TOUCHES
    assert lead.touches[-1]["message"] == f"visit {RECENT_TOUCHES + 9}"  # a repeat post's message is kept
    merged = [e for e in store.events if e.type == "LeadMerged"]
    assert len(merged) == RECENT_TOUCHES + 9 and merged[0].data["touch"]["message"] == "visit 1"
