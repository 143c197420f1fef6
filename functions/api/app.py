"""The HTTP API (Chalice). Thin: parse, call a service, map the result or the error.

Only chalice is imported here at module level: the container, boto3, pynamodb and
Powertools load on the first request that needs them, which keeps cold starts short.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from chalice import Chalice, Response

from functions.api.responses import json_response

app = Chalice(app_name="closeloop-api")
app.log.setLevel(logging.INFO)
# content types are checked by read_body, so errors keep the contract's shape; routes without a body
# ignore the header (Chalice would answer a GET that carries Content-Type: text/plain with 415)
ANY_TYPE = ["*/*"]


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"error": {"code": code, "message": message}})


def api(view: Callable[..., Response]) -> Callable[..., Response]:
    """Map domain errors to their status in one place; anything else is a bug → 500, logged."""

    @wraps(view)
    def wrapper(**kwargs: Any) -> Response:
        from functions.api.errors import error_body, status_of
        from shared.adapters.acting import acting_as
        from shared.domain.errors import Busy, CloseloopError

        try:
            with acting_as(None):  # each request says who acts (an API key, a webhook source)
                return view(**kwargs)
        except CloseloopError as exc:
            return json_response(status_of(exc), error_body(exc), _retry_after(exc))
        except Exception as exc:
            if _throttled(exc):  # AWS shed load, or failed itself, past what the request could wait
                busy = Busy()
                return json_response(503, error_body(busy), _retry_after(busy))
            app.log.exception("unhandled error in %s", view.__name__)
            return _error(500, "internal_error", "something went wrong on our side; it has been logged")

    return wrapper


def _retry_after(error: Any) -> dict[str, str]:
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}


def _throttled(exc: Exception) -> bool:
    """Throttling the retry policy did not absorb (a read, or a write outside a retried commit),
    or an AWS server fault (500) that outlasted botocore's retries: busy, come back later."""
    from shared.adapters.dynamo.faults import is_transient
    from shared.services.ports import Throttled

    return isinstance(exc, Throttled) or is_transient(exc)


_CHALICE_CODES = {
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "BadRequestError": "bad_request",
    "BadRequest": "bad_request",
    "NotFoundError": "not_found",
}


@app.middleware("http")
def contract_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Errors Chalice answers itself (wrong method, ...) get the contract's error shape too."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body and "error" not in body:
        code = _CHALICE_CODES.get(str(body["Code"]), "error")
        return json_response(
            response.status_code,
            {"error": {"code": code, "message": str(body.get("Message", ""))}},
            {k: v for k, v in response.headers.items() if k.lower() != "content-type"},
        )
    return response


def _container() -> Any:
    from shared.adapters.container import container

    return container()


def _headers() -> Any:
    return app.current_request.headers


def _raw() -> bytes:
    return app.current_request.raw_body or b""


def _payload() -> Any:
    """The JSON body of an API-key route. Where the route names who acts (``by``, ``owner_id``:
    access.ACTOR_FIELDS), a personal key fills it or must match it, and the actor records it."""
    from functions.api.body import read_body
    from shared.adapters.acting import set_actor
    from shared.domain.access import ACTOR_FIELDS

    payload = read_body(_raw(), _headers().get("content-type"), allow_form=False)
    request = app.current_request
    caller = request.context.get("closeloop_caller")
    if caller is not None:
        field = ACTOR_FIELDS.get((request.method, request.path))
        set_actor(caller.actor(caller.act_on(payload, field)))
    return payload


def _require_api_key() -> Any:
    """The caller of an API-key route, allowed this route's scope (shared/domain/access.py declares
    every route's scope by its resource: a new route needs no edit here); what it changes is
    recorded as done by this key."""
    from shared.adapters.acting import set_actor
    from shared.domain.errors import Unauthorized

    caller = _container().secrets.api_caller(_headers().get("x-api-key"))
    if caller is None:
        raise Unauthorized("missing or wrong X-Api-Key header")
    request = app.current_request
    caller.check(request.method, request.path)
    request.context["closeloop_caller"] = caller
    set_actor(caller.actor())
    return caller


@app.route("/health", methods=["GET"], content_types=ANY_TYPE)
@api
def health() -> Response:
    return json_response(200, {"status": "ok", "rules_version": _container().rules.current().version})


@app.route("/openapi.json", methods=["GET"], content_types=ANY_TYPE)
@api
def openapi() -> Response:
    """The API's OpenAPI 3.1 description; built on the first request, not at cold start."""
    from functions.api.openapi import document_json

    return Response(body=document_json(), status_code=200, headers={"Content-Type": "application/json; charset=utf-8"})


@app.route("/webhooks/leads/{source}", methods=["POST"], content_types=ANY_TYPE)
@api
def capture(source: str) -> Response:
    from functions.api import webhooks

    return webhooks.capture(source, _raw(), _headers(), _container(), app.lambda_context)


@app.route("/webhooks/leads/{source}", methods=["OPTIONS"], content_types=ANY_TYPE)
@api
def capture_preflight(source: str) -> Response:
    from functions.api import webhooks

    return webhooks.preflight(source, _headers(), _container())


@app.route("/webhooks/behavior/{source}", methods=["POST"], content_types=ANY_TYPE)
@api
def behavior(source: str) -> Response:
    from functions.api import webhooks

    return webhooks.behavior(source, _raw(), _headers(), _container(), app.lambda_context)


@app.route("/leads", methods=["GET"], content_types=ANY_TYPE)
@api
def list_leads() -> Response:
    """Recent leads, newest first: ?owner_id, team, grade, since (7d or ISO time; 30d), limit (50, at
    most 200), cursor (the previous page's next_cursor)."""
    from shared.services.leads_query import list_leads as listing

    _require_api_key()
    params = app.current_request.query_params or {}
    c = _container()
    return json_response(200, listing({name: params[name] for name in params}, c.uow, c.clock))


def _list(plural: str) -> Response:
    """A page of one aggregate's list (CONTRACT §11): its filters, since, limit, cursor."""
    from shared.services.list_specs import LISTINGS
    from shared.services.listing import list_page

    _require_api_key()
    params = app.current_request.query_params or {}
    c = _container()
    return json_response(200, list_page(LISTINGS[plural], {name: params[name] for name in params}, c.uow, c.clock))


@app.route("/cases", methods=["GET"], content_types=ANY_TYPE)
@api
def list_cases() -> Response:
    return _list("cases")


@app.route("/opportunities", methods=["GET"], content_types=ANY_TYPE)
@api
def list_opportunities() -> Response:
    return _list("opportunities")


@app.route("/quotes", methods=["GET"], content_types=ANY_TYPE)
@api
def list_quotes() -> Response:
    return _list("quotes")


@app.route("/contracts", methods=["GET"], content_types=ANY_TYPE)
@api
def list_contracts() -> Response:
    return _list("contracts")


@app.route("/orders", methods=["GET"], content_types=ANY_TYPE)
@api
def list_orders() -> Response:
    return _list("orders")


@app.route("/invoices", methods=["GET"], content_types=ANY_TYPE)
@api
def list_invoices() -> Response:
    return _list("invoices")


@app.route("/accounts", methods=["GET"], content_types=ANY_TYPE)
@api
def list_accounts() -> Response:
    """Accounts newest first (CONTRACT §11); with ?segment= one segment's, newest in it (§15)."""
    params = app.current_request.query_params or {}
    if "segment" not in params:
        return _list("accounts")
    from shared.services.accounts_query import list_accounts as in_segment

    _require_api_key()
    return json_response(200, in_segment({name: params[name] for name in params}, _container().uow))


@app.route("/leads/{lead_id}", methods=["GET"], content_types=ANY_TYPE)
@api
def get_lead(lead_id: str) -> Response:
    from shared.domain.errors import LeadNotFound

    _require_api_key()
    lead = _container().uow.leads.get(lead_id)
    if lead is None:
        raise LeadNotFound(f"no lead with id {lead_id[:60]!r}")
    return json_response(200, lead.view())


@app.route("/leads/{lead_id}/activities", methods=["POST"], content_types=ANY_TYPE)
@api
def add_activity(lead_id: str) -> Response:
    from shared.services.activities import record_activity

    _require_api_key()
    c = _container()
    payload = _payload()
    activity = record_activity(lead_id, payload, c.rules.current(), c.uow, c.clock)
    return json_response(201, activity)


@app.route("/leads/{lead_id}/disqualify", methods=["POST"], content_types=ANY_TYPE)
@api
def disqualify_lead(lead_id: str) -> Response:
    from shared.services.lead_closing import disqualify

    _require_api_key()
    c = _container()
    payload = _payload()
    lead = disqualify(lead_id, payload, c.rules.current(), c.uow, c.clock)
    return json_response(200, lead.view())


@app.route("/webhooks/cases/{source}", methods=["POST"], content_types=ANY_TYPE)
@api
def open_case(source: str) -> Response:
    from functions.api import webhooks

    return webhooks.case(source, _raw(), _headers(), _container(), app.lambda_context)


@app.route("/cases/{case_id}/events", methods=["POST"], content_types=ANY_TYPE)
@api
def record_case_event(case_id: str) -> Response:
    from shared.services.cases import record_case_event as record

    _require_api_key()
    c = _container()
    payload = _payload()
    return json_response(201, record(case_id, payload, c.rules.current(), c.uow, c.clock))


@app.route("/cases/{case_id}", methods=["GET"], content_types=ANY_TYPE)
@api
def get_case(case_id: str) -> Response:
    from shared.services.cases import get_case as read

    _require_api_key()
    c = _container()
    return json_response(200, read(case_id, c.rules.current(), c.uow, c.clock))


@app.route("/webhooks/shipments/{source}", methods=["POST"], content_types=ANY_TYPE)
@api
def record_shipment(source: str) -> Response:
    from functions.api import webhooks

    return webhooks.shipment(source, _raw(), _headers(), _container(), app.lambda_context)


@app.route("/webhooks/esign/{source}", methods=["POST"], content_types=ANY_TYPE)
@api
def record_signature(source: str) -> Response:
    from functions.api import webhooks

    return webhooks.esign(source, _raw(), _headers(), _container(), app.lambda_context)


@app.route("/contracts/{contract_id}", methods=["GET"], content_types=ANY_TYPE)
@api
def get_contract(contract_id: str) -> Response:
    from shared.services.esign import get_contract as read

    _require_api_key()
    return json_response(200, read(contract_id, _container().uow))


@app.route("/webhooks/usage/{source}", methods=["POST"], content_types=ANY_TYPE)
@api
def report_usage(source: str) -> Response:
    from functions.api import webhooks

    return webhooks.usage(source, _raw(), _headers(), _container(), app.lambda_context)


@app.route("/webhooks/surveys/{source}", methods=["POST"], content_types=ANY_TYPE)
@api
def record_survey(source: str) -> Response:
    from functions.api import webhooks

    return webhooks.survey(source, _raw(), _headers(), _container(), app.lambda_context)


@app.route("/orders/{order_id}", methods=["GET"], content_types=ANY_TYPE)
@api
def get_order(order_id: str) -> Response:
    from shared.services.orders import get_order as read

    _require_api_key()
    return json_response(200, read(order_id, _container().uow))


@app.route("/invoices/{invoice_id}/status", methods=["POST"], content_types=ANY_TYPE)
@api
def record_invoice_status(invoice_id: str) -> Response:
    from shared.services.orders import record_invoice_status as record

    _require_api_key()
    c = _container()
    payload = _payload()
    return json_response(200, record(invoice_id, payload, c.rules.current(), c.uow, c.clock))


@app.route("/accounts/{account_id}", methods=["GET"], content_types=ANY_TYPE)
@api
def get_account(account_id: str) -> Response:
    from shared.services.accounts import get_account as read

    _require_api_key()
    c = _container()
    return json_response(200, read(account_id, c.uow, c.clock()))


@app.route("/accounts/{account_id}", methods=["PATCH"], content_types=ANY_TYPE)
@api
def patch_account(account_id: str) -> Response:
    from shared.services.accounts import patch_account as patch

    _require_api_key()
    c = _container()
    payload = _payload()
    return json_response(200, patch(account_id, payload, c.rules.current(), c.uow, c.clock))


# ------------------------------------------------------------------ sales (CONTRACT §2.6, §2.7)


@app.route("/opportunities", methods=["POST"], content_types=ANY_TYPE)
@api
def create_opportunity() -> Response:
    from shared.services.opportunities import create_opportunity as create

    _require_api_key()
    c = _container()
    return json_response(201, create(_payload(), c.rules.current(), c.uow, c.clock))


@app.route("/opportunities/{opportunity_id}", methods=["GET"], content_types=ANY_TYPE)
@api
def get_opportunity(opportunity_id: str) -> Response:
    from shared.services.stage_moves import get_opportunity as read

    _require_api_key()
    c = _container()
    return json_response(200, read(opportunity_id, c.rules.current(), c.uow))


@app.route("/opportunities/{opportunity_id}/stage", methods=["POST"], content_types=ANY_TYPE)
@api
def move_opportunity_stage(opportunity_id: str) -> Response:
    from shared.services.stage_moves import move_stage

    _require_api_key()
    c = _container()
    return json_response(200, move_stage(opportunity_id, _payload(), c.rules.current(), c.uow, c.clock))


@app.route("/opportunities/{opportunity_id}/activities", methods=["POST"], content_types=ANY_TYPE)
@api
def add_opportunity_activity(opportunity_id: str) -> Response:
    from shared.services.stage_moves import record_opportunity_activity

    _require_api_key()
    c = _container()
    activity = record_opportunity_activity(opportunity_id, _payload(), c.rules.current(), c.uow, c.clock)
    return json_response(201, activity)


@app.route("/quotes", methods=["POST"], content_types=ANY_TYPE)
@api
def create_quote() -> Response:
    from shared.services.quotes import create_quote as create

    _require_api_key()
    c = _container()
    return json_response(201, create(_payload(), c.rules.current(), c.uow, c.clock))


@app.route("/quotes/{quote_id}", methods=["GET"], content_types=ANY_TYPE)
@api
def get_quote(quote_id: str) -> Response:
    from shared.services.quotes import get_quote as read

    _require_api_key()
    return json_response(200, read(quote_id, _container().uow))


@app.route("/approvals/{approval_id}/decision", methods=["POST"], content_types=ANY_TYPE)
@api
def decide_approval(approval_id: str) -> Response:
    from shared.services.approvals import decide

    _require_api_key()
    c = _container()
    return json_response(200, decide(approval_id, _payload(), c.rules.current(), c.uow, c.clock))


@app.route("/kpis", methods=["GET"], content_types=ANY_TYPE)
@api
def kpis() -> Response:
    """The KPI set (CONTRACT §7) for ?from=YYYY-MM-DD&to=YYYY-MM-DD[&team=T][&owner_id=U]."""
    from shared.services.kpis import kpi_report

    _require_api_key()
    params = app.current_request.query_params or {}
    c = _container()
    return json_response(200, kpi_report(dict(params), c.kpis, c.rules.current().rules, c.clock()))


@app.route("/audit", methods=["GET"], content_types=ANY_TYPE)
@api
def audit() -> Response:
    """Who changed what (CONTRACT §12): ?subject or ?actor, since/from, to, limit, cursor."""
    from shared.services.audit import list_audit

    _require_api_key()
    params = app.current_request.query_params or {}
    c = _container()
    return json_response(200, list_audit({name: params[name] for name in params}, c.audit, c.clock))


# --- privacy (issue 17, CONTRACT §12): handlers in functions/api/privacy.py; move into the route table


@app.route("/privacy/erase", methods=["POST"], content_types=ANY_TYPE)
@api
def erase_person() -> Response:
    from functions.api import privacy

    _require_api_key()
    return privacy.erase(_payload(), _container())


@app.route("/privacy/export", methods=["GET"], content_types=ANY_TYPE)
@api
def export_person() -> Response:
    from functions.api import privacy

    _require_api_key()
    return privacy.export(dict(app.current_request.query_params or {}), _container())
