"""Orders (CONTRACT §2.8–2.9): what a signed contract sells, what has shipped and been signed
for, and the invoices that follow.

Money is ``Decimal`` (never float) and is stored and told as strings with two decimals
(``"1200.00"``). Ids are derived, never random, wherever a repeat must find the same thing:
the order from its contract, an invoice from its order and scope (the whole order, or one
shipment), the events an ERP or finance consumes from what they are about — so a retried
request, a racing one, or two paths to the same invoice can only ever write it once (the
unit of work's "must not exist yet" conditions refuse the second).

``new_order`` is what the e-sign webhook calls inside its own Change: it returns the order,
``OrderCreated`` and the ERP delivery, and adds the order to the account (whose Save the
caller puts in the same Change).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, cast, get_args

from shared.customers.domain.accounts import Account
from shared.deliveries.domain.deliveries import Delivery, event_delivery
from shared.kernel.domain.documents import Document
from shared.kernel.domain.errors import InvalidTransition, ValidationFailed
from shared.kernel.domain.events import Event, EventType, iso
from shared.kernel.domain.history import Summary, keep_newest
from shared.kernel.domain.stored_json import stored_size

InvoiceOn = Literal["order_signed", "shipment_signed"]
# an invoice's life: made (new), held for the buyer's tax id (blocked), sent to finance (requested),
# then what finance wrote back
InvoiceStatus = Literal["new", "blocked", "requested", "issued", "paid", "rejected"]
INVOICE_ON: tuple[InvoiceOn, ...] = get_args(InvoiceOn)
CENT = Decimal("0.01")
MAX_LINES = 200
SKU_LIMIT = 100
MAX_QUANTITY = 10**9
MAX_MONEY = Decimal(10) ** 15
MAX_ORDER_BYTES = 300_000  # one DynamoDB item (400 KB) holds the order, its shipments and invoices
HISTORY_KEEP = 100  # history entries kept whole; older ones are summarised
ERP = "erp"
FINANCE = "finance"


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def order_id_for(contract_id: str) -> str:
    """One order per contract: the e-sign webhook's repeat finds the same order."""
    return f"or_{_digest('order', contract_id)[:20]}"


def invoice_id_for(order_id: str, scope: str) -> str:
    """One invoice per order (``scope`` = "order") or per signed shipment (its shipment id)."""
    return f"inv_{_digest(order_id, scope)[:20]}"


def event_id_for(about: str, kind: str) -> str:
    """The id of an event that happens at most once for what it is about (OrderCreated of an
    order, InvoiceRequested of an invoice): its outbox item and its delivery can exist only once."""
    return f"evt_{_digest(about, kind)[:32]}"


def is_order_id(text: str) -> bool:
    return len(text) == 23 and text.startswith("or_") and all(c in "0123456789abcdef" for c in text[3:])


def is_invoice_id(text: str) -> bool:
    return len(text) == 24 and text.startswith("inv_") and all(c in "0123456789abcdef" for c in text[4:])


def money(value: Any) -> Decimal:
    """An amount as Decimal: a Decimal, an int or a numeric string; never a float (binary
    fractions are not money). ValueError otherwise."""
    if isinstance(value, bool | float):
        raise ValueError("must be a decimal string or an integer, not a float")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, str) and len(value.strip()) <= 40:
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError("is not a number") from None
    else:
        raise ValueError("must be a decimal string or an integer")
    if not number.is_finite() or number < 0 or number >= MAX_MONEY:
        raise ValueError(f"must be a finite amount from 0 to {MAX_MONEY}")
    return number


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _line(raw: Any, i: int, errors: dict[str, str]) -> dict[str, Any] | None:
    where = f"lines[{i}]"
    if not isinstance(raw, Mapping):
        errors[where] = "must be an object with sku, name, quantity, unit_price"
        return None
    sku, name, quantity = raw.get("sku"), raw.get("name"), raw.get("quantity")
    if not isinstance(sku, str) or not sku.strip() or len(sku) > SKU_LIMIT:
        errors[f"{where}.sku"] = f"must be text of 1 to {SKU_LIMIT} characters"
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_QUANTITY:
        errors[f"{where}.quantity"] = f"must be a whole number from 1 to {MAX_QUANTITY}"
    try:
        unit_price = money(raw.get("unit_price"))
        amount = money(raw["amount"]) if raw.get("amount") is not None else None
    except ValueError as bad:
        errors[f"{where}.unit_price"] = str(bad)
        return None
    if f"{where}.sku" in errors or f"{where}.quantity" in errors:
        return None
    assert isinstance(sku, str) and isinstance(quantity, int)
    total = amount if amount is not None else unit_price * quantity
    return {
        "sku": sku.strip(),
        "name": str(name or sku).strip()[:200],
        "quantity": quantity,
        "unit_price": str(unit_price),
        "amount": cents(total),
    }


def parse_lines(raw: Any) -> list[dict[str, Any]]:
    """An order's lines: ``[{sku, name?, quantity, unit_price, amount?}]``; ``amount`` (the line's
    net, discounts included) defaults to quantity × unit price. One line per sku."""
    errors: dict[str, str] = {}
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        raise ValidationFailed("an order needs its lines", fields={"lines": f"must be a list of 1 to {MAX_LINES}"})
    lines, seen = [], set()
    for i, item in enumerate(raw):
        line = _line(item, i, errors)
        if line is None:
            continue
        if line["sku"] in seen:
            errors[f"lines[{i}].sku"] = "appears twice: one line per sku (shipments name lines by sku)"
        seen.add(line["sku"])
        lines.append(line)
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    return lines


@dataclass
class Order(Document):
    order_id: str
    contract_id: str
    quote_id: str | None
    opportunity_id: str | None
    account_id: str
    account: dict[str, Any]  # the buyer when the order was made: name, credit_code, country, address?
    lines: list[dict[str, Any]]  # [{sku, name, quantity, unit_price, amount}], money as strings
    amount: str
    currency: str
    invoice_on: str  # Settings invoice_on when the order was made: it is invoiced that way to the end
    created_at: str
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)  # shipment id -> shipment
    invoices: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)  # ERP and finance delivery ids
    history: list[dict[str, Any]] = field(default_factory=list)  # the newest HISTORY_KEEP entries
    earlier_history: Summary | None = None  # the older ones, counted (shared/kernel/domain/history.py)
    rules_version: str | None = None
    updated_at: str | None = None
    version: int = 0

    @property
    def subject(self) -> str:
        return f"order/{self.order_id}"

    def line(self, sku: str) -> dict[str, Any] | None:
        return next((line for line in self.lines if line["sku"] == sku), None)

    def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return next((inv for inv in self.invoices if inv["invoice_id"] == invoice_id), None)

    def shipped(self, sku: str, *, besides: str | None = None) -> int:
        """How much of a sku the shipments hold (``besides``: leave that shipment out)."""
        return sum(s["lines"].get(sku, 0) for sid, s in self.shipments.items() if sid != besides)

    def signed(self, sku: str) -> int:
        return sum(s["lines"].get(sku, 0) for s in self.shipments.values() if s["status"] == "signed")

    @property
    def fully_signed(self) -> bool:
        return all(self.signed(line["sku"]) >= line["quantity"] for line in self.lines)

    def listed_invoices(self) -> list[ListedInvoice]:
        """Each invoice as lists show it, with its order and account."""
        return [ListedInvoice.of(self, invoice) for invoice in self.invoices]

    @property
    def status(self) -> str:
        """Where the order stands, for lists: ``open`` (nothing shipped), ``shipping``, ``fulfilled``
        (every line signed for), ``paid`` (fulfilled and every invoice paid)."""
        if self.fully_signed:
            paid = bool(self.invoices) and all(inv.get("status") == "paid" for inv in self.invoices)
            return "paid" if paid else "fulfilled"
        return "shipping" if self.shipments else "open"

    def note(self, entry: dict[str, Any]) -> None:
        """One entry in the order's history; refused (409) when the order's item is full."""
        history, summary = self.history, self.earlier_history
        self.history, self.earlier_history = keep_newest([*history, entry], summary, HISTORY_KEEP)
        if stored_size(self.to_dict()) > MAX_ORDER_BYTES:
            self.history, self.earlier_history = history, summary
            raise InvalidTransition(
                "this order's history is full; record further changes in the ERP",
                fields={"order_id": "the order cannot take more entries"},
            )

    def event(self, kind: EventType, subject: str, now: datetime, data: dict[str, Any], *, once: bool = False) -> Event:
        """An event about this order or one of its invoices; ``once``: its id follows from what
        it is about, so it can be recorded only once."""
        if once:
            return Event(kind, subject, now, data, self.rules_version, id=event_id_for(subject, kind))
        return Event(kind, subject, now, data, self.rules_version)

    def view(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "contract_id": self.contract_id,
            "quote_id": self.quote_id,
            "opportunity_id": self.opportunity_id,
            "account_id": self.account_id,
            "account": self.account,
            "lines": [
                {**line, "shipped": self.shipped(line["sku"]), "signed": self.signed(line["sku"])}
                for line in self.lines
            ],
            "amount": self.amount,
            "currency": self.currency,
            "invoice_on": self.invoice_on,
            "shipments": sorted(self.shipments.values(), key=lambda s: (s["first_at"], s["shipment_id"])),
            "invoices": [{k: v for k, v in inv.items() if k != "event_id"} for inv in self.invoices],
            "history": self.history,
            "earlier_history": self.earlier_history,
            "rules_version": self.rules_version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def new_order(
    order_id: str,
    contract_id: str,
    quote_id: str | None,
    opportunity_id: str | None,
    account: Account,
    lines: Sequence[Mapping[str, Any]],
    currency: str,
    at: datetime,
    invoice_on: str = "order_signed",
    rules_version: str | None = None,
) -> tuple[Order, list[Event], list[Delivery]]:
    """A new order for a signed contract: the order, ``OrderCreated`` (what an ERP needs: the
    account with its credit code, the lines, amounts, currency) and its delivery to the ERP.
    Adds the order to ``account.orders``: save the account in the same Change.
    Raises ValidationFailed naming the bad line field, or an unknown ``invoice_on``."""
    if invoice_on not in INVOICE_ON:
        raise ValidationFailed("unknown invoice_on", fields={"invoice_on": f"must be one of {', '.join(INVOICE_ON)}"})
    parsed = parse_lines(list(lines))
    now = iso(at)
    order = Order(
        order_id=order_id,
        contract_id=contract_id,
        quote_id=quote_id,
        opportunity_id=opportunity_id,
        account_id=account.account_id,
        account=account.invoice_party(),
        lines=parsed,
        amount=cents(sum((Decimal(line["amount"]) for line in parsed), Decimal(0))),
        currency=currency,
        invoice_on=invoice_on,
        created_at=now,
        updated_at=now,
        rules_version=rules_version,
    )
    order.note({"at": now, "type": "created", "contract_id": contract_id})
    account.add_order(order_id)
    data = {
        "order_id": order_id,
        "contract_id": contract_id,
        "quote_id": quote_id,
        "opportunity_id": opportunity_id,
        "account": {"account_id": account.account_id, **order.account},
        "lines": parsed,
        "amount": order.amount,
        "currency": currency,
    }
    created = order.event("OrderCreated", order.subject, at, data, once=True)
    delivery = event_delivery(created.envelope(), ERP, at)
    order.deliveries.append(delivery.delivery_id)
    return order, [created], [delivery]


__all__ = [
    "INVOICE_ON",
    "Order",
    "cents",
    "event_id_for",
    "invoice_id_for",
    "money",
    "new_order",
    "order_id_for",
    "parse_lines",
]


@dataclass
class ListedInvoice(Document):
    """An invoice as lists show it (CONTRACT §11): a copy of the invoice in its order, which stays
    the record; stored again with every change of the order."""

    invoice_id: str
    order_id: str
    account_id: str
    status: InvoiceStatus
    amount: str
    currency: str
    created_at: str
    requested_at: str | None = None
    invoice_number: str | None = None
    due_date: str | None = None
    blocked_reason: str | None = None
    version: int = 0

    @classmethod
    def of(cls, order: Order, invoice: Mapping[str, Any]) -> ListedInvoice:
        return cls(
            invoice_id=str(invoice["invoice_id"]),
            order_id=order.order_id,
            account_id=order.account_id,
            status=cast(InvoiceStatus, invoice["status"]),
            amount=str(invoice["amount"]),
            currency=str(invoice["currency"]),
            created_at=str(invoice["created_at"]),
            requested_at=invoice.get("requested_at"),
            invoice_number=invoice.get("invoice_number"),
            due_date=invoice.get("due_date"),
            blocked_reason=invoice.get("blocked_reason"),
        )

    @property
    def subject(self) -> str:
        return f"invoice/{self.invoice_id}"
