"""A real HTTP receiver on a free loopback port: answers scripted per test (then 200), every
post recorded — what the ERP, finance or a chat robot looks like to the sender."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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
    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    stalls: list[float] = field(default_factory=list)  # seconds the next posts wait before answering

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        """The next post gets this answer (``Retry_After="120"`` → a Retry-After header)."""
        self.answers.append((status, headers, body))

    def stall(self, seconds: float) -> None:
        """The next post waits this long before it answers (a sender's time-out gives up first)."""
        self.stalls.append(seconds)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Receiver(f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.posts.append(Post(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if state.stalls:
                time.sleep(state.stalls.pop(0))
            status, headers, answer = state.answers.pop(0) if state.answers else (200, {}, b'{"errcode":0}')
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
