"""backtest: candidate rules judged with the live decision (leads.decide), so the active rules
backtested against themselves change nothing — wake, no-demotion and consent included."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.errors import LeadNotFound
from shared.leads.messages.leads import Behavior
from shared.leads.services.behavior import record_behavior
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet
from shared.rules.services.backtest import BacktestReport, backtest, stored_outcome
from tests.unit.services.helpers import TickingClock, capture, command_of, stored

NOTHING = {"grade": 0, "tier": 0, "team": 0, "unassignable": 0}
# 15 (300 staff) + 20 (manufacturing) + 5 (phone) + 5 (CN) = 45: nurture under the example rules
WARM = {"employees": 300, "industry": "制造业", "phone": "13800138000", "country": "CN"}


def rules_from(content: Content, version: str = "candidate") -> ActiveRules:
    rules = RuleSet.from_content(content, version)
    return ActiveRules(rules)


def with_settings(content: Content, **values: Any) -> Content:
    edited = copy.deepcopy(content)
    rows = [r for r in edited["Settings"] if r["key"] not in values]
    edited["Settings"] = rows + [{"key": k, "value": v} for k, v in values.items()]
    return edited


def run(store: MemoryUnitOfWork, candidate: ActiveRules) -> BacktestReport:
    return backtest(list(store.stored_leads.values()), candidate)


def behave(active: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, lead_id: str, *events: str) -> None:
    for event in events:
        record_behavior(command_of(Behavior, {"event": event, "lead_id": lead_id}, active, clock), active, store, clock)


def test_a_lead_a_wake_event_requalified_is_no_change_under_the_active_rules(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    """The reported bug: the backtest judged the lead afresh (score 30: nurture) and said mql → nurture."""
    lead_id = capture({"email": "reader@example.com"}, example_rules, store, clock).lead.lead_id
    behave(example_rules, store, clock, lead_id, "demo_request")
    lead = stored(store, lead_id)
    assert (lead.score, lead.grade) == (30, "mql") and lead.owner_id is not None
    report = run(store, example_rules)
    assert report.changed == NOTHING, report.examples


def test_click_rate_and_assignment_are_replayed_too(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    clicker = capture({"email": "clicker@example.com"}, example_rules, store, clock).lead.lead_id
    behave(example_rules, store, clock, clicker, *["email_sent"] * 5, "email_click")  # 20% > 8%: woken at score 5
    sql = capture({"email": "sql@example.com", **WARM, "title": "总监", "budget": 800000}, example_rules, store, clock)
    behave(example_rules, store, clock, sql.lead.lead_id, "unsubscribe")  # 80 - 30 = 50; assigned: stays sql
    assert stored(store, clicker).grade == "mql" and stored(store, sql.lead.lead_id).grade == "sql"
    assert run(store, example_rules).changed == NOTHING


def test_a_woken_lead_nobody_could_take_stays_mql_in_its_queue(
    example_content: Content, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    content = copy.deepcopy(example_content)
    for owner in content["Owners"]:
        owner["capacity"] = 0 if owner["team"] == "SMB East" else owner["capacity"]
    full = rules_from(content, "v-full")
    lead_id = capture({"email": "queued@example.com", "country": "CN"}, full, store, clock).lead.lead_id
    behave(full, store, clock, lead_id, "whitepaper_download")
    lead = stored(store, lead_id)
    assert (lead.grade, lead.owner_id, lead.queue) == ("mql", None, "SMB East")
    assert run(store, full).changed == {**NOTHING, "unassignable": 1}  # still mql, still nobody to take it


def test_consent_withdrawn_keeps_a_lead_unrouted_until_it_posts_again(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead_id = capture({"email": "no@example.com", **WARM, "consent": False}, example_rules, store, clock).lead.lead_id
    behave(example_rules, store, clock, lead_id, "demo_request")  # 75: mql by score, but no wake, no owner
    lead = stored(store, lead_id)
    assert (lead.grade, lead.owner_id, lead.team) == ("mql", None, None)
    assert run(store, example_rules).changed == NOTHING


def test_a_later_post_that_fills_in_the_province_does_not_re_route(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    first = capture({"email": "mover@example.com", **WARM, "title": "总监"}, example_rules, store, clock)
    assert first.lead.team == "SMB East"  # CN without a province: the fallback row
    again = capture({"email": "mover@example.com", "province": "北京"}, example_rules, store, clock)
    assert again.lead.fields["region"] == "north" and again.lead.team == "SMB East"  # owner kept
    assert run(store, example_rules).changed == NOTHING
    assert stored(store, first.lead.lead_id).view().keys().isdisjoint({"routed_on"})  # not in GET /leads/{id}


def test_candidate_wake_settings_and_thresholds_are_what_changes(
    example_rules: ActiveRules, example_content: Content, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    webinar = capture({"email": "webinar@example.com"}, example_rules, store, clock).lead.lead_id
    behave(example_rules, store, clock, webinar, "webinar_attended")  # 15, not a wake event: nurture
    assigned = capture({"email": "mql@example.com", **WARM, "title": "总监"}, example_rules, store, clock)  # 60: mql
    assert stored(store, webinar).grade == "nurture" and assigned.lead.owner_id is not None

    wake_on_webinars = with_settings(example_content, wake_events=["webinar_attended"], nurture_below=65)
    report = run(store, rules_from(wake_on_webinars))
    # the webinar now wakes its lead; the assigned mql lead is not demoted by the higher nurture_below
    assert report.changed == {"grade": 1, "tier": 0, "team": 1, "unassignable": 0}
    [example] = report.examples["grade"]
    assert example["lead_id"] == webinar
    assert (example["before"]["grade"], example["after"]["grade"]) == ("nurture", "mql")


def test_scoring_on_channel_is_backtested_from_the_touches(
    example_rules: ActiveRules, example_content: Content, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead_id = capture({"email": "booth@example.com", **WARM}, example_rules, store, clock, source="wechat").lead.lead_id
    candidate = copy.deepcopy(example_content)
    candidate["Scoring"].append(
        {"rule_id": "chn_social", "field": "channel", "op": "eq", "value": "social", "points": 20, "max_times": None}
    )
    report = run(store, rules_from(candidate))
    assert report.changed["grade"] == 1 and report.examples["grade"][0]["lead_id"] == lead_id
    assert report.examples["grade"][0]["after"]["grade"] == "mql"  # 45 + 20


# -- the property: the active rules backtested against themselves change nothing ----------------------

PEOPLE = ("a@example.com", "b@example.com", "c@example.com")
SOURCES = ("website", "hubspot", "wechat", "expo-2026")
EVENTS = (
    "email_sent",
    "email_open",
    "email_click",
    "page_view",
    "whitepaper_download",
    "webinar_attended",
    "demo_request",
    "unsubscribe",
)
WAKE_CANDIDATES = ("whitepaper_download", "demo_request", "webinar_attended", "email_click", "page_view")

fields = st.fixed_dictionaries(
    {},
    optional={
        "employees": st.sampled_from([20, 300, 1500]),
        "industry": st.sampled_from(["制造业", "能源", "retail"]),
        "title": st.sampled_from(["总监", "engineer"]),
        "phone": st.just("+8613800138000"),
        "country": st.sampled_from(["CN", "US"]),
        "province": st.sampled_from(["上海", "北京"]),
        "budget": st.sampled_from([100000, 600000, 2000000]),
        "consent": st.booleans(),
    },
)
post = st.tuples(st.just("post"), st.sampled_from(PEOPLE), fields, st.sampled_from(SOURCES))
behaviour = st.tuples(st.just("behave"), st.sampled_from(PEOPLE), st.sampled_from(EVENTS), st.just(""))
histories = st.lists(st.one_of(post, behaviour, behaviour), min_size=1, max_size=25)
wake_settings = st.fixed_dictionaries(
    {
        "nurture_below": st.sampled_from([30, 60, 75]),
        "sql_threshold": st.sampled_from([80, 95]),
        "wake_click_rate": st.sampled_from([0.05, 0.08, 0.3]),
        "wake_events": st.lists(st.sampled_from(WAKE_CANDIDATES), unique=True, max_size=3),
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, tweaks=wake_settings, full=st.sampled_from([None, "SMB East", "SMB North", "International"]))
def test_backtesting_the_active_rules_against_themselves_changes_nothing(
    example_content: Content, history: list[tuple[str, str, Any, str]], tweaks: dict[str, Any], full: str | None
) -> None:
    """Captures, repeat posts and behaviour under rules R (varied wake Settings; sometimes one team
    is full, so woken leads wait in its queue): R backtested against itself changes nothing."""
    content = with_settings(example_content, **tweaks)
    for owner in content["Owners"]:
        if owner["team"] == full:
            owner["capacity"] = 0
    live = rules_from(content, "v-live")
    store, clock = MemoryUnitOfWork(), TickingClock()
    for kind, email, what, source in history:
        if kind == "post":
            capture({"email": email, **what}, live, store, clock, source=source)
        else:
            with contextlib.suppress(LeadNotFound):  # behaviour before the person posted anything
                record_behavior(command_of(Behavior, {"event": what, "email": email}, live, clock), live, store, clock)
    report = run(store, live)
    assert report.changed["grade"] == report.changed["tier"] == report.changed["team"] == 0, report.examples
    queued = [lead for lead in store.stored_leads.values() if stored_outcome(lead).unassignable]
    assert report.changed["unassignable"] == len(queued)  # nobody could take them now, nor under R
