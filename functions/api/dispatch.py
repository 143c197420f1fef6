"""One view for every route of the table (routes.py): check who calls, gather the handler's
arguments, call it, answer — and map every error to its status in one place.

Imports stay light (chalice only at module level): the container, boto3, pynamodb and Powertools
load on the first request that needs them, which keeps cold starts short.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from chalice.app import Chalice, Request, Response

from functions.api.responses import json_response
from functions.api.routes import Route

log = logging.getLogger("closeloop-api")  # Chalice's app.log


class Call:
    """One request as a handler's arguments see it: each is produced only when asked for."""

    def __init__(self, app: Chalice, route: Route, path_params: dict[str, str]) -> None:
        self.app, self.route, self.path_params = app, route, path_params
        request = app.current_request
        assert request is not None  # Chalice sets it before calling a view
        self.request: Request = request
        self._container: Any = None

    @property
    def container(self) -> Any:
        if self._container is None:
            from shared.adapters.container import container

            self._container = container()
        return self._container

    def argument(self, name: str) -> Any:
        if name in self.path_params:
            return self.path_params[name]
        provide = PROVIDERS.get(name)
        if provide is None:  # the table names something nobody provides: a bug (a test imports every route)
            raise LookupError(f"{self.route.method} {self.route.path}: no argument called {name!r}")
        return provide(self)

    def payload(self) -> Any:
        """The JSON body of an API-key route. Where the route names who acts (``by``, ``owner_id``),
        a personal key fills it or must match it, and the actor records it."""
        from functions.api.body import read_body
        from shared.adapters.acting import set_actor

        payload = read_body(self.raw(), self.request.headers.get("content-type"), allow_form=False)
        caller = self.request.context.get("closeloop_caller")
        if caller is not None and self.route.actor_field:
            set_actor(caller.actor(caller.act_on(payload, self.route.actor_field)))
        return payload

    def command(self) -> Any:
        """The body read as the route's message (routes.py ``body``): the service takes it typed,
        or the request is refused with every bad field named."""
        from shared.kernel.messages.validation import read

        assert self.route.body is not None, f"{self.route.path}: a command needs the route's body model"
        module, _, name = self.route.body.partition(":")
        model = getattr(importlib.import_module(module), name)
        return read(model, self.payload(), now=self.container.clock(), active=self.container.rules.current())

    def raw(self) -> bytes:
        raw = self.request.raw_body
        return raw.encode() if isinstance(raw, str) else (raw or b"")

    def params(self) -> dict[str, str]:
        query = self.request.query_params
        return {name: query[name] for name in query} if query else {}


PROVIDERS: dict[str, Callable[[Call], Any]] = {
    # the request
    "payload": Call.payload,
    "command": Call.command,
    "params": Call.params,
    "raw": Call.raw,
    "headers": lambda call: call.request.headers,
    "lambda_context": lambda call: call.app.lambda_context,
    # what the handler works with
    "container": lambda call: call.container,
    "uow": lambda call: call.container.uow,
    "clock": lambda call: call.container.clock,
    "now": lambda call: call.container.clock(),
    "active": lambda call: call.container.rules.current(),
    "rules": lambda call: call.container.rules.current().rules,
    "kpis": lambda call: call.container.kpis,
    "audit": lambda call: call.container.audit,
}


@cache
def handler_of(route: Route) -> Callable[..., Any]:
    module, _, name = route.handler.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return found


def view_of(app: Chalice, route: Route) -> Callable[..., Response]:
    """The Chalice view answering ``route``."""

    def view(**path_params: str) -> Response:
        call = Call(app, route, path_params)
        if route.auth == "api_key":
            _admit(call)
        arguments = [*route.given, *(call.argument(name) for name in route.args)]
        result = handler_of(route)(*arguments)
        return result if isinstance(result, Response) else json_response(route.status, result)

    view.__name__ = route.name
    return answered(view)


def answered(view: Callable[..., Response]) -> Callable[..., Response]:
    """Map domain errors to their status in one place; anything else is a bug → 500, logged."""

    @wraps(view)
    def wrapper(**kwargs: Any) -> Response:
        from functions.api.errors import error_body, status_of
        from shared.adapters.acting import acting_as
        from shared.kernel.domain.errors import Busy, CloseloopError

        try:
            with acting_as(None):  # each request says who acts (an API key, a webhook source)
                return view(**kwargs)
        except CloseloopError as exc:
            return json_response(status_of(exc), error_body(exc), _retry_after(exc))
        except Exception as exc:
            if _throttled(exc):  # AWS shed load, or failed itself, past what the request could wait
                busy = Busy()
                return json_response(503, error_body(busy), _retry_after(busy))
            log.exception("unhandled error in %s", view.__name__)
            body = {
                "error": {"code": "internal_error", "message": "something went wrong on our side; it has been logged"}
            }
            return json_response(500, body)

    return wrapper


def _retry_after(error: Any) -> dict[str, str]:
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}


def _throttled(exc: Exception) -> bool:
    """Throttling the retry policy did not absorb (a read, or a write outside a retried commit),
    or an AWS server fault (500) that outlasted botocore's retries: busy, come back later."""
    from shared.adapters.dynamo.faults import is_transient
    from shared.kernel.services.ports import Throttled

    return isinstance(exc, Throttled) or is_transient(exc)


def _admit(call: Call) -> None:
    """The caller of an API-key route, allowed this route's scope (shared/kernel/domain/access.py); what it
    changes is recorded as done by this key."""
    from shared.adapters.acting import set_actor
    from shared.kernel.domain.errors import Unauthorized

    caller = call.container.secrets.api_caller(call.request.headers.get("x-api-key"))
    if caller is None:
        raise Unauthorized("missing or wrong X-Api-Key header")
    caller.check(call.route.method, call.route.path, call.route.scope)
    call.request.context["closeloop_caller"] = caller
    set_actor(caller.actor())
