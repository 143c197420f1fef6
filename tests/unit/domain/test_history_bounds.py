"""Contract and order histories stay bounded: the newest entries whole, the oldest counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.customers.domain import contracts
from shared.customers.domain.accounts import Account
from shared.customers.domain.contracts import Contract, contract_id_for
from shared.fulfilment.domain import orders
from shared.fulfilment.domain.orders import MAX_ORDER_BYTES, new_order
from shared.kernel.domain.events import iso
from shared.kernel.domain.history import keep_newest
from shared.kernel.domain.stored_json import stored_size

T0 = datetime(2027, 10, 1, 1, 0, tzinfo=UTC)


def test_keep_newest_summarises_the_oldest_by_type_and_time() -> None:
    entries = [{"type": "held" if n % 2 else "released", "at": iso(T0 + timedelta(hours=n))} for n in range(7)]
    kept, summary = keep_newest(entries, None, 3)
    assert kept == entries[4:]
    assert summary == {"entries": 4, "by_type": {"released": 2, "held": 2}, "first_at": entries[0]["at"],
                       "last_at": entries[3]["at"]}  # fmt: skip
    kept, summary = keep_newest([*kept, {"type": "held", "at": iso(T0 + timedelta(days=1))}], summary, 3)
    assert summary is not None and summary["entries"] == 5 and summary["by_type"]["held"] == 2
    assert summary["last_at"] == entries[4]["at"] and summary["first_at"] == entries[0]["at"]


def test_a_contract_held_and_released_a_thousand_times_keeps_its_newest_history() -> None:
    signed = Contract(
        contract_id=contract_id_for("docusign", "env-1"), source="docusign", envelope_id="env-1", quote_id="qt_1",
        opportunity_id="op_1", account_id="ac_1", order_id="or_1", owner_id="u_wang",
        signed_at="2026-12-20T08:00:00.000Z", start_date="2027-01-01", end_date="2027-12-31", amount="1.00",
        currency="CNY",
    )  # fmt: skip
    positions = set()
    for n in range(1000):
        signed.place_hold([f"cs_{n}"], iso(T0 + timedelta(minutes=2 * n)))
        signed.release_hold(iso(T0 + timedelta(minutes=2 * n + 1)), f"cs_{n}")
        positions.add(signed.entries_recorded)
    assert len(signed.history) == contracts.HISTORY_KEEP and signed.history[-1]["case_id"] == "cs_999"
    assert signed.earlier_history is not None and signed.earlier_history["entries"] == 2000 - contracts.HISTORY_KEEP
    assert signed.earlier_history["by_type"] == {"held": 950, "released": 950}
    assert len(positions) == 1000  # the renewal alerts' cause (the history position) never repeats


def test_an_order_noted_a_thousand_times_stays_writable() -> None:
    account = Account(account_id="ac_1", company="厦门某某贸易有限公司", country="CN", created_at=iso(T0))
    lines = [{"sku": "SKU-1", "name": "打印机", "quantity": 1, "unit_price": "10.00"}]
    order, _, _ = new_order("or_1", "ct_1", "qt_1", "op_1", account, lines, "CNY", T0)
    for n in range(1_000):
        order.note({"at": iso(T0 + timedelta(seconds=n)), "type": "invoice", "invoice_id": f"in_{n}", "note": "发票"})
    assert len(order.history) == orders.HISTORY_KEEP and order.history[-1]["invoice_id"] == "in_999"
    assert order.earlier_history == {"entries": 1_001 - orders.HISTORY_KEEP,
                                     "by_type": {"created": 1, "invoice": 1_000 - orders.HISTORY_KEEP},
                                     "first_at": iso(T0), "last_at": iso(T0 + timedelta(seconds=899))}  # fmt: skip
    assert stored_size(order.to_dict()) < MAX_ORDER_BYTES
