"""One embedded AWS per test module: starting moto is cheap, but not free."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from infra.local.aws import start_moto


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint_url() -> Iterator[str]:
    port = free_port()
    server = start_moto(port)
    yield f"http://127.0.0.1:{port}"
    server.stop()
