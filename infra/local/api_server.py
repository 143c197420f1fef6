"""The local HTTP API: Chalice's local gateway behind a threaded server that takes a crowd.

``chalice.local`` listens with socketserver's default backlog of 5: at 30–50 concurrent
clients the kernel's accept queue overflows and new connections are reset. API Gateway takes
thousands, so this server queues 128 connections and serves each on its own daemon thread.

What API Gateway answers by itself (an unknown route) comes from template.yaml's
``GatewayResponses``, as in AWS: a contract-shaped 404, not Chalice's 403 "Missing
Authentication Token". Each request can be reported as one line (method, path, status, ms) —
the ``closeloop dev`` console — instead of an access log.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalGatewayException

from infra.local.headers import CLOCK_HEADER, NOW_HEADER, TIMEZONE_HEADER

# (method, path, status, milliseconds)
RequestLine = Callable[[str, str, int, float], None]

# API Gateway's own error for a request no route matches (it calls it a missing token)
_NO_ROUTE = "MISSING_AUTHENTICATION_TOKEN"
_FALLBACK = {
    _NO_ROUTE: {"StatusCode": "404", "Template": '{"error": {"code": "not_found", "message": "no such route"}}'},
    "DEFAULT_4XX": {"Template": '{"error": {"code": "bad_request", "message": $context.error.messageString}}'},
}


@dataclass(frozen=True)
class GatewayAnswer:
    status: int
    body: bytes


class GatewayResponses:
    """template.yaml's ``Globals.Api.GatewayResponses``, rendered the way API Gateway renders them."""

    def __init__(self, template: dict[str, Any] | None) -> None:
        configured = ((template or {}).get("Globals") or {}).get("Api", {}).get("GatewayResponses") or {}
        self._responses: dict[str, dict[str, str]] = {}
        for kind, fallback in _FALLBACK.items():
            spec = configured.get(kind) or {}
            body = (spec.get("ResponseTemplates") or {}).get("application/json") or fallback["Template"]
            status = spec.get("StatusCode") or fallback.get("StatusCode") or ""
            self._responses[kind] = {"StatusCode": str(status), "Template": str(body)}

    def answer(self, error: LocalGatewayException) -> GatewayAnswer:
        """The gateway's answer in place of Chalice's: an unknown route is MISSING_AUTHENTICATION_TOKEN
        (403 unless the template maps it), anything else the gateway refuses DEFAULT_4XX."""
        message = _message_of(error.body)
        kind = _NO_ROUTE if message == "Missing Authentication Token" else "DEFAULT_4XX"
        spec = self._responses[kind]
        status = int(spec["StatusCode"]) if spec["StatusCode"] else error.CODE
        # $context.error.messageString is the message already JSON-quoted
        body = spec["Template"].replace("$context.error.messageString", json.dumps(message, ensure_ascii=False))
        return GatewayAnswer(status, body.encode("utf-8"))


def _message_of(body: Any) -> str:
    try:
        return str(json.loads(body)["message"])
    except (ValueError, TypeError, KeyError):
        return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


class ApiHTTPServer(ThreadingHTTPServer):
    """A thread per connection and a real listen backlog."""

    request_queue_size = 128
    daemon_threads = True


class ApiRequestHandler(ChaliceRequestHandler):
    """Chalice's handler, answering gateway errors as the template says and timing each request."""

    def __init__(
        self,
        request: Any,
        client_address: Any,
        server: Any,
        *,
        app_object: Any,
        config: Any,
        gateway: GatewayResponses,
        on_request: RequestLine | None,
    ) -> None:
        # set before the base constructor: it handles the whole connection
        self._gateway = gateway
        self._on_request = on_request
        self._status = 0
        super().__init__(request, client_address, server, app_object, config)

    def _generic_handle(self) -> None:
        started = time.perf_counter()
        super()._generic_handle()
        if self._on_request is not None:
            self._on_request(self.command, self.path, self._status, (time.perf_counter() - started) * 1000)

    # the base class binds these to its own _generic_handle
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _send_error_response(self, error: LocalGatewayException) -> None:
        answer = self._gateway.answer(error)
        headers = {k: v for k, v in error.headers.items() if k.lower() != "x-amzn-errortype"}
        self._send_http_response(answer.status, {**headers, "Content-Type": "application/json"}, answer.body)

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)
        self.send_header(CLOCK_HEADER, stack_now())  # `closeloop send` signs with the time signatures are judged by
        self.send_header(TIMEZONE_HEADER, stack_timezone())  # `closeloop <kind> list` shows local times
        self.send_header(NOW_HEADER, business_now())  # a second terminal's commands record at this time

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request comes from ``on_request``; without it, the usual access log."""
        if self._on_request is None:
            super().log_request(code, size)


def stack_now() -> str:
    """The time this stack judges webhook signatures by (webhook_auth.transport_now): what
    `closeloop send` signs with, so its signature is never stale here."""
    from shared.kernel.domain.events import iso
    from shared.kernel.services.webhook_auth import transport_now

    return iso(transport_now())


def business_now() -> str:
    """The stack's business clock (shifted by CLOSELOOP_CLOCK_START): the time what it records carries."""
    from shared.adapters.container import container
    from shared.kernel.domain.events import iso

    return iso(container().clock())


def stack_timezone() -> str:
    """Settings `timezone` of the active rules (the container's cached copy); UTC before any."""
    from shared.adapters.container import container

    try:
        return str(container().rules.current().rules.settings.timezone)
    except Exception:  # no rules published yet: nothing to say but UTC
        return "UTC"


def local_app(app: Any) -> Any:
    """What chalice.local.create_local_server does to the app (``current_request`` per thread),
    once per process: doing it twice would make the class its own base."""
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return app


class LocalApiServer:
    """The API on ``host:port``, served on a background thread until :meth:`stop`."""

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        *,
        template: dict[str, Any] | None = None,
        on_request: RequestLine | None = None,
    ) -> None:
        from chalice.config import Config

        handler = functools.partial(
            ApiRequestHandler,
            app_object=local_app(app),
            config=Config(),
            gateway=GatewayResponses(template),
            on_request=on_request,
        )
        self.server = ApiHTTPServer((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> LocalApiServer:
        self._thread = threading.Thread(target=self.server.serve_forever, name="closeloop-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()
