"""`closeloop dev` in its own process, as a user starts it in a terminal, for module fixtures."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.conftest import free_port
from tests.e2e.terminal import fresh_terminal_env
from tests.e2e.test_local_stack import ROOT, _wait_for_banner


@contextmanager
def running_dev(*flags: str, **closeloop: str) -> Iterator[dict[str, Any]]:
    """A stack on free ports with schedules off (time is driven by `schedule run --at`), plus any
    `closeloop dev` flags and CLOSELOOP_* settings given; yields its terminal environment, API URL,
    banner and console lines; Ctrl-C at the end."""
    env = fresh_terminal_env(
        **{"CLOSELOOP_PORT": str(free_port()), "CLOSELOOP_AWS_PORT": str(free_port()), "CLOSELOOP_SCHEDULES": "off"}
        | closeloop
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "dev", *flags],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    banner = _wait_for_banner(process)
    console: list[str] = []  # what the terminal shows from here on (also keeps the pipe from filling)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            console.append(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        yield {"env": env, "api": f"http://127.0.0.1:{env['CLOSELOOP_PORT']}", "banner": banner, "console": console}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        finally:
            process.kill()
