"""The OpenAPI description of e-signatures and contracts (CONTRACT §2.8), merged into
openapi.document() like the case and order routes."""

from __future__ import annotations

from typing import Any

JSONType = Any
EXAMPLE_CONTRACT_ID = "ct_3e2d1c0b9a8f7e6d5c4b"
DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _signature_body() -> JSONType:
    text = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"}
    return {
        "type": "object",
        "required": ["envelope_id", "status", "quote_id"],
        "properties": {
            "envelope_id": {**text, "description": "the e-sign provider's envelope: one contract per envelope"},
            "status": {**text, "description": "`completed` creates the contract; any other status is ignored"},
            "quote_id": {**text, "description": "the approved quote that was signed (`qt_…`)"},
            "signed_at": {"type": "string", "format": "date-time", "description": "default now; not in the future"},
            "start_date": {**DATE, "description": "first day of the term (required when completed)"},
            "end_date": {**DATE, "description": "last day of the term, on or after start_date (reminders count back)"},
        },
    }


def schemas() -> dict[str, JSONType]:
    ids = {"type": "string"}
    return {
        "SignatureRecorded": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "string", "enum": ["created", "recorded", "ignored"]},
                "contract_id": ids,
                "order_id": ids,
                "account_id": ids,
                "envelope_status": {"type": "string", "description": "ignored: the status the envelope had"},
            },
        },
        "Contract": {
            "type": "object",
            "description": "a signed contract: its quote, order, account, term, amount, renewal reminders, history",
            "required": ["contract_id", "quote_id", "order_id", "account_id", "start_date", "end_date", "amount"],
            "properties": {
                "contract_id": ids,
                "source": ids,
                "envelope_id": ids,
                "quote_id": ids,
                "opportunity_id": {"type": ["string", "null"]},
                "account_id": ids,
                "order_id": ids,
                "owner_id": {"type": ["string", "null"], "description": "who sold it"},
                "signed_at": {"type": "string", "format": "date-time"},
                "start_date": DATE,
                "end_date": DATE,
                "amount": {"type": "string", "description": "a decimal string"},
                "currency": ids,
                "status": {"type": "string", "enum": ["active", "renewed", "cancelled"]},
                "reminders": {"type": "array", "items": ids, "description": "pending renewal reminder timers"},
                "rules_version": {"type": ["string", "null"]},
                "history": {"type": "array", "items": {"type": "object"}, "description": "the newest 100 entries"},
                "earlier_history": {
                    "type": ["object", "null"],
                    "description": "older entries, counted: `entries`, `by_type`, `first_at`, `last_at`",
                },
                "on_hold": {"type": "boolean", "description": "an unresolved P1 case on the account holds the renewal"},
                "hold": {
                    "type": ["object", "null"],
                    "description": '`{"case_ids", "since"}` while held (the renewal\'s approvals wait), else null',
                },
                "reminded": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": 'renewal reminders fired: `{"timer_id", "days_before", "due_at", "fired_at", '
                    '"late_seconds", "on_hold", "case_ids"}`',
                },
                "renewal_opportunity": {
                    "type": ["object", "null"],
                    "description": "the renewal opportunity opened at the Renewals row with `create_opportunity`",
                },
                "ended_at": {"type": ["string", "null"], "description": "when it was renewed or cancelled"},
            },
        },
    }


def parameters() -> dict[str, JSONType]:
    return {
        "ContractId": {
            "name": "contract_id",
            "in": "path",
            "required": True,
            "description": "the contract's id (`ct_…`), from the e-sign webhook's answer",
            "schema": {"type": "string"},
            "example": EXAMPLE_CONTRACT_ID,
        }
    }


def paths(json_content: Any, error_responses: Any, param: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e

    intake = (e.ValidationFailed, e.BadRequest, e.PayloadTooLarge, e.UnsupportedMediaType, e.RulesUnavailable,
              e.Unauthorized, e.SourceInactive, e.UnknownSource, e.Conflict, e.IdempotencyKeyReused)  # fmt: skip
    example = {"envelope_id": "env-7f3a", "status": "completed", "quote_id": "qt_0123456789abcdef0123",
               "signed_at": "2026-12-20T08:00:00Z", "start_date": "2027-01-01", "end_date": "2027-12-31"}  # fmt: skip
    answer = {"status": "created", "contract_id": EXAMPLE_CONTRACT_ID, "order_id": "or_4c1d9e0f2a3b5c6d7e8f",
              "account_id": "ac_5d1c0e9f8a7b6c5d4e3f"}  # fmt: skip
    return {
        "/webhooks/esign/{source}": {
            "post": {
                "operationId": "recordSignature",
                "summary": "A completed e-signature: contract, order, account, opportunity won (CONTRACT §2.8)",
                "description": "Signed sources only. A `completed` envelope for an approved quote creates, in one "
                "transaction and once per envelope: the contract (`ContractSigned`, delivered to the ERP), the "
                "order with the quote's lines (`OrderCreated`, to the ERP), the account with its account manager "
                "(Routing rows with `object` = `account`, else the opportunity owner), the opportunity won, and "
                'the renewal reminders. Another status → `200 {"status": "ignored"}`. A quote that is not '
                "approved → `409 quote_not_approved`, nothing created. The same envelope again → 200 with the "
                "same ids. A quote is signed once: another envelope for a quote that already has a contract → "
                "`409 quote_already_signed` naming the contract (`fields.contract_id`), nothing created, also "
                "when envelopes race. Dates (`start_date`, `end_date`) and `signed_at` outside 1900–2200 → 400.",
                "parameters": [param("Source"), param("IdempotencyKey")],
                "requestBody": {"required": True, "content": json_content(_signature_body(), example)},
                "responses": {
                    "201": {"description": "created", "content": json_content(_ref("SignatureRecorded"), answer)},
                    "200": {
                        "description": "recorded before (same ids), or ignored (not completed)",
                        "content": json_content(_ref("SignatureRecorded")),
                    },
                    **error_responses((*intake, e.QuoteNotFound, e.QuoteNotApproved, e.QuoteAlreadySigned)),
                },
            }
        },
        "/contracts/{contract_id}": {
            "get": {
                "operationId": "getContract",
                "summary": "The contract: term, amount, order, account, renewal reminders, history",
                "parameters": [param("ContractId")],
                "responses": {
                    "200": {"description": "the contract", "content": json_content(_ref("Contract"))},
                    **error_responses((e.Unauthorized, e.ContractNotFound)),
                },
            }
        },
    }
