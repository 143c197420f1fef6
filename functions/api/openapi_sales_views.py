"""The response shapes of the sales routes (CONTRACT §2.6, §2.7), for openapi_sales.schemas()."""

from __future__ import annotations

from typing import Any

JSONType = Any
MONEY = {"type": "string", "pattern": r"^\d+\.\d{2}$", "description": "money as decimal text, two places"}
SHARE = {"type": "string", "pattern": r"^(0(\.\d{1,6})?|1)$", "description": "a share 0..1 as decimal text"}


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> JSONType:
    return {"type": [kind, "null"], **extra}


TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = _nullable("string", format="date-time")


def _opportunity_summary() -> JSONType:
    return {
        "type": "object",
        "required": [
            "opportunity_id",
            "name",
            "owner_id",
            "stage",
            "status",
            "amount",
            "close_date",
            "lead_id",
            "account",
            "rules_version",
        ],
        "properties": {
            "opportunity_id": {"type": "string", "pattern": "^op_[0-9a-f]{20}$"},
            "name": {"type": "string"},
            "owner_id": {"type": "string"},
            "stage": {"type": "string", "description": "a Stages row's stage, or `lost`"},
            "status": {"type": "string", "enum": ["open", "won", "lost"]},
            "amount": {"anyOf": [MONEY, {"type": "null"}]},
            "close_date": _nullable("string", format="date"),
            "lead_id": _nullable("string"),
            "account": {"type": "object", "description": "company, credit_code, country"},
            "rules_version": _nullable("string"),
        },
    }


def _stage_entry() -> JSONType:
    return {
        "type": "object",
        "required": ["stage", "entered_at", "left_at", "by"],
        "properties": {
            "stage": {"type": "string"},
            "entered_at": TIME,
            "left_at": NULLABLE_TIME,
            "by": {"type": "string", "description": "an owner_id, or `e-sign` (won by a signed contract)"},
            "reason": {"type": "string", "description": "lost only"},
        },
    }


def _moved() -> JSONType:
    return {
        "allOf": [_ref("OpportunityOpened")],
        "type": "object",
        "required": ["probability", "stage_history", "won_at", "lost_at", "lost_reason"],
        "properties": {
            "probability": {"anyOf": [SHARE, {"type": "null"}], "description": "the stage's, from the Stages tab"},
            "stage_history": {"type": "array", "items": _ref("StageVisit")},
            "won_at": NULLABLE_TIME,
            "lost_at": NULLABLE_TIME,
            "lost_reason": _nullable("string"),
        },
    }


def _opportunity() -> JSONType:
    return {
        "allOf": [_ref("OpportunityMoved")],
        "type": "object",
        "required": ["fields", "activities", "quotes", "current_quote_id", "contract", "contact"],
        "properties": {
            "fields": {"type": "object"},
            "contact": {"type": "object", "description": "carried over from the lead: name, email, phone, title"},
            "activities": {"type": "array", "items": _ref("Activity")},
            "quotes": {"type": "array", "items": _ref("QuoteSummary"), "description": "oldest first (last 20)"},
            "current_quote_id": _nullable("string"),
            "contract": {
                "type": ["object", "null"],
                "properties": {"contract_id": {"type": "string"}, "signed_at": NULLABLE_TIME},
            },
            "created_at": TIME,
            "updated_at": NULLABLE_TIME,
        },
    }


def _quote_summary() -> JSONType:
    return {
        "type": "object",
        "required": ["quote_id", "opportunity_id", "status", "currency", "list_total", "amount", "discount"],
        "properties": {
            "quote_id": {"type": "string", "pattern": "^qt_[0-9a-f]{20}$"},
            "opportunity_id": {"type": "string"},
            "status": {"type": "string", "enum": ["pending_approval", "approved", "rejected", "superseded"]},
            "currency": {"type": "string"},
            "list_total": MONEY,
            "amount": MONEY,
            "discount": SHARE,
            "created_at": TIME,
        },
    }


def _step() -> JSONType:
    return {
        "type": "object",
        "required": ["approval_id", "step", "role", "approver_id", "status"],
        "properties": {
            "approval_id": {"type": "string", "pattern": "^ap_[0-9a-f]{20}_[0-9]+$"},
            "step": {"type": "integer", "minimum": 1},
            "role": {"type": "string"},
            "approver_id": {"type": "string"},
            "status": {"type": "string", "enum": ["waiting", "pending", "approved", "rejected", "cancelled"]},
            "requested_at": NULLABLE_TIME,
            "due_at": {**NULLABLE_TIME, "description": "when it times out (SLA kind `approval`), or null"},
            "decided_at": NULLABLE_TIME,
            "decided_by": _nullable("string"),
            "decision": {"enum": ["approve", "reject", None]},
            "note": _nullable("string"),
            "rules_version": _nullable("string", description="the rules version of the decision"),
            "escalated_to": {"type": "array", "items": {"type": "object"}},
        },
    }


def _quote() -> JSONType:
    line = {
        "type": "object",
        "required": ["sku", "name", "quantity", "list_price", "discount", "amount"],
        "properties": {
            "sku": {"type": "string"},
            "name": {"type": "string"},
            "quantity": {"type": "integer"},
            "list_price": MONEY,
            "discount": SHARE,
            "amount": MONEY,
        },
    }
    return {
        "allOf": [_ref("QuoteSummary")],
        "type": "object",
        "required": ["owner_id", "lines", "approval", "account", "history", "rules_version"],
        "properties": {
            "owner_id": {"type": "string"},
            "created_by": {"type": "string"},
            "lines": {"type": "array", "items": line},
            "account": {"type": "object"},
            "approval": {
                "type": "object",
                "required": ["rule", "steps"],
                "properties": {
                    "rule": {"type": "object", "description": "the Discounts row that matched (bounds as text)"},
                    "steps": {"type": "array", "items": _ref("ApprovalStep")},
                },
            },
            "valid_until": _nullable("string", format="date"),
            "superseded_by": _nullable("string"),
            "history": {
                "type": "array",
                "items": {"type": "object"},
                "description": "every request, decision, "
                "escalation and cancellation with its time, people and rules version",
            },
            "rules_version": {"type": "string"},
            "updated_at": NULLABLE_TIME,
        },
    }


def view_schemas() -> dict[str, JSONType]:
    opened = {
        "allOf": [_ref("OpportunitySummary")],
        "type": "object",
        "required": ["stage_entered_at"],
        "properties": {"stage_entered_at": TIME},
    }
    activity = {
        "allOf": [_ref("Activity")],
        "type": "object",
        "required": ["opportunity_id"],
        "properties": {"opportunity_id": {"type": "string"}},
    }
    decided = {
        "allOf": [_ref("Quote")],
        "type": "object",
        "required": ["decided"],
        "properties": {"decided": _ref("ApprovalStep")},
    }
    return {
        "OpportunitySummary": _opportunity_summary(),
        "OpportunityOpened": opened,
        "StageVisit": _stage_entry(),
        "OpportunityMoved": _moved(),
        "Opportunity": _opportunity(),
        "OpportunityActivityRecorded": activity,
        "QuoteSummary": _quote_summary(),
        "ApprovalStep": _step(),
        "Quote": _quote(),
        "ApprovalDecided": decided,
    }
