"""The local API server `closeloop dev` runs: it takes a crowd, and answers like API Gateway."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from functions.api.app import app
from infra.local.api_server import LocalApiServer
from infra.template import load_template

CLIENTS = 60


def _request(port: int, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


@pytest.fixture
def api(clean_aws: Any) -> Iterator[LocalApiServer]:
    server = LocalApiServer(app, "127.0.0.1", 0, template=load_template()).start()
    yield server
    server.stop()


def test_sixty_clients_that_arrive_at_once_all_get_an_answer(clean_aws: Any) -> None:
    """The clients connect before the server accepts anyone (the worst burst): with a backlog of 5
    the kernel leaves all but six of them waiting on a handshake; here every one is queued."""
    server = LocalApiServer(app, "127.0.0.1", 0, template=load_template())
    connected = threading.Barrier(CLIENTS + 1)
    serving = threading.Event()
    answers: list[object] = [None] * CLIENTS

    def client(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.connect()
        except OSError as exc:
            answers[n] = f"no connection: {type(exc).__name__}"
            connected.wait()
            return
        connected.wait()
        serving.wait()
        try:
            connection.request("GET", "/health")
            response = connection.getresponse()
            answers[n] = (response.status, json.loads(response.read())["status"])
        except OSError as exc:
            answers[n] = f"reset: {type(exc).__name__}"
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    connected.wait()
    server.start()
    serving.set()
    for thread in threads:
        thread.join()
    server.stop()
    assert Counter(answers) == {(200, "ok"): CLIENTS}


def test_sixty_concurrent_clients_with_real_requests(api: LocalApiServer) -> None:
    start = threading.Barrier(CLIENTS)
    answers: list[object] = [None] * CLIENTS

    def client(n: int) -> None:
        start.wait()
        try:
            answers[n] = _request(api.port, "GET", "/health")[0]
        except OSError as exc:
            answers[n] = type(exc).__name__

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(answers) == {200: CLIENTS}


@pytest.mark.parametrize(("method", "path"), [("GET", "/nope"), ("POST", "/webhooks"), ("GET", "/leads/x/y/z")])
def test_an_unknown_route_is_a_contract_404_as_api_gateway_answers_it(
    api: LocalApiServer, method: str, path: str
) -> None:
    status, body = _request(api.port, method, path)
    assert status == 404
    assert body == {"error": {"code": "not_found", "message": "no such route"}}


def test_a_known_route_with_another_method_keeps_the_apps_answer(api: LocalApiServer) -> None:
    status, body = _request(api.port, "DELETE", "/health")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


def test_a_cors_preflight_without_origin_is_refused_for_that_reason(api: LocalApiServer) -> None:
    status, body = _request(api.port, "OPTIONS", "/webhooks/leads/website", {"Access-Control-Request-Method": "POST"})
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert body["error"]["message"] == "a CORS preflight needs an Origin header"
    assert "None" not in json.dumps(body)


def test_each_request_can_be_told_as_one_line(clean_aws: Any) -> None:
    lines: list[tuple[str, str, int]] = []
    server = LocalApiServer(
        app, "127.0.0.1", 0, template=load_template(), on_request=lambda m, p, s, ms: lines.append((m, p, s))
    ).start()
    try:
        _request(server.port, "GET", "/health")
        _request(server.port, "GET", "/nope")
        # each line is told once its answer is sent, from the request's own thread: on a loaded
        # machine the second may be told first, or a moment after the client has its answer
        deadline = time.monotonic() + 5
        while len(lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        server.stop()
    assert sorted(lines) == [("GET", "/health", 200), ("GET", "/nope", 404)]
