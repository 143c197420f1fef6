"""The one inbound-webhook policy: every webhook route (leads, behaviour, cases,
e-sign, shipments, usage, ...) goes through :func:`receive`.

In order: the source by name (404 unknown, 403 switched off); who may post (signed sources:
HMAC over ``<t>.<body>``; public browser sources: an allowed ``Origin``; routes that take only
signed sources refuse public ones); what it may post (403 unless its Sources ``webhooks`` cell
names the route's kind: a marketing tool cannot sign contracts); the body (JSON, or a browser
form where the route takes forms); for forms, a ``_redirect`` checked as browsers read URLs (400 before anything is
stored) and the honeypot; then the route's work, once per idempotency key bound to the body.
A form with ``_redirect`` gets a 303 there — with ``?error=<code>`` (and ``&fields=<names>``) when the work refused it.
A page on an allowed origin can read every answer, refusals too (CORS headers on errors).

Development origins (a page on localhost or opened from disk) count as allowed only where the
container's settings say so: ``closeloop dev --allow-dev-origins``, never a deployed stack.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from chalice.app import Response

from functions.api.body import FORM_TYPE, MULTIPART_TYPE, media_type, read_body
from functions.api.errors import error_body, status_of
from functions.api.responses import json_response
from shared.adapters.acting import set_actor, webhook_actor
from shared.kernel.domain.errors import BadRequest, CloseloopError, Conflict, Forbidden, Unauthorized
from shared.kernel.domain.forms import is_bot
from shared.kernel.services.webhook_auth import Signature, verify_signature
from shared.leads.domain.origins import DevOrigins, check_public_origin, origin_allowed, refusal_hint
from shared.leads.domain.redirects import redirect_target
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import DEFAULT_WEBHOOKS, WEBHOOK_KINDS, Source

PREFLIGHT_MAX_AGE = 600
REDIRECT_FIELD = "_redirect"


@dataclass(frozen=True)
class Route:
    """What a webhook route accepts."""

    scope: str  # the idempotency scope: "lead", "behavior", "case", ...
    logged_as: str  # the log line of a handled request: "lead captured"
    metric: str  # the CloudWatch count of what it records: "LeadsCaptured"
    browser_forms: bool = False  # public sources: forms, CORS, honeypot and _redirect
    # the Sources `webhooks` kind a source must name to post here; blank = the scope's own
    # ("case" → cases, "usage" → usage): a route whose scope names no kind fails at import
    webhook: str = ""

    def __post_init__(self) -> None:
        if not self.webhook:
            kind = next((k for k in WEBHOOK_KINDS if k in (self.scope, f"{self.scope}s")), None)
            if kind is None:
                raise ValueError(f"webhook route {self.scope!r}: name its kind, one of {', '.join(WEBHOOK_KINDS)}")
            object.__setattr__(self, "webhook", kind)
        elif self.webhook not in WEBHOOK_KINDS:
            raise ValueError(f"webhook route {self.scope!r}: unknown kind {self.webhook!r}")


@dataclass(frozen=True)
class Handled:
    """What the route's work answered: stored for idempotent repeats."""

    status: int
    body: dict[str, Any]


Work = Callable[[dict[str, Any], Source, ActiveRules], Handled]
Work0 = Callable[[], dict[str, Any]]  # the work bound to its request, as the idempotency layer runs it


def receive(
    route: Route, source_name: str, raw: bytes, headers: Any, c: Any, work: Work, context: Any = None
) -> Response:
    active = c.rules.current()
    source = active.rules.source_named(source_name)
    set_actor(webhook_actor(source.source))  # what this request changes, the source did
    if source.kind != "signed" and not route.browser_forms:
        raise Unauthorized(f"{route.scope} webhooks must be signed; source {source.source!r} is public")
    dev_origins = _dev_origins(c)
    signature = _authenticate(source, raw, headers, c, dev_origins)
    cors = cors_headers(source, headers.get("origin"), dev_origins)
    if not source.may_post(route.webhook):
        return refusal(
            Forbidden(
                f"source {source.source!r} may not post {route.webhook}: its Sources webhooks cell names "
                f"{', '.join(source.webhooks or DEFAULT_WEBHOOKS)}"
            ),
            cors,
        )
    try:
        is_form = route.browser_forms and media_type(headers.get("content-type")) in (FORM_TYPE, MULTIPART_TYPE)
        payload = read_body(raw, headers.get("content-type"), allow_form=route.browser_forms)
        redirect = _redirect_of(payload, source, dev_origins) if is_form else None
    except CloseloopError as error:
        return refusal(error, cors)
    try:
        if route.browser_forms and is_bot(payload):
            return _answer(Handled(200, {"status": "received"}), redirect, cors)  # store nothing

        def once() -> dict[str, Any]:
            handled = work(payload, source, active)
            return {"status": handled.status, "body": handled.body}

        stored = _once(c, f"{route.scope}:{source.source}", raw, headers, signature, once, context)
    except CloseloopError as error:
        if redirect is None:
            return refusal(error, cors)
        # the field names (never their values: a URL is logged and kept in history) for the page to point at
        named = {"fields": ",".join(sorted(error.fields))} if error.fields else {}
        return see_other(_with_query(redirect, error=error.code, **named), cors)
    outcome = Handled(stored["status"], stored["body"])
    _log(route, source.source, outcome, context)
    if redirect is not None and outcome.status >= 400:  # a signature's remembered refusal
        remembered = outcome.body["error"]
        named = {"fields": ",".join(sorted(remembered["fields"]))} if remembered.get("fields") else {}
        return see_other(_with_query(redirect, error=str(remembered["code"]), **named), cors)
    return _answer(outcome, redirect, cors)


def _answer(outcome: Handled, redirect: str | None, cors: dict[str, str]) -> Response:
    if redirect is not None:
        return see_other(redirect, cors)
    return json_response(outcome.status, outcome.body, cors)


def refusal(error: CloseloopError, cors: dict[str, str]) -> Response:
    """The contract's error answer; with the CORS headers of an allowed origin, so a page that
    posted with fetch() can show why (without them the browser hides the answer from it)."""
    return json_response(status_of(error), error_body(error), cors)


def see_other(location: str, headers: dict[str, str]) -> Response:
    """A 303 that a browser follows; its small body says where, for clients that don't."""
    return json_response(303, {"status": "see_other", "location": location}, {"Location": location, **headers})


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def _redirect_of(payload: dict[str, Any], source: Source, dev_origins: DevOrigins) -> str | None:
    value = payload.get(REDIRECT_FIELD)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest("_redirect must be a URL", fields={REDIRECT_FIELD: "must be a URL"})
    return redirect_target(value, source.allowed_origins, dev_origins)


def _dev_origins(c: Any) -> DevOrigins:
    """The container's setting: only the local stack's container allows (or mentions) dev origins."""
    origins: DevOrigins = c.settings.dev_origins
    return origins


def _authenticate(source: Source, raw: bytes, headers: Any, c: Any, dev_origins: DevOrigins) -> Signature | None:
    if source.kind == "signed":
        secret = c.secrets.webhook_secret(source.source)
        return verify_signature(headers.get("x-closeloop-signature"), secret, raw)
    check_public_origin(headers.get("origin"), source, dev_origins)
    return None


def _once(
    c: Any, scope: str, raw: bytes, headers: Any, signature: Signature | None, work: Work0, context: Any
) -> dict[str, Any]:
    """The work once per request. A signed request is also once per *signature*: seen again within
    its tolerance — whatever Idempotency-Key it now carries — it gets the first request's answer
    (its refusal too) and runs nothing. The signature costs one conditional put; the answer stays
    under the sender's key (or body), read back through the same idempotency layer."""
    digest = hashlib.sha256(raw).hexdigest()
    if signature is None:
        return _sender_once(c, scope, raw, headers, digest, work, context)
    key, explicit = _idempotency_key(raw, headers)
    seen = c.idempotency.claim_signature(scope, signature.key, key, explicit)
    if seen is not None:
        if seen.refusal is not None:
            return dict(seen.refusal)
        return dict(
            c.idempotency.once(
                scope, seen.answer_key, explicit=seen.explicit, digest=digest, work=work, lambda_context=context
            )
        )
    try:
        return dict(c.idempotency.once(scope, key, explicit=explicit, digest=digest, work=work, lambda_context=context))
    except CloseloopError as error:
        status = status_of(error)
        if type(error) is Conflict or not 400 <= status < 500:
            c.idempotency.forget_signature(scope, signature.key)
            raise  # come back later: the sender's retry of these very bytes may run
        answer = {"status": status, "body": error_body(error)}
        c.idempotency.remember_refusal(scope, signature.key, answer)
        return answer
    except Exception:
        c.idempotency.forget_signature(scope, signature.key)
        raise


def _sender_once(
    c: Any, scope: str, raw: bytes, headers: Any, digest: str, work: Work0, context: Any
) -> dict[str, Any]:
    """Once per the sender's Idempotency-Key (24 h), else per body (10 min)."""
    key, explicit = _idempotency_key(raw, headers)
    return dict(c.idempotency.once(scope, key, explicit=explicit, digest=digest, work=work, lambda_context=context))


def _idempotency_key(raw: bytes, headers: Any) -> tuple[str, bool]:
    """The sender's Idempotency-Key (24 h), else the body itself (10 min)."""
    key = headers.get("idempotency-key")
    if key is not None:
        if not key.strip() or len(key) > 255:
            raise BadRequest("Idempotency-Key must be 1 to 255 characters")
        return f"k:{key.strip()}", True
    return f"b:{hashlib.sha256(raw).hexdigest()}", False


def cors_headers(source: Source, origin: str | None, dev_origins: DevOrigins = DevOrigins.NEVER) -> dict[str, str]:
    """A browser on an allowed origin may read the answer (public sources only)."""
    if source.kind != "public" or not origin or not origin_allowed(origin, source, dev_origins):
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight(source_name: str, headers: Any, c: Any) -> Response:
    """CORS preflight for browser `fetch()` posts to a public source."""
    source = c.rules.current().rules.source_named(source_name)
    origin = headers.get("origin")
    if not origin:
        raise Forbidden("a CORS preflight needs an Origin header")
    if not source.may_post("leads"):  # the only webhook a browser may post (CONTRACT §12)
        raise Forbidden(
            f"source {source.source!r} may not post leads: its Sources webhooks cell names "
            f"{', '.join(source.webhooks or DEFAULT_WEBHOOKS)}"
        )
    dev_origins = _dev_origins(c)
    allowed = cors_headers(source, origin, dev_origins)
    if not allowed:
        raise Forbidden(
            f"origin {origin[:100]!r} may not post to source {source.source!r}" + refusal_hint(origin, dev_origins)
        )
    allowed.update(
        {
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
        }
    )
    return Response(body="", status_code=204, headers=dict(allowed))


def _log(route: Route, source: str, outcome: Handled, context: Any) -> None:
    from shared.adapters.observability import count, log_decision

    summary = outcome.body
    log_decision(
        route.logged_as,
        request_id=getattr(context, "aws_request_id", None),
        source=source,
        http_status=outcome.status,
        lead_id=summary.get("lead_id"),
        case_id=summary.get("case_id"),
        order_id=summary.get("order_id"),
        contract_id=summary.get("contract_id"),
        account_id=summary.get("account_id"),
        shipment_id=summary.get("shipment_id"),
        priority=summary.get("priority"),
        status=summary.get("status"),
        grade=summary.get("grade"),
        tier=summary.get("tier"),
        team=summary.get("team"),
        owner_id=summary.get("owner_id"),
        rules_version=summary.get("rules_version"),
    )
    count(route.metric, source=source, outcome=summary.get("status"), grade=summary.get("grade"))


__all__ = ["Handled", "Route", "cors_headers", "preflight", "receive", "see_other"]
