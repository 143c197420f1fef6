"""Orders (CONTRACT §2.8–2.9): made inside the e-sign webhook's change, then fed by shipment
webhooks and finance's write-back. Each use case commits one Change through the unit of work.

- ``order_change`` is what the e-sign webhook calls: the account upserted, the order with its
  ``OrderCreated`` and ERP delivery, as one Change to merge into its own (nothing committed).
- ``record_shipment_report`` is ``POST /webhooks/shipments/{source}``: the shipment, the invoices
  it makes owed (requested with their finance delivery, or blocked with an alert), in one
  transaction conditioned on the order's version and the invoice's key — the same webhook 20
  times at once still makes one invoice.
- ``record_invoice_status`` is ``POST /invoices/{invoice_id}/status``: finance's write-back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.customers.domain.accounts import Account
from shared.customers.domain.health_signals import record_invoice
from shared.customers.services.accounts import finance_alerts, upsert_account
from shared.customers.services.health import signal_change
from shared.customers.services.segments import order_segment
from shared.fulfilment.domain.invoices import Outcome, ShipmentReport, record_shipment, write_back
from shared.fulfilment.domain.orders import Order, is_invoice_id, is_order_id, new_order, order_id_for
from shared.fulfilment.services.ports import OrdersWork
from shared.kernel.domain.errors import Conflict, InvoiceNotFound, OrderNotFound
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import Change, Claim, Clock, Save
from shared.rules.domain.active import ActiveRules

if TYPE_CHECKING:
    from shared.customers.messages.accounts import AccountChange
    from shared.fulfilment.messages.orders import InvoiceStatusReport
    from shared.fulfilment.messages.orders import ShipmentReport as ShipmentReporting

BUSY = "this order is being changed by many requests at once; please retry"


@dataclass(frozen=True)
class OrderCreation:
    order: Order
    account: Account
    change: Change  # the account's save, the order's, OrderCreated and its ERP delivery


def order_change(
    uow: OrdersWork,
    active: ActiveRules,
    now: datetime,
    *,
    contract_id: str,
    quote_id: str | None,
    opportunity_id: str | None,
    account: AccountChange,
    lines: Sequence[Mapping[str, Any]],
    currency: str | None = None,
    account_id: str | None = None,
    order_id: str | None = None,
) -> OrderCreation:
    """The order of a signed contract and its account, as a Change for the caller's transaction.

    ``account``: the buyer read as an account change (company, country, credit_code, address,
    account_manager_id);
    ``lines``: ``[{"sku", "name", "quantity", "unit_price", "amount"?}]`` (money as Decimal, int or
    a decimal string). ``order_id`` defaults to the one derived from the contract, so the same
    contract can only ever have one order (a second commit fails its "must not exist" condition).
    Settings ``invoice_on`` and ``currency`` come from the active rules."""
    customer, account_save = upsert_account(uow, account, active, now, account_id=account_id)
    order, events, deliveries = new_order(
        order_id or order_id_for(contract_id),
        contract_id,
        quote_id,
        opportunity_id,
        customer,
        lines,
        currency or active.rules.settings.currency,
        now,
        invoice_on=active.rules.settings.invoice_on,
        rules_version=active.version,
    )
    change = Change(saves=[account_save, Save(order, None), *(Save(d, None) for d in deliveries)], events=events)
    # the account's RFM and segment now (CONTRACT §15): in the account's save above, no extra request
    change.merge(order_segment(customer, order, active, uow, now))
    return OrderCreation(order, customer, change)


def get_order(order_id: str, uow: OrdersWork) -> dict[str, Any]:
    """The order with its lines, shipments, invoices and its ERP and finance deliveries."""
    order = _get(order_id, uow)
    deliveries = [d.to_dict() for i in order.deliveries if (d := uow.deliveries.get(i)) is not None]
    for delivery in deliveries:
        delivery.pop("text", None)
    return {**order.view(), "deliveries": deliveries}


def record_shipment_report(
    reporting: ShipmentReporting, source: str, active: ActiveRules, uow: OrdersWork, clock: Clock
) -> dict[str, Any]:
    received = clock()  # absent, the report's time is when it came
    at = reporting.at or iso(received)
    report = ShipmentReport(reporting.shipment_id, reporting.order_id, reporting.status, at, reporting.lines, source)

    def attempt() -> dict[str, Any]:
        now = clock()
        order = _get(report.order_id, uow, field="order_id")
        account, account_save = _account_of(order, uow)
        version = order.version
        outcome = record_shipment(order, report, account, now)
        if outcome.changed:
            change = _change(order, version, outcome, active, now)
            if outcome.blocked:
                change.saves.append(account_save)
            uow.commit(change)
        return _shipment_answer(order, report.shipment_id, outcome)

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def record_invoice_status(
    invoice_id: str, command: InvoiceStatusReport, active: ActiveRules, uow: OrdersWork, clock: Clock
) -> dict[str, Any]:
    report = _written_back(command, clock())
    order_id = uow.orders.order_of_invoice(invoice_id) if is_invoice_id(invoice_id) else None
    if order_id is None:
        raise InvoiceNotFound(f"no invoice with id {invoice_id[:60]!r}")

    def attempt() -> dict[str, Any]:
        now = clock()
        order = _get(order_id, uow)
        version = order.version
        outcome = write_back(order, invoice_id, report, uow.accounts.get(order.account_id), now)
        invoice = order.invoice(invoice_id)
        assert invoice is not None
        if outcome.changed:
            # the account's payment signals (its health), in the same transaction
            payment = signal_change(
                uow, order.account_id, lambda s: record_invoice(s, invoice, order.order_id, now), active, now
            )
            uow.commit(_change(order, version, outcome, active, now).merge(payment))
        return {"order_id": order.order_id, **{k: v for k, v in invoice.items() if k != "event_id"}}

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _written_back(command: InvoiceStatusReport, now: datetime) -> dict[str, Any]:
    """What finance wrote back, as the invoice's history keeps it: only what it said."""
    said = {
        "invoice_number": command.invoice_number,
        "reason": command.reason,
        "due_date": command.due_date.isoformat() if command.due_date else None,
    }
    return {"status": command.status, "at": command.at or iso(now), **{k: v for k, v in said.items() if v is not None}}


def _change(order: Order, version: int, outcome: Outcome, active: ActiveRules, now: datetime) -> Change:
    """The order (at the version read), each new invoice's key, the finance deliveries, the
    account manager's alerts and the events — one transaction."""
    return Change(
        saves=[
            Save(order, version),
            *(Save(d, None) for d in outcome.deliveries),
            *finance_alerts(outcome, order, active, now),
        ],
        # a new invoice's key: refused if the invoice exists (and how finance's write-back finds it)
        claims=[Claim(f"invoice#{invoice_id}", order.subject) for invoice_id in outcome.created],
        events=outcome.events,
    )


def _account_of(order: Order, uow: OrdersWork) -> tuple[Account, Save]:
    """The buyer as it is now (its credit code may have come since the order), and its Save."""
    account = uow.accounts.get(order.account_id)
    if account is not None:
        return account, Save(account, account.version)
    snapshot = order.account
    fresh = Account(order.account_id, str(snapshot.get("name") or ""), snapshot.get("country"))
    fresh.credit_code, fresh.address, fresh.orders = (
        snapshot.get("credit_code"),
        snapshot.get("address"),
        [order.order_id],
    )
    return fresh, Save(fresh, None)


def _shipment_answer(order: Order, shipment_id: str, outcome: Outcome) -> dict[str, Any]:
    shipment = order.shipments[shipment_id]
    return {
        "order_id": order.order_id,
        "shipment_id": shipment_id,
        "status": shipment["status"],
        "recorded": outcome.changed,
        "lines": [
            {
                "sku": line["sku"],
                "quantity": line["quantity"],
                "shipped": order.shipped(line["sku"]),
                "signed": order.signed(line["sku"]),
            }
            for line in order.lines
        ],
        "invoices": [
            {"invoice_id": i["invoice_id"], "status": i["status"], "amount": i["amount"]} for i in order.invoices
        ],
    }


def _get(order_id: str, uow: OrdersWork, field: str | None = None) -> Order:
    order = uow.orders.get(order_id) if is_order_id(order_id) else None
    if order is None:
        raise OrderNotFound(f"no order with id {order_id[:60]!r}", fields={field: "no such order"} if field else None)
    return order


__all__ = ["OrderCreation", "get_order", "order_change", "record_invoice_status", "record_shipment_report"]
