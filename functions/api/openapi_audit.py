"""The OpenAPI description of ``GET /audit`` (CONTRACT §12), merged into openapi.document()."""

from __future__ import annotations

from typing import Any

JSONType = Any

EXAMPLE_ENTRY = {
    "id": "evt_0b7e4c1f9a2d4e6b8c0d1e2f3a4b5c6d",
    "type": "ApprovalDecided",
    "time": "2026-11-23T02:15:00.000Z",
    "subject": "quote/qt_4c8e2a6f0b1d3e5a7c9f",
    "rules_version": "v1-3f9a2c7e",
    "data": {"approval_id": "ap_4c8e2a6f0b1d3e5a7c9f_2", "decision": "approve", "by": "u_chen", "role": "director"},
    "actor": {"kind": "api_key", "name": "chen-phone", "owner_id": "u_chen"},
}


def _query(name: str, description: str, schema: JSONType | None = None) -> JSONType:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string", "minLength": 1, "maxLength": 200}}  # fmt: skip


def schemas() -> dict[str, JSONType]:
    actor = {
        "type": ["object", "null"],
        "description": "who made the change; null on events recorded before actors were",
        "required": ["kind", "name"],
        "properties": {
            "kind": {"type": "string", "enum": ["api_key", "link", "webhook", "cli", "schedule", "system"]},
            "name": {"type": "string", "description": "the key's name (never the key), the source, the schedule, "
                     "the operator's login"},
            "owner_id": {"type": "string", "description": "a personal key's (or a link's) person"},
            "on_behalf_of": {"type": "string", "description": "the person an admin or integration key named"},
        },
    }  # fmt: skip
    return {
        "Actor": actor,
        "AuditEntry": {
            "type": "object",
            "description": "an event envelope (docs/events.md) with its actor",
            "required": ["id", "type", "time", "subject", "data", "actor"],
            "properties": {
                "id": {"type": "string"},
                "type": {"type": "string"},
                "time": {"type": "string", "format": "date-time"},
                "subject": {"type": "string"},
                "rules_version": {"type": ["string", "null"]},
                "data": {"type": "object"},
                "actor": {"$ref": "#/components/schemas/Actor"},
            },
        },
        "AuditPage": {
            "type": "object",
            "required": ["audit", "next_cursor"],
            "properties": {
                "audit": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
                "next_cursor": {"type": ["string", "null"], "description": "null on the last page"},
            },
        },
    }


def paths(json_content: Any, error_responses: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e
    from shared.services.audit import DEFAULT_SINCE, MAX_DAYS
    from shared.services.leads_query import DEFAULT_LIMIT, MAX_LIMIT

    since = "a duration back from now (`30m`, `12h`, `7d`, `2w`) or an ISO 8601 time"
    return {
        "/audit": {
            "get": {
                "operationId": "listAudit",
                "summary": "Who changed what (CONTRACT §12), newest first, a page at a time",
                "description": "Each entry is an event envelope with its `actor`: which API key (by name, never "
                "the key; a personal key's `owner_id`, or the person an admin or integration key acted "
                "`on_behalf_of`), action link, webhook source, schedule or operator made the change. With "
                '`subject`: every event of that subject ("who approved this discount, with which key, when": '
                "`?subject=quote/qt_…`), whoever made it. With `actor`: the changes made by that key, link or "
                "operator. Neither: every change people made (API keys, links, the CLI) and every rules "
                "publication — webhooks' and schedules' changes carry their actor and are listed by subject. "
                "Read from indexes, never a scan.",
                "parameters": [
                    _query("subject", "one subject's events, e.g. `quote/qt_…`, `lead/ld_…`"),
                    _query("actor", "one actor's changes, by name (an API key's name, an operator's login)"),
                    _query(
                        "since",
                        f"the window's start: {since}; default all time with a filter, else "
                        f"`{DEFAULT_SINCE}` (at most {MAX_DAYS.days} days unfiltered)",
                    ),
                    _query("from", "the window's start as in CONTRACT §12 (the same as `since`)"),
                    _query("to", f"the window's end: {since}; default now"),
                    _query(
                        "limit",
                        f"entries a page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})",
                        {"type": "string", "pattern": "^[0-9]{1,4}$"},
                    ),
                    _query("cursor", "the previous page's `next_cursor`", {"type": "string", "maxLength": 2000}),
                ],
                "responses": {
                    "200": {
                        "description": "a page of the audit",
                        "content": json_content(
                            {"$ref": "#/components/schemas/AuditPage"}, {"audit": [EXAMPLE_ENTRY], "next_cursor": None}
                        ),
                    },
                    **error_responses((e.ValidationFailed, e.Unauthorized, e.Forbidden)),
                },
            }
        }
    }
