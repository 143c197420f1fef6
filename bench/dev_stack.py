"""`closeloop dev` as a developer runs it: its resident memory after 10,000 leads over HTTP,
projected from fewer (BENCH_DEV_LEADS, 1,000 by default) so that `make bench` finishes.

Runs as its own process (``python -m bench.dev_stack COUNT``, one JSON metric on stdout): the
stack and its poster share nothing with the benchmark process.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
CLOSELOOP = str(Path(sys.executable).parent / "closeloop")
CLIENTS = 4  # posting threads, as a few web forms would
PROJECTED_TO = 10_000  # the leads the metric speaks of (dev_rss_mib_after_10k_leads)
LEAD = {
    "company": "苏州精工",
    "province": "江苏",
    "industry": "制造业",
    "employees": 800,
    "budget": 600000,
    "title": "采购经理",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process (VmHWM: its peak), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


class _Poster:
    """Posts leads over keep-alive connections, one per thread."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._local = threading.local()

    def post(self, n: int) -> int:
        body = json.dumps({**LEAD, "email": f"dev{n}@factory.cn"}, ensure_ascii=False).encode()
        for attempt in (1, 2):  # a connection the server dropped is reopened once
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=120)
            try:
                connection.request("POST", "/webhooks/leads/website", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                return response.status
            except (ConnectionError, http.client.HTTPException):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _wait_healthy(port: int, process: subprocess.Popen[bytes], log: IO[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"closeloop dev exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("closeloop dev did not answer /health")


def _post_and_pump(poster: _Poster, numbers: range, env: dict[str, str]) -> tuple[Counter[int], float, float]:
    """Post the leads numbered ``numbers``, then `closeloop pump` until every event is handled:
    (statuses, seconds posting, seconds draining)."""
    statuses, started = Counter[int](), time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses.update(pool.map(poster.post, numbers))
    posted = time.perf_counter()
    pump = subprocess.run([CLOSELOOP, "pump", "--timeout", "1800"], cwd=ROOT, env=env, capture_output=True)
    if pump.returncode != 0:
        raise RuntimeError(f"closeloop pump failed: {pump.stderr.decode(errors='replace')[-500:]}")
    return statuses, posted - started, time.perf_counter() - posted


def measure(count: int, projected_to: int = PROJECTED_TO) -> dict[str, Any]:
    """RSS after ``count`` leads, posted and drained in two halves; the growth over the second half
    (the first pays for warming up) projects it to ``projected_to`` leads."""
    port, aws_port = _free_port(), _free_port()
    env = {**os.environ, "CLOSELOOP_PORT": str(port), "CLOSELOOP_AWS_PORT": str(aws_port), "CLOSELOOP_SCHEDULES": "off"}
    half = count // 2
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([CLOSELOOP, "dev", "--no-schedules"], cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            _wait_healthy(port, process, log)
            started_rss = rss_mib(process.pid)
            poster = _Poster(port)
            first, post1, drain1 = _post_and_pump(poster, range(half), env)
            middle_rss = rss_mib(process.pid)
            second, post2, drain2 = _post_and_pump(poster, range(half, count), env)
            rss, peak = rss_mib(process.pid), rss_mib(process.pid, "VmHWM")
        finally:
            process.terminate()
            process.wait(30)
    statuses = first + second
    if statuses != {201: count}:
        raise RuntimeError(f"posting failed: {dict(statuses)}")
    per_1000 = (rss - middle_rss) * 1000 / (count - half)
    projected = rss + max(per_1000, 0.0) * (projected_to - count) / 1000
    return {
        "value": round(projected, 1),
        "unit": "MiB",
        "note": f"VmRSS of `closeloop dev` (API, embedded AWS, stream plumbing in one process) projected to "
        f"{projected_to:,} new leads over HTTP: measured {rss:.0f} MiB after {count:,} leads from {CLIENTS} clients "
        f"and `closeloop pump` (every event published), {middle_rss:.0f} MiB after the first {half:,}, so "
        f"{per_1000:.1f} MiB per 1,000 leads over the second half, carried on linearly (an upper bound if memory "
        f"levels off); {started_rss:.0f} MiB at start, peak {peak:.0f} MiB. {count:,} leads, not {projected_to:,} "
        f"(issue 15): the dev process spends about 0.2 s of CPU per lead end to end (capture, publishing, "
        f"KPI folding, all through the embedded AWS), so {projected_to:,} took over half an hour on 2 cores; "
        f"BENCH_DEV_LEADS={projected_to} measures it directly. Posting/draining took {post1:.0f}/{drain1:.0f} s "
        f"and {post2:.0f}/{drain2:.0f} s ({half / post1:.1f} and {(count - half) / post2:.1f} leads/s over HTTP)",
    }


def dev_rss_metric(count: int) -> dict[str, Any]:
    """``measure`` in a fresh process, so the stack shares nothing with the benchmark's own."""
    out = subprocess.run([sys.executable, "-m", "bench.dev_stack", str(count)], cwd=ROOT, capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"bench.dev_stack failed: {out.stderr.decode(errors='replace')[-2000:]}")
    return dict(json.loads(out.stdout))


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1])), ensure_ascii=False))
