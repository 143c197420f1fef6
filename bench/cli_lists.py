"""`closeloop cases list` against a local stack holding 1,000 cases, against `closeloop --help`
(issue 16): the CLI is a person's tool, and a list that takes seconds is not one.

Runs as its own process (``python -m bench.cli_lists``, one JSON metric on stdout): it starts
`closeloop dev`, stores the cases through the stack's embedded AWS (the unit of work, as the API
stores a case), then times fresh `closeloop` processes as a person's terminal starts them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.dev_stack import CLOSELOOP, ROOT, _free_port, _wait_healthy

CASES = 1_000
RUNS = 9


def _store_cases(env: dict[str, str], count: int) -> None:
    """``count`` cases, opened a minute apart, written 100 to a transaction into the stack."""
    from infra.local.stack import StackSettings, connect_env
    from shared.adapters.container import container
    from shared.kernel.domain.events import iso
    from shared.kernel.services.ports import Change, Save
    from shared.service_desk.domain.cases import Case

    os.environ.update({k: v for k, v in env.items() if k.startswith("CLOSELOOP_")})
    connect_env(StackSettings.from_env())
    uow, now = container().uow, datetime.now(UTC)
    cases = [
        Case(
            case_id=f"cs_{n:020x}",
            source="contact-center",
            external_id=f"BENCH-{n}",
            opened_at=iso(now - timedelta(minutes=n)),
            priority=("P1", "P2", "P3", "P4")[n % 4],
            title=f"bench case {n}",
            owner_id=f"u_{n % 7}",
            team=("Support", "VIP")[n % 2],
        )
        for n in range(count)
    ]
    for first in range(0, count, 100):
        uow.commit(Change(saves=[Save(case, None) for case in cases[first : first + 100]]))


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return time.perf_counter() - started


def _alternating(
    first: list[str], second: list[str], env: dict[str, str], runs: int
) -> tuple[list[float], list[float]]:
    """Each command ``runs`` times, taking turns: a busy spell of the machine falls on both."""
    a, b = [], []
    for _ in range(runs):
        a.append(_timed(first, env))
        b.append(_timed(second, env))
    return a, b


def measure(count: int = CASES, runs: int = RUNS) -> dict[str, Any]:
    port, aws_port = _free_port(), _free_port()
    env = {**os.environ, "CLOSELOOP_PORT": str(port), "CLOSELOOP_AWS_PORT": str(aws_port), "CLOSELOOP_SCHEDULES": "off"}
    # as on a developer's machine: Python keeps compiled modules (a CI runner may set this variable,
    # and then every command compiles what it imports: the list, importing more, would pay more)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([CLOSELOOP, "dev", "--no-schedules"], cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            _wait_healthy(port, process, log)
            _store_cases(env, count)
            listed = subprocess.run([CLOSELOOP, "cases", "list", "--json"], cwd=ROOT, env=env, capture_output=True)
            if len(listed.stdout.splitlines()) != 50:
                raise RuntimeError(f"closeloop cases list printed {len(listed.stdout.splitlines())} cases, not 50")
            subprocess.run([CLOSELOOP, "cases", "list"], cwd=ROOT, env=env, capture_output=True)  # compiled once
            lists, helps = _alternating([CLOSELOOP, "cases", "list"], [CLOSELOOP, "--help"], env, runs)
            list_s, help_s = statistics.median(lists), statistics.median(helps)
        finally:
            process.terminate()
            process.wait(30)
    return {
        "value": round(list_s / help_s, 2),
        "unit": "ratio",
        "note": f"median wall time of `closeloop cases list` (the newest 50 of {count:,} cases in a running "
        f"`closeloop dev`, as a table) {list_s * 1000:.0f} ms / median of `closeloop --help` {help_s * 1000:.0f} ms, "
        f"{runs} fresh processes each, taking turns (lists {', '.join(f'{s * 1000:.0f}' for s in lists)} ms; help "
        f"{', '.join(f'{s * 1000:.0f}' for s in helps)} ms). The list is one Query per index shard in the "
        "stack's process, each entry carrying its row (its API answers: GET /cases; no whole case is read); the "
        "terminal's command loads no AWS SDK and no rules (the answer carries Settings timezone). Two processes "
        "against one: a loaded machine weighs on the list twice",
    }


def cli_list_metric() -> dict[str, Any]:
    """``measure`` in a fresh process: the stack and the timed commands share nothing with the bench."""
    out = subprocess.run([sys.executable, "-m", "bench.cli_lists"], cwd=ROOT, capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"bench.cli_lists failed: {out.stderr.decode(errors='replace')[-2000:]}")
    return dict(json.loads(out.stdout))


if __name__ == "__main__":
    print(json.dumps(measure(), ensure_ascii=False))
