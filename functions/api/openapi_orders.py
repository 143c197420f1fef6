"""The OpenAPI description of orders, shipments, invoices and accounts (CONTRACT §2.9–2.10),
merged into openapi.document() like the case routes."""

from __future__ import annotations

from typing import Any

JSONType = Any
EXAMPLE_ORDER_ID = "or_4c1d9e0f2a3b5c6d7e8f"
EXAMPLE_INVOICE_ID = "inv_8a7b6c5d4e3f2a1b0c9d"
EXAMPLE_ACCOUNT_ID = "ac_5d1c0e9f8a7b6c5d4e3f"
MONEY = {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$", "description": "a decimal string: money is never a float"}


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> JSONType:
    return {"type": [kind, "null"], **extra}


def _account_patch() -> JSONType:
    from shared.domain.accounts import ADDRESS_LIMIT, TEXT_LIMIT

    return {
        "type": "object",
        "description": "only the fields given change; any other field → 400 naming it",
        "properties": {
            "company": {"type": "string", "minLength": 1, "maxLength": TEXT_LIMIT},
            "country": {"type": "string", "description": "ISO 3166-1 alpha-2 or a common name"},
            "credit_code": {
                "type": "string",
                "description": "China unified social credit code (GB 32100-2015: 18 characters, check character "
                "verified); supplying a valid one releases the account's blocked invoices",
            },
            "address": {"type": "string", "minLength": 1, "maxLength": ADDRESS_LIMIT},
            "account_manager_id": {"type": "string", "description": "an owner_id of the Owners tab"},
        },
        "additionalProperties": False,
    }


def schemas() -> dict[str, JSONType]:
    from functions.api.openapi_health import account_properties
    from functions.api.openapi_segments import account_properties as segment_properties

    account = {
        "type": "object",
        "required": ["account_id", "company", "credit_code", "country", "account_manager_id", "tax_id_missing"],
        "properties": {
            "account_id": {"type": "string"},
            "company": {"type": "string"},
            "credit_code": _nullable("string"),
            "country": _nullable("string"),
            "address": _nullable("string"),
            "account_manager_id": _nullable("string"),
            "tax_id_missing": {"type": "boolean", "description": "a Chinese buyer without a valid credit code"},
            "blocked_invoices": {"type": "array", "items": {"type": "object"}},
            "invoices": {"type": "array", "items": {"type": "object"}},
            "history": {"type": "array", "items": {"type": "object"}},
            **account_properties(),
            **segment_properties(),
        },
    }
    return {"Account": account}


def parameters() -> dict[str, JSONType]:
    def path(name: str, description: str, example: str) -> JSONType:
        return {"name": name, "in": "path", "required": True, "description": description,
                "schema": {"type": "string"}, "example": example}  # fmt: skip

    return {
        "AccountId": path("account_id", "the account's id (`ac_…`)", EXAMPLE_ACCOUNT_ID),
    }


def paths(json_content: Any, error_responses: Any, param: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e

    read = (e.ValidationFailed, e.BadRequest, e.PayloadTooLarge, e.UnsupportedMediaType, e.RulesUnavailable)
    return {
        "/accounts/{account_id}": {
            "get": {
                "operationId": "getAccount",
                "summary": "The account: company, credit code, manager, contracts, open cases, invoices, health",
                "parameters": [param("AccountId")],
                "responses": {
                    "200": {"description": "the account", "content": json_content(_ref("Account"))},
                    **error_responses((e.Unauthorized, e.AccountNotFound)),
                },
            },
            "patch": {
                "operationId": "patchAccount",
                "summary": "Set the credit code, address, account manager (releases blocked invoices)",
                "description": "A bad field → 400 naming it, nothing stored. When the account may be invoiced after "
                "the change, its blocked invoices are requested from finance in the same transaction "
                "(`InvoiceRequested`, exactly once).",
                "parameters": [param("AccountId")],
                "requestBody": {
                    "required": True,
                    "content": json_content(_account_patch(), {"credit_code": "91350100M000100Y43"}),
                },
                "responses": {
                    "200": {"description": "the account after it", "content": json_content(_ref("Account"))},
                    **error_responses((*read, e.Unauthorized, e.AccountNotFound, e.InvalidTransition, e.Conflict)),
                },
            },
        },
    }
