"""The lists of CONTRACT §11 in the OpenAPI description: one GET per aggregate, its query
parameters read from the aggregate's declaration (shared/services/list_specs.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

JSONType = Any

_S = {"type": ["string", "null"]}
_T = {"type": ["string", "null"], "format": "date-time"}
_D = {"type": ["string", "null"], "format": "date"}
_N = {"type": ["number", "null"]}
_I = {"type": "integer", "minimum": 0}
_B = {"type": "boolean"}

# what each list shows of one aggregate (the summary functions of list_specs.py; a test keeps them in step)
SUMMARIES: dict[str, dict[str, JSONType]] = {
    "cases": {
        "case_id": _S, "opened_at": _T, "priority": _S, "status": _S, "title": _S,
        "account_id": _S, "owner_id": _S, "team": _S, "queue": _S,
    },
    "opportunities": {
        "opportunity_id": _S, "created_at": _T, "name": _S, "stage": _S, "status": _S, "owner_id": _S,
        "account_id": _S, "company": _S, "amount": _S, "close_date": _D, "current_quote_id": _S, "contract_id": _S,
    },
    "quotes": {
        "quote_id": _S, "created_at": _T, "opportunity_id": _S, "status": _S, "owner_id": _S, "amount": _S,
        "currency": _S, "discount": _S, "waiting_on": _S, "valid_until": _S,
    },
    "contracts": {
        "contract_id": _S, "signed_at": _T, "account_id": _S, "status": _S, "start_date": _D, "end_date": _D,
        "amount": _S, "currency": _S, "owner_id": _S, "order_id": _S, "on_hold": _B,
    },
    "orders": {
        "order_id": _S, "created_at": _T, "account_id": _S, "company": _S, "status": _S, "amount": _S,
        "currency": _S, "contract_id": _S, "invoices": _I,
    },
    "invoices": {
        "invoice_id": _S, "order_id": _S, "account_id": _S, "status": _S, "amount": _S, "currency": _S,
        "created_at": _T, "requested_at": _T, "invoice_number": _S, "due_date": _D, "blocked_reason": _S,
    },
    "accounts": {
        "account_id": _S, "created_at": _T, "company": _S, "country": _S, "account_manager_id": _S,
        "health_score": _N, "below_health": _B, "orders": _I, "segment": _S, "segment_since": _T,
        "rfm": {"type": ["object", "null"]},
    },
}  # fmt: skip


def _title(plural: str) -> str:
    return "".join(part.title() for part in plural.split("_"))


def _operation(listing: Any, json_content: Callable[..., JSONType], errors: Callable[..., JSONType]) -> JSONType:
    from shared.domain import errors as e
    from shared.services.listing import DEFAULT_LIMIT, MAX_LIMIT

    def query(name: str, description: str, schema: JSONType) -> JSONType:
        return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

    parameters = [
        query(
            f.name,
            f.help or f"only {listing.plural} with this {f.name}",
            {"type": "string", "enum": list(f.choices)} if f.choices else {"type": "string", "minLength": 1},
        )
        for f in listing.filters
    ]
    if listing.since:
        parameters.append(
            query(
                "since",
                "how far back: a duration (`30m`, `12h`, `7d`, `2w`) or an ISO 8601 time; default: from the first",
                {"type": "string"},
            )
        )
    parameters += [
        query(
            "limit",
            f"{listing.plural} per page (default {DEFAULT_LIMIT})",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        ),
        query("cursor", "the previous page's `next_cursor`", {"type": "string"}),
    ]
    name = _title(listing.plural)
    return {
        "operationId": f"list{name}",
        "summary": f"{name}, newest first, a page at a time",
        "description": "Read from the aggregate's list index (never a table scan). Filters combine; an unknown "
        "query parameter is a `400` naming it. With `cursor`, the first page's window is kept; pass the same "
        "filters. The last page's `next_cursor` is null.",
        "parameters": parameters,
        "responses": {
            "200": {
                "description": f"a page of {listing.plural}",
                "content": json_content(
                    {"$ref": f"#/components/schemas/{name}List"}, {listing.plural: [], "next_cursor": None}
                ),
            },
            **errors((e.ValidationFailed, e.Unauthorized)),
        },
    }


def paths(
    existing: dict[str, JSONType], json_content: Callable[..., JSONType], errors: Callable[..., JSONType]
) -> dict[str, JSONType]:
    """``existing`` with a GET on each ``/<plural>`` (some paths have a POST already)."""
    from shared.services.list_specs import LISTINGS

    out = dict(existing)
    for plural, listing in LISTINGS.items():
        path = out.get(f"/{plural}", {})
        operation = _operation(listing, json_content, errors)
        other = path.get("get")
        if isinstance(other, dict):  # another list on the path (GET /accounts?segment=, CONTRACT §15)
            named = {p.get("name") for p in operation["parameters"]}
            extra = [dict(p, required=False) for p in other.get("parameters", []) if p.get("name") not in named]
            operation["parameters"] = [*operation["parameters"], *extra]
            operation["description"] = f"{operation.get('description', '')} With `segment`: {other['summary']}".strip()
        out[f"/{plural}"] = {**path, "get": operation}
    return out


def schemas() -> dict[str, JSONType]:
    out: dict[str, JSONType] = {}
    for plural, fields in SUMMARIES.items():
        name = _title(plural)
        out[f"{name}Summary"] = {"type": "object", "required": list(fields), "properties": fields}
        out[f"{name}List"] = {
            "type": "object",
            "required": [plural, "next_cursor"],
            "properties": {
                plural: {"type": "array", "items": {"$ref": f"#/components/schemas/{name}Summary"}},
                "next_cursor": {"type": ["string", "null"]},
            },
        }
    return out
