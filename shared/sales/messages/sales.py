"""Sales (CONTRACT §2.6, §2.7): opportunities and their stage gates, quotes against the discount
matrix, approval decisions — the commands and the answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainValidator, ValidationInfo, WithJsonSchema, field_validator

from shared.kernel.domain.normalize import _text
from shared.kernel.messages import validation as check
from shared.kernel.messages.types import Absent, Instant, Money, OwnerId, Share, example, one_of
from shared.leads.messages.leads import Activity, Happened, LeadActivity
from shared.sales.domain.opportunities import OpportunityStatus
from shared.sales.domain.pricing import MAX_LINES, MAX_QUANTITY
from shared.sales.domain.quotes import QuoteStatus
from shared.sales.domain.sales_intake import (
    DECISIONS,
    NOTE,
    TEXT,
    Problems,
    amount_of,
    day_of,
    read_account,
    read_fields,
)
from shared.sales.domain.stages import ACTIVITY_TYPES, LOST, OPPORTUNITY_FIELDS, funnel_of

EXAMPLE_OPPORTUNITY_ID = "op_7c1e5a9b3d2f4e6a8b10"
EXAMPLE_QUOTE_ID = "qt_2a4c6e8b0d1f3a5c7e90"
SalesText = Annotated[str, Field(max_length=TEXT)]
Note = Annotated[str, Field(max_length=NOTE)]
Owner = Annotated[OwnerId, Field(description="an owner_id on the Owners tab")]
At = Annotated[Instant, Field(description="when (ISO 8601), not in the future; default now")]
StepStatus = Literal["waiting", "pending", "approved", "rejected", "cancelled"]

# opportunity fields the Stages tab's exit criteria check (filled = not empty)
Fields = Annotated[
    dict[str, str | float | bool | None],
    WithJsonSchema({
        "type": "object",
        "description": "opportunity fields the Stages tab's exit criteria check (filled = not empty); amount and "
        "close_date land on the opportunity itself",
        "properties": {name: {"type": ["string", "number", "boolean", "null"]} for name in OPPORTUNITY_FIELDS},
        "additionalProperties": False,
    }),
]  # fmt: skip


def _optional_text(limit: int, multiline: bool = False) -> Any:
    """Text as the sales requests read it (empty: absent)."""
    return BeforeValidator(check.reading(lambda value: _text(value, limit, multiline=multiline) or None))


def _fields(value: Any) -> dict[str, Any]:
    if value is not None and not isinstance(value, dict):
        raise check.refuse("must be an object of opportunity fields")
    problems = Problems()
    fields = read_fields(value, problems, where="")
    if problems:
        raise check.refuse_within({place.lstrip("."): why for place, why in problems.items()}, value)
    return fields


class OpportunityAccount(BaseModel):
    """the customer, when no lead is converted"""

    company: SalesText | Absent = Field(None, description="company name")
    credit_code: Annotated[str, Field(max_length=40)] | Absent = Field(
        None, description="China unified social credit code (checksum verified)"
    )
    country: Annotated[str, Field(max_length=60)] | Absent = Field(
        None, description="ISO 3166-1 alpha-2 or a common name"
    )


class OpportunityNew(check.Command):
    """From a lead: the lead is converted (`LeadConverted`), its owner's load released, its SLA clock
    closed, its account, contact, budget and activities carried over. It starts in the first stage.
    `lead_id` converts that lead (its account and contact carried over); without it,
    `account.company` is required."""

    model_config = example(
        {"name": "IoT rollout", "owner_id": "u_wang", "account": {"company": "Acme", "country": "CN"}}
    )

    lead_id: SalesText | Absent = Field(None, description="an open lead to convert (`ld_…`)")
    name: SalesText = Field(min_length=1, description="what the deal is called")
    owner_id: Owner
    account: OpportunityAccount | Absent = None
    amount: Annotated[Money | Absent, BeforeValidator(check.reading(amount_of))] = Field(
        None, description='expected amount, e.g. 800000 or "800,000"'
    )
    close_date: Annotated[date | Absent, BeforeValidator(check.reading(day_of))] = None
    fields: Annotated[Fields | Absent, BeforeValidator(_fields)] = None

    @field_validator("lead_id", mode="before")
    @classmethod
    def _lead(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > TEXT):
            raise check.refuse("must be the id of a lead (ld_…)")
        return value

    @field_validator("name", mode="before")
    @classmethod
    def _named(cls, value: Any) -> str:
        name = check.reading(lambda text: _text(text, TEXT) or None)(value)
        if name is None:
            raise check.refuse("a name for the opportunity is required")
        return str(name)

    @field_validator("owner_id", mode="before")
    @classmethod
    def _owner(cls, value: Any, info: ValidationInfo) -> str:
        return check.owner_on_the_tab(limit=TEXT)(value, info)

    @field_validator("account", mode="before")
    @classmethod
    def _account(cls, value: Any, info: ValidationInfo) -> dict[str, Any] | None:
        """Required without a lead; an invalid lead_id (refused itself) does not ask for one."""
        if value is not None and not isinstance(value, dict):
            raise check.refuse("must be an object: company, credit_code, country")
        problems = Problems()
        account = read_account(value, "lead_id" in info.data and info.data["lead_id"] is None, problems)
        if "account" in problems:
            raise check.refuse(problems["account"])
        if problems:
            raise check.refuse_within({place.removeprefix("account."): why for place, why in problems.items()}, value)
        return account or None


class StageMove(check.Command):
    """Forward needs every exit criterion of the current stage and of each stage skipped (`fields` sent
    along count), else `409 stage_gate_failed` with `fields` naming each criterion and why; back is
    free; `lost` needs `reason`; the last stage wins it. A refusal stores nothing."""

    model_config = example(
        {"stage": "discovery", "by": "u_wang", "fields": {"budget": "800,000", "decision_maker": "CTO"}}
    )

    stage: str = Field(description="a stage of the Stages tab, or `lost`")
    by: Owner
    at: Annotated[str | None, PlainValidator(check.said_at, json_schema_input_type=datetime)] = Field(
        None, description="when (ISO 8601), not in the future; default now"
    )
    fields: Annotated[Fields | Absent, BeforeValidator(_fields)] = None
    reason: Annotated[Annotated[Note, Field(min_length=1)] | Absent, _optional_text(NOTE, multiline=True)] = Field(
        None, description="why it was lost (required for `lost`)"
    )

    @field_validator("stage", mode="before")
    @classmethod
    def _stage(cls, value: Any, info: ValidationInfo) -> str:
        stages = funnel_of(check.context_of(info)["active"]).names
        if not isinstance(value, str) or (value not in stages and value != LOST):
            raise check.refuse(f"must be one of {', '.join([*stages, LOST])}")
        return value

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, value: Any, info: ValidationInfo) -> str:
        return check.owner_on_the_tab(limit=TEXT)(value, info)

    @field_validator("reason", mode="after")
    @classmethod
    def _why_lost(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("stage") == LOST and reason is None:
            raise check.refuse("say why the opportunity was lost (required for lost)")
        return reason


class OpportunityActivity(LeadActivity):
    """Counts for `activity:<type>` exit criteria."""

    model_config = example({"type": "meeting", "by": "u_wang"})

    type: Annotated[str, one_of(ACTIVITY_TYPES)]
    by: Owner
    at: Happened = Field(None, description="when (ISO 8601), not in the future; default now")
    note: Note | None = None


class QuoteLineRequest(BaseModel):
    """a product and how many"""

    sku: SalesText = Field(description="a sku of the Products tab")
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
    discount: float | str | Absent = Field(
        None, description='`0.15` or `"15%"`; at most the product\'s `max_discount`; default 0'
    )


class QuoteNew(check.Command):
    """Prices from the Products tab in decimal; the first Discounts row whose bands hold (`amount >
    min_amount` and `<= max_amount`, the same for the discount) names the approvers, each found up the
    opportunity owner's manager chain. A newer quote supersedes the opportunity's current one."""

    model_config = example({"opportunity_id": EXAMPLE_OPPORTUNITY_ID, "by": "u_wang",
                            "lines": [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]})  # fmt: skip

    opportunity_id: SalesText = Field(description="an open opportunity (`op_…`)")
    by: Owner
    # read by the pricing (shared/sales/domain/pricing.py: price_lines), which names each bad line
    lines: Annotated[
        Any,
        PlainValidator(lambda lines: lines, json_schema_input_type=list[QuoteLineRequest]),
        Field(json_schema_extra={"minItems": 1, "maxItems": MAX_LINES}),
    ]
    valid_until: Annotated[date | Absent, BeforeValidator(check.reading(day_of))] = Field(
        None, description="not in the past"
    )

    @field_validator("opportunity_id", mode="before")
    @classmethod
    def _opportunity(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip() or len(value) > TEXT:
            raise check.refuse("the id of the opportunity (op_…) is required")
        return value

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, value: Any, info: ValidationInfo) -> str:
        return check.owner_on_the_tab(limit=TEXT)(value, info)

    @field_validator("valid_until", mode="after")
    @classmethod
    def _not_past(cls, valid_until: date | None, info: ValidationInfo) -> date | None:
        today = check.context_of(info)["now"].date()
        if valid_until is not None and valid_until < today:
            raise check.refuse(f"is in the past (today is {today.isoformat()})")
        return valid_until


_decision = check.one_of(DECISIONS, required=True, sentence="must be approve or reject")


class ApprovalDecision(check.Command):
    """`by` must be the step's approver or above them (`403 not_approver`); a step whose earlier steps
    are open → `409 not_your_turn`; a decided or cancelled step → `409 already_decided`."""

    model_config = example({"decision": "approve", "by": "u_liu", "note": "ok for a 3-year deal"})

    decision: Annotated[
        str,
        one_of(DECISIONS),
        BeforeValidator(check.one_of(DECISIONS, required=True, sentence="must be approve or reject")),
    ]
    by: OwnerId = Field(description="the step's approver, or someone above them in the manager chain")
    note: Annotated[Note | None, _optional_text(NOTE, multiline=True)] = None

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, value: Any, info: ValidationInfo) -> str:
        return check.owner_on_the_tab(limit=TEXT)(value, info)


# ------------------------------------------------------------------ answers


class OpportunitySummary(BaseModel):
    """an opportunity: who, what stage, how much"""

    opportunity_id: Annotated[str, Field(pattern="^op_[0-9a-f]{20}$")]
    name: str
    owner_id: str
    stage: str = Field(description="a Stages row's stage, or `lost`")
    status: OpportunityStatus
    amount: Money | None
    close_date: date | None
    lead_id: str | None
    account: dict[str, Any] = Field(description="company, credit_code, country")
    rules_version: str | None


class OpportunityOpened(OpportunitySummary):
    """the opportunity, opened"""

    stage_entered_at: datetime


class StageVisit(BaseModel):
    """a stage the opportunity was in, and when"""

    stage: str
    entered_at: datetime
    left_at: datetime | None
    by: str = Field(description="an owner_id, or `e-sign` (won by a signed contract)")
    reason: str | Absent = Field(None, description="lost only")


class OpportunityMoved(OpportunityOpened):
    """the opportunity in its new stage"""

    probability: Share | None = Field(description="the stage's, from the Stages tab")
    stage_history: list[StageVisit]
    won_at: datetime | None
    lost_at: datetime | None
    lost_reason: str | None


class QuoteSummary(BaseModel):
    """a quote: its status and totals"""

    quote_id: Annotated[str, Field(pattern="^qt_[0-9a-f]{20}$")]
    opportunity_id: str
    status: QuoteStatus
    currency: str
    list_total: Money
    amount: Money
    discount: Share
    created_at: datetime | Absent = None


class ContractRef(BaseModel):
    contract_id: str | Absent = None
    signed_at: datetime | None = None


class Opportunity(OpportunityMoved):
    """the opportunity: fields, stage history with times, quotes, contract"""

    fields: dict[str, Any]
    contact: dict[str, Any] = Field(description="carried over from the lead: name, email, phone, title")
    activities: list[Activity]
    quotes: list[QuoteSummary] = Field(description="oldest first (last 20)")
    current_quote_id: str | None
    contract: ContractRef | None
    created_at: datetime | Absent = None
    updated_at: datetime | None = None


class OpportunityActivityRecorded(Activity):
    """the activity as recorded"""

    opportunity_id: str


class ApprovalStep(BaseModel):
    """one step of a quote's approval chain"""

    approval_id: Annotated[str, Field(pattern="^ap_[0-9a-f]{20}_[0-9]+$")]
    step: Annotated[int, Field(ge=1)]
    role: str
    approver_id: str
    status: StepStatus
    requested_at: datetime | None = None
    due_at: datetime | None = Field(None, description="when it times out (SLA kind `approval`), or null")
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision: Literal["approve", "reject"] | None = None
    note: str | None = None
    rules_version: str | None = Field(None, description="the rules version of the decision")
    escalated_to: list[dict[str, Any]] | Absent = None


class QuoteLine(BaseModel):
    sku: str
    name: str
    quantity: int
    list_price: Money
    discount: Share
    amount: Money


class Approval(BaseModel):
    rule: dict[str, Any] = Field(description="the Discounts row that matched (bounds as text)")
    steps: list[ApprovalStep]


class Quote(QuoteSummary):
    """the quote, its approval steps and its history"""

    owner_id: str
    created_by: str | Absent = None
    lines: list[QuoteLine]
    account: dict[str, Any]
    approval: Approval
    valid_until: date | None = None
    superseded_by: str | None = None
    history: list[dict[str, Any]] = Field(
        description="every request, decision, escalation and cancellation with its time, people and rules version"
    )
    rules_version: str
    updated_at: datetime | None = None


class ApprovalDecided(Quote):
    """the quote after the decision"""

    decided: ApprovalStep
