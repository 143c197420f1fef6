"""The sales events' entries of docs/events.md (CONTRACT §2.6, §2.7): meaning, subject, data keys.
Merged into tools/event_catalog.py's CATALOG in §4's order."""

from __future__ import annotations

from shared.domain.events import EventType

OPPORTUNITY = "opportunity/<opportunity_id>"
QUOTE = "quote/<quote_id>"
_OPPORTUNITY = {
    "opportunity_id": "`op_…`",
    "name": "the opportunity's name",
    "owner_id": "its owner (approvers are found up their manager chain)",
    "stage": "the stage it is in (the first by `order` when created)",
    "status": "`open`, `won` or `lost`",
    "amount": 'the expected amount as decimal text (`"800000.00"`), or null',
    "close_date": "expected close date `YYYY-MM-DD`, or null",
    "lead_id": "the lead it was converted from, or null",
    "account": "`{company, credit_code?, country?}`",
    "rules_version": "the rules version that created it",
    "stage_entered_at": "when it entered its stage",
}
_QUOTE = {
    "quote_id": "`qt_…`",
    "opportunity_id": "the opportunity it prices",
    "status": "`pending_approval`, `approved`, `rejected` or `superseded`",
    "currency": "Settings `currency`",
    "list_total": "Σ list price × quantity, decimal text with two places",
    "amount": "Σ net line amounts, decimal text with two places",
    "discount": '1 − amount / list_total rounded half-up to 0.01 %, decimal text (`"0.25"`)',
    "created_at": "when it was created",
}
_STEP = {
    "quote_id": "the quote",
    "opportunity_id": "its opportunity",
    "approval_id": "`ap_<quote hex>_<step>`: `POST /approvals/{approval_id}/decision`",
    "step": "1, 2, … in the Discounts row's `approvers` order",
    "role": "the step's role",
    "approver_id": "the nearest owner with that role up the quote owner's manager chain",
    "owner_id": "the quote's owner",
    "amount": _QUOTE["amount"],
    "discount": _QUOTE["discount"],
    "currency": _QUOTE["currency"],
    "kind": "`approval` (the SLA kind)",
    "due_at": "when the step times out (its `approval` SLA row), or null",
}
_CLOSED = {
    "owner_id": "the opportunity's owner",
    "team": "the owner's team (Owners tab), or null",
    "amount": _OPPORTUNITY["amount"],
}

SALES: dict[EventType, tuple[str, str | None, dict[str, str] | None]] = {
    "OpportunityCreated": (
        "an opportunity was opened, by `POST /opportunities` (from a lead or from scratch) or by Settings "
        "`create_opportunity_on` (CONTRACT §2.6)",
        OPPORTUNITY,
        _OPPORTUNITY,
    ),
    "OpportunityStageChanged": (
        "an opportunity moved to another stage (forward through its gates, back, to `lost`, or to won by a signature)",
        OPPORTUNITY,
        {
            "from": "the stage it left",
            "to": "the stage it entered (`lost` for a loss)",
            "by": "who moved it (an owner_id; `e-sign` for a signed contract)",
            "at": "when",
            "direction": "`forward`, `back` or `lost`",
            "owner_id": "the opportunity's owner",
        },
    ),
    "OpportunityStalled": (
        "an opportunity stayed in a stage longer than its `max_days`; its owner and their manager are told",
        OPPORTUNITY,
        {
            "kind": "`opportunity_stalled`",
            "stage": "the stage it is stuck in",
            "entered_at": "when it entered it",
            "max_days": "the stage's `max_days`",
            "due_at": "entered_at + max_days",
            "owner_id": "the opportunity's owner",
            "manager_id": "the owner's manager, or null",
            "late_seconds": "how late the timer fired (0 when on time)",
            "notify": "who is told: the owner and their manager",
        },
    ),
    "OpportunityWon": (
        "an opportunity reached the last stage by `order` (through its gates, or by a signed contract)",
        OPPORTUNITY,
        {
            "by": "who moved it",
            "at": "when",
            "won_at": "when (the KPIs read this)",
            "created_at": "when the opportunity was created (sales cycle)",
            "contract_id": "the signed contract, or null",
            **_CLOSED,
        },
    ),
    "OpportunityLost": (
        "an opportunity was lost, with its reason",
        OPPORTUNITY,
        {
            "stage": "the stage it was lost from",
            "reason": "why, as given",
            "by": "who",
            "at": "when",
            "lost_at": "when (the KPIs read this)",
            **_CLOSED,
        },
    ),
    "QuoteCreated": (
        "a quote was priced from the Products tab and checked against the discount matrix (CONTRACT §2.7)",
        QUOTE,
        {
            **_QUOTE,
            "owner_id": "the opportunity's owner",
            "created_by": "who made it",
            "lines": "`[{sku, name, quantity, list_price, discount, amount}]`",
            "approval": "`{rule: <Discounts row>, steps: [{approval_id, role, approver_id, status, …}]}`",
            "supersedes": "the quote it replaced (its open steps cancelled), or null",
        },
    ),
    "ApprovalRequested": (
        "an approval step waits for its approver, who is told",
        QUOTE,
        {**_STEP, "notify": "the approver"},
    ),
    "ApprovalDecided": (
        "an approver (or someone above them) approved or rejected a step",
        QUOTE,
        {
            **_STEP,
            "by": "who decided",
            "decision": "`approve` or `reject`",
            "note": "as given, or null",
            "decided_at": "when",
        },
    ),
    "ApprovalEscalated": (
        "an open step passed its `approval` SLA target: the approver's manager (then theirs, each further "
        "target) is told and may decide it",
        QUOTE,
        {
            **_STEP,
            "escalated_to": "who is told now",
            "level": "1 for the approver's manager, 2 above, …",
            "late_seconds": "how late the timer fired",
            "notify": "who is told",
        },
    ),
    "QuoteApproved": (
        "the quote is approved: its last step approved, or no approval needed",
        QUOTE,
        {
            **_QUOTE,
            "owner_id": "the quote's owner",
            "team": "the owner's team (Owners tab), or null",
            "quote_created_at": "when the quote was created (approval time, for the KPIs)",
            "approved_at": "when it was approved",
            "rules_version": "the rules version of the last decision",
        },
    ),
    "QuoteRejected": (
        "a step rejected the quote; the chain ends (its other steps cancelled)",
        QUOTE,
        {
            **_QUOTE,
            "owner_id": "the quote's owner",
            "team": "the owner's team (Owners tab), or null",
            "rules_version": "the rules version of the decision",
            "by": "who rejected it",
        },
    ),
}
