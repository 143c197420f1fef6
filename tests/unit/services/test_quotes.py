"""Quotes and approvals over the in-memory unit of work: pricing, the matrix's approvers, the
order of steps and who may decide, rejection, supersession, time-outs escalating."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.kernel.domain import errors
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import ApprovalDecision
from shared.sales.services.approvals import decide
from shared.sales.services.quotes import get_quote
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import FixedRules, TickingClock, now_of
from tests.unit.services.sales_helpers import BIG, MEDIUM, SMALL, open_opportunity, quote, types_of


def test_a_big_deep_discount_needs_the_manager_then_the_director(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    created = quote(example_rules, store, clock, open_opportunity(example_rules, store, clock), BIG)
    assert created["status"] == "pending_approval"
    assert (created["list_total"], created["amount"], created["discount"]) == ("960000.00", "720000.00", "0.25")
    assert created["currency"] == "CNY" and created["lines"][0]["amount"] == "720000.00"
    steps = created["approval"]["steps"]
    assert [(s["role"], s["approver_id"], s["status"]) for s in steps] == [
        ("manager", "u_liu", "pending"),
        ("director", "u_chen", "waiting"),
    ]
    assert created["approval"]["rule"]["priority"] == 10
    assert steps[0]["approval_id"] == f"ap_{created['quote_id'][3:]}_1"
    subject = f"quote/{created['quote_id']}"
    assert types_of(store, subject) == ["QuoteCreated", "ApprovalRequested"]
    requested = next(e for e in store.events if e.type == "ApprovalRequested")
    assert requested.data["notify"] == ["u_liu"] and requested.data["due_at"] == steps[0]["due_at"]
    alerts = store.deliveries.listing(kind="alert")
    assert {(d.to, d.channel) for d in alerts} == {("u_liu", "email"), ("u_liu", "wecom")}
    assert alerts[0].payload["title"] == "✍️ Approval requested"
    assert alerts[0].payload["text"].startswith("Quote 上海精密制造 Shanghai Precision · CNY 720000.00")


def test_a_small_discount_is_approved_at_once(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    created = quote(example_rules, store, clock, open_opportunity(example_rules, store, clock), SMALL)
    assert created["status"] == "approved" and created["approval"]["steps"] == []
    assert created["discount"] == "0.05" and created["approval"]["rule"]["priority"] == 30
    assert types_of(store, f"quote/{created['quote_id']}") == ["QuoteCreated", "QuoteApproved"]


def test_steps_are_decided_in_order_by_the_approver_or_someone_above(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    created = quote(example_rules, store, clock, open_opportunity(example_rules, store, clock), BIG)
    first, second = (s["approval_id"] for s in created["approval"]["steps"])
    with pytest.raises(errors.NotYourTurn):
        decide(
            second,
            read(ApprovalDecision, {"decision": "approve", "by": "u_chen"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    with pytest.raises(errors.NotApprover):  # a peer manager of another team
        decide(
            first,
            read(ApprovalDecision, {"decision": "approve", "by": "u_sun"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    with pytest.raises(errors.NotApprover):  # the seller themselves
        decide(
            first,
            read(ApprovalDecision, {"decision": "approve", "by": "u_wang"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    # the director is above the manager: they may decide the manager's step
    after_first = decide(
        first,
        read(
            ApprovalDecision,
            {"decision": "approve", "by": "u_chen", "note": "ok"},
            now=now_of(clock),
            active=example_rules,
        ),
        example_rules,
        store,
        clock,
    )
    assert after_first["status"] == "pending_approval"
    assert [s["status"] for s in after_first["approval"]["steps"]] == ["approved", "pending"]
    with pytest.raises(errors.AlreadyDecided):
        decide(
            first,
            read(ApprovalDecision, {"decision": "reject", "by": "u_liu"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    done = decide(
        second,
        read(ApprovalDecision, {"decision": "approve", "by": "u_chen"}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    assert done["status"] == "approved"
    decided = [h for h in done["history"] if h["what"] == "decided"]
    assert [(h["approver_id"], h["by"], h["decision"], h["rules_version"]) for h in decided] == [
        ("u_liu", "u_chen", "approve", "v1-test"),
        ("u_chen", "u_chen", "approve", "v1-test"),
    ]
    assert types_of(store, f"quote/{created['quote_id']}") == [
        "QuoteCreated",
        "ApprovalRequested",
        "ApprovalDecided",
        "ApprovalRequested",  # the director's turn
        "ApprovalDecided",
        "QuoteApproved",
    ]
    assert store.timers.pending(f"quote/{created['quote_id']}") == []  # each decision cancelled its time-out


def test_a_rejection_ends_the_chain(example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    created = quote(example_rules, store, clock, open_opportunity(example_rules, store, clock), BIG)
    first, second = (s["approval_id"] for s in created["approval"]["steps"])
    rejected = decide(
        first,
        read(
            ApprovalDecision,
            {"decision": "reject", "by": "u_liu", "note": "too deep"},
            now=now_of(clock),
            active=example_rules,
        ),
        example_rules,
        store,
        clock,
    )
    assert rejected["status"] == "rejected"
    assert [s["status"] for s in rejected["approval"]["steps"]] == ["rejected", "cancelled"]
    assert types_of(store, f"quote/{created['quote_id']}")[-2:] == ["ApprovalDecided", "QuoteRejected"]
    with pytest.raises(errors.AlreadyDecided):
        decide(
            second,
            read(ApprovalDecision, {"decision": "approve", "by": "u_chen"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )


def test_a_new_quote_supersedes_the_previous_and_cancels_its_open_steps(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    opportunity_id = open_opportunity(example_rules, store, clock)
    old = quote(example_rules, store, clock, opportunity_id, BIG)
    assert len(store.timers.pending(f"quote/{old['quote_id']}")) == 1
    new = quote(example_rules, store, clock, opportunity_id, MEDIUM)
    assert new["status"] == "pending_approval" and [s["role"] for s in new["approval"]["steps"]] == ["manager"]
    previous = get_quote(old["quote_id"], store)
    assert previous["status"] == "superseded" and previous["superseded_by"] == new["quote_id"]
    assert [s["status"] for s in previous["approval"]["steps"]] == ["cancelled", "cancelled"]
    assert store.timers.pending(f"quote/{old['quote_id']}") == []
    with pytest.raises(errors.AlreadyDecided):
        decide(
            old["approval"]["steps"][0]["approval_id"],
            read(ApprovalDecision, {"decision": "approve", "by": "u_liu"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    created = next(e for e in store.events if e.type == "QuoteCreated" and e.subject == f"quote/{new['quote_id']}")
    assert created.data["supersedes"] == old["quote_id"]


def test_refusals_store_nothing(example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    opportunity_id = open_opportunity(example_rules, store, clock)
    before = (dict(store.aggregates), list(store.events))
    with pytest.raises(errors.DiscountOverCap) as over:
        quote(example_rules, store, clock, opportunity_id, [{"sku": "IOT-EDGE-GW", "quantity": 3, "discount": "25%"}])
    assert list(over.value.fields) == ["lines[0].discount"]
    with pytest.raises(errors.ValidationFailed) as bad:
        quote(example_rules, store, clock, opportunity_id, [*SMALL, {"sku": "NOPE", "quantity": 1}])
    assert list(bad.value.fields) == ["lines[1].sku"]
    with pytest.raises(errors.OpportunityNotFound):
        quote(example_rules, store, clock, "op_00000000000000000000", SMALL)
    with pytest.raises(errors.ApprovalNotFound):
        decide(
            "ap_00000000000000000000_1",
            read(ApprovalDecision, {"decision": "approve", "by": "u_liu"}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    assert (dict(store.aggregates), list(store.events)) == before


def test_an_open_step_past_its_target_is_escalated_to_the_approvers_manager(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    created = quote(example_rules, store, clock, open_opportunity(example_rules, store, clock), MEDIUM)
    step = created["approval"]["steps"][0]
    assert step["approver_id"] == "u_liu" and step["due_at"] is not None
    [timer] = store.timers.pending(f"quote/{created['quote_id']}")
    fire = handlers(FixedRules(example_rules))
    assert sweep_timers(timer.due_at - timedelta(seconds=1), store, fire).fired == []  # not before
    assert sweep_timers(timer.due_at, store, fire).fired == [timer.timer_id]
    escalated = next(e for e in store.events if e.type == "ApprovalEscalated")
    assert escalated.data["escalated_to"] == "u_chen" and escalated.data["notify"] == ["u_chen"]
    assert {d.to for d in store.deliveries.listing(kind="alert") if d.payload["event"] == "ApprovalEscalated"} == {
        "u_chen"
    }
    view = get_quote(created["quote_id"], store)
    assert view["approval"]["steps"][0]["escalated_to"][0]["owner_id"] == "u_chen"
    # the director has nobody above: no further time-out; they decide it
    assert store.timers.pending(f"quote/{created['quote_id']}") == []
    done = decide(
        step["approval_id"],
        read(ApprovalDecision, {"decision": "approve", "by": "u_chen"}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    assert done["status"] == "approved"
