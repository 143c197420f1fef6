"""Capacity that means open work (CONTRACT §9): an owner's load counts their open leads across
teams; disqualifying a lead and reassigning it release it; an untouched lead is reassigned
within its routing pool when its SLA row says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.kernel.domain.errors import InvalidTransition, LeadNotFound, ValidationFailed
from shared.leads.domain.leads import Lead
from shared.leads.messages.leads import Disqualification, LeadActivity
from shared.leads.services.activities import record_activity
from shared.leads.services.lead_closing import disqualify
from shared.rules.domain.active import ActiveRules
from shared.time.services.timers import sweep_timers
from tests.unit.domain.builders import active, owner, routing, ruleset, scoring, settings
from tests.unit.services.helpers import (
    SQL_LEAD,
    FixedRules,
    TickingClock,
    capture,
    command_of,
    event_data,
    events_of,
    stored,
)

FRIDAY_1730 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
REASSIGN_AT = datetime.fromisoformat("2026-12-01T11:30:00+08:00")  # 48 business hours later (cn-office)
SMB_EAST_POOL = {"u_wang", "u_zhang"}  # sdr and ae of SMB East, both active


def assigned_on_friday(rules: ActiveRules, store: MemoryUnitOfWork, **fields: str) -> str:
    lead = capture({**SQL_LEAD, **fields}, rules, store, TickingClock(FRIDAY_1730 - timedelta(seconds=1))).lead
    assert lead.owner_id in SMB_EAST_POOL
    return lead.lead_id


# ------------------------------------------------------------------ disqualification


def disqualified(
    lead_id: str, rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock | None = None, **request: str
) -> Lead:
    """``POST /leads/{lead_id}/disqualify`` with ``request`` as its body."""
    clock = clock or TickingClock()
    return disqualify(lead_id, command_of(Disqualification, request, rules, clock), rules, store, clock)


def test_disqualifying_releases_the_load_and_stops_the_clock(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    owner_id = stored(store, lead_id).owner_id
    assert owner_id is not None and store.loads[owner_id] == 1

    lead = disqualified(lead_id, example_rules, store, reason="student project", by="u_liu")

    assert (lead.status, lead.close_reason) == ("disqualified", "student project")
    assert store.loads[owner_id] == 0
    [data] = event_data(store, lead_id, "LeadDisqualified")
    assert data == {"reason": "student project", "by": "u_liu", "owner_id": owner_id, "team": "SMB East"}
    # the clock ends without a verdict, and nothing of it fires any more
    [ended] = stored(store, lead_id).sla["history"]
    assert (ended["state"], ended["stop_reason"]) == ("stopped", "disqualified")
    assert store.timers.pending(f"lead/{lead_id}") == []
    sweep_timers(REASSIGN_AT + timedelta(days=7), store, handlers(FixedRules(example_rules)))
    assert not {"SlaWarning", "SlaBreached", "LeadReassigned"} & set(events_of(store, lead_id))


def test_a_closed_lead_is_not_disqualified_twice_nor_routed_again(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    owner_id = stored(store, lead_id).owner_id
    disqualified(lead_id, example_rules, store, reason="no budget", by="u_liu")
    with pytest.raises(InvalidTransition, match="already disqualified"):
        disqualified(lead_id, example_rules, store, reason="again", by="u_liu")
    # the same person posts again: the touch is kept, nobody is assigned, no load taken (the lead
    # remembers who had it)
    capture(SQL_LEAD, example_rules, store, TickingClock(FRIDAY_1730 + timedelta(days=1)))
    lead = stored(store, lead_id)
    assert (lead.status, lead.owner_id, len(lead.touches)) == ("disqualified", owner_id, 2)
    assert events_of(store, lead_id).count("LeadAssigned") == 1
    assert sum(store.loads.values()) == 0


def test_disqualify_names_every_bad_field_and_unknown_leads(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    with pytest.raises(ValidationFailed) as bad:
        disqualified("ld_00000000000000000000", example_rules, store, reason=" ", by="u_nobody")
    assert set(bad.value.fields) == {"reason", "by"}
    assert "not an owner_id" in bad.value.fields["by"]
    with pytest.raises(LeadNotFound):
        disqualified("ld_00000000000000000000", example_rules, store, reason="x", by="u_liu")


def test_a_disqualified_lead_frees_a_slot_for_the_next(store: MemoryUnitOfWork, clock: TickingClock) -> None:
    rules = active(
        ruleset(
            owners=[owner("u_a", capacity=1), owner("u_b", capacity=0)],
            routing_rows=[routing(10, "Sales")],
            settings_rows=settings(quality_fields=("email",)),
            scoring_rows=[scoring("known", "email", "exists", None, 90)],
        )
    )
    first = capture({"email": "one@example.com"}, rules, store, clock).lead
    waiting = capture({"email": "two@example.com"}, rules, store, clock).lead
    assert (waiting.owner_id, waiting.queue) == (None, "Sales")  # u_a is full
    disqualified(first.lead_id, rules, store, clock, reason="duplicate", by="u_a")
    disqualified(waiting.lead_id, rules, store, clock, reason="spam", by="u_a")
    # a closed lead posted again is not routed, though u_a is free now; a new one is
    again = capture({"email": "two@example.com"}, rules, store, clock)
    assert (again.lead.lead_id, again.lead.owner_id, again.lead.queue) == (waiting.lead_id, None, None)
    assert capture({"email": "three@example.com"}, rules, store, clock).lead.owner_id == "u_a"


# ------------------------------------------------------------------ across teams


def test_load_counts_across_teams(store: MemoryUnitOfWork, clock: TickingClock) -> None:
    """u_a fills up in Sales; moved to Key Accounts by a later rules version, they are still full."""

    def rules_with(team: str) -> ActiveRules:
        return active(
            ruleset(
                owners=[owner("u_a", team, capacity=2), owner("u_b", "Key Accounts")],
                routing_rows=[routing(10, team)],
                settings_rows=settings(quality_fields=("email",)),
                scoring_rows=[scoring("known", "email", "exists", None, 90)],
            )
        )

    sales = rules_with("Sales")
    assert [capture({"email": f"s{i}@example.com"}, sales, store, clock).lead.owner_id for i in range(2)] == [
        "u_a",
        "u_a",
    ]
    key = rules_with("Key Accounts")
    owners = [capture({"email": f"k{i}@example.com"}, key, store, clock).lead.owner_id for i in range(4)]
    assert owners == ["u_b"] * 4
    lead = stored(store, capture({"email": "k9@example.com"}, key, store, clock).lead.lead_id)
    assert {"owner_id": "u_a", "available": False, "reason": "at_capacity"} in lead.decision["candidates"]


# ------------------------------------------------------------------ reassignment


def test_an_untouched_lead_goes_to_someone_else_in_the_pool(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    first_owner = stored(store, lead_id).owner_id
    assert first_owner is not None
    fire = handlers(FixedRules(example_rules))

    sweep_timers(REASSIGN_AT - timedelta(minutes=1), store, fire)
    assert "LeadReassigned" not in events_of(store, lead_id)
    sweep_timers(REASSIGN_AT, store, fire)

    lead = stored(store, lead_id)
    [moved] = event_data(store, lead_id, "LeadReassigned")
    assert moved["from_owner_id"] == first_owner and moved["owner_id"] == lead.owner_id
    assert lead.owner_id == (SMB_EAST_POOL - {first_owner}).pop()
    assert store.loads == {first_owner: 0, lead.owner_id: 1}
    # a new clock for the new owner, from now; the old one is history, its timers gone
    clock = lead.sla["first_touch"]
    assert (clock["owner_id"], clock["started_at"], clock["state"]) == (lead.owner_id, lead.assigned_at, "running")
    assert [c["stop_reason"] for c in lead.sla["history"]] == ["reassigned"]
    pending = store.timers.pending(f"lead/{lead_id}")
    assert {t.data["owner_id"] for t in pending} == {lead.owner_id}
    assert sorted(t.kind for t in pending) == ["sla_breach", "sla_reassign", "sla_warn"]


def test_a_lead_touched_in_time_is_not_reassigned(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    owner_id = stored(store, lead_id).owner_id
    late = TickingClock(datetime.fromisoformat("2026-11-24T10:00:00+08:00"))
    record_activity(
        lead_id,
        command_of(LeadActivity, {"type": "call", "by": owner_id}, example_rules, late),
        example_rules,
        store,
        late,
    )  # breached, touched
    sweep_timers(REASSIGN_AT + timedelta(days=1), store, handlers(FixedRules(example_rules)))
    assert stored(store, lead_id).owner_id == owner_id
    assert "LeadReassigned" not in events_of(store, lead_id)


def test_nobody_free_puts_the_lead_in_the_team_queue(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    first_owner = stored(store, lead_id).owner_id
    assert first_owner is not None
    other = (SMB_EAST_POOL - {first_owner}).pop()
    store.loads[other] = 100  # the only other person in the pool is full

    sweep_timers(REASSIGN_AT, store, handlers(FixedRules(example_rules)))

    lead = stored(store, lead_id)
    assert (lead.owner_id, lead.team, lead.queue) == (None, None, "SMB East")
    [data] = event_data(store, lead_id, "LeadUnassigned")
    assert data == {"team": "SMB East", "reason": "reassign_no_capacity", "from_owner_id": first_owner}
    assert store.loads[first_owner] == 0
    assert store.timers.pending(f"lead/{lead_id}") == []


def test_one_late_sweep_does_what_timely_ones_would_have_in_order(example_rules: ActiveRules) -> None:
    """Nothing ran for eleven days: the escalation the breach sets is already due and fires in
    the same run, before the reassignment that is due after it."""
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    result = sweep_timers(REASSIGN_AT, store, handlers(FixedRules(example_rules)))
    sla = [e for e in events_of(store, lead_id) if e.startswith("Sla") or e == "LeadReassigned"]
    assert sla == ["SlaWarning", "SlaBreached", "SlaEscalated", "LeadReassigned"]
    assert len(result.fired) == 4 and result.late_seconds[result.fired[-1]] == 0
