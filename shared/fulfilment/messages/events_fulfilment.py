"""The fulfilment and finance events (CONTRACT §2.8, §2.9, §10): contracts, orders, shipments, invoices,
deliveries."""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import Field, with_config
from typing_extensions import TypedDict

from shared.kernel.messages.event_types import CLOSED, KPI_NEEDS, KPI_READS, Day, EventData, Instant, Money, OwnerId

ShipmentStatus = Literal["shipped", "delivered", "signed"]
InvoiceWriteBack = Literal["issued", "paid", "rejected"]
DeliveryKind = Literal["alert", "erp", "finance"]


@with_config(CLOSED)
class ContractAccount(TypedDict):
    name: str
    credit_code: str | None
    country: str | None


@with_config(CLOSED)
class Buyer(TypedDict):
    account_id: str
    name: str
    credit_code: str | None
    country: str | None
    address: NotRequired[str]


@with_config(CLOSED)
class InvoiceBuyer(TypedDict):
    name: str
    credit_code: str | None
    country: str | None
    address: NotRequired[str]


@with_config(CLOSED)
class OrderLine(TypedDict):
    sku: str
    name: str
    quantity: int
    unit_price: Money
    amount: Money


@with_config(CLOSED)
class ShipmentLine(TypedDict):
    sku: str
    quantity: int


@with_config(CLOSED)
class SignedShipment(TypedDict):
    shipment_id: str
    signed_at: Instant


class ContractSigned(EventData):
    """a completed e-sign envelope for an approved quote (CONTRACT §2.8): the contract, its order and account are
    created in the same transaction; delivered to the ERP"""

    subject = "contract/<contract_id>"
    contract_id: str = Field(description="`ct_…`, derived from the source and envelope id", json_schema_extra=KPI_NEEDS)
    quote_id: str = Field(description="the signed quote")
    opportunity_id: str | None = Field(description="its opportunity (now won), or `null`")
    order_id: str = Field(description="the order created with it (`OrderCreated` carries its lines)")
    account_id: str = Field(description="the customer account", json_schema_extra=KPI_NEEDS)
    account: ContractAccount = Field(description="`{name, credit_code, country}`")
    amount: Money = Field(description="the contract's total, a decimal string")
    annual_value: Money = Field(
        description="the amount per year of the term (for net revenue retention)", json_schema_extra=KPI_NEEDS
    )
    currency: str = Field(description="Settings `currency` when quoted")
    signed_at: Instant = Field(description="when it was signed")
    start_date: Day = Field(description="first day of the term", json_schema_extra=KPI_NEEDS)
    end_date: Day = Field(description="last day of the term", json_schema_extra=KPI_NEEDS)
    owner_id: OwnerId = Field(description="the account manager", json_schema_extra=KPI_READS)
    sold_by: OwnerId = Field(description="the quote's owner")


class OrderCreated(EventData):
    """the order of a signed contract, with the quote's lines: what the ERP consumes (delivered to the ERP URL)"""

    subject = "order/<order_id>"
    order_id: str = Field(description="`or_…`, derived from the contract: one order per contract")
    contract_id: str = Field(description="the signed contract")
    quote_id: str = Field(description="the quote it sells")
    opportunity_id: str | None = Field(description="the opportunity won")
    account: Buyer = Field(description='`{"account_id", "name", "credit_code", "country", "address"?}`: the buyer')
    lines: list[OrderLine] = Field(
        description='`[{"sku", "name", "quantity", "unit_price", "amount"}]`, money as decimal strings'
    )
    amount: Money = Field(description='the order\'s total, a decimal string (`"20199.99"`)')
    currency: str = Field(description="ISO 4217 (Settings `currency`)")


class ShipmentRecorded(EventData):
    """a shipment status from the warehouse or logistics (`POST /webhooks/shipments/{source}`); a repeat of the same
    status and time records nothing"""

    subject = "order/<order_id>"
    order_id: str = Field(description="the order")
    shipment_id: str = Field(description="the shipment (the warehouse's id)")
    status: ShipmentStatus = Field(description="the status reported: `shipped`, `delivered` or `signed`")
    shipment_status: ShipmentStatus = Field(
        description="the shipment's status now: the furthest reported (a late `shipped` never undoes `signed`)"
    )
    previous_status: ShipmentStatus | None = Field(
        description="its status before this report; `null` for a new shipment"
    )
    at: Instant = Field(description="when it happened, as reported")
    lines: list[ShipmentLine] = Field(description='`[{"sku", "quantity"}]` the shipment holds')
    source: str = Field(description="the signed source that reported it")


class InvoiceRequested(EventData):
    """the order (or, with `invoice_on` = `shipment_signed`, one shipment) is shipped and signed for: finance is
    asked to invoice it, exactly once (delivered to the finance URL)"""

    subject = "invoice/<invoice_id>"
    invoice_id: str = Field(description="`inv_…`, derived from the order and the shipment (or the whole order)")
    order_id: str = Field(description="the order")
    contract_id: str = Field(description="its contract")
    account: InvoiceBuyer = Field(
        description='`{"name", "credit_code", "country", "address"?}`: the buyer, as it is when invoiced'
    )
    lines: list[OrderLine] = Field(description='`[{"sku", "name", "quantity", "unit_price", "amount"}]` signed for')
    amount: Money = Field(
        description="the invoice's total, a decimal string; a line's invoices add up to its amount exactly"
    )
    currency: str = Field(description="the order's currency")
    shipments: list[SignedShipment] = Field(description='`[{"shipment_id", "signed_at"}]` it covers')
    last_signed_at: Instant = Field(
        description="when its last shipment was signed for (the KPI `invoice_lead_days_median` counts from here)",
        json_schema_extra=KPI_NEEDS,
    )
    owner_id: OwnerId | None = Field(
        description="the account manager (the KPIs' owner and team filters), or `null`", json_schema_extra=KPI_READS
    )


class _Invoice(EventData):
    """What every invoice event after the request says of the invoice."""

    subject = "invoice/<invoice_id>"
    invoice_id: str = Field(description="the invoice")
    order_id: str = Field(description="its order")
    amount: Money = Field(description="its total, a decimal string")
    currency: str = Field(description="its currency")
    account_id: str = Field(description="the buyer's account")


class InvoiceBlocked(_Invoice):
    """an owed invoice waits: the buyer is in China and has no valid unified social credit code (a 发票 names the
    buyer by it); its account manager is told; `PATCH /accounts/{id}` with the code releases it"""

    reason: Literal["missing_tax_id"] = Field(description="`missing_tax_id`")
    notify: list[OwnerId] = Field(description="the account manager told (empty if none)")


class _WriteBack(_Invoice):
    """What finance wrote back (`POST /invoices/{invoice_id}/status`)."""

    status: InvoiceWriteBack = Field(description="`issued`, `paid` or `rejected`")
    at: Instant = Field(description="when, as finance reported it")
    invoice_number: str | None = Field(description="finance's number for it (once given), or `null`")
    due_date: Day | None = Field(description="when payment is due (once given), or `null`")
    reason: str | None = Field(description="why, when rejected; else `null`")
    notify: list[OwnerId] = Field(description="the account manager told (empty if none)")


class InvoiceIssued(_WriteBack):
    """finance wrote back that it issued the invoice"""


class InvoicePaid(_WriteBack):
    """finance wrote back that the invoice is paid"""


class InvoiceRejected(_WriteBack):
    """finance wrote back that it rejected the invoice (with its reason)"""


class DeliveryFailed(EventData):
    """an outbound delivery (an alert, the ERP, finance) failed for good: a 4xx, or 3 days of retries (CONTRACT
    §10); it is also on the dead-letter queue"""

    subject = "what it was about: lead/<lead_id>, order/<order_id>, invoice/<invoice_id>, …"
    delivery_id: str = Field(description="the delivery (`closeloop deliveries retry ID` sends it again)")
    kind: DeliveryKind = Field(description="`alert`, `erp` or `finance`")
    channel: str = Field(description="`email`, a chat channel's name, `erp` or `finance`")
    to: str | None = Field(description="alerts: the owner_id it was for; null otherwise")
    cause: str = Field(description="what caused it: the timer id (alerts) or the event id (ERP, finance)")
    attempts: int = Field(description="attempts in this round of retries")
    last_answer: str = Field(description="the receiver's last answer: status and reason, `timeout` or `refused`")


class DeliveryRetried(EventData):
    """someone sent a delivery again by hand (`closeloop deliveries retry`): a new round of retries starts; the
    envelope's `actor` says who (CONTRACT §12)"""

    subject = "what it was about: lead/<lead_id>, order/<order_id>, invoice/<invoice_id>, …"
    delivery_id: str = Field(description="the delivery sent again")
    kind: DeliveryKind = Field(description="`alert`, `erp` or `finance`")
    channel: str = Field(description="`email`, a chat channel's name, `erp` or `finance`")
    to: str | None = Field(description="alerts: the owner_id it was for; null otherwise")
    status_before: Literal["failed", "pending"] = Field(description="`failed` or `pending`")
    attempts_before: int = Field(description="attempts recorded before this round")
