"""The README's walkthrough, executed (issue 16): its setup block starts the sample finance
receiver and the stack as written (on free ports), then its ``<!-- walk -->`` blocks run in one
bash, in order, exactly as a newcomer pastes them; every answer the README shows is checked
against the one the API gave. The walk reaches cash: the receiver prints the invoice once.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.e2e import readme_walk
from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import ROOT

pytestmark = pytest.mark.e2e
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_API = "http://127.0.0.1:8000"


def setup_lines() -> tuple[str, dict[str, str]]:
    """The receiver's command and the stack's CLOSELOOP_* settings, from the setup block."""
    [setup] = readme_walk.blocks(README, readme_walk.SETUP_MARK)
    commands = [c.split("#")[0].strip() for c in setup.code.replace("\\\n", " ").splitlines()]
    [receiver] = [c for c in commands if "receiver.py" in c]
    [stack] = [c for c in commands if c.endswith("make run")]
    settings = dict(word.split("=", 1) for word in shlex.split(stack) if "=" in word)
    return receiver, settings


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    command, _ = setup_lines()
    port = free_port()
    args = [sys.executable if a in ("python", "python3") else a for a in shlex.split(command)]
    args = [str(port) if a == "9100" else a for a in args]
    # its ledger of seen event ids in a temp dir of its own: a fresh receiver, as on a fresh machine
    env = {**os.environ, "TMPDIR": str(tmp_path_factory.mktemp("receiver"))}
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        printed.extend(iter(process.stdout.readline, ""))

    threading.Thread(target=read, daemon=True).start()
    try:
        yield {"port": port, "printed": printed}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(receiver: dict[str, Any]) -> Iterator[dict[str, Any]]:
    _, settings = setup_lines()
    settings = {k: v.replace(":9100/", f":{receiver['port']}/") for k, v in settings.items()}
    with running_dev(**settings) as running:
        yield running


def test_the_readme_walk_runs_as_written_and_reaches_cash(
    stack: dict[str, Any], receiver: dict[str, Any], tmp_path: Path
) -> None:
    walk = readme_walk.blocks(README)
    assert len(walk) >= 8, "the README lost its walk blocks"
    body, expected = readme_walk.script(walk)
    assert body.count(f"API={README_API}\n") == 1, "the walk sets API once, to make run's address"
    body = body.replace(f"API={README_API}\n", f"API={stack['api']}\n")
    log = tmp_path / "walk.log"
    env = {**stack["env"], "WALK_LOG": str(log), "PATH": os.environ["PATH"]}
    run = subprocess.run(
        ["bash", "-c", readme_walk.PRELUDE + body], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    console = "".join(stack["console"][-80:])
    assert run.returncode == 0, f"{run.stderr[-3000:]}\n--- stdout\n{run.stdout[-2000:]}\n--- stack\n{console}"

    answers = readme_walk.answers_at_marks(log.read_text(encoding="utf-8"))
    wrong = []
    for n, shown in enumerate(expected):
        if n not in answers:
            wrong.append(f"README.md:{shown.line}: no answer before it")
            continue
        status, got = answers[n]
        found = [] if status == shown.status else [f"status {status}, the README shows {shown.status}"]
        if shown.shape is not None:
            found += readme_walk.problems(shown.shape, got)
        wrong += [f"README.md:{shown.line}: {p}" for p in found]
    assert not wrong, "\n".join(wrong)
    assert len(expected) >= 25

    deadline = time.monotonic() + 30
    while not any(line.startswith("INVOICE ") for line in receiver["printed"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    invoices = [line for line in receiver["printed"] if line.startswith("INVOICE ")]
    deliveries = run.stdout[run.stdout.rfind("closeloop deliveries") - 2000 :]
    assert len(invoices) == 1, f"{receiver['printed']}\n--- the walk's last output\n{deliveries}\n{console}"
    assert re.match(r"INVOICE inv_\S+ for order or_\S+", invoices[0]), invoices
    # what the stack's terminal showed through the walk: human lines, never a JSON log record
    assert not [line for line in stack["console"] if line.lstrip().startswith("{")], console
    assert any("720000.00" in line for line in receiver["printed"])


DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_the_docs_walk_blocks_run_on_the_same_stack(stack: dict[str, Any], tmp_path: Path) -> None:
    """docs/'s ``<!-- walk -->`` blocks (the ones a local stack can run; the AWS-only ones are
    checked by tests/unit/test_docs_commands.py), run as pasted: bare ``closeloop`` as on the PATH
    of the virtualenv, after the README's walk (which publishes no rules: version 1 is live)."""
    walks = {page.name: readme_walk.blocks(page.read_text(encoding="utf-8")) for page in DOCS}
    walks = {name: found for name, found in walks.items() if found}
    assert set(walks) >= {"admin-sheets.md"}, "docs/ lost its walk blocks"
    log = tmp_path / "walk.log"
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"  # `closeloop` as an activated venv has it
    env = {**stack["env"], "WALK_LOG": str(log), "PATH": path, "TMPDIR": str(tmp_path)}
    for name, found in walks.items():
        body, _ = readme_walk.script(found)
        prelude = readme_walk.PRELUDE.replace("README.md block", f"docs/{name} block")
        run = subprocess.run(["bash", "-c", prelude + body], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=300)  # fmt: skip
        assert run.returncode == 0, f"docs/{name}\n{run.stderr[-3000:]}\n--- stdout\n{run.stdout[-2000:]}"
        if name == "admin-sheets.md":  # what the comments of its versions block say each line prints
            out = run.stdout
            assert re.search(r"^published: v2-\S+ \(dir:", out, re.MULTILINE), out
            # the version just published is live, made at the stack's time (CLOSELOOP_CLOCK_START), not the machine's
            assert re.search(r"^\* v2-\S+ +live +2026-11-23T", out, re.MULTILINE), out
            assert "Settings: 1 row changed" in out and "sql_threshold" in out and "80 → 75" in out, out
            assert re.search(r"^rolled back: v1-\S+ is active again", out, re.MULTILINE), out
