"""The OpenAPI description of the usage webhook and account health (CONTRACT §2.10), merged into
openapi.document() like the case and order routes; the account's own schema (openapi_orders.py)
gets its health, open cases and contracts from here."""

from __future__ import annotations

from typing import Any

JSONType = Any
EXAMPLE = {"account_id": "ac_5d1c0e9f8a7b6c5d4e3f", "at": "2026-11-22T08:00:00Z", "active_users": 12,
           "licensed_users": 50}  # fmt: skip


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _usage_body() -> JSONType:
    from shared.domain.health_signals import MAX_USERS

    return {
        "type": "object",
        "required": ["active_users", "licensed_users"],
        "description": "give `account_id` or `credit_code` (both: they must name the same account)",
        "properties": {
            "account_id": {"type": "string", "pattern": "^ac_[0-9a-f]{20}$"},
            "credit_code": {"type": "string", "description": "the account's unified social credit code"},
            "at": {"type": "string", "format": "date-time", "description": "when measured; default now"},
            "active_users": {"type": "integer", "minimum": 0, "maximum": MAX_USERS},
            "licensed_users": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_USERS,
                "description": "more active than licensed users is accepted and counts as full use",
            },
        },
    }


def schemas() -> dict[str, JSONType]:
    from shared.domain.health import DIMENSIONS

    nullable_int = {"type": ["integer", "null"], "minimum": 0, "maximum": 100}
    dimension = {
        "type": "object",
        "required": ["score", "weight", "threshold"],
        "properties": {
            "score": nullable_int,
            "weight": {"type": "number", "description": "the Health tab's weight, as a fraction"},
            "threshold": {"type": ["number", "null"]},
        },
        "description": "the score (null: no data yet) and what it came from (users, CSAT and open P1/P2 cases, "
        "overdue and rejected invoice ids, active days)",
    }
    health = {
        "type": "object",
        "required": ["score", "below", "dimensions", "computed_at"],
        "properties": {
            "score": nullable_int,
            "threshold": {"type": "number", "description": "Settings `health_threshold`"},
            "below": {
                "type": "array",
                "items": {"type": "string", "enum": [*DIMENSIONS, "score"]},
                "description": "what is below its threshold now (`score`: the weighted mean)",
            },
            "dimensions": {"type": "object", "properties": {d: dimension for d in DIMENSIONS}},
            "computed_at": {"type": "string", "format": "date-time"},
            "rules_version": {"type": ["string", "null"]},
            "history": {
                "type": "array",
                "items": {"type": "object", "required": ["date", "score"]},
                "description": "one point per day (UTC), oldest first, the last 180 days: the trend",
            },
        },
    }
    usage_recorded = {
        "type": "object",
        "required": ["account_id", "recorded", "usage", "health"],
        "properties": {
            "account_id": {"type": "string"},
            "recorded": {"type": "boolean", "description": "false: a later report was already recorded"},
            "usage": {"type": "object", "description": "the latest report: at, active_users, licensed_users, source"},
            "health": {"type": ["object", "null"], "description": "score, below, dimension scores, computed_at"},
        },
    }
    return {"AccountHealth": health, "UsageRecorded": usage_recorded}


def account_properties() -> dict[str, JSONType]:
    """What GET /accounts/{id} adds to the account for customer success."""
    return {
        "health": {"oneOf": [_ref("AccountHealth"), {"type": "null"}], "description": "null: never computed yet"},
        "open_cases": {"type": "array", "items": {"type": "object", "required": ["case_id", "priority"]}},
        "contracts": {"type": "array", "items": {"type": "object", "required": ["contract_id", "status"]}},
    }


def paths(json_content: Any, error_responses: Any, param: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e

    read = (e.ValidationFailed, e.BadRequest, e.PayloadTooLarge, e.UnsupportedMediaType, e.RulesUnavailable)
    intake = (*read, e.Unauthorized, e.SourceInactive, e.UnknownSource, e.Conflict, e.IdempotencyKeyReused)
    return {
        "/webhooks/usage/{source}": {
            "post": {
                "operationId": "reportUsage",
                "summary": "Product usage of an account (CONTRACT §2.10): feeds the `usage` health dimension",
                "description": "Signed sources only (e.g. `product-analytics`). The latest report by `at` counts; "
                "an older one arriving late is answered `recorded: false` and changes nothing. The account's "
                "health is recomputed at once: a dimension or the score newly below its threshold records "
                "`HealthWarning` and alerts the account manager. Bad fields → 400 naming each; an unknown "
                "account → `404 account_not_found`; nothing is stored either way.",
                "parameters": [param("Source"), param("IdempotencyKey")],
                "requestBody": {"required": True, "content": json_content(_usage_body(), EXAMPLE)},
                "responses": {
                    "200": {"description": "recorded", "content": json_content(_ref("UsageRecorded"))},
                    **error_responses((*intake, e.AccountNotFound)),
                },
            }
        },
    }


__all__ = ["account_properties", "paths", "schemas"]
