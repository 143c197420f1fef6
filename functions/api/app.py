"""The HTTP API (Chalice). Every route is declared once, in routes.py, and registered here on its
capability's Blueprint (leads, cases, orders, ...); each is answered by the one generic view of
dispatch.py (check who calls, gather the handler's arguments, call a service, answer or map the error).

Only chalice is imported here at module level: the container, boto3, pynamodb and Powertools load
on the first request that needs them, which keeps cold starts short.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Chalice, Response

from functions.api.dispatch import answered, view_of
from functions.api.responses import json_response
from functions.api.routes import ROUTES

app = Chalice(app_name="closeloop-api")
app.log.setLevel(logging.INFO)
# content types are checked by read_body, so errors keep the contract's shape; routes without a body
# ignore the header (Chalice would answer a GET that carries Content-Type: text/plain with 415)
ANY_TYPE = ["*/*"]

api = answered  # the error mapping, for callers that wrap a view of their own


def _blueprints() -> dict[str, Blueprint]:
    """A Blueprint per capability, each holding that capability's routes."""
    blueprints: dict[str, Blueprint] = {}
    for route in ROUTES:
        blueprint = blueprints.setdefault(route.capability, Blueprint(f"{__name__}.{route.capability}"))
        blueprint.route(route.path, methods=[route.method], content_types=ANY_TYPE, name=route.name)(
            view_of(app, route)
        )
    return blueprints


for _blueprint in _blueprints().values():
    app.register_blueprint(_blueprint)


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
            {k: str(v) for k, v in response.headers.items() if k.lower() != "content-type"},
        )
    return response
