"""Shipments and invoices (CONTRACT §2.9): from shipment statuses to invoices, exactly once.

A shipment's status is the furthest one reported (shipped < delivered < signed): statuses may
repeat or come out of order, and a late ``shipped`` never undoes a ``signed``. After every
report the order is asked what invoices it now owes — one for the whole order once every line
is signed for (``order_signed``), or one per signed shipment (``shipment_signed``) — and each
owed invoice that does not exist yet is created. Its id follows from the order and its scope,
so the question can be asked any number of times, by racing requests too, and the answer is
still one invoice.

An invoice is ``requested`` (``InvoiceRequested``, sent to finance) or, for a Chinese buyer
without a valid credit code, ``blocked`` (``InvoiceBlocked``, reason ``missing_tax_id``) until
the code is supplied. Finance writes back ``issued``, ``paid`` or ``rejected``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from shared.customers.domain.accounts import Account
from shared.deliveries.domain.deliveries import Delivery, event_delivery
from shared.fulfilment.domain.orders import (
    FINANCE,
    MAX_LINES,
    MAX_QUANTITY,
    SKU_LIMIT,
    InvoiceStatus,
    Order,
    cents,
    invoice_id_for,
)
from shared.kernel.domain.errors import InvalidTransition, OverDelivery, ShipmentLinesChanged, ValidationFailed
from shared.kernel.domain.events import (
    TIME_EXPECTED,
    Event,
    EventType,
    in_the_future,
    iso,
    parse_iso,
)

SHIPMENT_STATUSES = ("shipped", "delivered", "signed")
RANK = {status: n for n, status in enumerate(SHIPMENT_STATUSES)}
# what finance may write back, and the event each records
WRITE_BACK: dict[InvoiceStatus, EventType] = {
    "issued": "InvoiceIssued",
    "paid": "InvoicePaid",
    "rejected": "InvoiceRejected",
}
INVOICE_RANK: dict[InvoiceStatus, int] = {"requested": 0, "issued": 1, "paid": 2}
MISSING_TAX_ID = "missing_tax_id"
ID_LIMIT = 100  # a shipment id, an order id, an invoice number
REASON_LIMIT = 500  # why finance rejected an invoice


@dataclass(frozen=True)
class ShipmentReport:
    shipment_id: str
    order_id: str
    status: str
    at: str
    lines: dict[str, int] | None  # sku -> quantity; None: not given (a known shipment's later status)
    source: str | None = None  # the signed source that reported it


@dataclass
class Outcome:
    """What one change to an order did: its events, the deliveries they cause, invoices made."""

    events: list[Event] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # invoices made by this change (their keys are claimed)
    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    changed: bool = False


def report_id(value: Any, limit: int = ID_LIMIT) -> str:
    """A shipment id, an order id, an invoice number, finance's reason: printable text, trimmed."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
        raise ValueError(f"is required: printable text of 1 to {limit} characters")
    return value.strip()


def report_time(value: Any, now: datetime) -> str:
    """When a report says it happened (ISO 8601), not in the future; absent: ``now``."""
    if value is None:
        return iso(now)
    try:
        moment = parse_iso(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(TIME_EXPECTED)
    if in_the_future(moment, now):
        raise ValueError("is in the future (5 minutes of clock skew allowed)")
    return iso(moment)


def shipment_lines(raw: Any) -> tuple[dict[str, int], dict[str, str]]:
    """A shipment's lines ``[{sku, quantity}]`` as sku -> quantity, and what is wrong with them by
    place (``""``: the list itself; ``"[0].sku"``: a line's field)."""
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        return {}, {"": f"must be a list of 1 to {MAX_LINES} lines [{{sku, quantity}}]"}
    lines: dict[str, int] = {}
    problems: dict[str, str] = {}
    for i, item in enumerate(raw):
        sku = item.get("sku") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if not isinstance(sku, str) or not sku.strip() or len(sku) > SKU_LIMIT:
            problems[f"[{i}].sku"] = f"must be text of 1 to {SKU_LIMIT} characters"
        elif sku.strip() in lines:
            problems[f"[{i}].sku"] = "appears twice in this shipment"
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_QUANTITY:
            problems[f"[{i}].quantity"] = f"must be a whole number from 1 to {MAX_QUANTITY}"
        if isinstance(sku, str) and f"[{i}].sku" not in problems and isinstance(quantity, int):
            lines[sku.strip()] = quantity
    return lines, problems


def _check_lines(order: Order, report: ShipmentReport, lines: dict[str, int]) -> None:
    """409 over_delivery naming each line that would take more than the order holds."""
    problems = {}
    for i, (sku, quantity) in enumerate(lines.items()):
        line = order.line(sku)
        held = line["quantity"] if line else 0
        already = order.shipped(sku, besides=report.shipment_id)
        if already + quantity > held:
            what = "is not on the order" if line is None else f"the order holds {held}, other shipments {already}"
            problems[f"lines[{i}].quantity"] = f"{quantity} of {sku} is more than is left to ship: {what}"
    if problems:
        raise OverDelivery("the shipment holds more than the order has left to ship", fields=problems)


def _shipment(order: Order, report: ShipmentReport) -> dict[str, Any]:
    """The shipment the report is about, new or known; its lines checked."""
    known = order.shipments.get(report.shipment_id)
    if known is None:
        if report.lines is None:
            raise ValidationFailed("a new shipment needs its lines", fields={"lines": "is required for a new shipment"})
        _check_lines(order, report, report.lines)
        return {
            "shipment_id": report.shipment_id,
            "status": report.status,
            "lines": dict(report.lines),
            "first_at": report.at,
            "signed_at": None,
            "reports": [],
        }
    if report.lines is not None and report.lines != known["lines"]:
        raise ShipmentLinesChanged(
            f"shipment {report.shipment_id!r} was reported with other lines before",
            fields={"lines": f"differ from the lines first reported: {known['lines']}"},
        )
    return known


def record_shipment(order: Order, report: ShipmentReport, account: Account, now: datetime) -> Outcome:
    """Record one shipment report on the order, then make the invoices the order now owes.
    A report already recorded (same shipment, status and time) changes nothing."""
    shipment = _shipment(order, report)
    entry = {"status": report.status, "at": report.at}
    outcome = Outcome()
    if any(r["status"] == entry["status"] and r["at"] == entry["at"] for r in shipment["reports"]):
        return outcome
    before = shipment["status"] if shipment["reports"] else None
    shipment["reports"].append({**entry, "recorded_at": iso(now)})
    shipment["status"] = max((r["status"] for r in shipment["reports"]), key=RANK.__getitem__)
    signed = sorted(r["at"] for r in shipment["reports"] if r["status"] == "signed")
    shipment["signed_at"] = signed[0] if signed else None
    order.shipments[report.shipment_id] = shipment
    order.note({"at": iso(now), "type": "shipment", "shipment_id": report.shipment_id, **entry})
    order.updated_at = iso(now)
    data = {
        "order_id": order.order_id,
        "shipment_id": report.shipment_id,
        "status": report.status,
        "shipment_status": shipment["status"],
        "previous_status": before,
        "at": report.at,
        "lines": [{"sku": s, "quantity": q} for s, q in shipment["lines"].items()],
        "source": report.source,
    }
    outcome.events.append(order.event("ShipmentRecorded", order.subject, now, data))
    outcome.changed = True
    for invoice in owed_invoices(order, now):
        outcome.created.append(invoice["invoice_id"])
        open_invoice(order, invoice, account, now, outcome)
    return outcome


def owed_invoices(order: Order, now: datetime) -> list[dict[str, Any]]:
    """The invoices the order owes now and does not have yet."""
    if order.invoice_on == "shipment_signed":
        signed = [s for s in order.shipments.values() if s["status"] == "signed"]
        owed = [(s["shipment_id"], [s]) for s in sorted(signed, key=lambda s: (s["signed_at"], s["shipment_id"]))]
    elif order.fully_signed:
        owed = [("order", sorted(order.shipments.values(), key=lambda s: (s["first_at"], s["shipment_id"])))]
    else:
        owed = []
    fresh = []
    for scope, shipments in owed:
        invoice_id = invoice_id_for(order.order_id, scope)
        if order.invoice(invoice_id) is None:
            fresh.append(_invoice(order, invoice_id, scope, shipments, now))
            order.invoices.append(fresh[-1])  # the next one's amounts count this one's
    return fresh


def _invoice(
    order: Order, invoice_id: str, scope: str, shipments: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    quantities: dict[str, int] = {}
    for shipment in shipments:
        for sku, quantity in shipment["lines"].items():
            if shipment["status"] == "signed":
                quantities[sku] = quantities.get(sku, 0) + quantity
    lines = [_invoice_line(order, sku, quantity) for sku, quantity in quantities.items()]
    return {
        "invoice_id": invoice_id,
        "scope": scope,
        "status": "new",
        "lines": lines,
        "amount": cents(sum((Decimal(line["amount"]) for line in lines), Decimal(0))),
        "currency": order.currency,
        "shipments": [{"shipment_id": s["shipment_id"], "signed_at": s["signed_at"]} for s in shipments],
        "created_at": iso(now),
        "history": [],
    }


def _invoice_line(order: Order, sku: str, quantity: int) -> dict[str, Any]:
    """A line's share: its amount × quantity ÷ ordered, in cents; the invoice that completes the
    line takes what is left, so a line's invoices always add up to its amount exactly."""
    line = order.line(sku)
    assert line is not None
    before = [il for inv in order.invoices for il in inv["lines"] if il["sku"] == sku]
    done_quantity = sum(il["quantity"] for il in before)
    done_amount = sum((Decimal(il["amount"]) for il in before), Decimal(0))
    if done_quantity + quantity >= line["quantity"]:
        amount = Decimal(line["amount"]) - done_amount
    else:
        amount = Decimal(line["amount"]) * quantity / line["quantity"]
    return {**{k: line[k] for k in ("sku", "name", "unit_price")}, "quantity": quantity, "amount": cents(amount)}


def open_invoice(order: Order, invoice: dict[str, Any], account: Account, now: datetime, outcome: Outcome) -> None:
    """A new invoice: requested from finance, or blocked on the buyer's missing tax id."""
    if account.needs_tax_id:
        invoice["status"], invoice["blocked_reason"] = "blocked", MISSING_TAX_ID
        invoice["history"].append({"status": "blocked", "at": iso(now), "reason": MISSING_TAX_ID})
        account.block(order.order_id, invoice["invoice_id"])
        data = {
            **_about(order, invoice),
            "reason": MISSING_TAX_ID,
            "account_id": account.account_id,
            "notify": [account.account_manager_id] if account.account_manager_id else [],
        }
        subject = f"invoice/{invoice['invoice_id']}"
        outcome.events.append(order.event("InvoiceBlocked", subject, now, data))
        outcome.blocked.append(invoice["invoice_id"])
        return
    request_invoice(order, invoice, account, now, outcome)


def request_invoice(order: Order, invoice: dict[str, Any], account: Account, now: datetime, outcome: Outcome) -> None:
    """``InvoiceRequested`` with CONTRACT §2.9's payload, and its delivery to finance. The event's
    id follows from the invoice: however many paths reach here, it can be recorded once."""
    invoice["status"], invoice["blocked_reason"] = "requested", None
    invoice["account"] = account.invoice_party()
    invoice["requested_at"] = iso(now)
    invoice["history"].append({"status": "requested", "at": iso(now)})
    data = {
        "invoice_id": invoice["invoice_id"],
        "order_id": order.order_id,
        "contract_id": order.contract_id,
        "account": invoice["account"],
        "lines": invoice["lines"],
        "amount": invoice["amount"],
        "currency": invoice["currency"],
        "shipments": invoice["shipments"],
        # for the KPIs (invoice_lead_days_median, filters by owner and team)
        "last_signed_at": max((str(s["signed_at"]) for s in invoice["shipments"] if s.get("signed_at")), default=None),
        "owner_id": account.account_manager_id,
    }
    event = order.event("InvoiceRequested", f"invoice/{invoice['invoice_id']}", now, data, once=True)
    delivery = event_delivery(event.envelope(), FINANCE, now)
    invoice["event_id"], invoice["delivery_id"] = event.id, delivery.delivery_id
    order.deliveries.append(delivery.delivery_id)
    order.updated_at = iso(now)
    outcome.events.append(event)
    outcome.deliveries.append(delivery)
    outcome.requested.append(invoice["invoice_id"])
    outcome.changed = True


def release_invoice(order: Order, invoice_id: str, account: Account, now: datetime, outcome: Outcome) -> None:
    """The buyer's tax id is there now: a blocked invoice is requested (anything else stays)."""
    invoice = order.invoice(invoice_id)
    if invoice is not None and invoice["status"] == "blocked" and not account.needs_tax_id:
        request_invoice(order, invoice, account, now, outcome)
        order.note({"at": iso(now), "type": "invoice", "invoice_id": invoice_id, "status": "requested"})


def _about(order: Order, invoice: dict[str, Any]) -> dict[str, Any]:
    return {
        "invoice_id": invoice["invoice_id"],
        "order_id": order.order_id,
        "amount": invoice["amount"],
        "currency": invoice["currency"],
    }


def write_back(
    order: Order, invoice_id: str, report: dict[str, Any], account: Account | None, now: datetime
) -> Outcome:
    """Finance's answer on an invoice. The same answer again changes nothing; an earlier status
    arriving after a later one is kept in the invoice's history without moving it back; what
    contradicts the invoice's state (paid after rejected, anything on a blocked one) is 409."""
    invoice = order.invoice(invoice_id)
    assert invoice is not None
    # the write-back command lets only WRITE_BACK statuses through; the invoice holds one of InvoiceStatus
    status, current = cast(InvoiceStatus, report["status"]), cast(InvoiceStatus, invoice["status"])
    outcome = Outcome()
    if current == status:
        return outcome  # a repeat
    _check_write_back(invoice, current, status)
    entry = {k: v for k, v in report.items() if v is not None} | {"recorded_at": iso(now)}
    invoice["history"].append(entry)
    for name in ("invoice_number", "due_date", "reason"):
        if report.get(name) and not invoice.get(name):
            invoice[name] = report[name]
    order.note({"at": iso(now), "type": "invoice", "invoice_id": invoice_id, "status": status})
    order.updated_at = iso(now)
    outcome.changed = True
    if current != "rejected" and status != "rejected" and INVOICE_RANK[status] < INVOICE_RANK[current]:
        return outcome  # late news: recorded, the invoice stays where it is
    invoice["status"] = status
    invoice[f"{status}_at"] = report["at"]
    kind = WRITE_BACK[status]
    data = {
        **_about(order, invoice),
        "status": status,
        "at": report["at"],
        "invoice_number": invoice.get("invoice_number"),
        "due_date": invoice.get("due_date"),
        "reason": report.get("reason"),
        "account_id": order.account_id,
        "notify": [account.account_manager_id] if account and account.account_manager_id else [],
    }
    outcome.events.append(order.event(kind, f"invoice/{invoice_id}", now, data))
    return outcome


def _check_write_back(invoice: dict[str, Any], current: str, status: str) -> None:
    if current in ("blocked", "new"):
        why = "it is blocked (the buyer's tax id is missing) and was never sent to finance"
    elif current == "rejected":
        why = "finance rejected it"
    elif current == "paid" and status == "rejected":
        why = "it is paid"
    else:
        return
    raise InvalidTransition(
        f"invoice {invoice['invoice_id']} cannot become {status}: {why}",
        fields={"status": f"not allowed while the invoice is {current}"},
    )


__all__ = [
    "SHIPMENT_STATUSES",
    "Outcome",
    "ShipmentLinesChanged",
    "ShipmentReport",
    "record_shipment",
    "release_invoice",
    "report_id",
    "report_time",
    "request_invoice",
    "shipment_lines",
    "write_back",
]
