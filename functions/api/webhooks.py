"""Webhook routes: authentication by source kind, idempotency, then the service call."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from chalice import Response

from functions.api.body import FORM_TYPE, media_type, read_body
from functions.api.responses import json_response
from shared.domain.errors import BadRequest, Forbidden, Unauthorized
from shared.domain.forms import is_bot
from shared.domain.rules import Source
from shared.services.behavior import record_behavior
from shared.services.capture import capture_lead, source_for
from shared.services.webhook_auth import check_public_origin, origin_allowed, verify_signature

PREFLIGHT_MAX_AGE = 600


def cors_headers(source: Source, origin: str | None) -> dict[str, str]:
    """A browser on an allowed origin may read the answer (public sources only)."""
    if source.kind != "public" or not origin or not origin_allowed(origin, source):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight(source_name: str, headers: Any, c: Any) -> Response:
    """CORS preflight for browser `fetch()` posts to a public source."""
    source = source_for(source_name, c.rules.current())
    origin = headers.get("origin")
    allowed = cors_headers(source, origin)
    if not allowed:
        raise Forbidden(f"origin {str(origin)[:100]!r} may not post to source {source.source!r}")
    allowed.update(
        {
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
        }
    )
    return Response(body="", status_code=204, headers=allowed)


def _authenticate(source: Source, raw: bytes, headers: Any, c: Any) -> None:
    if source.kind == "signed":
        verify_signature(headers.get("x-closeloop-signature"), c.secrets.webhook_secret(source.source), raw, c.clock())
    else:
        check_public_origin(headers.get("origin"), source)


def _idempotency_key(source: str, raw: bytes, headers: Any) -> tuple[str, bool]:
    key = headers.get("idempotency-key")
    if key is not None:
        if not key.strip() or len(key) > 255:
            raise BadRequest("Idempotency-Key must be 1 to 255 characters")
        return f"k:{key.strip()}", True
    return f"b:{hashlib.sha256(raw).hexdigest()}", False


def capture(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    active = c.rules.current()
    source = source_for(source_name, active)
    _authenticate(source, raw, headers, c)
    is_form = media_type(headers.get("content-type")) == FORM_TYPE
    payload = read_body(raw, headers.get("content-type"), allow_form=True)
    if is_bot(payload):
        return json_response(
            200, {"status": "received"}, cors_headers(source, headers.get("origin"))
        )  # a bot filled the honeypot: store nothing
    key, explicit = _idempotency_key(source.source, raw, headers)

    def work() -> dict[str, Any]:
        result = capture_lead(payload, source, active, c.uow, c.clock)
        return {"status": result.http_status, "body": result.body()}

    outcome = c.idempotency.once(
        f"lead:{source.source}", key, explicit=explicit, work=work, lambda_context=lambda_context
    )
    _log("lead captured", source.source, outcome, lambda_context)
    redirect = payload.get("_redirect") if is_form else None
    cors = cors_headers(source, headers.get("origin"))
    if isinstance(redirect, str) and _redirect_allowed(redirect, source):
        return Response(body="", status_code=303, headers={"Location": redirect, **cors})
    return json_response(outcome["status"], outcome["body"], cors)


def _log(what: str, source: str, outcome: dict[str, Any], lambda_context: Any) -> None:
    from shared.adapters.observability import count, log_decision

    summary = outcome["body"]
    log_decision(
        what,
        request_id=getattr(lambda_context, "aws_request_id", None),
        source=source,
        http_status=outcome["status"],
        lead_id=summary.get("lead_id"),
        status=summary.get("status"),
        grade=summary.get("grade"),
        tier=summary.get("tier"),
        team=summary.get("team"),
        owner_id=summary.get("owner_id"),
        rules_version=summary.get("rules_version"),
    )
    metric = "LeadsCaptured" if what == "lead captured" else "BehaviourRecorded"
    count(metric, source=source, outcome=summary.get("status"), grade=summary.get("grade"))


def _redirect_allowed(url: str, source: Source) -> bool:
    return bool(urlsplit(url).netloc) and origin_allowed(url, source)


def behavior(source_name: str, raw: bytes, headers: Any, c: Any, lambda_context: Any = None) -> Response:
    active = c.rules.current()
    source = source_for(source_name, active)
    if source.kind != "signed":
        raise Unauthorized(f"behaviour webhooks must be signed; source {source.source!r} is public")
    _authenticate(source, raw, headers, c)
    payload = read_body(raw, headers.get("content-type"), allow_form=False)
    key, explicit = _idempotency_key(source.source, raw, headers)

    def work() -> dict[str, Any]:
        lead = record_behavior(payload, active, c.uow, c.clock)
        return {"status": 200, "body": lead.summary(active.version)}

    outcome = c.idempotency.once(
        f"behavior:{source.source}", key, explicit=explicit, work=work, lambda_context=lambda_context
    )
    _log("behaviour recorded", source.source, outcome, lambda_context)
    return json_response(outcome["status"], outcome["body"])
