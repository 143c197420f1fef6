"""The OpenAPI description of the privacy routes (CONTRACT §12), merged into openapi.document()."""

from __future__ import annotations

from typing import Any

JSONType = Any

_IDENTIFIER = (
    "Exactly one of `email` or `phone`, normalised as lead capture does (email: NFKC, lower case; phone: "
    "E.164, a national number read in Settings `default_country`)."
)


def _identifier_schema() -> JSONType:
    text = {"type": "string", "minLength": 1, "maxLength": 254}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"email": {**text, "description": "the person's email"},
                       "phone": {**text, "description": "the person's phone, any common format"}},
        "oneOf": [{"required": ["email"]}, {"required": ["phone"]}],
    }  # fmt: skip


def schemas() -> dict[str, JSONType]:
    count = {"type": "integer", "minimum": 0}
    return {
        "PersonToErase": _identifier_schema(),
        "Erased": {
            "type": "object",
            "required": ["erased"],
            "properties": {
                "erased": {
                    "type": "object",
                    "required": ["leads", "cases", "events"],
                    "description": "records that still held something personal: zeros when erased again",
                    "properties": {"leads": count, "cases": count, "events": count},
                }
            },
        },
        "PersonExport": {
            "type": "object",
            "required": ["person", "exported_at", "identity_keys", "leads", "cases", "opportunities", "events",
                         "deliveries"],
            "properties": {
                "person": {"type": "object", "description": "the identifier asked for, normalised"},
                "exported_at": {"type": "string", "format": "date-time"},
                "identity_keys": {"type": "array", "items": {"type": "string"},
                                  "description": "the dedupe keys the person's lead holds (`email#…`, `phone#…`)"},
                "leads": {"type": "array", "items": {"type": "object"}, "description": "as `GET /leads/{id}`"},
                "cases": {"type": "array", "items": {"type": "object"}, "description": "as `GET /cases/{id}`"},
                "opportunities": {"type": "array", "items": {"type": "object"},
                                  "description": "the opportunity the lead became, with the contact carried over"},
                "events": {"type": "array", "items": {"type": "object"},
                           "description": "every recorded event of those records: id, type, time, subject, data"},
                "deliveries": {"type": "array", "items": {"type": "object"},
                               "description": "alerts (and ERP/finance deliveries) about those records"},
            },
        },
    }  # fmt: skip


def paths(json_content: Any, error_responses: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e

    def query(name: str, description: str) -> JSONType:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": {"type": "string", "minLength": 1, "maxLength": 254}}  # fmt: skip

    body_errors = (e.ValidationFailed, e.BadRequest, e.PayloadTooLarge, e.UnsupportedMediaType, e.Unauthorized)
    return {
        "/privacy/erase": {
            "post": {
                "operationId": "erasePerson",
                "summary": "Erase a person everywhere Closeloop holds them (PIPL art. 47, GDPR art. 17)",
                "description": f"{_IDENTIFIER} The person's lead and case contacts lose their personal fields "
                "(`name`, `first_name`, `last_name`, `email`, `phone`, `title`, `message`, `extra` become null); "
                "the lead's identity keys are given up (a later post of that email creates a new lead, with a "
                "new id); the recorded events of the lead, its opportunity and the cases lose the same fields; "
                "pending alerts about them are cancelled and our copies of sent ones say `[erased]`. Scores, "
                "owners, amounts, dates and the company stay, so the KPIs still add up. Records `PersonErased` "
                "with a SHA-256 of the normalised identifier, never the identifier. Found through the identity "
                "key, the cases' `by_contact` index and the events' `by_subject` index — never a scan. Copies "
                "already delivered (ERP, finance, chat, email) are out of reach: see docs/security.md.",
                "requestBody": {
                    "required": True,
                    "content": json_content(
                        {"$ref": "#/components/schemas/PersonToErase"}, {"email": "zhang.wei@example.cn"}
                    ),
                },
                "responses": {
                    "200": {
                        "description": "erased (again: the same answer with zeros)",
                        "content": json_content(
                            {"$ref": "#/components/schemas/Erased"}, {"erased": {"leads": 1, "cases": 2, "events": 14}}
                        ),
                    },
                    **error_responses((*body_errors, e.Conflict, e.RulesUnavailable)),
                },
            }
        },
        "/privacy/export": {
            "get": {
                "operationId": "exportPerson",
                "summary": "Everything held about a person, as one JSON document (PIPL art. 45, GDPR art. 15)",
                "description": f"{_IDENTIFIER} The lead, its opportunity, the cases whose contact it is, every "
                "recorded event of those, and the alerts about them. Read from indexes, never a scan; an unknown "
                "person is an empty document, not a 404 (whether someone is known is itself personal data only "
                "a `privacy` key may ask).",
                "parameters": [query("email", "the person's email"), query("phone", "the person's phone")],
                "responses": {
                    "200": {
                        "description": "the person's records",
                        "content": json_content({"$ref": "#/components/schemas/PersonExport"}),
                    },
                    **error_responses((e.ValidationFailed, e.Unauthorized, e.RulesUnavailable)),
                },
            }
        },
    }
