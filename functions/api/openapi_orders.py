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


def _shipment_body() -> JSONType:
    from shared.domain.invoices import SHIPMENT_STATUSES
    from shared.domain.orders import MAX_LINES, MAX_QUANTITY

    line = {
        "type": "object",
        "required": ["sku", "quantity"],
        "properties": {
            "sku": {"type": "string", "minLength": 1, "maxLength": 100},
            "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
        },
    }
    return {
        "type": "object",
        "required": ["shipment_id", "order_id", "status"],
        "properties": {
            "shipment_id": {"type": "string", "minLength": 1, "maxLength": 100, "description": "the warehouse's id"},
            "order_id": {"type": "string", "description": "the order (`or_…`, from `POST /webhooks/esign`)"},
            "status": {
                "type": "string",
                "enum": list(SHIPMENT_STATUSES),
                "description": "`signed`: delivered and signed for by the customer (签收)",
            },
            "at": {"type": "string", "format": "date-time", "description": "when; default now"},
            "lines": {
                "type": "array",
                "items": line,
                "minItems": 1,
                "maxItems": MAX_LINES,
                "description": "what the shipment holds: required the first time a shipment is reported; the same "
                "lines (or none) after that",
            },
        },
    }


def _write_back_body() -> JSONType:
    from shared.domain.invoices import WRITE_BACK

    return {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": list(WRITE_BACK)},
            "invoice_number": {"type": "string", "minLength": 1, "maxLength": 100},
            "due_date": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time", "description": "when; default now"},
            "reason": {"type": "string", "minLength": 1, "maxLength": 500, "description": "required for `rejected`"},
        },
    }


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

    invoice_ref = {
        "type": "object",
        "required": ["invoice_id", "status", "amount"],
        "properties": {
            "invoice_id": {"type": "string"},
            "status": {"type": "string", "enum": ["blocked", "requested", "issued", "paid", "rejected"]},
            "amount": MONEY,
        },
    }
    line = {"type": "object", "required": ["sku", "quantity"], "properties": {"sku": {"type": "string"}}}
    invoice = {
        "allOf": [_ref("InvoiceRef")],
        "type": "object",
        "required": ["lines", "currency", "shipments", "history"],
        "properties": {
            "order_id": {"type": "string"},
            "scope": {"type": "string", "description": "`order`, or the shipment id it invoices"},
            "lines": {"type": "array", "items": line},
            "currency": {"type": "string"},
            "shipments": {"type": "array", "items": {"type": "object"}},
            "history": {"type": "array", "items": {"type": "object"}},
            "invoice_number": _nullable("string"),
            "due_date": _nullable("string"),
            "blocked_reason": _nullable("string"),
        },
    }
    recorded = {
        "type": "object",
        "required": ["order_id", "shipment_id", "status", "recorded", "lines", "invoices"],
        "properties": {
            "order_id": {"type": "string"},
            "shipment_id": {"type": "string"},
            "status": {"type": "string", "description": "the shipment's status now: the furthest reported"},
            "recorded": {"type": "boolean", "description": "false: this report was already recorded"},
            "lines": {"type": "array", "items": line, "description": "per order line: quantity, shipped, signed"},
            "invoices": {"type": "array", "items": _ref("InvoiceRef")},
        },
    }
    order = {
        "type": "object",
        "required": ["order_id", "account_id", "lines", "amount", "currency", "shipments", "invoices", "deliveries"],
        "properties": {
            "order_id": {"type": "string"},
            "contract_id": {"type": "string"},
            "account_id": {"type": "string"},
            "account": {"type": "object"},
            "lines": {"type": "array", "items": line},
            "amount": MONEY,
            "currency": {"type": "string"},
            "invoice_on": {"type": "string", "enum": ["order_signed", "shipment_signed"]},
            "shipments": {"type": "array", "items": {"type": "object"}},
            "invoices": {"type": "array", "items": _ref("Invoice")},
            "deliveries": {
                "type": "array",
                "items": {"type": "object", "required": ["delivery_id", "kind", "status", "attempts"]},
                "description": "to the ERP and finance, each with its attempts and last answer",
            },
            "history": {"type": "array", "items": {"type": "object"}, "description": "the newest 100 entries"},
            "earlier_history": {
                "type": ["object", "null"],
                "description": "older entries, counted: `entries`, `by_type`, `first_at`, `last_at`",
            },
        },
    }
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
    return {
        "InvoiceRef": invoice_ref,
        "Invoice": invoice,
        "ShipmentRecorded": recorded,
        "Order": order,
        "Account": account,
    }


def parameters() -> dict[str, JSONType]:
    def path(name: str, description: str, example: str) -> JSONType:
        return {"name": name, "in": "path", "required": True, "description": description,
                "schema": {"type": "string"}, "example": example}  # fmt: skip

    return {
        "OrderId": path("order_id", "the order's id (`or_…`)", EXAMPLE_ORDER_ID),
        "InvoiceId": path(
            "invoice_id", "the invoice's id (`inv_…`), as InvoiceRequested carries it", EXAMPLE_INVOICE_ID
        ),
        "AccountId": path("account_id", "the account's id (`ac_…`)", EXAMPLE_ACCOUNT_ID),
    }


def paths(json_content: Any, error_responses: Any, param: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e

    read = (e.ValidationFailed, e.BadRequest, e.PayloadTooLarge, e.UnsupportedMediaType, e.RulesUnavailable)
    intake = (*read, e.Unauthorized, e.SourceInactive, e.UnknownSource, e.Conflict, e.IdempotencyKeyReused)
    shipment_errors = (*intake, e.OrderNotFound, e.OverDelivery, e.ShipmentLinesChanged, e.InvalidTransition)
    example = {"shipment_id": "SH-20261122-01", "order_id": EXAMPLE_ORDER_ID, "status": "signed",
               "at": "2026-11-22T08:00:00Z", "lines": [{"sku": "CL-PRO", "quantity": 10}]}  # fmt: skip
    return {
        "/webhooks/shipments/{source}": {
            "post": {
                "operationId": "recordShipment",
                "summary": "A shipment status from the warehouse or logistics (CONTRACT §2.9)",
                "description": "Signed sources only. Statuses may repeat or arrive out of order (the furthest one "
                "counts). When the order is shipped and signed for — every line (Settings `invoice_on` = "
                "`order_signed`) or this shipment (`shipment_signed`) — `InvoiceRequested` is recorded exactly once "
                "and delivered to finance; a Chinese buyer without a valid credit code gets `InvoiceBlocked`. More "
                "than the order holds → `409 over_delivery`, nothing stored.",
                "parameters": [param("Source"), param("IdempotencyKey")],
                "requestBody": {"required": True, "content": json_content(_shipment_body(), example)},
                "responses": {
                    "200": {
                        "description": "recorded (or already recorded)",
                        "content": json_content(_ref("ShipmentRecorded")),
                    },
                    **error_responses(shipment_errors),
                },
            }
        },
        "/orders/{order_id}": {
            "get": {
                "operationId": "getOrder",
                "summary": "The order: lines, shipments, invoices, ERP and finance deliveries with their attempts",
                "parameters": [param("OrderId")],
                "responses": {
                    "200": {"description": "the order", "content": json_content(_ref("Order"))},
                    **error_responses((e.Unauthorized, e.OrderNotFound)),
                },
            }
        },
        "/invoices/{invoice_id}/status": {
            "post": {
                "operationId": "recordInvoiceStatus",
                "summary": "Finance writes back issued / paid / rejected (CONTRACT §2.9)",
                "description": "Updates the order and alerts the account manager (`InvoiceIssued`, `InvoicePaid`, "
                "`InvoiceRejected`). The same status again changes nothing; an earlier status after a later one is "
                "kept in the history without moving the invoice back; paid after rejected, rejected after paid, or "
                "anything on a blocked invoice → `409 invalid_transition`.",
                "parameters": [param("InvoiceId")],
                "requestBody": {
                    "required": True,
                    "content": json_content(_write_back_body(), {"status": "issued", "invoice_number": "No 00012345"}),
                },
                "responses": {
                    "200": {"description": "the invoice after it", "content": json_content(_ref("Invoice"))},
                    **error_responses((*read, e.Unauthorized, e.InvoiceNotFound, e.InvalidTransition, e.Conflict)),
                },
            }
        },
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
