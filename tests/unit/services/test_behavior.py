"""record_behavior: re-scoring, waking nurture leads, unsubscribe (contract 2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.errors import LeadNotFound, ValidationFailed
from shared.leads.messages.leads import Behavior
from shared.leads.services.behavior import record_behavior
from shared.rules.domain.active import ActiveRules
from tests.unit.services.helpers import TickingClock, capture, command_of, event_data, events_of, stored

# 15 (300 staff) + 20 (manufacturing) + 5 (phone) + 5 (CN) = 45: nurture, 15 points short of mql
WARM = {"employees": 300, "industry": "制造业", "phone": "13800138000", "country": "CN", "consent": True}


def new_lead(payload: dict[str, Any], rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> str:
    return capture(payload, rules, store, clock).lead.lead_id


def behave(
    rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, event: str, times: int = 1, **who: str
) -> Any:
    lead = None
    for _ in range(times):
        lead = record_behavior(command_of(Behavior, {"event": event, **who}, rules, clock), rules, store, clock)
    return lead


def assert_woken(store: MemoryUnitOfWork, lead_id: str, cause: str) -> None:
    lead = stored(store, lead_id)
    assert lead.grade in ("mql", "sql")
    assert lead.owner_id is not None and lead.team is not None and lead.assigned_at is not None
    types = events_of(store, lead_id)
    assert types.count("LeadRequalified") == 1
    assert types.index("LeadRequalified") < types.index("LeadAssigned")
    requalified = event_data(store, lead_id, "LeadRequalified")[0]
    assert (requalified["from"], requalified["event"]) == ("nurture", cause)


def assert_still_nurture(store: MemoryUnitOfWork, lead_id: str) -> None:
    lead = stored(store, lead_id)
    assert lead.grade == "nurture" and lead.owner_id is None
    assert "LeadRequalified" not in events_of(store, lead_id)
    assert "LeadAssigned" not in events_of(store, lead_id)


def test_score_crossing_nurture_below_wakes(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead_id = new_lead({"email": "warm@example.com", **WARM}, example_rules, store, clock)
    assert stored(store, lead_id).score == 45
    behave(example_rules, store, clock, "page_view", lead_id=lead_id)  # 46: not yet
    assert_still_nurture(store, lead_id)
    lead = behave(example_rules, store, clock, "webinar_attended", lead_id=lead_id)  # 61 ≥ 60, not a wake event
    assert lead.score == 61 and lead.grade == "mql"
    assert_woken(store, lead_id, "webinar_attended")
    assert stored(store, lead_id).team == "SMB East"  # CN without a province: the fallback row


def test_click_rate_above_setting_wakes_after_five_sent(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead_id = new_lead({"email": "clicker@example.com"}, example_rules, store, clock)  # score 0
    behave(example_rules, store, clock, "email_sent", 5, email="clicker@example.com")
    assert_still_nurture(store, lead_id)
    lead = behave(example_rules, store, clock, "email_click", email="Clicker@Example.com")  # 1/5 = 20% > 8%
    assert lead.score == 5  # far below nurture_below: the click rate did it
    assert lead.grade == "mql"
    assert_woken(store, lead_id, "email_click")


def test_clicks_with_fewer_than_five_sent_do_not_wake(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead_id = new_lead({"email": "few@example.com"}, example_rules, store, clock)
    behave(example_rules, store, clock, "email_sent", 4, lead_id=lead_id)
    behave(example_rules, store, clock, "email_click", 2, lead_id=lead_id)  # 2/4 but only 4 sent
    assert_still_nurture(store, lead_id)


def test_click_rate_exactly_at_setting_does_not_wake(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead_id = new_lead({"email": "edge@example.com"}, example_rules, store, clock)
    behave(example_rules, store, clock, "email_sent", 25, lead_id=lead_id)
    behave(example_rules, store, clock, "email_click", 2, lead_id=lead_id)  # 2/25 = 8%: not above
    assert_still_nurture(store, lead_id)
    behave(example_rules, store, clock, "email_click", lead_id=lead_id)  # 3/25 = 12%, score only 15
    assert stored(store, lead_id).score == 15
    assert_woken(store, lead_id, "email_click")


@pytest.mark.parametrize("event", ["whitepaper_download", "demo_request"])
def test_wake_event_wakes_whatever_the_score(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, event: str
) -> None:
    lead_id = new_lead({"email": "reader@example.com"}, example_rules, store, clock)
    lead = behave(example_rules, store, clock, event, email="reader@example.com")
    assert lead.grade == "mql"  # at least mql, though 10 or 30 points is below nurture_below
    assert_woken(store, lead_id, event)


def test_other_events_leave_a_cold_lead_in_nurture(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead_id = new_lead({"email": "cold@example.com"}, example_rules, store, clock)
    for event in ("email_sent", "email_open", "page_view", "webinar_attended"):
        behave(example_rules, store, clock, event, lead_id=lead_id)
    lead = stored(store, lead_id)
    assert lead.score == 2 + 1 + 15
    assert lead.behavior == {"email_sent": 1, "email_open": 1, "page_view": 1, "webinar_attended": 1}
    assert_still_nurture(store, lead_id)


def test_unsubscribe_withdraws_consent_and_stays_nurture(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead_id = new_lead({"email": "bye@example.com", **WARM}, example_rules, store, clock)
    assert stored(store, lead_id).consent is True
    lead = behave(example_rules, store, clock, "unsubscribe", email="bye@example.com")
    assert lead.consent is False
    assert lead.grade == "nurture" and lead.owner_id is None
    assert lead.score == 15  # 45 - 30
    types = events_of(store, lead_id)
    assert "ConsentWithdrawn" in types and "LeadRequalified" not in types
    assert stored(store, lead_id).consent is False


def test_unsubscribe_of_an_assigned_lead_keeps_owner_and_grade(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    payload = {
        "email": "sql@example.com",
        "phone": "13800138000",
        "employees": 500,
        "industry": "能源",
        "title": "总监",
        "budget": 800000,
        "country": "CN",
    }
    result = capture(payload, example_rules, store, clock)
    assert result.lead.grade == "sql"
    lead = behave(example_rules, store, clock, "unsubscribe", lead_id=result.lead.lead_id)
    assert lead.consent is False and lead.score == 50
    assert lead.owner_id == result.lead.owner_id  # an assigned lead is not pulled back
    assert lead.grade == "sql"
    assert events_of(store, lead.lead_id).count("LeadAssigned") == 1


def test_behaviour_on_an_assigned_lead_rescores_and_says_when_it_reaches_sql(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    payload = {
        "email": "mql@example.com",
        "phone": "13700137000",
        "employees": 300,
        "industry": "Manufacturing",
        "title": "销售总监",
        "country": "CN",
    }  # 60: mql
    result = capture(payload, example_rules, store, clock)
    lead = behave(example_rules, store, clock, "demo_request", lead_id=result.lead.lead_id)
    assert lead.score == 90 and lead.grade == "sql"
    assert lead.owner_id == result.lead.owner_id
    # mql to sql is said (the funnel counts it), and the lead keeps its owner
    assert event_data(store, lead.lead_id, "LeadRequalified") == [
        {"from": "mql", "to": "sql", "event": "demo_request", "score": 90}
    ]
    assert events_of(store, lead.lead_id).count("LeadAssigned") == 1
    behave(example_rules, store, clock, "page_view", lead_id=lead.lead_id)  # sql stays sql: nothing more to say
    assert events_of(store, lead.lead_id).count("LeadRequalified") == 1
    assert lead.summary("v1-test")["score"] == 90


def test_unknown_lead_is_not_found(example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    with pytest.raises(LeadNotFound):
        behave(example_rules, store, clock, "email_open", email="ghost@example.com")
    with pytest.raises(LeadNotFound):
        behave(example_rules, store, clock, "email_open", lead_id="ld_missing")


@pytest.mark.parametrize(
    ("payload", "bad"),
    [
        ({"event": "purchase", "email": "a@example.com"}, {"event"}),
        ({"event": "email_open"}, {"email"}),
        ({"event": "email_open", "email": "not-an-email"}, {"email"}),
        ({"event": "email_open", "email": "a@example.com", "at": "yesterday"}, {"at"}),
        ({"email": "bad"}, {"event", "email"}),
    ],
)
def test_bad_behaviour_names_fields(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, payload: dict[str, Any], bad: set[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        record_behavior(command_of(Behavior, payload, example_rules, clock), example_rules, store, clock)
    assert set(caught.value.fields) == bad
