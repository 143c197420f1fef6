"""Orders, shipments and invoices (CONTRACT §2.9) against the in-memory unit of work."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from decimal import Decimal

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.fulfilment.domain.orders import event_id_for, invoice_id_for
from shared.fulfilment.services.orders import get_order, order_change
from shared.kernel.domain.errors import InvalidTransition, OverDelivery, ValidationFailed
from shared.kernel.domain.events import iso
from shared.rules.domain.active import ActiveRules
from tests.unit.services.helpers import NOW, TickingClock
from tests.unit.services.orders_helpers import (
    ACME,
    LINES,
    buyer,
    change_account,
    make_order,
    report_shipment,
    shipment,
    with_invoice_on,
    write_back,
)

T0 = iso(NOW)


def _events(store: MemoryUnitOfWork, kind: str) -> list[dict]:
    return [e.data for e in store.events if e.type == kind]


def test_an_order_is_created_with_what_an_erp_needs_and_its_erp_delivery(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    order = make_order(store, example_rules, NOW)
    [created] = [e for e in store.events if e.type == "OrderCreated"]
    assert created.id == event_id_for(order.subject, "OrderCreated")
    assert created.data["account"]["credit_code"] == ACME["credit_code"] and created.data["currency"] == "CNY"
    assert created.data["lines"][0] == {
        "sku": "CL-PRO",
        "name": "Closeloop Pro",
        "quantity": 10,
        "unit_price": "1200.00",
        "amount": "10200.00",
    }
    assert created.data["lines"][1]["amount"] == "9999.99"  # 3 × 3333.33, no float on the way
    assert created.data["amount"] == "20199.99"
    [erp] = store.deliveries.listing(kind="erp")
    assert erp.kind == "erp" and erp.payload == created.envelope() and erp.cause == created.id
    account = store.accounts.get(order.account_id)
    assert account is not None and account.orders == [order.order_id] and account.account_manager_id == "u_xu"


def test_the_same_contract_cannot_make_a_second_order(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    make_order(store, example_rules, NOW)
    again = order_change(
        store,
        example_rules,
        NOW,
        contract_id="ct_1",
        quote_id="qt_1",
        opportunity_id=None,
        account=buyer(ACME, example_rules, NOW),
        lines=LINES,
    )
    with pytest.raises(Exception, match="order/"):
        store.commit(again.change)
    assert [e.type for e in store.events] == ["OrderCreated", "AccountSegmentChanged"]  # the first order's


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"sku": "A", "quantity": 1, "unit_price": 1.5}], "lines[0].unit_price"),  # a float is not money
        ([{"sku": "A", "quantity": 0, "unit_price": "1"}], "lines[0].quantity"),
        (
            [{"sku": "A", "quantity": 1, "unit_price": "1"}, {"sku": "A", "quantity": 1, "unit_price": "1"}],
            "lines[1].sku",
        ),
    ],
)
def test_bad_lines_are_refused_naming_the_field(example_rules: ActiveRules, lines: list, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_order(MemoryUnitOfWork(), example_rules, NOW, lines=lines)
    assert field in refused.value.fields


def test_order_signed_one_invoice_once_every_line_is_signed_for(example_rules: ActiveRules) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
    order = make_order(store, example_rules, NOW)
    post = lambda body: report_shipment(body, "warehouse", example_rules, store, clock)
    post(shipment(order.order_id, "s1", "shipped", T0, CL_PRO=6, CL_ONB=3))
    post(shipment(order.order_id, "s1", "signed", T0))
    assert _events(store, "InvoiceRequested") == []  # 4 of CL-PRO still to come
    post(shipment(order.order_id, "s2", "shipped", T0, CL_PRO=4))
    answer = post(shipment(order.order_id, "s2", "signed", T0))
    [requested] = _events(store, "InvoiceRequested")
    assert requested["invoice_id"] == invoice_id_for(order.order_id, "order")
    assert requested["amount"] == "20199.99" and requested["currency"] == "CNY"
    assert requested["account"] == {"name": "上海精密制造", "credit_code": ACME["credit_code"], "country": "CN"}
    assert [s["shipment_id"] for s in requested["shipments"]] == ["s1", "s2"]
    assert {line["sku"]: line["quantity"] for line in requested["lines"]} == {"CL-PRO": 10, "CL-ONB": 3}
    assert answer["invoices"] == [{"invoice_id": requested["invoice_id"], "status": "requested", "amount": "20199.99"}]
    [finance] = store.deliveries.listing(kind="finance")
    assert finance.payload["data"] == requested and finance.about == f"invoice/{requested['invoice_id']}"
    for body in (shipment(order.order_id, "s2", "signed", T0), shipment(order.order_id, "s1", "delivered", T0)):
        post(body)  # a repeat, and a late earlier status
    assert len(_events(store, "InvoiceRequested")) == 1 and len(store.deliveries.listing(kind="finance")) == 1


def test_shipment_signed_one_invoice_per_signed_shipment_adding_up_to_the_order(example_rules: ActiveRules) -> None:
    rules = with_invoice_on(example_rules, "shipment_signed")
    store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
    order = make_order(
        store, rules, NOW, lines=[{"sku": "CL-PRO", "quantity": 3, "unit_price": "100", "amount": "100.00"}]
    )
    for n in (1, 2, 3):
        report_shipment(shipment(order.order_id, f"s{n}", "signed", T0, CL_PRO=1), "wh", rules, store, clock)
    invoices = _events(store, "InvoiceRequested")
    assert [i["amount"] for i in invoices] == ["33.33", "33.33", "33.34"]  # the last takes what is left
    assert sum(Decimal(i["amount"]) for i in invoices) == Decimal("100.00")
    assert [i["invoice_id"] for i in invoices] == [invoice_id_for(order.order_id, f"s{n}") for n in (1, 2, 3)]


def test_over_delivery_is_409_naming_the_line_and_changes_nothing(example_rules: ActiveRules) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
    order = make_order(store, example_rules, NOW)
    report_shipment(shipment(order.order_id, "s1", "shipped", T0, CL_PRO=8), "wh", example_rules, store, clock)
    before = store.orders.get(order.order_id)
    with pytest.raises(OverDelivery) as refused:
        report_shipment(shipment(order.order_id, "s2", "shipped", T0, CL_PRO=3), "wh", example_rules, store, clock)
    assert refused.value.code == "over_delivery" and "lines[0].quantity" in refused.value.fields
    with pytest.raises(OverDelivery):
        report_shipment(shipment(order.order_id, "s3", "shipped", T0, NOPE=1), "wh", example_rules, store, clock)
    assert store.orders.get(order.order_id) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"at": "yesterday"}, "at"),
        ({"shipment_id": ""}, "shipment_id"),
        ({"lines": [{"sku": "CL-PRO", "quantity": -1}]}, "lines[0].quantity"),
        ({"lines": None, "shipment_id": "new"}, "lines"),
    ],
)
def test_bad_shipment_fields_are_400_naming_them(example_rules: ActiveRules, body: dict, field: str) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
    order = make_order(store, example_rules, NOW)
    payload = {**shipment(order.order_id, "s1", "shipped", T0, CL_PRO=1), **body}
    with pytest.raises(ValidationFailed) as refused:
        report_shipment(payload, "wh", example_rules, store, clock)
    assert field in refused.value.fields
    assert [e.type for e in store.events] == ["OrderCreated", "AccountSegmentChanged"]  # the order's only


def test_any_arrival_order_of_the_reports_makes_exactly_one_invoice(example_rules: ActiveRules) -> None:
    reports = [
        ("s1", "shipped", {"CL_PRO": 6, "CL_ONB": 3}),
        ("s1", "delivered", {}),
        ("s1", "signed", {}),
        ("s2", "shipped", {"CL_PRO": 4}),
        ("s2", "signed", {}),
        ("s2", "signed", {}),
    ]
    rng = random.Random(7)
    for _ in range(30):
        store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
        order = make_order(store, example_rules, NOW)
        shuffled = rng.sample(reports, len(reports))
        for sid, status, _lines in shuffled:  # every report carries its lines: the first may be any status
            full = dict(next(r[2] for r in reports if r[0] == sid and r[2]))
            report_shipment(shipment(order.order_id, sid, status, T0, **full), "wh", example_rules, store, clock)
        assert len(_events(store, "InvoiceRequested")) == 1, shuffled
        stored = store.orders.get(order.order_id)
        assert stored is not None and {s["status"] for s in stored.shipments.values()} == {"signed"}


def test_missing_tax_id_blocks_alerts_and_patch_releases_exactly_once(example_rules: ActiveRules) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
    order = make_order(
        store, example_rules, NOW, account={"company": "无税号公司", "country": "CN", "account_manager_id": "u_xu"}
    )
    report_shipment(
        shipment(order.order_id, "s1", "signed", T0, CL_PRO=10, CL_ONB=3), "wh", example_rules, store, clock
    )
    [blocked] = _events(store, "InvoiceBlocked")
    assert blocked["reason"] == "missing_tax_id" and blocked["notify"] == ["u_xu"]
    assert _events(store, "InvoiceRequested") == [] and store.deliveries.listing(kind="finance") == []
    alerts = [a for a in store.deliveries.listing(kind="alert") if a.payload["event"] != "AccountSegmentChanged"]
    assert {a.to for a in alerts} == {"u_xu"} and "tax id" in alerts[0].payload["title"]
    with pytest.raises(ValidationFailed) as bad:
        change_account(order.account_id, {"credit_code": "91350100M000100Y44"}, example_rules, store, clock)
    assert "credit_code" in bad.value.fields
    change_account(order.account_id, {"address": "上海市浦东新区"}, example_rules, store, clock)
    assert _events(store, "InvoiceRequested") == []  # still no tax id
    view = change_account(order.account_id, {"credit_code": "91350100m000100y43"}, example_rules, store, clock)
    assert view["credit_code"] == "91350100M000100Y43" and view["blocked_invoices"] == []
    [requested] = _events(store, "InvoiceRequested")
    assert requested["account"]["credit_code"] == "91350100M000100Y43" and requested["account"]["address"]
    change_account(order.account_id, {"credit_code": "91110108551385082Q"}, example_rules, store, clock)
    assert len(_events(store, "InvoiceRequested")) == 1 and len(store.deliveries.listing(kind="finance")) == 1


def test_finance_write_back_updates_the_order_and_alerts_the_account_manager(example_rules: ActiveRules) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
    order = make_order(store, example_rules, NOW)
    report_shipment(
        shipment(order.order_id, "s1", "signed", T0, CL_PRO=10, CL_ONB=3), "wh", example_rules, store, clock
    )
    invoice_id = invoice_id_for(order.order_id, "order")
    issued = {"status": "issued", "invoice_number": "No 0012345", "due_date": "2026-12-31", "at": T0}
    answer = write_back(invoice_id, issued, example_rules, store, clock)
    assert answer["status"] == "issued" and answer["invoice_number"] == "No 0012345"
    write_back(invoice_id, issued, example_rules, store, clock)  # a repeat
    write_back(invoice_id, {"status": "paid", "at": T0}, example_rules, store, clock)
    write_back(invoice_id, {"status": "issued", "at": T0}, example_rules, store, clock)  # late news
    assert [e.type for e in store.events if e.type.startswith("Invoice")] == [
        "InvoiceRequested",
        "InvoiceIssued",
        "InvoicePaid",
    ]
    view = get_order(order.order_id, store)
    assert view["invoices"][0]["status"] == "paid" and view["invoices"][0]["due_date"] == "2026-12-31"
    alerts = [d for d in store.deliveries.listing(kind="alert") if d.payload["event"] != "AccountSegmentChanged"]
    assert {a.payload["event"] for a in alerts} == {"InvoiceIssued", "InvoicePaid"} and {a.to for a in alerts} == {
        "u_xu"
    }
    with pytest.raises(InvalidTransition):
        write_back(invoice_id, {"status": "rejected", "reason": "wrong", "at": T0}, example_rules, store, clock)
    with pytest.raises(ValidationFailed) as bad:
        write_back(invoice_id, {"status": "void"}, example_rules, store, clock)
    assert "status" in bad.value.fields


def test_get_order_lists_the_erp_and_finance_deliveries(example_rules: ActiveRules) -> None:
    store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
    order = make_order(store, example_rules, NOW)
    report_shipment(
        shipment(order.order_id, "s1", "signed", T0, CL_PRO=10, CL_ONB=3), "wh", example_rules, store, clock
    )
    view = get_order(order.order_id, store)
    assert [d["kind"] for d in view["deliveries"]] == ["erp", "finance"]
    assert all(d["status"] == "pending" and d["attempts"] == [] for d in view["deliveries"])
    assert [line["signed"] for line in view["lines"]] == [10, 3]


def test_racing_reports_make_one_invoice(example_rules: ActiveRules, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second request that read the order before the first committed: its commit loses on the
    order's version, and read again the order owes nothing more."""
    store, clock = MemoryUnitOfWork(), TickingClock(NOW + timedelta(hours=1))
    order = make_order(store, example_rules, NOW)
    signed = shipment(order.order_id, "s1", "signed", T0, CL_PRO=10, CL_ONB=3)
    stale = store.orders.get(order.order_id)
    report_shipment(signed, "wh", example_rules, store, clock)
    real = MemoryUnitOfWork.orders.fget  # type: ignore[attr-defined]
    reads = itertools.count()

    class StaleFirst:
        def __init__(self, db: MemoryUnitOfWork) -> None:
            self.real = real(db)

        def get(self, order_id: str):  # type: ignore[no-untyped-def]
            return stale if next(reads) == 0 else self.real.get(order_id)

    monkeypatch.setattr(MemoryUnitOfWork, "orders", property(StaleFirst))
    report_shipment({**signed, "at": iso(NOW + timedelta(seconds=1))}, "wh", example_rules, store, clock)
    assert next(reads) == 2  # read stale, lost the commit, read again
    assert len(_events(store, "InvoiceRequested")) == 1 and len(store.deliveries.listing(kind="finance")) == 1
