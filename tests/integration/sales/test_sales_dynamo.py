"""Opportunities, quotes and approvals over the embedded DynamoDB, through the one unit of work:
the tables, a lead converted in one transaction, concurrent decisions on one step (one wins,
the others 409), concurrent quotes for one opportunity, and an approval time-out by the sweep."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from shared.adapters.container import utc_now
from shared.adapters.dynamo.models import EventItem, LeadItem, OpportunityItem, QuoteItem, TimerItem
from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.kernel.domain import errors
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import ApprovalDecision, OpportunityNew, QuoteNew
from shared.sales.services.approvals import decide
from shared.sales.services.opportunities import create_opportunity
from shared.sales.services.quotes import create_quote, get_quote
from shared.sales.services.stage_moves import get_opportunity
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import SQL_LEAD, FixedRules, capture, now_of
from tests.unit.services.sales_helpers import ACCOUNT, BIG

THREADS = 8


def types(subject: str) -> list[str]:
    return [e.type for e in sorted(EventItem.scan(), key=lambda e: (e.time, e.seq)) if e.subject == subject]


def opportunity(store: DynamoUnitOfWork, rules: ActiveRules) -> str:
    body = {"name": "IoT rollout", "owner_id": "u_wang", "account": ACCOUNT}
    return str(
        create_opportunity(read(OpportunityNew, body, now=now_of(utc_now), active=rules), rules, store, utc_now)[
            "opportunity_id"
        ]
    )


def test_a_lead_converts_in_one_transaction(clean_aws: Any, example_rules: ActiveRules) -> None:
    store = DynamoUnitOfWork()
    lead = capture(SQL_LEAD, example_rules, store, utc_now).lead
    owner = str(lead.owner_id)
    _, before = store.leads.next_turn("SMB East", "x", [owner])
    assert before == {owner: 1} and len([t for t in TimerItem.scan() if t.about == lead.subject]) == 3
    created = create_opportunity(
        read(
            OpportunityNew,
            {"lead_id": lead.lead_id, "name": "Acme", "owner_id": owner},
            now=now_of(utc_now),
            active=example_rules,
        ),
        example_rules,
        store,
        utc_now,
    )
    _, after = store.leads.next_turn("SMB East", "x", [owner])
    assert after == {owner: 0}
    [item] = list(LeadItem.scan())
    assert item.doc["status"] == "converted" and item.doc["opportunity_id"] == created["opportunity_id"]
    assert [t for t in TimerItem.scan() if t.about == lead.subject] == []
    stored = OpportunityItem.get(created["opportunity_id"])
    assert stored.stage == "qualification" and stored.version == 1 and stored.doc["lead_id"] == lead.lead_id
    assert types(f"opportunity/{created['opportunity_id']}") == ["OpportunityCreated"]
    assert types(lead.subject)[-1] == "LeadConverted"
    with pytest.raises(errors.InvalidTransition):
        create_opportunity(
            read(
                OpportunityNew,
                {"lead_id": lead.lead_id, "name": "Again", "owner_id": owner},
                now=now_of(utc_now),
                active=example_rules,
            ),
            example_rules,
            store,
            utc_now,
        )


def test_concurrent_decisions_on_one_step_one_wins_the_others_409(clean_aws: Any, example_rules: ActiveRules) -> None:
    store = DynamoUnitOfWork()
    created = create_quote(
        read(
            QuoteNew,
            {"opportunity_id": opportunity(store, example_rules), "by": "u_wang", "lines": BIG},
            now=now_of(utc_now),
            active=example_rules,
        ),
        example_rules,
        store,
        utc_now,
    )
    first = created["approval"]["steps"][0]["approval_id"]
    deciders = ["u_liu", "u_chen"] * (THREADS // 2)  # the manager and the director above them, at once

    def attempt(by: str, decision: str) -> str:
        try:
            decide(
                first,
                read(ApprovalDecision, {"decision": decision, "by": by}, now=now_of(utc_now), active=example_rules),
                example_rules,
                store,
                utc_now,
            )
        except errors.AlreadyDecided:
            return "already_decided"
        return decision

    with ThreadPoolExecutor(THREADS) as pool:
        jobs = [pool.submit(attempt, by, "approve" if i % 2 else "reject") for i, by in enumerate(deciders)]
        outcomes = Counter(job.result() for job in jobs)
    assert outcomes["already_decided"] == THREADS - 1
    [item] = [q for q in QuoteItem.scan() if q.quote_id == created["quote_id"]]
    step = item.doc["steps"][0]
    assert step["status"] in ("approved", "rejected") and item.version == 2  # created, then one decision
    assert types(f"quote/{created['quote_id']}").count("ApprovalDecided") == 1
    assert len([h for h in item.doc["history"] if h["what"] == "decided"]) == 1


def test_concurrent_quotes_for_one_opportunity_leave_one_current(clean_aws: Any, example_rules: ActiveRules) -> None:
    store = DynamoUnitOfWork()
    opportunity_id = opportunity(store, example_rules)
    body = read(
        QuoteNew, {"opportunity_id": opportunity_id, "by": "u_wang", "lines": BIG}, now=utc_now(), active=example_rules
    )
    with ThreadPoolExecutor(4) as pool:
        quotes = [
            job.result() for job in [pool.submit(create_quote, body, example_rules, store, utc_now) for _ in range(4)]
        ]
    view = get_opportunity(opportunity_id, example_rules, store)
    statuses = Counter(q["status"] for q in view["quotes"])
    assert len(quotes) == 4 and statuses == {"superseded": 3, "pending_approval": 1}
    current = get_quote(view["current_quote_id"], store)
    assert current["status"] == "pending_approval" and current["superseded_by"] is None
    # only the current quote's step still has a time-out pending
    pending = [t for t in TimerItem.scan() if t.kind == "approval_timeout"]
    assert [t.about for t in pending] == [f"quote/{current['quote_id']}"]


def test_an_approval_time_out_escalates_once_by_the_sweep(clean_aws: Any, example_rules: ActiveRules) -> None:
    store = DynamoUnitOfWork()
    medium = [{"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "10%"}]
    created = create_quote(
        read(
            QuoteNew,
            {"opportunity_id": opportunity(store, example_rules), "by": "u_wang", "lines": medium},
            now=now_of(utc_now),
            active=example_rules,
        ),
        example_rules,
        store,
        utc_now,
    )
    [timer] = store.timers.pending(f"quote/{created['quote_id']}")
    fire = handlers(FixedRules(example_rules))
    for _ in range(2):  # a second sweep at the same instant finds nothing to fire
        sweep_timers(timer.due_at, store, fire)
    assert types(f"quote/{created['quote_id']}").count("ApprovalEscalated") == 1
    step = get_quote(created["quote_id"], store)["approval"]["steps"][0]
    assert step["escalated_to"][0]["owner_id"] == "u_chen" and step["status"] == "pending"
