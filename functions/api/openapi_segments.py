"""The OpenAPI description of customer segments (CONTRACT §15): ``GET /accounts?segment=``, merged
into openapi.document() (its Rfm from shared/messages/accounts.py)."""

from __future__ import annotations

from typing import Any

JSONType = Any
EXAMPLE_RFM = {"recency_days": 12, "frequency": 3, "monetary": "620199.99", "computed_at": "2026-11-22T08:00:00.000Z"}


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: JSONType, description: str) -> JSONType:
    return {"oneOf": [schema, {"type": "null"}], "description": description}


def schemas() -> dict[str, JSONType]:
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
    return {"AccountSummary": summary, "AccountList": listing}


def paths(json_content: Any, error_responses: Any) -> dict[str, JSONType]:
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
    return {
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


__all__ = ["paths", "schemas"]
