"""The OpenAPI description of the sales routes (CONTRACT §2.6, §2.7), merged into
openapi.document(): opportunities and stage gates, quotes, approval decisions."""

from __future__ import annotations

from typing import Any

from functions.api.openapi_sales_views import _nullable, _ref, view_schemas

JSONType = Any
EXAMPLE_OPPORTUNITY_ID = "op_7c1e5a9b3d2f4e6a8b10"
EXAMPLE_QUOTE_ID = "qt_2a4c6e8b0d1f3a5c7e90"


def _text(description: str, limit: int = 200) -> JSONType:
    return {"type": "string", "maxLength": limit, "description": description}


def _fields() -> JSONType:
    from shared.domain.stages import OPPORTUNITY_FIELDS

    return {
        "type": "object",
        "description": "opportunity fields the Stages tab's exit criteria check (filled = not empty); amount and "
        "close_date land on the opportunity itself",
        "properties": {name: {"type": ["string", "number", "boolean", "null"]} for name in OPPORTUNITY_FIELDS},
        "additionalProperties": False,
    }


def _bodies() -> dict[str, JSONType]:
    from shared.domain.pricing import MAX_LINES, MAX_QUANTITY
    from shared.domain.stages import ACTIVITY_TYPES

    owner = {**_text("an owner_id on the Owners tab"), "minLength": 1}
    at = {"type": "string", "format": "date-time", "description": "when (ISO 8601), not in the future; default now"}
    return {
        "OpportunityNew": {
            "type": "object",
            "required": ["name", "owner_id"],
            "description": "`lead_id` converts that lead (its account and contact carried over); without it, "
            "`account.company` is required",
            "properties": {
                "lead_id": _text("an open lead to convert (`ld_…`)"),
                "name": {**_text("what the deal is called"), "minLength": 1},
                "owner_id": owner,
                "account": {
                    "type": "object",
                    "properties": {
                        "company": _text("company name"),
                        "credit_code": _text("China unified social credit code (checksum verified)", 40),
                        "country": _text("ISO 3166-1 alpha-2 or a common name", 60),
                    },
                },
                "amount": {"type": ["number", "string"], "description": 'expected amount, e.g. 800000 or "800,000"'},
                "close_date": {"type": "string", "format": "date"},
                "fields": _fields(),
            },
        },
        "StageMove": {
            "type": "object",
            "required": ["stage", "by"],
            "properties": {
                "stage": {"type": "string", "description": "a stage of the Stages tab, or `lost`"},
                "by": owner,
                "at": at,
                "fields": _fields(),
                "reason": {**_text("why it was lost (required for `lost`)", 2000), "minLength": 1},
            },
        },
        "OpportunityActivity": {
            "type": "object",
            "required": ["type", "by"],
            "properties": {
                "type": {"type": "string", "enum": list(ACTIVITY_TYPES)},
                "by": owner,
                "at": at,
                "note": _nullable("string", maxLength=2000),
            },
        },
        "QuoteNew": {
            "type": "object",
            "required": ["opportunity_id", "by", "lines"],
            "properties": {
                "opportunity_id": _text("an open opportunity (`op_…`)"),
                "by": owner,
                "lines": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_LINES,
                    "items": {
                        "type": "object",
                        "required": ["sku", "quantity"],
                        "properties": {
                            "sku": _text("a sku of the Products tab"),
                            "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                            "discount": {
                                "type": ["number", "string"],
                                "description": '`0.15` or `"15%"`; at most the product\'s `max_discount`; default 0',
                            },
                        },
                    },
                },
                "valid_until": {"type": "string", "format": "date", "description": "not in the past"},
            },
        },
        "ApprovalDecision": {
            "type": "object",
            "required": ["decision", "by"],
            "properties": {
                "decision": {"type": "string", "enum": ["approve", "reject"]},
                "by": {**owner, "description": "the step's approver, or someone above them in the manager chain"},
                "note": _nullable("string", maxLength=2000),
            },
        },
    }


def schemas() -> dict[str, JSONType]:
    return {**_bodies(), **view_schemas()}


def parameters() -> dict[str, JSONType]:
    def path(name: str, description: str, example: str) -> JSONType:
        return {
            "name": name,
            "in": "path",
            "required": True,
            "description": description,
            "schema": {"type": "string"},
            "example": example,
        }

    return {
        "OpportunityId": path("opportunity_id", "the opportunity's id", EXAMPLE_OPPORTUNITY_ID),
        "QuoteId": path("quote_id", "the quote's id", EXAMPLE_QUOTE_ID),
        "ApprovalId": path("approval_id", "a step's id: `ap_<quote hex>_<step>`", f"ap_{EXAMPLE_QUOTE_ID[3:]}_1"),
    }


def paths(json_content: Any, error_responses: Any, param: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e

    read = (e.ValidationFailed, e.BadRequest, e.PayloadTooLarge, e.UnsupportedMediaType, e.RulesUnavailable)
    change = (*read, e.Unauthorized, e.Conflict)

    def operation(
        op_id: str,
        summary: str,
        description: str,
        params: list[str],
        body: str | None,
        status: int,
        response: str,
        errors: tuple[Any, ...],
        example: Any = None,
    ) -> JSONType:
        spec: JSONType = {
            "operationId": op_id,
            "summary": summary,
            "description": description,
            "parameters": [param(p) for p in params],
            "responses": {
                str(status): {"description": response, "content": json_content(_ref(response))},
                **error_responses(errors),
            },
        }
        if body is not None:
            spec["requestBody"] = {"required": True, "content": json_content(_ref(body), example)}
        return spec

    return {
        "/opportunities": {
            "post": operation(
                "createOpportunity",
                "Open an opportunity, from a lead or from scratch (CONTRACT §2.6)",
                "From a lead: the lead is converted (`LeadConverted`), its owner's load released, its SLA clock "
                "closed, its account, contact, budget and activities carried over. It starts in the first stage.",
                [],
                "OpportunityNew",
                201,
                "OpportunityOpened",
                (*change, e.LeadNotFound, e.InvalidTransition),
                {"name": "IoT rollout", "owner_id": "u_wang", "account": {"company": "Acme", "country": "CN"}},
            )
        },
        "/opportunities/{opportunity_id}": {
            "get": operation(
                "getOpportunity",
                "The opportunity: fields, stage history with times, quotes, contract",
                "",
                ["OpportunityId"],
                None,
                200,
                "Opportunity",
                (e.Unauthorized, e.OpportunityNotFound, e.RulesUnavailable),
            )
        },
        "/opportunities/{opportunity_id}/stage": {
            "post": operation(
                "moveOpportunityStage",
                "Move an opportunity to another stage (CONTRACT §2.6)",
                "Forward needs every exit criterion of the current stage and of each stage skipped (`fields` sent "
                "along count), else `409 stage_gate_failed` with `fields` naming each criterion and why; back is "
                "free; `lost` needs `reason`; the last stage wins it. A refusal stores nothing.",
                ["OpportunityId"],
                "StageMove",
                200,
                "OpportunityMoved",
                (*change, e.OpportunityNotFound, e.StageGateFailed, e.InvalidTransition),
                {"stage": "discovery", "by": "u_wang", "fields": {"budget": "800,000", "decision_maker": "CTO"}},
            )
        },
        "/opportunities/{opportunity_id}/activities": {
            "post": operation(
                "recordOpportunityActivity",
                "A sales activity on the opportunity (the body of CONTRACT §2.4)",
                "Counts for `activity:<type>` exit criteria.",
                ["OpportunityId"],
                "OpportunityActivity",
                201,
                "OpportunityActivityRecorded",
                (*change, e.OpportunityNotFound),
                {"type": "meeting", "by": "u_wang"},
            )
        },
        "/quotes": {
            "post": operation(
                "createQuote",
                "Price a quote and check it against the discount matrix (CONTRACT §2.7)",
                "Prices from the Products tab in decimal; the first Discounts row whose bands hold (`amount > "
                "min_amount` and `<= max_amount`, the same for the discount) names the approvers, each found up the "
                "opportunity owner's manager chain. A newer quote supersedes the opportunity's current one.",
                [],
                "QuoteNew",
                201,
                "Quote",
                (
                    *change,
                    e.DiscountOverCap,
                    e.OpportunityNotFound,
                    e.InvalidTransition,
                    e.NoApprover,
                    e.NoDiscountRule,
                ),
                {
                    "opportunity_id": EXAMPLE_OPPORTUNITY_ID,
                    "by": "u_wang",
                    "lines": [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}],
                },
            )
        },
        "/quotes/{quote_id}": {
            "get": operation(
                "getQuote",
                "The quote, its approval steps and its history",
                "",
                ["QuoteId"],
                None,
                200,
                "Quote",
                (e.Unauthorized, e.QuoteNotFound),
            )
        },
        "/approvals/{approval_id}/decision": {
            "post": operation(
                "decideApproval",
                "Approve or reject one step of a quote's approval chain (CONTRACT §2.7)",
                "`by` must be the step's approver or above them (`403 not_approver`); a step whose earlier steps are "
                "open → `409 not_your_turn`; a decided or cancelled step → `409 already_decided`.",
                ["ApprovalId"],
                "ApprovalDecision",
                200,
                "ApprovalDecided",
                (*change, e.NotApprover, e.ApprovalNotFound, e.NotYourTurn, e.AlreadyDecided, e.RenewalOnHold),
                {"decision": "approve", "by": "u_liu", "note": "ok for a 3-year deal"},
            )
        },
    }
