"""The OpenAPI description of the case routes (CONTRACT §2.5), merged into openapi.document()."""

from __future__ import annotations

from typing import Any

JSONType = Any
CASE_ID_PATTERN = "^cs_[0-9a-f]{20}$"
EXAMPLE_CASE_ID = "cs_3b8e1f0a9c2d4e6f8a10"
EXAMPLE_CLOCK = {
    "kind": "case_first_response",
    "clock": "first_response",
    "target_hours": 1.0,
    "due_at": "2026-11-22T09:00:00.000Z",
    "state": "running",
    "breached_at": None,
    "paused_hours": 0.0,
    "business_hours_used": 0.25,
    "business_hours": False,
    "calendar": None,
    "started_at": "2026-11-22T08:00:00.000Z",
    "stopped_at": None,
    "paused_since": None,
    "sla_row": 4,
    "rules_version": "v1-3f9a2c7e",
    "escalate_to": ["manager", "director"],
}
EXAMPLE_SUMMARY = {
    "case_id": EXAMPLE_CASE_ID,
    "status": "open",
    "priority": "P1",
    "account_id": "ac_5d1c0e9f8a7b6c5d4e3f",
    "owner_id": "u_yang",
    "team": "Support L2",
    "sla": {"first_response": EXAMPLE_CLOCK},
}


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> JSONType:
    return {"type": [kind, "null"], **extra}


def _text(description: str, limit: int = 200) -> JSONType:
    return {"type": "string", "maxLength": limit, "description": description}


def _case_body() -> JSONType:
    from shared.domain.case_intake import CHANNELS, PRIORITIES

    return {
        "type": "object",
        "required": ["external_id", "priority", "account"],
        "properties": {
            "external_id": {
                **_text("the case's id in the contact center: the same id again is the same case"),
                "minLength": 1,
            },
            "subject": _text("what the case is about"),
            "priority": {"type": "string", "enum": [*PRIORITIES, *(p.lower() for p in PRIORITIES)]},
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "account": {
                "type": "object",
                "description": "`account_id`, or `credit_code`, or `company` + `country`: a stable account id follows",
                "properties": {
                    "account_id": _text("an account id you already hold"),
                    "credit_code": _text("China unified social credit code (checksum verified)", 40),
                    "company": _text("company name"),
                    "country": _text("ISO 3166-1 alpha-2 or a common name"),
                },
            },
            "contact": {
                "type": "object",
                "properties": {"name": _text("name"), "email": _text("email"), "phone": _text("phone", 40)},
            },
            "opened_at": {
                "type": "string",
                "format": "date-time",
                "description": "when it opened (ISO 8601); default now; at most 5 minutes in the future and "
                "at most a year ago",
            },
        },
    }


def _event_body() -> JSONType:
    from shared.domain.cases import CASE_EVENT_TYPES

    return {
        "type": "object",
        "required": ["type", "by"],
        "properties": {
            "type": {"type": "string", "enum": list(CASE_EVENT_TYPES)},
            "by": {**_text("the owner_id of who did it: someone on the Owners tab"), "minLength": 1},
            "at": {
                "type": "string",
                "format": "date-time",
                "description": "when (ISO 8601), not before the case opened, not in the future (5 minutes of "
                "clock skew allowed); default now. Late events are fine: clocks are recomputed in `at` order",
            },
            "note": _nullable("string", maxLength=2000),
            "score": {"type": "integer", "minimum": 1, "maximum": 5, "description": "csat only"},
        },
    }


def schemas() -> dict[str, JSONType]:
    clock = {
        "type": "object",
        "required": ["kind", "target_hours", "due_at", "state", "breached_at", "paused_hours", "business_hours_used"],
        "properties": {
            "kind": {"type": "string", "enum": ["case_first_response", "case_resolution"]},
            "clock": {"type": "string", "enum": ["first_response", "resolution"]},
            "target_hours": {"type": "number"},
            "due_at": _nullable("string", description="null while paused: the due time moves with the pause"),
            "state": {"type": "string", "enum": ["running", "paused", "met", "breached"]},
            "breached_at": _nullable("string"),
            "paused_hours": {"type": "number", "description": "time the clock would have counted but was paused"},
            "business_hours_used": {"type": "number", "description": "time counted (business or wall hours)"},
            "business_hours": {"type": "boolean"},
            "calendar": _nullable("string"),
            "started_at": {"type": "string"},
            "stopped_at": _nullable("string"),
            "paused_since": _nullable("string"),
            "sla_row": {"type": "integer"},
            "rules_version": {"type": "string"},
            "escalate_to": {"type": "array", "items": {"type": "string"}},
        },
    }
    summary = {
        "type": "object",
        "required": ["case_id", "status", "priority", "account_id", "owner_id", "team", "sla"],
        "properties": {
            "case_id": {"type": "string", "pattern": CASE_ID_PATTERN},
            "status": {"type": "string", "enum": ["open", "waiting_on_customer", "resolved", "reopened"]},
            "priority": {"type": "string"},
            "account_id": {"type": "string"},
            "owner_id": _nullable("string", description="null when nobody in the team could take it"),
            "team": _nullable("string"),
            "sla": {"type": "object", "additionalProperties": _ref("CaseClock")},
        },
    }
    case = {
        "allOf": [_ref("CaseSummary")],
        "type": "object",
        "required": ["history", "first_contact_resolution", "csat"],
        "properties": {
            "history": {
                "type": "array",
                "items": {"type": "object"},
                "description": "the newest events (100, or 64 KB), in `at` order",
            },
            "earlier_history": {
                "type": ["object", "null"],
                "description": "older entries, counted: `entries`, `by_type`, `first_at`, `last_at`",
            },
            "first_contact_resolution": {"type": "boolean"},
            "csat": _nullable("integer"),
            "agent_contacts": {"type": "integer"},
            "decision": {"type": "object", "description": "the routing trace"},
        },
    }
    recorded = {
        "allOf": [_ref("CaseSummary")],
        "type": "object",
        "required": ["event"],
        "properties": {"event": {"type": "object", "description": "the event as recorded"}},
    }
    return {"CaseClock": clock, "CaseSummary": summary, "Case": case, "CaseEventRecorded": recorded}


def parameters() -> dict[str, JSONType]:
    return {
        "CaseId": {
            "name": "case_id",
            "in": "path",
            "required": True,
            "description": "the case's id, as returned when it opened",
            "schema": {"type": "string"},
            "example": EXAMPLE_CASE_ID,
        }
    }


def paths(json_content: Any, error_responses: Any, param: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e

    read = (e.ValidationFailed, e.BadRequest, e.PayloadTooLarge, e.UnsupportedMediaType, e.RulesUnavailable)
    intake = (*read, e.Unauthorized, e.SourceInactive, e.UnknownSource, e.Conflict, e.IdempotencyKeyReused)
    record = (*read, e.Unauthorized, e.CaseNotFound, e.InvalidTransition, e.Conflict)
    example = {"external_id": "CC-1001", "subject": "Line stopped", "priority": "P1", "channel": "phone",
               "account": {"company": "Acme", "country": "CN"}}  # fmt: skip
    return {
        "/webhooks/cases/{source}": {
            "post": {
                "operationId": "openCase",
                "summary": "A support case opened in the contact center (CONTRACT §2.5)",
                "description": "Signed sources only. Routed like a lead by the Routing rows whose `object` is "
                "`case`; its first-response and resolution clocks start. The same `external_id` from the same "
                "source is the same case: `200` with it, nothing new.",
                "parameters": [param("Source"), param("IdempotencyKey")],
                "requestBody": {"required": True, "content": json_content(_case_body(), example)},
                "responses": {
                    "201": {
                        "description": "the case opened",
                        "content": json_content(_ref("CaseSummary"), EXAMPLE_SUMMARY),
                    },
                    "200": {"description": "that case was already open", "content": json_content(_ref("CaseSummary"))},
                    **error_responses(intake),
                },
            }
        },
        "/cases/{case_id}/events": {
            "post": {
                "operationId": "recordCaseEvent",
                "summary": "First response, replies, waiting, resolved, reopened, CSAT, notes (CONTRACT §2.5)",
                "description": "An event that makes no sense in the case's state at its `at` → `409 "
                "invalid_transition`.",
                "parameters": [param("CaseId")],
                "requestBody": {
                    "required": True,
                    "content": json_content(_event_body(), {"type": "first_response", "by": "u_yang"}),
                },
                "responses": {
                    "201": {
                        "description": "recorded; the case's clocks after it",
                        "content": json_content(_ref("CaseEventRecorded")),
                    },
                    **error_responses(record),
                },
            }
        },
        "/cases/{case_id}": {
            "get": {
                "operationId": "getCase",
                "summary": "The case, its history and its clocks",
                "parameters": [param("CaseId")],
                "responses": {
                    "200": {"description": "the case", "content": json_content(_ref("Case"))},
                    **error_responses((e.Unauthorized, e.CaseNotFound, e.RulesUnavailable)),
                },
            }
        },
    }
