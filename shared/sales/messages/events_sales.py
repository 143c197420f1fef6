"""The sales events (CONTRACT §2.6, §2.7): opportunities, quotes and their approvals."""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import Field, with_config
from typing_extensions import TypedDict

from shared.kernel.messages.event_types import (
    CLOSED,
    KPI_NEEDS,
    KPI_READS,
    Day,
    DecimalText,
    EventData,
    Instant,
    Money,
    OwnerId,
    described_as,
)
from shared.sales.domain.opportunities import OpportunityStatus
from shared.sales.domain.quotes import QuoteStatus


@with_config(CLOSED)
class OpportunityAccount(TypedDict):
    """The account an opportunity is for, as far as it is known."""

    company: NotRequired[str]
    credit_code: NotRequired[str]
    country: NotRequired[str]


@with_config(CLOSED)
class QuoteLine(TypedDict):
    sku: str
    name: str
    quantity: int
    list_price: Money
    discount: DecimalText
    amount: Money


@with_config(CLOSED)
class DiscountRule(TypedDict):
    """The Discounts row that applied (bounds as decimal text)."""

    priority: int
    min_amount: DecimalText | None
    max_amount: DecimalText | None
    min_discount: DecimalText | None
    max_discount: DecimalText | None
    approvers: list[str]


@with_config(CLOSED)
class Escalation(TypedDict):
    owner_id: OwnerId | None
    at: Instant
    level: int


@with_config(CLOSED)
class Step(TypedDict):
    """One approval step as the quote shows it."""

    approval_id: str
    step: int
    role: str
    approver_id: OwnerId
    status: str
    requested_at: Instant | None
    due_at: Instant | None
    decided_at: Instant | None
    decided_by: OwnerId | None
    decision: Literal["approve", "reject"] | None
    note: str | None
    rules_version: str | None
    escalated_to: list[Escalation]


@with_config(CLOSED)
class Approval(TypedDict):
    """The Discounts row that applied and the approval steps it asks for."""

    rule: DiscountRule
    steps: list[Step]


class OpportunityCreated(EventData):
    """an opportunity was opened, by `POST /opportunities` (from a lead or from scratch) or by Settings
    `create_opportunity_on` (CONTRACT §2.6)"""

    subject = "opportunity/<opportunity_id>"
    opportunity_id: str = Field(description="`op_…`")
    name: str = Field(description="the opportunity's name")
    owner_id: OwnerId = Field(description="its owner (approvers are found up their manager chain)")
    stage: str = Field(description="the stage it is in (the first by `order` when created)")
    status: OpportunityStatus = Field(description="`open`, `won` or `lost`")
    amount: Money | None = Field(description='the expected amount as decimal text (`"800000.00"`), or null')
    close_date: Day | None = Field(description="expected close date `YYYY-MM-DD`, or null")
    lead_id: str | None = Field(description="the lead it was converted from, or null")
    account: OpportunityAccount = Field(description="`{company, credit_code?, country?}`")
    rules_version: str = Field(description="the rules version that created it")
    stage_entered_at: Instant = Field(description="when it entered its stage")


class OpportunityStageChanged(EventData):
    """an opportunity moved to another stage (forward through its gates, back, to `lost`, or to won by a
    signature)"""

    subject = "opportunity/<opportunity_id>"
    from_: str = Field(alias="from", description="the stage it left")
    to: str = Field(description="the stage it entered (`lost` for a loss)")
    by: OwnerId = Field(description="who moved it (an owner_id; `e-sign` for a signed contract)")
    at: Instant = Field(description="when")
    direction: Literal["forward", "back", "lost"] = Field(description="`forward`, `back` or `lost`")
    owner_id: OwnerId = Field(description="the opportunity's owner")


class OpportunityStalled(EventData):
    """an opportunity stayed in a stage longer than its `max_days`; its owner and their manager are told"""

    subject = "opportunity/<opportunity_id>"
    kind: Literal["opportunity_stalled"] = Field(description="`opportunity_stalled`")
    stage: str = Field(description="the stage it is stuck in")
    entered_at: Instant = Field(description="when it entered it")
    max_days: float = Field(description="the stage's `max_days`")
    due_at: Instant = Field(description="entered_at + max_days")
    owner_id: OwnerId = Field(description="the opportunity's owner")
    manager_id: OwnerId | None = Field(description="the owner's manager, or null")
    late_seconds: int = Field(description="how late the timer fired (0 when on time)")
    notify: list[OwnerId] = Field(description="who is told: the owner and their manager")


class OpportunityWon(EventData):
    """an opportunity reached the last stage by `order` (through its gates, or by a signed contract)"""

    subject = "opportunity/<opportunity_id>"
    by: OwnerId = Field(description="who moved it")
    at: Instant = Field(description="when")
    won_at: Instant = Field(description="when (the KPIs read this)", json_schema_extra=KPI_READS)
    created_at: Instant = Field(
        description="when the opportunity was created (sales cycle)", json_schema_extra=KPI_NEEDS
    )
    contract_id: str | None = Field(description="the signed contract, or null")
    owner_id: OwnerId = Field(description="the opportunity's owner", json_schema_extra=KPI_READS)
    team: str | None = Field(description="the owner's team (Owners tab), or null", json_schema_extra=KPI_READS)
    amount: Money | None = Field(
        description='the expected amount as decimal text (`"800000.00"`), or null', json_schema_extra=KPI_NEEDS
    )


class OpportunityLost(EventData):
    """an opportunity was lost, with its reason"""

    subject = "opportunity/<opportunity_id>"
    stage: str = Field(description="the stage it was lost from")
    reason: str = Field(description="why, as given")
    by: OwnerId = Field(description="who")
    at: Instant = Field(description="when")
    lost_at: Instant = Field(description="when (the KPIs read this)", json_schema_extra=KPI_READS)
    owner_id: OwnerId = Field(description="the opportunity's owner", json_schema_extra=KPI_READS)
    team: str | None = Field(description="the owner's team (Owners tab), or null", json_schema_extra=KPI_READS)
    amount: Money | None = Field(
        description='the expected amount as decimal text (`"800000.00"`), or null', json_schema_extra=KPI_NEEDS
    )


class _Quote(EventData):
    """What every quote event says of the quote."""

    subject = "quote/<quote_id>"
    quote_id: str = Field(description="`qt_…`")
    opportunity_id: str = Field(description="the opportunity it prices")
    status: QuoteStatus = Field(description="`pending_approval`, `approved`, `rejected` or `superseded`")
    currency: str = Field(description="Settings `currency`")
    list_total: Money = Field(description="Σ list price × quantity, decimal text with two places")
    amount: Money = Field(description="Σ net line amounts, decimal text with two places")
    discount: DecimalText = Field(
        description='1 − amount / list_total rounded half-up to 0.01 %, decimal text (`"0.25"`)'
    )
    created_at: Instant = Field(description="when it was created")


class QuoteCreated(_Quote):
    """a quote was priced from the Products tab and checked against the discount matrix (CONTRACT §2.7)"""

    owner_id: OwnerId = Field(description="the opportunity's owner")
    created_by: OwnerId = Field(description="who made it")
    lines: list[QuoteLine] = Field(description="`[{sku, name, quantity, list_price, discount, amount}]`")
    approval: Approval = Field(
        description="`{rule: <Discounts row>, steps: [{approval_id, role, approver_id, status, …}]}`"
    )
    supersedes: str | None = Field(description="the quote it replaced (its open steps cancelled), or null")


class _ApprovalStep(EventData):
    """What every approval event says of its step."""

    subject = "quote/<quote_id>"
    quote_id: str = Field(description="the quote")
    opportunity_id: str = Field(description="its opportunity")
    approval_id: str = Field(description="`ap_<quote hex>_<step>`: `POST /approvals/{approval_id}/decision`")
    step: int = Field(description="1, 2, … in the Discounts row's `approvers` order")
    role: str = Field(description="the step's role")
    approver_id: OwnerId = Field(description="the nearest owner with that role up the quote owner's manager chain")
    owner_id: OwnerId = Field(description="the quote's owner")
    amount: Money = described_as(_Quote.model_fields["amount"])
    discount: DecimalText = described_as(_Quote.model_fields["discount"])
    currency: str = described_as(_Quote.model_fields["currency"])
    kind: Literal["approval"] = Field(description="`approval` (the SLA kind)")
    due_at: Instant | None = Field(description="when the step times out (its `approval` SLA row), or null")


class ApprovalRequested(_ApprovalStep):
    """an approval step waits for its approver, who is told"""

    notify: list[OwnerId] = Field(description="the approver")


class ApprovalDecided(_ApprovalStep):
    """an approver (or someone above them) approved or rejected a step"""

    by: OwnerId = Field(description="who decided")
    decision: Literal["approve", "reject"] = Field(description="`approve` or `reject`")
    note: str | None = Field(description="as given, or null")
    decided_at: Instant = Field(description="when")


class ApprovalEscalated(_ApprovalStep):
    """an open step passed its `approval` SLA target: the approver's manager (then theirs, each further target) is
    told and may decide it"""

    escalated_to: OwnerId = Field(description="who is told now")
    level: int = Field(description="1 for the approver's manager, 2 above, …")
    late_seconds: int = Field(description="how late the timer fired")
    notify: list[OwnerId] = Field(description="who is told")


class QuoteApproved(_Quote):
    """the quote is approved: its last step approved, or no approval needed"""

    owner_id: OwnerId = Field(description="the quote's owner", json_schema_extra=KPI_READS)
    team: str | None = Field(description="the owner's team (Owners tab), or null", json_schema_extra=KPI_READS)
    quote_created_at: Instant = Field(
        description="when the quote was created (approval time, for the KPIs)", json_schema_extra=KPI_NEEDS
    )
    approved_at: Instant = Field(description="when it was approved", json_schema_extra=KPI_READS)
    rules_version: str = Field(description="the rules version of the last decision")


class QuoteRejected(_Quote):
    """a step rejected the quote; the chain ends (its other steps cancelled)"""

    owner_id: OwnerId = Field(description="the quote's owner")
    team: str | None = Field(description="the owner's team (Owners tab), or null")
    rules_version: str = Field(description="the rules version of the decision")
    by: OwnerId = Field(description="who rejected it")
