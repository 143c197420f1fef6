"""routes.py is the one declaration of the API's routes: the app, the description and the
template follow it, and every route's handler can be called with what the route gives it."""

from __future__ import annotations

import inspect
import re

import pytest

from functions.api.dispatch import PROVIDERS, handler_of
from functions.api.openapi import document
from functions.api.routes import ROUTES, Route
from infra.template import api_routes, load_template

DECLARED = {(route.method, route.path) for route in ROUTES}


def test_each_route_is_declared_once() -> None:
    assert len(DECLARED) == len(ROUTES)
    assert len({route.name for route in ROUTES}) == len(ROUTES)


def test_the_app_serves_exactly_the_declared_routes() -> None:
    from functions.api.app import app

    assert {(method, path) for path, entries in app.routes.items() for method in entries} == DECLARED


def test_the_template_deploys_exactly_the_declared_routes() -> None:
    assert api_routes(load_template()) == DECLARED


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_every_handler_takes_what_its_route_gives(route: Route) -> None:
    handler = handler_of(route)
    parameters = list(inspect.signature(handler).parameters.values())
    required = [p for p in parameters if p.default is inspect.Parameter.empty]
    given = len(route.given) + len(route.args)
    assert len(required) <= given <= len(parameters), (route.handler, [p.name for p in parameters])
    path_params = set(re.findall(r"\{(\w+)\}", route.path))
    assert path_params <= set(route.args), f"{route.path}: a path parameter the handler never receives"
    assert set(route.args) <= path_params | set(PROVIDERS), set(route.args) - path_params - set(PROVIDERS)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_the_description_states_each_route_s_auth_and_capability(route: Route) -> None:
    operation = document()["paths"][route.path][route.method.lower()]
    schemes = {name for requirement in operation["security"] for name in requirement}
    assert schemes == {"api_key": {"apiKey"}, "signed": {"webhookSignature"}, "public": set()}[route.auth]
    assert operation["tags"] == [route.capability]


def test_only_routes_that_take_a_body_name_who_acts_in_it() -> None:
    for route in ROUTES:
        if route.actor_field:
            assert {"payload", "command"} & set(route.args) and route.auth == "api_key", route
