"""The API's OpenAPI 3.1 description, built from the code that enforces it.

Each route is declared once in routes.py; the operations of those that name their messages
(``body``, ``query``, ``answer``, ``errors``) are generated from the pydantic models of
shared/*/messages (openapi_generated.py), whose limits and vocabularies are read from the modules
that enforce them. Written here: the document's frame (info, security schemes, header parameters),
the lead capture (forms, CORS, redirects) and its preflight; openapi_links.py: the action links'
HTML pages; openapi_access.py states every operation's scopes. Built on the first
``GET /openapi.json``, never at cold start (app.py imports this module inside that route only).

``python -m functions.api.openapi`` prints the document; ``tools/docs.py`` renders docs/api.md
from it; ``tests/integration/api/test_schemathesis.py`` fuzzes the running API against it.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import Any

from functions.api.openapi_generated import INTERNAL_ERROR as INTERNAL_ERROR
from functions.api.openapi_generated import Generated, error_responses, generated, json_content, param
from shared.leads.messages.lead_capture import EXAMPLE_LEAD as EXAMPLE_LEAD  # the README's lead (tests post it)

JSONType = dict[str, Any]

API_VERSION = "1.0.0"
SIGNATURE_HEADER = "X-Closeloop-Signature"
API_KEY_HEADER = "X-Api-Key"


def error_codes_by_operation() -> dict[tuple[str, str], dict[int, list[str]]]:
    """(METHOD, path) -> status -> codes, as the document states them (for docs and tests)."""
    result: dict[tuple[str, str], dict[int, list[str]]] = {}
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            statuses: dict[int, list[str]] = {}
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                code = schema.get("properties", {}).get("error", {}).get("properties", {}).get("code")
                if code:
                    statuses[int(status)] = list(code["enum"])
                elif response.get("x-closeloop-codes"):  # an HTML page's codes (the action links)
                    statuses[int(status)] = list(response["x-closeloop-codes"])
            result[(method.upper(), path)] = statuses
    return result


# ------------------------------------------------------------------ operations


def _cors_headers() -> dict[str, JSONType]:
    return {
        "Access-Control-Allow-Origin": {
            "description": "the request's `Origin`, when the source is public and the origin allowed",
            "schema": {"type": "string"},
        },
        "Vary": {"description": "`Origin`, with the header above", "schema": {"type": "string"}},
    }


def _capture_operation(made: Generated) -> JSONType:
    """The one route that reads browser forms too, answers CORS and may redirect (CONTRACT §2.1)."""
    from functions.api.body import FORM_TYPE, JSON_TYPE, MAX_BODY_BYTES, MAX_FORM_FIELDS, MULTIPART_TYPE
    from functions.api.inbound import REDIRECT_FIELD
    from functions.api.routes import BODY
    from shared.kernel.domain import errors as e
    from shared.leads.messages.lead_capture import lead_form

    lead, form = (
        made.schema("shared.leads.messages.lead_capture:LeadCapture", "validation"),
        made.schema(lead_form(MAX_FORM_FIELDS, REDIRECT_FIELD), "validation"),
    )
    errors = (*BODY, "InvalidRedirect", "Unauthorized", "Forbidden", "SourceInactive", "UnknownSource", "Conflict",
              "IdempotencyKeyReused")  # fmt: skip
    created, merged, received, see_other = (
        made.answer(f"shared.leads.messages.lead_capture:{n}") for n in ("Created", "Merged", "Received", "SeeOther")
    )
    return {
        "operationId": "captureLead",
        "summary": "Capture a lead from a web form or a marketing tool (CONTRACT §2.1)",
        "description": "Auth by the source's kind: a **signed** source needs `X-Closeloop-Signature`; a **public** "
        "source needs nothing, but a present `Origin` must be allowed. The lead is normalised, deduplicated "
        "(same email, phone or credit code → merged), scored, graded, tiered, routed and explained; events "
        f"follow (docs/events.md). Bodies over {MAX_BODY_BYTES} bytes → 413. Browser forms "
        "(urlencoded or multipart, text fields only) may carry `_redirect`.",
        "security": [{}, {"webhookSignature": []}],
        "parameters": [param("Source"), param("IdempotencyKey"), param("Origin")],
        "requestBody": {
            "required": True,
            "content": {
                JSON_TYPE: {"schema": lead, "example": lead.pop("examples")[0]},
                FORM_TYPE: {"schema": form, "example": form.pop("examples")[0]},
                MULTIPART_TYPE: {"schema": form},
            },
        },
        "responses": {
            "200": {
                "description": "merged into an existing lead — or `received` when the honeypot was filled",
                "headers": _cors_headers(),
                "content": json_content({"oneOf": [merged[0], received[0]]}, created[1] | {"status": "merged"}),
            },
            "201": {"description": "a new lead", "headers": _cors_headers(), "content": json_content(*created)},
            "303": {
                "description": "a form post with `_redirect`: the browser goes there (refusals after the body was "
                "read add `?error=<code>&fields=<names>`; the honeypot redirects too)",
                "headers": {
                    "Location": {"required": True, "schema": {"type": "string"}, "description": "where to go"},
                    **_cors_headers(),
                },
                "content": json_content(*see_other),
            },
            **error_responses(tuple(getattr(e, name) for name in errors)),
        },
    }


def _preflight_operation() -> JSONType:
    from functions.api.inbound import PREFLIGHT_MAX_AGE
    from shared.kernel.domain import errors as e

    return {
        "operationId": "captureLeadPreflight",
        "summary": "CORS preflight for a browser `fetch()` to a public source",
        "description": "Answered per source: only a public source and one of its `allowed_origins` get the CORS "
        "headers; a signed source never does.",
        "parameters": [
            param("Source"),
            {"name": "Origin", "in": "header", "required": True, "description": "the page's origin",
             "schema": {"type": "string"}, "example": "https://www.example.com"},
        ],
        "responses": {
            "204": {
                "description": "the origin may post",
                "headers": {
                    "Access-Control-Allow-Origin": {"required": True, "schema": {"type": "string"}},
                    "Access-Control-Allow-Methods": {"required": True, "schema": {"const": "POST, OPTIONS"}},
                    "Access-Control-Allow-Headers": {
                        "required": True,
                        "schema": {"const": "Content-Type, Idempotency-Key"},
                    },
                    "Access-Control-Max-Age": {"required": True, "schema": {"const": str(PREFLIGHT_MAX_AGE)}},
                    "Vary": {"schema": {"type": "string"}},
                },
            },
            **error_responses((e.Forbidden, e.SourceInactive, e.UnknownSource, e.RulesUnavailable)),
        },
    }  # fmt: skip


# ------------------------------------------------------------------ generated from routes.py and shared/*/messages

_DESCRIPTION = """\
Closeloop's HTTP API: lead capture, behaviour and activities, support cases, orders, shipments, invoices \
and accounts (CONTRACT §2).

JSON in and out (UTF-8). Every error is `{"error": {"code", "message", "fields"?}}` — `fields` only \
where a field is at fault — with the status of its code. A 5xx is a bug, never an answer to bad \
input. Times are ISO 8601 (no offset means UTC); responses use UTC with `Z`, always written \
`YYYY-MM-DDTHH:MM:SS.mmmZ`. A time or date before 1900 or after 2200, in any field or query \
parameter, is a 400 naming it.

Deployed, API Gateway answers an unknown path or method itself with \
`404 {"error": {"code": "not_found", ...}}`, and its own refusals (throttling, ...) with the same shape.

The events that follow each change are in docs/events.md."""


def _as_declared(described_paths: dict[str, JSONType]) -> dict[str, JSONType]:
    """Each operation as routes.py declares its route: who may call it (security) and its
    capability (tag). The description must describe exactly the declared routes."""
    from functions.api.routes import ROUTES

    described = {(method.upper(), path) for path, item in described_paths.items() for method in item}
    declared = {(route.method, route.path) for route in ROUTES}
    if described != declared:
        raise ValueError(
            f"routes.py and the description differ: declared only {sorted(declared - described)}, "
            f"described only {sorted(described - declared)}"
        )
    # in the table's order
    paths: dict[str, JSONType] = {path: {} for path in dict.fromkeys(route.path for route in ROUTES)}
    for route in ROUTES:
        operation = paths[route.path][route.method.lower()] = described_paths[route.path][route.method.lower()]
        operation["tags"] = [route.capability]
        if route.auth == "api_key":
            operation["security"] = [{"apiKey": []}]  # its scopes: openapi_access, from shared/kernel/domain/access.py
        elif route.auth == "public":
            operation["security"] = []
        else:  # signed; a lead capture also takes a public source's unsigned form post (its own statement)
            operation["security"] = operation.get("security") or [{"webhookSignature": []}]
    return paths


@cache
def document() -> JSONType:
    """The OpenAPI 3.1 document (built once per process; do not mutate)."""
    from functions.api import (
        openapi_access,
        openapi_links,
    )
    from shared.kernel.services.webhook_auth import TOLERANCE_SECONDS

    made, components = generated()
    literal: dict[str, JSONType] = {
        "/webhooks/leads/{source}": {"post": _capture_operation(components), "options": _preflight_operation()},
        **openapi_links.paths(INTERNAL_ERROR),
    }
    for path, item in made.items():
        literal[path] = {**literal.get(path, {}), **item}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Closeloop API", "version": API_VERSION, "description": _DESCRIPTION},
        "servers": [{"url": "http://127.0.0.1:8000", "description": "`closeloop dev` (the local stack)"}],
        "tags": [
            {"name": "leads", "description": "lead capture, behaviour, activities"},
            {"name": "cases", "description": "support cases: intake, events, clocks"},
            {"name": "orders", "description": "orders, shipments, invoices exactly once, accounts"},
            {"name": "accounts", "description": "product usage and account health"},
            {"name": "sales", "description": "opportunities, stage gates, quotes, the discount matrix, approvals"},
            {"name": "kpis", "description": "one set of KPI definitions, from rollups"},
            {"name": "lists", "description": "every aggregate a page at a time, newest first (CONTRACT §11)"},
            {"name": "system", "description": "health, this description, the audit"},
            {"name": "links", "description": "action links in alerts: one tap, once, as its person (no API key)"},
            {"name": "privacy", "description": "erase and export a person (CONTRACT §12, PIPL / GDPR)"},
        ],
        "paths": openapi_access.with_access(_as_declared(literal), error_responses),
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": API_KEY_HEADER,
                    "description": "admin, integration and personal keys; missing or wrong → `401 unauthorized`. "
                    "Each operation lists the scopes that allow it (`admin` allows all); a key without one → "
                    "`403 forbidden` naming the scope. Keys live in the `closeloop-<stage>-api-keys` secret, "
                    'JSON `{"name": {"key": "...", "scopes": [...], "owner_id": "u-..."?}}` '
                    "(a key with an `owner_id` acts as that person only); locally `CLOSELOOP_API_KEYS` adds keys "
                    "beside `CLOSELOOP_ADMIN_KEY` (default `dev-admin-key`). See docs/security.md.",
                },
                "webhookSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": SIGNATURE_HEADER,
                    "description": f"signed webhooks: `{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex>` where `v1` "
                    'is the lowercase hex HMAC-SHA256, keyed with the source\'s secret, of the bytes `"<t>."` '
                    "followed by the raw body. Missing, malformed, wrong, or `t` more than "
                    f"{TOLERANCE_SECONDS} s from the server's real time (also on a local stack started at "
                    "`CLOSELOOP_CLOCK_START`: signatures are judged by the wall clock, never the business clock) "
                    "→ `401 unauthorized`, the message naming `t` and the server's time. Secrets live in the "
                    "`closeloop-<stage>-webhook-secrets` secret (locally: `CLOSELOOP_WEBHOOK_SECRET`, default "
                    "`dev-webhook-secret`, for every signed source).",
                },
            },
            "parameters": {
                **components.parameters,
            },
            "schemas": {
                **components.schemas,
            },
        },
    }


@cache
def document_json() -> str:
    return json.dumps(document(), ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    """`python -m functions.api.openapi` prints the document."""
    del argv
    sys.stdout.write(document_json() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
