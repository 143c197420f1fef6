"""Opportunities over the in-memory unit of work: conversion from a lead (load released, clock
closed), from scratch, Settings create_opportunity_on, stage gates, lost, won, stalled timers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.kernel.domain import errors
from shared.kernel.domain.events import parse_iso
from shared.kernel.messages.validation import read
from shared.kernel.services.ports import Change
from shared.leads.messages.leads import Behavior, Disqualification, LeadActivity
from shared.leads.services.activities import record_activity
from shared.leads.services.behavior import record_behavior
from shared.leads.services.lead_closing import disqualify
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import ApprovalDecision, OpportunityActivity, OpportunityNew, StageMove
from shared.sales.services.approvals import decide
from shared.sales.services.opportunities import create_opportunity, open_in_change
from shared.sales.services.stage_moves import get_opportunity, move_stage, record_opportunity_activity, win_on_signature
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import (
    SQL_LEAD,
    FixedRules,
    TickingClock,
    capture,
    command_of,
    events_of,
    now_of,
    stored,
)
from tests.unit.services.sales_helpers import (
    ACCOUNT,
    BIG,
    SMALL,
    open_opportunity,
    quote,
    rules_with,
    stored_opportunity,
    types_of,
)


def test_a_lead_converts_its_owners_load_is_released_and_its_clock_closed(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    lead = capture(SQL_LEAD, example_rules, store, clock).lead
    owner = lead.owner_id
    assert owner is not None and store.loads[owner] == 1
    assert len(store.timers.pending(lead.subject)) == 3
    body = {"lead_id": lead.lead_id, "name": "Acme IoT", "owner_id": "u_wang", "amount": "800,000"}
    created = create_opportunity(
        read(OpportunityNew, body, now=now_of(clock), active=example_rules), example_rules, store, clock
    )
    assert created["stage"] == "qualification" and created["status"] == "open" and created["amount"] == "800000.00"
    assert created["lead_id"] == lead.lead_id and created["account"] == {"country": "CN"}
    converted = stored(store, lead.lead_id)
    assert converted.status == "converted" and converted.opportunity_id == created["opportunity_id"]
    assert store.loads[owner] == 0  # conversion releases the lead's load
    assert store.timers.pending(lead.subject) == []  # the SLA clock's timers are cancelled
    assert converted.sla["history"][-1]["stop_reason"] == "converted" and "first_touch" not in converted.sla
    assert events_of(store, lead.lead_id)[-1] == "LeadConverted"
    opportunity = stored_opportunity(store, created["opportunity_id"])
    assert opportunity.fields["budget"] == "500000.00" and opportunity.contact["email"] == "buyer@acme.cn"
    with pytest.raises(errors.InvalidTransition):  # a converted lead converts once
        create_opportunity(
            read(OpportunityNew, body, now=now_of(clock), active=example_rules), example_rules, store, clock
        )
    with pytest.raises(errors.InvalidTransition):  # nor is it disqualified afterwards
        disqualify(
            lead.lead_id,
            command_of(Disqualification, {"reason": "late", "by": "u_liu"}, example_rules, clock),
            example_rules,
            store,
            clock,
        )


def test_from_scratch_needs_a_company_and_stores_nothing_on_a_bad_body(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    with pytest.raises(errors.ValidationFailed) as bad:
        create_opportunity(
            read(
                OpportunityNew,
                {"name": "x", "owner_id": "u_nobody", "fields": {"colour": "red"}},
                now=now_of(clock),
                active=example_rules,
            ),
            example_rules,
            store,
            clock,
        )
    assert set(bad.value.fields) == {"owner_id", "account", "fields.colour"}
    assert store.aggregates == {} and store.events == []
    opportunity_id = open_opportunity(example_rules, store, clock)
    assert types_of(store, f"opportunity/{opportunity_id}") == ["OpportunityCreated"]
    assert stored_opportunity(store, opportunity_id).account == ACCOUNT


@pytest.mark.parametrize("mode", ["sql", "manual"])
def test_create_opportunity_on_sql_converts_the_lead_as_it_is_captured(
    example_content: dict, store: MemoryUnitOfWork, clock: TickingClock, mode: str
) -> None:
    active = rules_with(example_content, create_opportunity_on=mode)
    lead = capture(SQL_LEAD, active, store, clock).lead
    kept = stored(store, lead.lead_id)
    if mode == "manual":
        assert kept.status == "open" and kept.opportunity_id is None
        return
    assert kept.status == "converted" and kept.opportunity_id is not None
    assert store.loads.get(lead.owner_id or "", 0) == 0  # taken and released in one change: never taken
    assert store.timers.pending(lead.subject) == []  # nor was a clock set
    opportunity = stored_opportunity(store, kept.opportunity_id)
    assert opportunity.owner_id == lead.owner_id and opportunity.lead_id == lead.lead_id
    assert events_of(store, lead.lead_id)[-1] == "LeadConverted"


def test_create_opportunity_on_first_touch_converts_when_the_owner_first_touches(
    example_content: dict, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    active = rules_with(example_content, create_opportunity_on="first_touch")
    lead = capture(SQL_LEAD, active, store, clock).lead
    assert lead.owner_id is not None and stored(store, lead.lead_id).status == "open"
    record_activity(
        lead.lead_id,
        command_of(LeadActivity, {"type": "note", "by": lead.owner_id}, active, clock),
        active,
        store,
        clock,
    )  # not a touch
    assert stored(store, lead.lead_id).status == "open"
    touched = record_activity(
        lead.lead_id,
        command_of(LeadActivity, {"type": "call", "by": lead.owner_id}, active, clock),
        active,
        store,
        clock,
    )
    converted = stored(store, lead.lead_id)
    assert converted.status == "converted" and touched["opportunity_id"] == converted.opportunity_id
    assert store.loads[lead.owner_id] == 0 and store.timers.pending(lead.subject) == []
    assert events_of(store, lead.lead_id)[-3:] == ["LeadFirstTouched", "SlaMet", "LeadConverted"]
    # the lead's call counts for the qualification gate's activity:call
    opportunity = stored_opportunity(store, str(converted.opportunity_id))
    assert "call" in opportunity.lead_activity_types


def test_the_stage_gate_names_each_unmet_criterion_and_stores_nothing(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    opportunity_id = open_opportunity(example_rules, store, clock)
    before = stored_opportunity(store, opportunity_id)
    move = {"stage": "discovery", "by": "u_wang", "fields": {"budget": "800,000"}}
    with pytest.raises(errors.StageGateFailed) as refused:
        move_stage(
            opportunity_id, read(StageMove, move, now=now_of(clock), active=example_rules), example_rules, store, clock
        )
    assert set(refused.value.fields) == {"decision_maker", "activity:call"}  # budget came with the move
    assert refused.value.fields["activity:call"].startswith("qualification: no call recorded")
    assert stored_opportunity(store, opportunity_id) == before  # not even the fields were kept
    # skipping stages needs every skipped stage's criteria too
    with pytest.raises(errors.StageGateFailed) as skipped:
        move_stage(
            opportunity_id,
            read(StageMove, {"stage": "proposal", "by": "u_wang"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    assert set(skipped.value.fields) == {
        "budget",
        "decision_maker",
        "activity:call",
        "pain",
        "timeline",
        "activity:meeting",
    }
    record_opportunity_activity(
        opportunity_id,
        command_of(OpportunityActivity, {"type": "call", "by": "u_wang"}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    moved = move_stage(
        opportunity_id,
        read(
            StageMove,
            {**move, "fields": {"budget": 800000, "decision_maker": "王总 CTO"}},
            now=now_of(clock),
            active=example_rules,
        ),
        example_rules,
        store,
        clock,
    )
    assert moved["stage"] == "discovery" and moved["probability"] == "0.3"
    assert [h["stage"] for h in moved["stage_history"]] == ["qualification", "discovery"]
    assert moved["stage_history"][0]["left_at"] == moved["stage_history"][1]["entered_at"]
    # moving back is free
    back = move_stage(
        opportunity_id,
        read(StageMove, {"stage": "qualification", "by": "u_liu"}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    assert back["stage"] == "qualification"
    changed = [e.data["direction"] for e in store.events if e.type == "OpportunityStageChanged"]
    assert changed == ["forward", "back"]


def test_quote_approved_gates_the_proposal_and_lost_needs_a_reason(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    opportunity_id = open_opportunity(
        example_rules, store, clock, fields={"budget": 1, "decision_maker": "x", "pain": "downtime", "timeline": "Q1"}
    )
    for kind in ("call", "meeting"):
        record_opportunity_activity(
            opportunity_id,
            command_of(OpportunityActivity, {"type": kind, "by": "u_wang"}, example_rules, clock),
            example_rules,
            store,
            clock,
        )
    move_stage(
        opportunity_id,
        read(StageMove, {"stage": "proposal", "by": "u_wang"}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    pending = quote(example_rules, store, clock, opportunity_id, BIG)
    with pytest.raises(errors.StageGateFailed) as refused:
        move_stage(
            opportunity_id,
            read(StageMove, {"stage": "negotiation", "by": "u_wang"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    assert refused.value.fields == {"quote_approved": "proposal: the current quote is pending_approval, not approved"}
    for step in pending["approval"]["steps"]:
        decide(
            step["approval_id"],
            read(ApprovalDecision, {"decision": "approve", "by": "u_chen"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    assert move_stage(
        opportunity_id,
        read(StageMove, {"stage": "negotiation", "by": "u_wang"}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    with pytest.raises(errors.StageGateFailed):  # won needs a signed contract
        move_stage(
            opportunity_id,
            read(StageMove, {"stage": "won", "by": "u_wang"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    with pytest.raises(errors.ValidationFailed) as no_reason:
        move_stage(
            opportunity_id,
            read(StageMove, {"stage": "lost", "by": "u_wang"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    assert set(no_reason.value.fields) == {"reason"}
    lost = move_stage(
        opportunity_id,
        read(StageMove, {"stage": "lost", "by": "u_wang", "reason": "price"}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    assert lost["status"] == "lost" and lost["lost_reason"] == "price"
    assert types_of(store, f"opportunity/{opportunity_id}")[-2:] == ["OpportunityStageChanged", "OpportunityLost"]
    with pytest.raises(errors.InvalidTransition):
        move_stage(
            opportunity_id,
            read(StageMove, {"stage": "proposal", "by": "u_wang"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )


def test_a_move_dated_before_the_stage_was_entered_is_refused(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    opportunity_id = open_opportunity(example_rules, store, clock)
    with pytest.raises(errors.ValidationFailed) as early:
        move = {"stage": "lost", "by": "u_wang", "reason": "x", "at": "2026-01-01T00:00:00Z"}
        move_stage(
            opportunity_id, read(StageMove, move, now=now_of(clock), active=example_rules), example_rules, store, clock
        )
    assert set(early.value.fields) == {"at"}


def test_another_use_case_opens_an_opportunity_in_its_own_change(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    change = Change()
    opened = open_in_change("Renewal 2027", "u_xu", {"company": "Acme"}, example_rules, clock(), change)
    store.commit(change)
    assert stored_opportunity(store, opened.opportunity_id).stage == "qualification"
    assert [e.type for e in change.events] == ["OpportunityCreated"]
    assert len(store.timers.pending(opened.subject)) == 1


def test_win_on_signature_moves_to_won_whatever_the_gates(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    opportunity_id = open_opportunity(example_rules, store, clock)
    opportunity = stored_opportunity(store, opportunity_id)
    events = win_on_signature(opportunity, "ct_0123", "2026-11-22T09:00:00Z", example_rules)
    assert [e.type for e in events] == ["OpportunityStageChanged", "OpportunityWon"]
    assert opportunity.stage == "won" and opportunity.status == "won" and opportunity.contract_id == "ct_0123"
    assert events[1].data["contract_id"] == "ct_0123" and opportunity.stage_history[-1]["by"] == "e-sign"
    assert win_on_signature(opportunity, "ct_0123", "2026-11-22T09:00:00Z", example_rules) == []


def test_a_stage_held_past_max_days_alerts_the_owner_and_their_manager_once(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    opportunity_id = open_opportunity(example_rules, store, clock)
    opportunity = stored_opportunity(store, opportunity_id)
    [timer] = store.timers.pending(opportunity.subject)
    assert timer.due_at == parse_iso(str(opportunity.stage_entered_at)) + timedelta(days=14)
    fire = handlers(FixedRules(example_rules))
    assert sweep_timers(timer.due_at - timedelta(seconds=1), store, fire).fired == []
    assert sweep_timers(timer.due_at, store, fire).fired == [timer.timer_id]
    stalled = next(e for e in store.events if e.type == "OpportunityStalled")
    assert stalled.data["notify"] == ["u_wang", "u_liu"] and stalled.data["stage"] == "qualification"
    assert {d.to for d in store.deliveries.listing(kind="alert")} == {"u_wang", "u_liu"}
    assert sweep_timers(timer.due_at + timedelta(days=30), store, fire).fired == []  # once


def test_a_move_cancels_the_stalled_timer_and_sets_the_next_stages(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    opportunity_id = open_opportunity(example_rules, store, clock, fields={"budget": 1, "decision_maker": "x"})
    record_opportunity_activity(
        opportunity_id,
        command_of(OpportunityActivity, {"type": "call", "by": "u_wang"}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    [first] = store.timers.pending(f"opportunity/{opportunity_id}")
    move_stage(
        opportunity_id,
        read(StageMove, {"stage": "discovery", "by": "u_wang"}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    [second] = store.timers.pending(f"opportunity/{opportunity_id}")
    assert second.timer_id != first.timer_id and second.data["stage"] == "discovery"
    assert second.data["max_days"] == 21


def test_get_shows_fields_history_quotes_and_contract(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    opportunity_id = open_opportunity(example_rules, store, clock)
    first = quote(example_rules, store, clock, opportunity_id, BIG)
    second = quote(example_rules, store, clock, opportunity_id, SMALL)
    view = get_opportunity(opportunity_id, example_rules, store)
    assert [(q["quote_id"], q["status"]) for q in view["quotes"]] == [
        (first["quote_id"], "superseded"),
        (second["quote_id"], "approved"),
    ]
    assert view["current_quote_id"] == second["quote_id"] and view["contract"] is None
    assert view["stage_history"][0]["stage"] == "qualification" and view["probability"] == "0.1"
    with pytest.raises(errors.OpportunityNotFound):
        get_opportunity("op_nope", example_rules, store)


def test_create_opportunity_on_sql_converts_a_lead_that_behaviour_lifts_to_sql(
    example_content: dict, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    active = rules_with(example_content, create_opportunity_on="sql")
    person = {k: v for k, v in SQL_LEAD.items() if k not in ("title", "budget")}
    assert capture(person, active, store, clock).lead.grade == "nurture"
    woken = record_behavior(
        command_of(Behavior, {"email": person["email"], "event": "demo_request"}, active, clock), active, store, clock
    )
    assert (woken.grade, woken.status) == ("mql", "open") and woken.owner_id is not None
    assert store.loads[woken.owner_id] == 1
    lifted = record_behavior(
        command_of(Behavior, {"email": person["email"], "event": "webinar_attended"}, active, clock),
        active,
        store,
        clock,
    )
    assert (lifted.grade, lifted.status) == ("sql", "converted") and lifted.opportunity_id is not None
    assert store.loads[woken.owner_id] == 0 and store.timers.pending(lifted.subject) == []
    assert stored_opportunity(store, lifted.opportunity_id).owner_id == woken.owner_id


def test_the_kpis_read_won_lost_and_approved_as_emitted_with_nothing_skipped(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    from shared.kpis.domain.kpi_events import Observation, read_event

    won_id = open_opportunity(example_rules, store, clock, amount="800,000")
    quote(example_rules, store, clock, won_id, SMALL)  # approved at once
    opportunity = stored_opportunity(store, won_id)
    version = opportunity.version
    store.commit(
        Change.of(
            opportunity, version, events=win_on_signature(opportunity, "ct_1", "2026-12-01T08:00:00Z", example_rules)
        )
    )
    lost_id = open_opportunity(example_rules, store, clock, amount=1000)
    move_stage(
        lost_id,
        read(StageMove, {"stage": "lost", "by": "u_wang", "reason": "price"}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    wanted = ("OpportunityWon", "OpportunityLost", "QuoteApproved")
    readings = [read_event(e.envelope(), lambda _: None) for e in store.events if e.type in wanted]
    assert len(readings) == 3
    for reading in readings:
        assert isinstance(reading, Observation) and reading.skipped == () and reading.team == "SMB East"
    won = next(r for r in readings if "won_n" in r.counts)
    assert won.counts["won_amt"] == 800000 and won.durations["cyc"] > 0
