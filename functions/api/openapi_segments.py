"""The OpenAPI description of customer segments (CONTRACT §15): ``GET /accounts?segment=`` and what
the account shows of its segment, merged into openapi.document() like the health routes."""

from __future__ import annotations

from typing import Any

JSONType = Any
EXAMPLE_RFM = {"recency_days": 12, "frequency": 3, "monetary": "620199.99", "computed_at": "2026-11-22T08:00:00.000Z"}


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: JSONType, description: str) -> JSONType:
    return {"oneOf": [schema, {"type": "null"}], "description": description}


def schemas() -> dict[str, JSONType]:
    rfm = {
        "type": "object",
        "required": ["recency_days", "frequency", "monetary", "computed_at"],
        "properties": {
            "recency_days": {"type": "integer", "minimum": 0, "description": "whole days since the latest order"},
            "frequency": {"type": "integer", "minimum": 0, "description": "orders in Settings `rfm_window_days`"},
            "monetary": {"type": "string", "description": "those orders' amounts summed (decimal, Settings currency)"},
            "computed_at": {"type": "string", "format": "date-time"},
        },
    }
    summary = {
        "type": "object",
        "required": ["account_id", "company", "segment", "segment_since", "rfm"],
        "properties": {
            "account_id": {"type": "string"},
            "company": {"type": "string"},
            "country": {"type": ["string", "null"]},
            "account_manager_id": {"type": ["string", "null"]},
            "segment": {"type": ["string", "null"]},
            "segment_since": {"type": ["string", "null"], "format": "date-time"},
            "rfm": _nullable(_ref("Rfm"), "null: no orders"),
            "health_score": {"type": ["integer", "null"]},
        },
    }
    listing = {
        "type": "object",
        "required": ["accounts", "next_cursor"],
        "properties": {
            "accounts": {"type": "array", "items": _ref("AccountSummary")},
            "next_cursor": {"type": ["string", "null"], "description": "null on the last page"},
        },
    }
    recorded = {
        "type": "object",
        "required": ["account_id", "recorded", "replaced", "quarter", "nps"],
        "properties": {
            "account_id": {"type": "string"},
            "recorded": {"type": "boolean", "description": "false: a later answer of theirs is already recorded"},
            "replaced": {"type": "boolean", "description": "true: it replaced their earlier answer this quarter"},
            "quarter": {"type": "string", "examples": ["2026-Q4"]},
            "nps": _ref("AccountNps"),
        },
    }
    return {
        "Rfm": rfm,
        "AccountSummary": summary,
        "AccountList": listing,
        "AccountNps": _nps_schema(),
        "SurveyRecorded": recorded,
    }


def account_properties() -> dict[str, JSONType]:
    """What GET /accounts/{id} shows of the account's segment."""
    return {
        "segment": {
            "type": ["string", "null"],
            "description": "a Segments row's `segment`, `unsegmented` (no row holds), or null (no orders)",
        },
        "segment_since": {"type": ["string", "null"], "format": "date-time"},
        "rfm": _nullable(_ref("Rfm"), "null: no orders"),
        "segment_row": {"type": ["object", "null"], "description": "the Segments row that matched"},
        "nps": {**_ref("AccountNps"), "description": "net promoter score of its answers of the last 90 days"},
    }


def _survey_body() -> JSONType:
    from shared.domain.nps import COMMENT_LIMIT

    return {
        "type": "object",
        "required": ["score"],
        "description": "give `account_id` or `credit_code` (both: they must name the same account)",
        "properties": {
            "account_id": {"type": "string", "pattern": "^ac_[0-9a-f]{20}$"},
            "credit_code": {"type": "string", "description": "the account's unified social credit code"},
            "respondent": {
                "type": "object",
                "properties": {"email": {"type": "string", "format": "email"}},
                "description": "who answered: the same email again in the same quarter replaces their answer "
                "(kept as a SHA-256, never the address)",
            },
            "score": {"type": "integer", "minimum": 0, "maximum": 10},
            "comment": {"type": "string", "maxLength": COMMENT_LIMIT},
            "at": {"type": "string", "format": "date-time", "description": "when answered; default now"},
        },
    }


def _nps_schema() -> JSONType:
    count = {"type": "integer", "minimum": 0}
    return {
        "type": "object",
        "required": ["value", "numerator", "denominator", "promoters", "passives", "detractors"],
        "properties": {
            "value": {"type": ["number", "null"], "description": "(promoters − detractors) ÷ answers; null: none"},
            "numerator": {"type": "integer"},
            "denominator": count,
            "promoters": count,
            "passives": count,
            "detractors": count,
            "window_days": count,
            "computed_at": {"type": "string", "format": "date-time"},
        },
    }


def paths(json_content: Any, error_responses: Any, param: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e
    from shared.services.leads_query import DEFAULT_LIMIT, MAX_LIMIT

    def query(name: str, description: str, schema: JSONType, required: bool = False) -> JSONType:
        return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}

    example = {
        "accounts": [
            {
                "account_id": "ac_5d1c0e9f8a7b6c5d4e3f",
                "company": "上海精密制造",
                "country": "CN",
                "account_manager_id": "u_xu",
                "segment": "高价值客户",
                "segment_since": "2026-11-22T08:00:00.000Z",
                "rfm": EXAMPLE_RFM,
                "health_score": 82,
            }
        ],
        "next_cursor": None,
    }
    read = (e.ValidationFailed, e.BadRequest, e.PayloadTooLarge, e.UnsupportedMediaType, e.RulesUnavailable)
    intake = (*read, e.Unauthorized, e.SourceInactive, e.UnknownSource, e.Conflict, e.IdempotencyKeyReused)
    survey_example = {"account_id": "ac_5d1c0e9f8a7b6c5d4e3f", "respondent": {"email": "cfo@example.cn"},
                      "score": 9, "comment": "好用", "at": "2026-11-22T08:00:00Z"}  # fmt: skip
    return {
        "/webhooks/surveys/{source}": {
            "post": {
                "operationId": "recordSurveyAnswer",
                "summary": "A net promoter answer about an account (CONTRACT §15, NPS)",
                "description": "Signed sources only (e.g. `nps-survey`). The same respondent (email) answering "
                "again in the same calendar quarter replaces their answer (the later `at` wins; an earlier one "
                "arriving late is answered `recorded: false`). Records `NpsAnswerRecorded`, which the `nps` KPI "
                "counts. Bad fields → 400 naming each; an unknown account → `404 account_not_found`; nothing is "
                "stored either way.",
                "parameters": [param("Source"), param("IdempotencyKey")],
                "requestBody": {"required": True, "content": json_content(_survey_body(), survey_example)},
                "responses": {
                    "200": {"description": "recorded", "content": json_content(_ref("SurveyRecorded"))},
                    **error_responses((*intake, e.AccountNotFound)),
                },
            }
        },
        "/accounts": {
            "get": {
                "operationId": "listAccounts",
                "summary": "The accounts of one customer segment (CONTRACT §15), newest in it first, a page at a time",
                "description": "Read through the accounts' `by_segment` index (never a table scan). `segment` is "
                "required: a Segments row's `segment`, or `unsegmented`. An unknown query parameter is a `400` "
                "naming it; the last page has `next_cursor` null.",
                "parameters": [
                    query("segment", "the segment", {"type": "string", "minLength": 1, "maxLength": 200}, True),
                    query(
                        "limit",
                        f"accounts per page (default {DEFAULT_LIMIT})",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                    ),
                    query("cursor", "the previous page's `next_cursor`", {"type": "string"}),
                ],
                "responses": {
                    "200": {"description": "a page of accounts", "content": json_content(_ref("AccountList"), example)},
                    **error_responses((e.ValidationFailed, e.Unauthorized, e.RulesUnavailable)),
                },
            }
        },
    }


__all__ = ["account_properties", "paths", "schemas"]
