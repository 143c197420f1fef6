"""A real HTTP receiver on a free port (answers scripted per test, every post recorded) and the
local plumbing playing template.yaml's deliveries stream against the embedded AWS."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import free_port


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)  # then 200
    posts: list[Post] = field(default_factory=list)

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.answers.append((status, headers, body))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.posts.append(Post(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, headers, answer = state.answers.pop(0) if state.answers else (200, {}, b'{"errcode":0}')
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def plumbing(aws: str, clean_aws: Any) -> Iterator[Any]:
    from infra.local.plumbing import Plumbing
    from infra.template import load_template

    running = Plumbing(load_template(), aws, poll_interval=0.05)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def configure(clean_aws: Any) -> Any:
    """Point the process's container at URLs and chat channels, as the stack's settings would."""
    from aws_lambda_powertools.utilities import parameters

    from infra.local.aws import client
    from shared.adapters.container import Container, reset_container

    def apply(chat: dict[str, Any] | None = None, **settings: str) -> Any:
        import os

        secrets = client("secretsmanager", os.environ["AWS_ENDPOINT_URL"])
        secrets.put_secret_value(SecretId="closeloop/chat-webhooks", SecretString=json.dumps(chat or {}))
        secrets.put_secret_value(SecretId="closeloop/delivery-secret", SecretString='{"secret": "test-delivery-secret"}')
        parameters.clear_caches()
        container = Container(dataclasses.replace(clean_aws.settings, **settings))
        reset_container(container)
        return container

    return apply
