"""The API's OpenAPI 3.1 description, built from the code that enforces it.

A Python module rather than a JSON or YAML file: the limits, vocabularies, error codes and
statuses below are read from the modules that enforce them (body.py, errors.py, inbound.py,
normalize.py, the services), so the description changes when they do. It is plain dicts —
no schema library — and is built on the first ``GET /openapi.json``, never at cold start
(app.py imports this module inside that route only).

``python -m functions.api.openapi`` prints the document; ``tools/docs.py`` renders docs/api.md
from it; ``tests/integration/api/test_schemathesis.py`` fuzzes the running API against it.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from typing import Any

JSONType = dict[str, Any]

API_VERSION = "1.0.0"
SIGNATURE_HEADER = "X-Closeloop-Signature"
API_KEY_HEADER = "X-Api-Key"
LEAD_ID_PATTERN = "^ld_[0-9a-f]{20}$"
INTERNAL_ERROR = "internal_error"

# The README's lead: one example, everywhere.
EXAMPLE_LEAD = {
    "email": "zhang.wei@example.cn",
    "name": "张伟",
    "company": "上海精密制造",
    "province": "上海",
    "industry": "制造业",
    "employees": 1500,
    "title": "采购总监",
    "phone": "13800138000",
}
EXAMPLE_LEAD_ID = "ld_5f0c3a1e9b2d4c6a8e10"
EXAMPLE_SUMMARY = {
    "lead_id": EXAMPLE_LEAD_ID,
    "score": 90,
    "grade": "sql",
    "tier": "vip",
    "owner_id": "u_wu",
    "team": "Enterprise",
    "rules_version": "v1-3f9a2c7e",
    "quality": {"score": 100, "missing": [], "flags": []},
}
EXAMPLE_TIME = "2026-11-22T08:00:00.000Z"


def _ref(name: str) -> JSONType:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> JSONType:
    return {"type": [kind, "null"], **extra}


# ------------------------------------------------------------------ errors


def _error_schema(codes: list[str]) -> JSONType:
    """CONTRACT §2's error body, its ``code`` narrowed to what the response can carry."""
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string", "description": "a sentence for a person"},
                    "fields": {
                        "type": "object",
                        "description": "only when fields are at fault: field name → what is wrong",
                        "additionalProperties": {"type": "string"},
                    },
                },
            }
        },
    }


_STATUS_TEXT = {
    400: "The request is not valid: the body cannot be read, or fields are wrong (each named in `fields`).",
    401: "Missing or wrong credentials for this route.",
    403: "Not allowed: the origin may not post to this source, the source is switched off or may not post this "
    "kind of webhook, or `by` may not decide this approval step.",
    404: "The source, or the lead, case, opportunity, quote, approval step, order, invoice or account, does not exist.",
    409: "A concurrent change won (retry), an `Idempotency-Key` came back with another body, a case or invoice "
    "event makes no sense in its state, a shipment holds more than the order has left (`over_delivery`), or a "
    "sales move is refused (a stage gate, an approval's turn).",
    413: "The body is larger than the limit.",
    415: "The Content-Type is not one this route reads.",
    500: "A bug on our side (logged); never an answer to bad input.",
    503: "No rules version has been published yet.",
}


def _error_responses(errors: tuple[type[Any], ...]) -> dict[str, JSONType]:
    """The error responses of a route: the classes it can raise, grouped by their status."""
    from functions.api.errors import status_for

    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(status_for(error), []).append(error.code)
    by_status[500] = [INTERNAL_ERROR]  # the `api` decorator's answer to a bug
    responses = {}
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {
            "description": f"{_STATUS_TEXT[status]} Codes: {', '.join(f'`{c}`' for c in codes)}.",
            "content": {"application/json": {"schema": _error_schema(codes)}},
        }
    return responses


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


# ------------------------------------------------------------------ request bodies


def _lead_field_schemas(form: bool) -> dict[str, JSONType]:
    """CONTRACT §2.1's fields with the limits normalize.py enforces. Forms send text only."""
    from shared.domain.normalize import MESSAGE_LIMIT, NUMBER_MAX_DIGITS, TEXT_LIMIT

    def text(description: str, limit: int = TEXT_LIMIT) -> JSONType:
        return {"type": "string", "maxLength": limit, "description": description}

    def number(kind: str, description: str) -> JSONType:
        if form:
            return {"type": "string", "description": description}
        return {
            "oneOf": [
                {"type": kind, "minimum": 0, "maximum": 10**NUMBER_MAX_DIGITS - 1},
                {"type": "string", "maxLength": 40, "description": "a number as text; `,` separators allowed"},
            ],
            "description": description,
        }

    consent_words = "`true/false/1/0/yes/no/on/off/y/n/是/否`, any case"
    consent: JSONType = (
        {"type": "string", "description": f"marketing consent: {consent_words}"}
        if form
        else {
            "oneOf": [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}, {"type": "string"}],
            "description": f"marketing consent: a boolean, 0/1, or {consent_words}",
        }
    )
    fields: dict[str, JSONType] = {
        "email": text(
            "required unless `phone` is given; a valid address (no DNS look-up), stored NFKC-normalised "
            "and lower-cased",
            254,
        )
        | {"format": "email"},
        "phone": text(
            "required unless `email` is given; any common format, stored as E.164 (default region from "
            "`country`, else Settings `default_country`); an extension after the number (`转 123`, "
            "`分机 123`, `ext. 123`, `x123`, `#123`) is stored apart as `phone_ext`",
            40,
        ),
        "name": text("full name; else `first_name` + `last_name` are joined"),
        "first_name": text("given name"),
        "last_name": text("family name"),
        "company": text("company name"),
        "title": text("job title"),
        "country": text("ISO 3166-1 alpha-2 or a common name (English or Chinese); stored as alpha-2"),
        "province": text("free text; with `country`, gives the region through the Regions tab"),
        "industry": text("free text; mapped through the Industries tab (unmapped → `other`, flag `industry_unmapped`)"),
        "employees": number("integer", "company size, a whole number ≥ 0"),
        "budget": number("number", "budget ≥ 0 in Settings `currency`"),
        "credit_code": text(
            "China unified social credit code (GB 32100-2015): 18 characters, the registration authority and "
            "organisation type codes, a six-digit region code, the organisation code with its own check "
            "character and the final check character verified (spaces and lower case tolerated)",
            40,
        ),
        "campaign": text("campaign of this touch"),
        "utm_source": text("UTM source"),
        "utm_medium": text("UTM medium"),
        "utm_campaign": text("UTM campaign"),
        "consent": consent,
        "message": text("free text; line breaks and tabs allowed", MESSAGE_LIMIT),
    }
    return fields


def _lead_body(form: bool) -> JSONType:
    from functions.api.body import MAX_FORM_FIELDS
    from functions.api.inbound import REDIRECT_FIELD
    from shared.domain.forms import HONEYPOT_FIELD
    from shared.domain.normalize import EXTRA_KEYS_LIMIT, TEXT_LIMIT
    from shared.domain.redirects import MAX_REDIRECT_LENGTH

    properties = _lead_field_schemas(form)
    properties[HONEYPOT_FIELD] = {
        "type": "string",
        "description": 'honeypot: hidden from people; any value but empty → `200 {"status": "received"}`, '
        "nothing stored",
    }
    if form:
        properties[REDIRECT_FIELD] = {
            "type": "string",
            "format": "uri",
            "maxLength": MAX_REDIRECT_LENGTH,
            "description": "after the post, send the browser here with `303` (refusals add `?error=<code>` "
            "and `&fields=<names>` of the refused fields, never their values); "
            "must be a plain http(s) URL on one of the source's `allowed_origins`, else `400 invalid_redirect`",
        }
    extra_value: JSONType = (
        {"type": "string", "maxLength": TEXT_LIMIT}
        if form
        else {"type": ["string", "number", "boolean", "null"], "maxLength": TEXT_LIMIT}
    )
    form_note = (
        f" A form has at most {MAX_FORM_FIELDS} fields; multipart parts are text fields (a file → 400)." if form else ""
    )
    return {
        "type": "object",
        "description": "Text fields are trimmed; a missing, null or empty field is not given. "
        f"Other fields are kept under `extra`: at most {EXTRA_KEYS_LIMIT} keys, plain values of at most "
        f"{TEXT_LIMIT} characters. Single-line text may not hold control or bidi-override characters.{form_note}",
        "properties": properties,
        "anyOf": [{"required": ["email"]}, {"required": ["phone"]}],
        "additionalProperties": extra_value | {"description": "kept under `extra`"},
    }


def _behavior_body() -> JSONType:
    from shared.domain.rules import BEHAVIOR_EVENTS

    return {
        "type": "object",
        "required": ["event"],
        "anyOf": [{"required": ["email"]}, {"required": ["lead_id"]}],
        "properties": {
            "email": {"type": "string", "format": "email", "description": "the lead's email (when no `lead_id`)"},
            "lead_id": {"type": "string", "description": "the lead's id; wins over `email`"},
            "event": {"type": "string", "enum": list(BEHAVIOR_EVENTS), "description": "what the person did"},
            "at": {"type": "string", "format": "date-time", "description": "when (ISO 8601); default now"},
        },
    }


def _activity_body() -> JSONType:
    from shared.services.activities import ACTIVITY_TYPES, TOUCH_TYPES

    return {
        "type": "object",
        "required": ["type", "by"],
        "properties": {
            "type": {
                "type": "string",
                "enum": list(ACTIVITY_TYPES),
                "description": f"{', '.join(TOUCH_TYPES)} by the lead's owner is a touch (the first sets "
                "`first_touch_at`)",
            },
            "by": _owner_id("the owner_id of who did it: someone on the Owners tab"),
            "at": {
                "type": "string",
                "format": "date-time",
                "description": "when (ISO 8601), not in the future (5 minutes of clock skew allowed); default now",
            },
            "note": _nullable("string", maxLength=2000, description="free text"),
        },
    }


# ------------------------------------------------------------------ response schemas


def _capture_result(status: str) -> JSONType:
    return {
        "allOf": [_ref("LeadSummary")],
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"const": status}},
    }


def _schemas() -> dict[str, JSONType]:
    from shared.domain.normalize import KNOWN_FIELDS
    from shared.domain.rules import GRADES

    owner = _nullable("string", description="the owner's owner_id; null for a nurture lead or when nobody can take it")
    time = {"type": "string", "format": "date-time"}
    return {
        "Quality": {
            "type": "object",
            "required": ["score", "missing", "flags"],
            "properties": {
                "score": {"type": "integer", "minimum": 0, "maximum": 100, "description": "completeness"},
                "missing": {"type": "array", "items": {"type": "string"}, "description": "Settings quality_fields"},
                "flags": {"type": "array", "items": {"type": "string"}, "description": "e.g. industry_unmapped"},
            },
        },
        "LeadSummary": {
            "type": "object",
            "required": ["lead_id", "score", "grade", "tier", "owner_id", "team", "rules_version", "quality"],
            "properties": {
                "lead_id": {"type": "string", "pattern": LEAD_ID_PATTERN},
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "grade": {"type": "string", "enum": list(GRADES)},
                "tier": {"type": "string", "description": "from the Tiers tab; `standard` when no row matches"},
                "owner_id": owner,
                "team": _nullable("string", description="the owner's team; null when not assigned"),
                "rules_version": {"type": "string", "description": "the rules version that decided"},
                "quality": _ref("Quality"),
            },
        },
        "Created": _capture_result("created"),
        "Merged": _capture_result("merged"),
        "Received": {
            "type": "object",
            "required": ["status"],
            "additionalProperties": False,
            "properties": {"status": {"const": "received"}},
            "description": "the honeypot was filled: nothing was stored",
        },
        "SeeOther": {
            "type": "object",
            "required": ["status", "location"],
            "properties": {"status": {"const": "see_other"}, "location": {"type": "string"}},
        },
        "Touch": {
            "type": "object",
            "required": ["source", "at"],
            "properties": {
                "source": {"type": "string"},
                "channel": _nullable("string"),
                "campaign": _nullable("string"),
                "utm_source": _nullable("string"),
                "utm_medium": _nullable("string"),
                "message": _nullable("string"),
                "at": time,
            },
        },
        "Activity": {
            "type": "object",
            "required": ["activity_id", "type", "by", "at"],
            "properties": {
                "activity_id": {"type": "string"},
                "type": {"type": "string"},
                "by": {"type": "string"},
                "at": time,
                "note": _nullable("string"),
            },
        },
        "ActivityRecorded": {
            "allOf": [_ref("Activity")],
            "type": "object",
            "required": ["lead_id", "first_touch", "opportunity_id"],
            "properties": {
                "lead_id": {"type": "string"},
                "first_touch": {"type": "boolean", "description": "this activity was the owner's first touch"},
                "opportunity_id": _nullable(
                    "string",
                    description="the opportunity this touch converted the lead into (Settings "
                    "`create_opportunity_on` = `first_touch`), else null",
                ),
            },
        },
        "Decision": {
            "type": "object",
            "description": "why the lead has its grade, tier and owner",
            "properties": {
                "rules_version": {"type": "string"},
                "score": {"type": "integer"},
                "grade": {"type": "string", "enum": list(GRADES)},
                "scoring": {
                    "type": "array",
                    "description": "the Scoring rows that gave points",
                    "items": {
                        "type": "object",
                        "required": ["rule_id", "points"],
                        "properties": {"rule_id": {"type": "string"}, "points": {"type": "number"}},
                    },
                },
                "tier": {"type": "string"},
                "tier_rule": _nullable("string", description="the Tiers row (`tiers:<priority>`)"),
                "routing_rule": _nullable("string", description="the Routing row (`routing:<n>`)"),
                "routing_note": _nullable("string"),
                "team": _nullable("string"),
                "candidates": {
                    "type": "array",
                    "description": "the routing pool, each owner with whether they could take it",
                    "items": {
                        "type": "object",
                        "required": ["owner_id", "available", "reason"],
                        "properties": {
                            "owner_id": {"type": "string"},
                            "available": {"type": "boolean"},
                            "reason": {"type": "string", "enum": ["ok", "inactive", "paused", "at_capacity"]},
                        },
                    },
                },
                "chosen": _nullable("string", description="the owner chosen"),
                "turn": {"type": "integer", "description": "the round-robin turn this lead took"},
                "reason": {"type": "string", "description": "the decision in a sentence"},
            },
        },
        "Lead": {
            "type": "object",
            "description": "the stored lead: its normalised fields at the top level, then its state",
            "required": ["lead_id", "captured_at", "score", "grade", "tier", "quality", "decision", "touches"],
            "properties": {
                "lead_id": {"type": "string", "pattern": LEAD_ID_PATTERN},
                **{name: {"type": "string"} for name in KNOWN_FIELDS if name not in _NOT_TEXT},
                "employees": {"type": "integer"},
                "budget": {"type": "number"},
                "industry_raw": {"type": "string", "description": "`industry` as posted"},
                "region": _nullable("string", description="from the Regions tab"),
                "extra": {"type": "object", "additionalProperties": {"type": "string"}},
                "flags": {"type": "array", "items": {"type": "string"}},
                "captured_at": time,
                "updated_at": _nullable("string", format="date-time"),
                "touches": {"type": "array", "items": _ref("Touch"), "description": "the 50 most recent"},
                "touch_count": {"type": "integer"},
                "activities": {"type": "array", "items": _ref("Activity"), "description": "the 100 most recent"},
                "activity_count": {"type": "integer"},
                "behavior": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                    "description": "behaviour event → count, all time",
                },
                "behavior_log": {
                    "type": "array",
                    "description": "the 50 most recent behaviour events",
                    "items": {
                        "type": "object",
                        "properties": {"event": {"type": "string"}, "at": time},
                    },
                },
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "grade": {"type": "string", "enum": list(GRADES)},
                "tier": {"type": "string"},
                "owner_id": owner,
                "team": _nullable("string"),
                "queue": _nullable("string", description="the team whose queue holds it when nobody could take it"),
                "assigned_at": _nullable("string", format="date-time"),
                "first_touch_at": _nullable("string", format="date-time"),
                "consent": _nullable("boolean"),
                "nurture": {"type": "boolean"},
                "quality": _ref("Quality"),
                "decision": _ref("Decision"),
                "sla": {
                    "type": "object",
                    "description": "SLA clocks by name (CONTRACT §9), e.g. `first_touch`: due times, state, "
                    "the SLA row and rules version that set it; `history`: clocks that ended without a verdict "
                    "(the lead was reassigned or closed)",
                    "additionalProperties": {"type": ["object", "array"]},
                },
                "status": {
                    "type": "string",
                    "enum": ["open", "disqualified", "converted"],
                    "description": "open until converted or disqualified; a closed lead is never routed again",
                },
                "closed_at": _nullable("string", format="date-time"),
                "close_reason": _nullable("string", description="why it was disqualified (`converted` when converted)"),
                "opportunity_id": _nullable("string", description="the opportunity it was converted into"),
                "erased_at": _nullable(
                    "string",
                    format="date-time",
                    description="when its person was erased (`POST /privacy/erase` or `retention-sweep`): its "
                    "personal fields are null, its facts kept",
                ),
            },
        },
        "LeadListItem": {
            "type": "object",
            "description": "a lead in a list: who, what it is worth, who has it (GET /leads/{lead_id} has the rest)",
            "required": [
                "lead_id",
                "captured_at",
                "name",
                "company",
                "email",
                "score",
                "grade",
                "tier",
                "owner_id",
                "team",
                "queue",
                "assigned_at",
                "first_touch_at",
                "rules_version",
                "quality",
            ],
            "properties": {
                "lead_id": {"type": "string", "pattern": LEAD_ID_PATTERN},
                "captured_at": time,
                "name": _nullable("string"),
                "company": _nullable("string"),
                "email": _nullable("string"),
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "grade": {"type": "string", "enum": list(GRADES)},
                "tier": {"type": "string"},
                "owner_id": owner,
                "team": _nullable("string"),
                "queue": _nullable("string", description="the team whose queue holds it when nobody could take it"),
                "assigned_at": _nullable("string", format="date-time"),
                "first_touch_at": _nullable("string", format="date-time"),
                "rules_version": _nullable("string", description="the rules version that last decided"),
                "quality": _ref("Quality"),
            },
        },
        "LeadList": {
            "type": "object",
            "required": ["leads", "next_cursor"],
            "properties": {
                "leads": {"type": "array", "items": _ref("LeadListItem"), "description": "newest first"},
                "next_cursor": _nullable(
                    "string", description="pass as `cursor` for the next page; null when there is none"
                ),
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "rules_version"],
            "properties": {"status": {"const": "ok"}, "rules_version": {"type": "string"}},
        },
    }


_NOT_TEXT = ("employees", "budget", "consent")  # consent is a lead attribute, not a field


# ------------------------------------------------------------------ operations


def _json(schema: JSONType, example: Any = None) -> JSONType:
    content: JSONType = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"application/json": content}


def _parameters() -> dict[str, JSONType]:
    return {
        "Source": {
            "name": "source",
            "in": "path",
            "required": True,
            "description": "a source of the Sources tab (e.g. `website`, public; `hubspot`, signed)",
            "schema": {"type": "string"},
        },
        "LeadId": {
            "name": "lead_id",
            "in": "path",
            "required": True,
            "description": "the lead's id, as returned by capture",
            "schema": {"type": "string", "pattern": LEAD_ID_PATTERN},
            "example": EXAMPLE_LEAD_ID,
        },
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "a repeat with the same key (same source, 24 h) gets the first answer again and changes "
            "nothing; the same key with another body → `409 idempotency_key_reused`. Without it, the same raw "
            "body to the same source within 10 minutes is a repeat. A signed request whose signature (`t`, `v1`) "
            "was seen before is a repeat whatever this header says: the first answer again (a refusal too), "
            "nothing changed.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "\\S"},
        },
        "Origin": {
            "name": "Origin",
            "in": "header",
            "required": False,
            "description": "sent by browsers; for a public source it must be one of the source's `allowed_origins` "
            "(else `403`; locally `closeloop dev --allow-dev-origins` also admits localhost pages and `null`), and "
            "an allowed one is echoed in `Access-Control-Allow-Origin`, on refusals too",
            "schema": {"type": "string"},
        },
    }


def _param(name: str) -> JSONType:
    return {"$ref": f"#/components/parameters/{name}"}


def _cors_headers() -> dict[str, JSONType]:
    return {
        "Access-Control-Allow-Origin": {
            "description": "the request's `Origin`, when the source is public and the origin allowed",
            "schema": {"type": "string"},
        },
        "Vary": {"description": "`Origin`, with the header above", "schema": {"type": "string"}},
    }


def _capture_operation() -> JSONType:
    from functions.api.body import FORM_TYPE, JSON_TYPE, MAX_BODY_BYTES, MULTIPART_TYPE
    from shared.domain import errors as e

    form_example = {
        **{k: str(v) for k, v in EXAMPLE_LEAD.items()},
        "_hp": "",
        "_redirect": "https://www.example.com/thanks",
    }
    errors = (
        e.ValidationFailed,
        e.BadRequest,
        e.InvalidRedirect,
        e.Unauthorized,
        e.Forbidden,
        e.SourceInactive,
        e.UnknownSource,
        e.Conflict,
        e.IdempotencyKeyReused,
        e.PayloadTooLarge,
        e.UnsupportedMediaType,
        e.RulesUnavailable,
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
        "parameters": [_param("Source"), _param("IdempotencyKey"), _param("Origin")],
        "requestBody": {
            "required": True,
            "content": {
                JSON_TYPE: {"schema": _lead_body(form=False), "example": EXAMPLE_LEAD},
                FORM_TYPE: {"schema": _lead_body(form=True), "example": form_example},
                MULTIPART_TYPE: {"schema": _lead_body(form=True)},
            },
        },
        "responses": {
            "200": {
                "description": "merged into an existing lead — or `received` when the honeypot was filled",
                "headers": _cors_headers(),
                "content": _json(
                    {"oneOf": [_ref("Merged"), _ref("Received")]}, {"status": "merged", **EXAMPLE_SUMMARY}
                ),
            },
            "201": {
                "description": "a new lead",
                "headers": _cors_headers(),
                "content": _json(_ref("Created"), {"status": "created", **EXAMPLE_SUMMARY}),
            },
            "303": {
                "description": "a form post with `_redirect`: the browser goes there (refusals after the body was "
                "read add `?error=<code>&fields=<names>`; the honeypot redirects too)",
                "headers": {
                    "Location": {"required": True, "schema": {"type": "string"}, "description": "where to go"},
                    **_cors_headers(),
                },
                "content": _json(
                    _ref("SeeOther"), {"status": "see_other", "location": "https://www.example.com/thanks"}
                ),
            },
            **_error_responses(errors),
        },
    }


def _preflight_operation() -> JSONType:
    from functions.api.inbound import PREFLIGHT_MAX_AGE
    from shared.domain import errors as e

    return {
        "operationId": "captureLeadPreflight",
        "summary": "CORS preflight for a browser `fetch()` to a public source",
        "description": "Answered per source: only a public source and one of its `allowed_origins` get the CORS "
        "headers; a signed source never does.",
        "parameters": [
            _param("Source"),
            {
                "name": "Origin",
                "in": "header",
                "required": True,
                "description": "the page's origin",
                "schema": {"type": "string"},
                "example": "https://www.example.com",
            },
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
            **_error_responses((e.Forbidden, e.SourceInactive, e.UnknownSource, e.RulesUnavailable)),
        },
    }


def _behavior_operation() -> JSONType:
    from shared.domain import errors as e

    errors = (
        e.ValidationFailed,
        e.BadRequest,
        e.Unauthorized,
        e.SourceInactive,
        e.UnknownSource,
        e.LeadNotFound,
        e.Conflict,
        e.IdempotencyKeyReused,
        e.PayloadTooLarge,
        e.UnsupportedMediaType,
        e.RulesUnavailable,
    )
    return {
        "operationId": "recordBehavior",
        "summary": "Marketing behaviour for a known lead (CONTRACT §2.2)",
        "description": "Signed sources only (a public source → 401). Re-scores the lead; a nurture lead wakes "
        "(re-graded to at least mql and routed) when its score crosses `nurture_below`, its click rate exceeds "
        "`wake_click_rate`, or on a `wake_events` event. `unsubscribe` withdraws consent. JSON only.",
        "parameters": [_param("Source"), _param("IdempotencyKey")],
        "requestBody": {
            "required": True,
            "content": _json(_behavior_body(), {"email": "zhang.wei@example.cn", "event": "webinar_attended"}),
        },
        "responses": {
            "200": {"description": "the lead after the behaviour", "content": _json(_ref("LeadSummary"))},
            **_error_responses(errors),
        },
    }


def _get_lead_operation() -> JSONType:
    from shared.domain import errors as e

    return {
        "operationId": "getLead",
        "summary": "The lead as stored, with its decision trace (CONTRACT §2.3)",
        "parameters": [_param("LeadId")],
        "responses": {
            "200": {"description": "the lead", "content": _json(_ref("Lead"))},
            **_error_responses((e.Unauthorized, e.LeadNotFound)),
        },
    }


def _list_leads_operation() -> JSONType:
    from shared.domain import errors as e
    from shared.domain.rules import GRADES
    from shared.services.leads_query import DEFAULT_LIMIT, DEFAULT_SINCE, MAX_LIMIT, MAX_SINCE

    def query(name: str, description: str, schema: JSONType) -> JSONType:
        return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}

    return {
        "operationId": "listLeads",
        "summary": "Recent leads, newest first, a page at a time",
        "description": "Read day by day through the capture-day index from now back to `since` (never a table "
        "scan). Filters combine; an unknown query parameter is a `400` naming it. With `cursor`, the window of "
        "the first page is kept; pass the same filters.",
        "parameters": [
            query("owner_id", "only leads this owner has", {"type": "string", "minLength": 1, "maxLength": 200}),
            query("team", "only leads of this team", {"type": "string", "minLength": 1, "maxLength": 200}),
            query("grade", "only leads of this grade", {"type": "string", "enum": list(GRADES)}),
            query(
                "since",
                f"how far back: a duration (`30m`, `12h`, `7d`, `2w`) or an ISO 8601 time; default "
                f"`{DEFAULT_SINCE}`, at most {MAX_SINCE.days} days",
                {"type": "string"},
            ),
            query(
                "limit",
                f"leads per page (default {DEFAULT_LIMIT})",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            ),
            query("cursor", "the previous page's `next_cursor`", {"type": "string"}),
        ],
        "responses": {
            "200": {
                "description": "a page of leads",
                "content": _json(
                    _ref("LeadList"),
                    {
                        "leads": [
                            {
                                **EXAMPLE_SUMMARY,
                                "captured_at": EXAMPLE_TIME,
                                "name": EXAMPLE_LEAD["name"],
                                "company": EXAMPLE_LEAD["company"],
                                "email": EXAMPLE_LEAD["email"],
                                "queue": None,
                                "assigned_at": EXAMPLE_TIME,
                                "first_touch_at": None,
                            }
                        ],
                        "next_cursor": None,
                    },
                ),
            },
            **_error_responses((e.ValidationFailed, e.Unauthorized)),
        },
    }


def _owner_id(description: str) -> JSONType:
    """``by`` in a command body: someone on the Owners tab."""
    return {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S", "description": description}


def _lead_command_errors(*extra: type[Exception]) -> tuple[type[Exception], ...]:
    """What a JSON command on one lead may answer besides its own refusals (``extra``)."""
    from shared.domain import errors as e

    return (e.ValidationFailed, e.BadRequest, e.Unauthorized, e.LeadNotFound, *extra, e.Conflict,
            e.PayloadTooLarge, e.UnsupportedMediaType, e.RulesUnavailable)  # fmt: skip


def _activity_operation() -> JSONType:
    from functions.api.body import MAX_BODY_BYTES

    errors = _lead_command_errors()
    return {
        "operationId": "recordActivity",
        "summary": "A sales activity on the lead (CONTRACT §2.4)",
        "description": "The first call, email or meeting by the lead's owner sets `first_touch_at` and emits "
        f"`LeadFirstTouched`. JSON only, at most {MAX_BODY_BYTES} bytes.",
        "parameters": [_param("LeadId")],
        "requestBody": {
            "required": True,
            "content": _json(_activity_body(), {"type": "call", "by": "u_wu", "note": "wants a demo next week"}),
        },
        "responses": {
            "201": {
                "description": "the activity as recorded",
                "content": _json(
                    _ref("ActivityRecorded"),
                    {
                        "activity_id": "act_0123456789abcdef",
                        "type": "call",
                        "by": "u_wu",
                        "at": EXAMPLE_TIME,
                        "note": "wants a demo next week",
                        "lead_id": EXAMPLE_LEAD_ID,
                        "first_touch": True,
                        "opportunity_id": None,
                    },
                ),
            },
            **_error_responses(errors),
        },
    }


def _disqualify_operation() -> JSONType:
    from functions.api.body import MAX_BODY_BYTES
    from shared.domain import errors as e
    from shared.services.lead_closing import MAX_REASON

    errors = _lead_command_errors(e.InvalidTransition)
    body = {
        "type": "object",
        "required": ["reason", "by"],
        "properties": {
            "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON, "pattern": "\\S"},
            "by": _owner_id("the owner_id of who decided: someone on the Owners tab"),
        },
    }
    return {
        "operationId": "disqualifyLead",
        "summary": "Close a lead as not a fit (CONTRACT §9 capacity)",
        "description": "The lead's status becomes `disqualified`; its owner's load is released (they can take "
        "another lead), its SLA clock stops without a verdict and its pending timers are cancelled "
        "(`LeadDisqualified`). A closed lead is never routed again; disqualifying it again is a 409 "
        f"`invalid_transition`. JSON only, at most {MAX_BODY_BYTES} bytes.",
        "parameters": [_param("LeadId")],
        "requestBody": {
            "required": True,
            "content": _json(body, {"reason": "student project, no budget", "by": "u_wu"}),
        },
        "responses": {
            "200": {"description": "the lead, now disqualified", "content": _json(_ref("Lead"))},
            **_error_responses(errors),
        },
    }


def _health_operation() -> JSONType:
    from shared.domain import errors as e

    return {
        "operationId": "health",
        "summary": "Alive, and which rules version is active",
        "responses": {
            "200": {
                "description": "up",
                "content": _json(_ref("Health"), {"status": "ok", "rules_version": "v1-3f9a2c7e"}),
            },
            **_error_responses((e.RulesUnavailable,)),
        },
    }


def _openapi_operation() -> JSONType:
    return {
        "operationId": "openapi",
        "summary": "This description (OpenAPI 3.1)",
        "responses": {
            "200": {
                "description": "the OpenAPI document",
                "content": _json({"type": "object", "required": ["openapi", "paths"]}),
            },
            **_error_responses(()),
        },
    }


# ------------------------------------------------------------------ generated from routes.py and shared/messages

_REF = "#/components/schemas/{model}"
_DATA = ("example", "examples", "enum", "const", "default")  # values, not schemas: left as they are


def _tidy(node: Any, names: bool = False) -> Any:
    """pydantic's JSON schema as this document writes it: no generated titles, no null defaults or
    `additionalProperties: true` (both what a reader assumes), `X | None` as `type: [x, "null"]`,
    prose on one line. ``names``: ``node`` maps names to schemas (``properties``, ``$defs``)."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {name: _tidy(schema) for name, schema in node.items()}
    out: JSONType = {}
    for key, value in node.items():
        if key == "title" or (key, value) in (("default", None), ("additionalProperties", True)):
            continue
        if key == "description":
            value = " ".join(value.split())
        out[key] = value if key in _DATA else _tidy(value, names=key in ("properties", "$defs"))
    either = out.get("anyOf")
    if isinstance(either, list) and all(len(s) == 1 and isinstance(s.get("type"), str) for s in either):
        out = {"type": [s["type"] for s in either], **{k: v for k, v in out.items() if k != "anyOf"}}
    elif isinstance(either, list) and len(either) == 2 and {"type": "null"} in either:
        other = next(schema for schema in either if schema != {"type": "null"})
        if isinstance(other.get("type"), str):
            rest = {k: v for k, v in out.items() if k != "anyOf"}
            out = {**other, "type": [other["type"], "null"], **rest}
            if "enum" in other:
                out["enum"] = [*other["enum"], None]
    return out


def _model(name: str) -> Any:
    import importlib

    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


class _Generated:
    """The operations of the routes that name their messages, and the components they use."""

    def __init__(self) -> None:
        self.schemas: dict[str, JSONType] = {}
        self.parameters: dict[str, JSONType] = {}

    def schema(self, name: str, mode: Any) -> JSONType:
        from pydantic import TypeAdapter

        schema = TypeAdapter(_model(name)).json_schema(mode=mode, ref_template=_REF)
        self.schemas.update(_tidy(schema.pop("$defs", {}), names=True))
        return dict(_tidy(schema))

    def path_parameters(self) -> None:
        from shared.messages.paths import PathParameters

        schema = self.schema("shared.messages.paths:PathParameters", "validation")
        for name in PathParameters.model_fields:
            field = dict(schema["properties"][name])
            described = {"description": field.pop("description"), "schema": field}
            example = field.pop("examples", [None])[0]
            self.parameters[_camel(name)] = {"name": name, "in": "path", "required": True, **described} | (
                {"example": example} if example else {}
            )

    def operation(self, route: Any) -> JSONType:
        from shared.domain import errors as e

        function = route.handler.rsplit(":", 1)[1]
        operation: JSONType = {"operationId": route.operation_id or _camel(function, lower=True)}
        operation["summary"] = route.summary
        parameters = [_param(_camel(name)) for name in re.findall(r"\{(\w+)\}", route.path)]
        if route.auth == "signed":
            parameters.append(_param("IdempotencyKey"))
        if route.query:
            parameters += self._query(route.query, operation)
        if parameters:
            operation["parameters"] = parameters
        if route.body:
            body = self.schema(route.body, "validation")
            if "description" in body:
                operation["description"] = body.pop("description")
            operation["requestBody"] = {"required": True, "content": _json(body, *body.pop("examples", [])[:1])}
        operation["responses"] = {
            **self._answers(route),
            **_error_responses(tuple(getattr(e, n) for n in route.errors)),
        }
        return operation

    def _query(self, name: str, operation: JSONType) -> list[JSONType]:
        schema = self.schema(name, "validation")
        if "description" in schema:
            operation["description"] = schema["description"]
        return [
            {"name": field, "in": "query", "required": field in schema.get("required", ()),
             "description": spec.pop("description", ""), "schema": spec}
            for field, spec in ((f, dict(s)) for f, s in schema["properties"].items())
        ]  # fmt: skip

    def _answers(self, route: Any) -> JSONType:
        if not route.answer:
            return {str(route.status): {"description": "done"}}
        name = route.answer.rsplit(":", 1)[1]
        schema = self.schema(route.answer, "serialization")
        examples = schema.pop("examples", [])
        self.schemas[name] = schema
        answers = {str(route.status): {"description": schema.get("description", name),
                                      "content": _json(_ref(name), *examples[:1])}}  # fmt: skip
        for status, meaning in route.also:
            answers[str(status)] = {"description": meaning, "content": _json(_ref(name))}
        return answers


def _camel(name: str, lower: bool = False) -> str:
    words = "".join(word.title() for word in name.split("_"))
    return words[0].lower() + words[1:] if lower else words


def generated() -> tuple[dict[str, JSONType], _Generated]:
    """The operations of the routes that name their messages (routes.py), by path."""
    from functions.api.routes import ROUTES

    made = _Generated()
    made.path_parameters()
    paths: dict[str, JSONType] = {}
    for route in ROUTES:
        if route.summary:
            paths.setdefault(route.path, {})[route.method.lower()] = made.operation(route)
    return paths, made


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
            operation["security"] = [{"apiKey": []}]  # its scopes: openapi_access, from shared/domain/access.py
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
        openapi_audit,
        openapi_kpis,
        openapi_links,
        openapi_lists,
        openapi_privacy,
        openapi_segments,
    )
    from shared.services.webhook_auth import TOLERANCE_SECONDS

    made, components = generated()
    literal: dict[str, JSONType] = {
        "/health": {"get": _health_operation()},
        "/openapi.json": {"get": _openapi_operation()},
        "/webhooks/leads/{source}": {"post": _capture_operation(), "options": _preflight_operation()},
        "/webhooks/behavior/{source}": {"post": _behavior_operation()},
        "/leads": {"get": _list_leads_operation()},
        "/leads/{lead_id}": {"get": _get_lead_operation()},
        "/leads/{lead_id}/activities": {"post": _activity_operation()},
        "/leads/{lead_id}/disqualify": {"post": _disqualify_operation()},
        **openapi_segments.paths(_json, _error_responses),
        **openapi_kpis.paths(_json, _error_responses),
        **openapi_audit.paths(_json, _error_responses),
        **openapi_links.paths(INTERNAL_ERROR),
        **openapi_privacy.paths(_json, _error_responses),
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
        "paths": openapi_access.with_access(
            _as_declared(openapi_lists.paths(literal, _json, _error_responses)), _error_responses
        ),
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
                **_parameters(),
                **components.parameters,
            },
            "schemas": {
                **_schemas(),
                **openapi_segments.schemas(),
                **openapi_kpis.schemas(),
                **openapi_lists.schemas(),
                **openapi_audit.schemas(),
                **openapi_privacy.schemas(),
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
