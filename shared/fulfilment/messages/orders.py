"""Fulfilment (CONTRACT §2.8, §2.9): the signed contract, its order, shipments and invoices — the
webhooks' reports, finance's write-back and the answers."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.customers.domain.contracts import COMPLETED, ENVELOPE_TEXT_LIMIT, ContractStatus
from shared.fulfilment.domain.invoices import (
    ID_LIMIT,
    REASON_LIMIT,
    SHIPMENT_STATUSES,
    WRITE_BACK,
    report_id,
    report_time,
    shipment_lines,
)
from shared.fulfilment.domain.orders import MAX_LINES, MAX_QUANTITY, SKU_LIMIT, InvoiceOn
from shared.kernel.domain.events import DATE_EXPECTED, parse_date
from shared.kernel.domain.forms import text_problem
from shared.kernel.messages import validation as check
from shared.kernel.messages.types import Absent, Day, Instant, Money, example, one_of
from shared.sales.domain.sales_intake import day_of

EXAMPLE_ORDER_ID = "or_4c1d9e0f2a3b5c6d7e8f"
EXAMPLE_INVOICE_ID = "inv_8a7b6c5d4e3f2a1b0c9d"
EXAMPLE_CONTRACT_ID = "ct_3e2d1c0b9a8f7e6d5c4b"
Id = Annotated[str, Field(min_length=1, max_length=ID_LIMIT)]
EnvelopeText = Annotated[str, Field(min_length=1, max_length=ENVELOPE_TEXT_LIMIT, pattern=r"\S")]
History = Annotated[list[dict[str, Any]], Field(description="the newest 100 entries")]
EarlierHistory = Annotated[
    dict[str, Any] | None,
    Field(description="older entries, counted: `entries`, `by_type`, `first_at`, `last_at`"),
]


class ShipmentLine(BaseModel):
    """a sku and how many of it the shipment holds"""

    sku: Annotated[str, Field(min_length=1, max_length=SKU_LIMIT)]
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]


def _required_id(value: Any) -> str:
    """A shipment's or an order's id: left out, report_id says what it must be."""
    try:
        return report_id(value)
    except ValueError as bad:
        raise check.refuse(str(bad)) from None


def _when(value: Any, info: ValidationInfo) -> str | None:
    """When it happened, as ISO text; absent: None (the service's now)."""
    if value is None:
        return None
    try:
        return report_time(value, check.context_of(info)["now"])
    except ValueError as bad:
        raise check.refuse(str(bad)) from None


def _shipment_lines(value: Any) -> dict[str, int] | None:
    """sku -> quantity; None: not given (a known shipment's later status)."""
    if value is None:
        return None
    lines, problems = shipment_lines(value)
    if "" in problems:
        raise check.refuse(problems[""])
    if problems:
        raise check.refuse_within(problems, value)
    return lines


def _due(value: Any) -> date:
    """The day finance says the invoice is due, ``YYYY-MM-DD``."""
    try:
        return parse_date(str(value))
    except ValueError:
        raise ValueError(DATE_EXPECTED) from None


ReportId = Annotated[Id, BeforeValidator(_required_id)]  # required
ShipmentStatus = Annotated[
    str, one_of(SHIPMENT_STATUSES), BeforeValidator(check.one_of(SHIPMENT_STATUSES, required=True))
]
WhenReported = Annotated[str | Absent, PlainValidator(_when, json_schema_input_type=Instant | Absent)]


class ShipmentReport(check.Command):
    """Signed sources only. Statuses may repeat or arrive out of order (the furthest one counts). When
    the order is shipped and signed for — every line (Settings `invoice_on` = `order_signed`) or this
    shipment (`shipment_signed`) — `InvoiceRequested` is recorded exactly once and delivered to
    finance; a Chinese buyer without a valid credit code gets `InvoiceBlocked`. More than the order
    holds → `409 over_delivery`, nothing stored."""

    model_config = example({"shipment_id": "SH-20261122-01", "order_id": EXAMPLE_ORDER_ID, "status": "signed",
                            "at": "2026-11-22T08:00:00Z", "lines": [{"sku": "CL-PRO", "quantity": 10}]})  # fmt: skip

    shipment_id: ReportId = Field(description="the warehouse's id")
    order_id: ReportId = Field(description="the order (`or_…`, from `POST /webhooks/esign`)")
    status: ShipmentStatus = Field(description="`signed`: delivered and signed for by the customer (签收)")
    at: WhenReported = Field(None, description="when; default now")
    lines: Annotated[
        dict[str, int] | None,
        PlainValidator(
            _shipment_lines,
            json_schema_input_type=Annotated[list[ShipmentLine], Field(min_length=1, max_length=MAX_LINES)] | Absent,
        ),
    ] = Field(
        None,
        description="what the shipment holds: required the first time a shipment is reported; the same lines "
        "(or none) after that",
    )


class InvoiceStatusReport(check.Command):
    """Updates the order and alerts the account manager (`InvoiceIssued`, `InvoicePaid`,
    `InvoiceRejected`). The same status again changes nothing; an earlier status after a later one is
    kept in the history without moving the invoice back; paid after rejected, rejected after paid, or
    anything on a blocked invoice → `409 invalid_transition`."""

    model_config = example({"status": "issued", "invoice_number": "No 00012345"})

    status: Annotated[str, one_of(WRITE_BACK), BeforeValidator(check.one_of(tuple(WRITE_BACK), required=True))]
    invoice_number: Annotated[Id | Absent, BeforeValidator(check.reading(report_id))] = None
    due_date: Annotated[date | Absent, BeforeValidator(check.reading(_due))] = None
    at: WhenReported = Field(None, description="when; default now")
    reason: Annotated[
        Annotated[str, Field(min_length=1, max_length=REASON_LIMIT)] | Absent,
        BeforeValidator(check.reading(partial(report_id, limit=REASON_LIMIT))),
    ] = Field(None, description="required for `rejected`")

    @field_validator("reason", mode="after")
    @classmethod
    def _why_rejected(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("status") == "rejected" and not reason:
            raise check.refuse("is required when finance rejects an invoice")
        return reason


def _envelope_text(value: Any) -> str:
    """An envelope's id, its status, the quote's id: text a person could read."""
    if not isinstance(value, str) or not value.strip() or len(value) > ENVELOPE_TEXT_LIMIT:
        raise check.refuse(f"required text (at most {ENVELOPE_TEXT_LIMIT} characters)")
    if problem := text_problem(value):
        raise check.refuse(problem)
    return value.strip()


def _term_day(value: Any) -> str:
    """A day of the term, ``YYYY-MM-DD``: required of a completed envelope."""
    try:
        return day_of(value)
    except ValueError as bad:
        raise check.refuse(str(bad)) from None


TermDay = Annotated[str | Absent, PlainValidator(_term_day, json_schema_input_type=Day | Absent)]


class SignatureReport(check.Command):
    """Signed sources only. A `completed` envelope for an approved quote creates, in one transaction and
    once per envelope: the contract (`ContractSigned`, delivered to the ERP), the order with the
    quote's lines (`OrderCreated`, to the ERP), the account with its account manager (Routing rows
    with `object` = `account`, else the opportunity owner), the opportunity won, and the renewal
    reminders. Another status → `200 {"status": "ignored"}`. A quote that is not approved → `409
    quote_not_approved`, nothing created. The same envelope again → 200 with the same ids. A quote is
    signed once: another envelope for a quote that already has a contract → `409
    quote_already_signed` naming the contract (`fields.contract_id`), nothing created, also when
    envelopes race. Dates (`start_date`, `end_date`) and `signed_at` outside 1900–2200 → 400."""

    model_config = example({"envelope_id": "env-7f3a", "status": "completed", "quote_id": "qt_0123456789abcdef0123",
                            "signed_at": "2026-12-20T08:00:00Z", "start_date": "2027-01-01",
                            "end_date": "2027-12-31"})  # fmt: skip

    envelope_id: Annotated[EnvelopeText, BeforeValidator(_envelope_text)] = Field(
        description="the e-sign provider's envelope: one contract per envelope"
    )
    status: Annotated[EnvelopeText, BeforeValidator(_envelope_text)] = Field(
        description="`completed` creates the contract; any other status is ignored"
    )
    quote_id: Annotated[EnvelopeText, BeforeValidator(_envelope_text)] = Field(
        description="the approved quote that was signed (`qt_…`)"
    )
    signed_at: Annotated[str | Absent, PlainValidator(check.said_at, json_schema_input_type=Instant | Absent)] = Field(
        None, description="default now; not in the future"
    )
    start_date: TermDay = Field(None, description="first day of the term (required when completed)")
    end_date: TermDay = Field(None, description="last day of the term, on or after start_date (reminders count back)")

    @model_validator(mode="wrap")
    @classmethod
    def _ignored_unless_completed(cls, value: Any, handler: ModelWrapValidatorHandler[SignatureReport]) -> Any:
        """An envelope in another status is ignored, whatever else it says: nothing more is read."""
        try:
            status = _envelope_text(value.get("status")) if isinstance(value, dict) else COMPLETED
        except PydanticCustomError:
            status = COMPLETED  # refused with the rest
        if status == COMPLETED:
            return handler(value)
        return cls.model_construct(envelope_id=None, status=status, quote_id=None)

    @field_validator("end_date", mode="after")
    @classmethod
    def _term(cls, end: str | None, info: ValidationInfo) -> str | None:
        start = info.data.get("start_date")
        if start and end and end < start:
            raise check.refuse(f"the term ends ({end}) before it starts ({start})")
        return end

    @property
    def completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def term(self) -> tuple[str, str]:
        """The first and the last day: a completed envelope has both."""
        assert self.start_date is not None and self.end_date is not None
        return self.start_date, self.end_date


# ------------------------------------------------------------------ answers


class OrderLine(BaseModel):
    """an order line: its sku and quantity (on an order: shipped and signed too)"""

    model_config = ConfigDict(extra="allow")

    sku: str
    quantity: int


class InvoiceRef(BaseModel):
    """an invoice: its status and amount"""

    invoice_id: str
    status: Literal["blocked", "requested", "issued", "paid", "rejected"]
    amount: Money


class Invoice(InvoiceRef):
    """the invoice after it"""

    order_id: str | Absent = None
    scope: str | Absent = Field(None, description="`order`, or the shipment id it invoices")
    lines: list[OrderLine]
    currency: str
    shipments: list[dict[str, Any]]
    history: list[dict[str, Any]]
    invoice_number: str | None = None
    due_date: str | None = None
    blocked_reason: str | None = None


class ShipmentRecorded(BaseModel):
    """recorded (or already recorded)"""

    order_id: str
    shipment_id: str
    status: str = Field(description="the shipment's status now: the furthest reported")
    recorded: bool = Field(description="false: this report was already recorded")
    lines: list[OrderLine] = Field(description="per order line: quantity, shipped, signed")
    invoices: list[InvoiceRef]


class Delivery(BaseModel):
    """a delivery to the ERP or finance"""

    model_config = ConfigDict(extra="allow")

    delivery_id: str
    kind: str
    status: str
    attempts: list[dict[str, Any]] = Field(description="each attempt: when, and the answer")


class Order(BaseModel):
    """the order: lines, shipments, invoices, ERP and finance deliveries with their attempts"""

    order_id: str
    contract_id: str | Absent = None
    account_id: str
    account: dict[str, Any] | Absent = None
    lines: list[OrderLine]
    amount: Money
    currency: str
    invoice_on: InvoiceOn | Absent = None
    shipments: list[dict[str, Any]]
    invoices: list[Invoice]
    deliveries: list[Delivery] = Field(description="to the ERP and finance, each with its attempts and last answer")
    history: History | Absent = None
    earlier_history: EarlierHistory = None


class SignatureRecorded(BaseModel):
    """created: the contract, its order and account"""

    model_config = example({"status": "created", "contract_id": EXAMPLE_CONTRACT_ID, "order_id": EXAMPLE_ORDER_ID,
                            "account_id": "ac_5d1c0e9f8a7b6c5d4e3f"})  # fmt: skip

    status: Literal["created", "recorded", "ignored"]
    contract_id: str | Absent = None
    order_id: str | Absent = None
    account_id: str | Absent = None
    envelope_status: str | Absent = Field(None, description="ignored: the status the envelope had")


class Contract(BaseModel):
    """a signed contract: its quote, order, account, term, amount, renewal reminders, history"""

    contract_id: str
    source: str | Absent = None
    envelope_id: str | Absent = None
    quote_id: str
    opportunity_id: str | None = None
    account_id: str
    order_id: str
    owner_id: str | None = Field(None, description="who sold it")
    signed_at: datetime | Absent = None
    start_date: Day
    end_date: Day
    amount: str = Field(description="a decimal string")
    currency: str | Absent = None
    status: ContractStatus | Absent = None
    reminders: list[str] | Absent = Field(None, description="pending renewal reminder timers")
    rules_version: str | None = None
    history: History | Absent = None
    earlier_history: EarlierHistory = None
    on_hold: bool | Absent = Field(None, description="an unresolved P1 case on the account holds the renewal")
    hold: dict[str, Any] | None = Field(
        None, description='`{"case_ids", "since"}` while held (the renewal\'s approvals wait), else null'
    )
    reminded: list[dict[str, Any]] | Absent = Field(
        None,
        description='renewal reminders fired: `{"timer_id", "days_before", "due_at", "fired_at", "late_seconds", '
        '"on_hold", "case_ids"}`',
    )
    renewal_opportunity: dict[str, Any] | None = Field(
        None, description="the renewal opportunity opened at the Renewals row with `create_opportunity`"
    )
    ended_at: str | None = Field(None, description="when it was renewed or cancelled")
