"""E-signature → contract, order, account, opportunity won, renewal reminders (CONTRACT §2.8)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.errors import QuoteAlreadySigned, QuoteNotApproved, QuoteNotFound, ValidationFailed
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import QuoteNew
from shared.sales.services.esign import get_contract
from shared.sales.services.quotes import create_quote
from tests.unit.services.esign_helpers import approved_quote, envelope, sign_envelope
from tests.unit.services.helpers import TickingClock, now_of

SIGNING_DAY = datetime(2026, 12, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock(SIGNING_DAY)


def sign(rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, body: dict) -> tuple[int, dict]:
    return sign_envelope(body, rules, store, clock)


def test_a_completed_envelope_creates_contract_order_account_and_wins_the_deal(
    example_rules: ActiveRules, clock: TickingClock
) -> None:
    store = MemoryUnitOfWork()
    quote = approved_quote(example_rules, store, clock)
    status, body = sign(example_rules, store, clock, envelope(quote["quote_id"]))
    assert status == 201 and body["status"] == "created"
    contract = get_contract(body["contract_id"], store)
    assert (contract["quote_id"], contract["order_id"], contract["account_id"]) == (
        quote["quote_id"],
        body["order_id"],
        body["account_id"],
    )
    assert contract["amount"] == quote["amount"] == "240000.00"
    order = store.orders.get(body["order_id"])
    assert order is not None and [(line["sku"], line["quantity"]) for line in order.lines] == [("IOT-PLAT-STD", 2)]
    account = store.accounts.get(body["account_id"])
    assert account is not None and account.account_manager_id == "u_xu"  # Routing row 200: Customer Success am
    opportunity = store.opportunities.get(quote["opportunity_id"])
    assert opportunity is not None and opportunity.status == "won" and opportunity.contract_id == body["contract_id"]
    types = [e.type for e in store.events]
    assert {"ContractSigned", "OrderCreated", "OpportunityWon"} <= set(types)
    # the ERP hears of the contract and the order; three renewal reminders wait (90, 60, 30 days)
    erp = [d for d in store.deliveries.listing(kind="erp")]
    assert sorted(d.payload["type"] for d in erp) == ["ContractSigned", "OrderCreated"]
    assert len(contract["reminders"]) == 3
    assert len(store.timers.pending(f"contract/{body['contract_id']}")) == 3


def test_the_same_envelope_twice_is_one_contract(example_rules: ActiveRules, clock: TickingClock) -> None:
    store = MemoryUnitOfWork()
    quote = approved_quote(example_rules, store, clock)
    first = sign(example_rules, store, clock, envelope(quote["quote_id"]))
    again = sign(example_rules, store, clock, envelope(quote["quote_id"]))
    assert first[0] == 201 and again[0] == 200 and again[1]["status"] == "recorded"
    assert {k: again[1][k] for k in ("contract_id", "order_id", "account_id")} == {
        k: first[1][k] for k in ("contract_id", "order_id", "account_id")
    }
    assert [e.type for e in store.events].count("ContractSigned") == 1


def test_a_second_envelope_for_one_quote_is_refused_naming_the_contract(
    example_rules: ActiveRules, clock: TickingClock
) -> None:
    store = MemoryUnitOfWork()
    quote = approved_quote(example_rules, store, clock)
    status, first = sign(example_rules, store, clock, envelope(quote["quote_id"], "env-1"))
    assert status == 201
    with pytest.raises(QuoteAlreadySigned) as refused:
        sign(example_rules, store, clock, envelope(quote["quote_id"], "env-2"))
    assert refused.value.fields["contract_id"] == first["contract_id"] and first["contract_id"] in refused.value.message
    assert [e.type for e in store.events].count("OrderCreated") == 1
    assert store.contracts.of_quote(quote["quote_id"]) == first["contract_id"]


def test_other_statuses_are_ignored_and_create_nothing(example_rules: ActiveRules, clock: TickingClock) -> None:
    store = MemoryUnitOfWork()
    status, body = sign(example_rules, store, clock, {"envelope_id": "e", "status": "sent", "quote_id": "qt_x"})
    assert (status, body) == (200, {"status": "ignored", "envelope_status": "sent"})
    assert store.events == []


def test_a_quote_waiting_for_approval_cannot_be_signed(example_rules: ActiveRules, clock: TickingClock) -> None:
    store = MemoryUnitOfWork()
    quote = approved_quote(example_rules, store, clock)
    deep = [{"sku": "IOT-PLAT-STD", "quantity": 2, "discount": "20%"}]  # over 5%: the manager decides
    body = {"opportunity_id": quote["opportunity_id"], "by": "u_wang", "lines": deep}
    waiting = create_quote(read(QuoteNew, body, now=now_of(clock), active=example_rules), example_rules, store, clock)
    assert waiting["status"] == "pending_approval"
    recorded = len(store.events)
    with pytest.raises(QuoteNotApproved, match="pending approval"):
        sign(example_rules, store, clock, envelope(waiting["quote_id"]))
    with pytest.raises(QuoteNotApproved, match="superseded"):  # the first quote was superseded by it
        sign(example_rules, store, clock, envelope(quote["quote_id"], "env-2"))
    with pytest.raises(QuoteNotFound):
        sign(example_rules, store, clock, envelope("qt_00000000000000000000", "env-3"))
    assert len(store.events) == recorded


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"end_date": "2026-12-31", "start_date": "2027-01-01"}, {"end_date"}),
        ({"start_date": "next year"}, {"start_date"}),
        ({"signed_at": "2099-01-01T00:00:00Z"}, {"signed_at"}),
        ({"envelope_id": ""}, {"envelope_id"}),
    ],
)
def test_a_bad_envelope_names_the_field(
    example_rules: ActiveRules, clock: TickingClock, changes: dict, fields: set[str]
) -> None:
    store = MemoryUnitOfWork()
    with pytest.raises(ValidationFailed) as bad:
        sign(example_rules, store, clock, envelope("qt_00000000000000000000", **changes))
    assert set(bad.value.fields) == fields
