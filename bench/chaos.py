"""Lead capture while AWS misbehaves (CONTRACT §13 "Fault injection"): 1,000 leads over HTTP into
a `closeloop dev` whose embedded AWS throttles a fifth of the DynamoDB and EventBridge calls and
cancels a tenth of the transactions on a conflict (CLOSELOOP_CHAOS). A sender that hears
`503 busy` comes back with the same Idempotency-Key, as webhook senders do.

- ``chaos_leads_lost``: leads answered 201/200 (or never answered) that are not stored, plus
  leads the senders gave up on (still busy after 20 tries), plus leads stored that no answer
  named. Goal 0.
- ``chaos_events_duplicated``: events recorded more than once for the same (type, subject),
  counted in excess copies. Goal 0.

Runs as its own process (``python -m bench.chaos COUNT``, two JSON metrics on stdout).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from botocore.config import Config

from bench.dev_stack import CLOSELOOP, ROOT, _free_port, _wait_healthy
from shared.adapters.settings import Settings

CHAOS = "throttle=0.2,conflict=0.1,seed=11"
CLIENTS = 16  # posts in flight: most of a post's time under throttling is botocore's back-off
TRIES = 20
PATIENT = Config(retries={"max_attempts": 30, "mode": "legacy"})  # our own reads ride out the faults


def _post(api: str, n: int) -> tuple[int, str | None]:
    """(final status, lead id) of one lead, sent again with its key while the answer is 503."""
    payload = {"email": f"chaos{n}@factory.cn", "company": f"苏州精工 {n}", "province": "江苏", "employees": 800}
    headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    status = 0
    for _ in range(TRIES):
        response = requests.post(f"{api}/webhooks/leads/website", json=payload, headers=headers, timeout=120)
        status = response.status_code
        if status != 503:
            return status, response.json().get("lead_id")
        time.sleep(0.5)
    return status, None


def _scan(endpoint: str, table: str) -> list[dict[str, Any]]:
    from infra.local.aws import client

    items: list[dict[str, Any]] = []
    for page in client("dynamodb", endpoint, PATIENT).get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return items


def measure(count: int) -> dict[str, Any]:
    port, aws_port = _free_port(), _free_port()
    env = {**os.environ, "CLOSELOOP_PORT": str(port), "CLOSELOOP_AWS_PORT": str(aws_port),
           "CLOSELOOP_SCHEDULES": "off", "CLOSELOOP_CHAOS": CHAOS}  # fmt: skip
    api, endpoint = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}"
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([CLOSELOOP, "dev", "--no-schedules"], cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            _wait_healthy(port, process, log)
            with ThreadPoolExecutor(CLIENTS) as pool:
                answers = list(pool.map(lambda n: _post(api, n), range(count)))
            # The captures are what is measured under faults. The plumbing behind them would work
            # through botocore's back-offs one stream record at a time (~1 lead/s: most of an hour for
            # 1,000), so the faults stop before it drains; the fault suite in `make test` runs the
            # consumers themselves under faults (tests/e2e/test_chaos.py).
            injected = requests.post(f"{endpoint}/_closeloop/chaos", json={"active": False}, timeout=30).json()
            pump = subprocess.run([CLOSELOOP, "pump", "--timeout", "900"], cwd=ROOT, env=env, capture_output=True)
            stored = {item["lead_id"]["S"] for item in _scan(endpoint, Settings().table("leads"))}
            events = Counter((e["type"]["S"], e["subject"]["S"]) for e in _scan(endpoint, Settings().table("events")))
        finally:
            process.terminate()
            process.wait(30)
    statuses = Counter(status for status, _ in answers)
    answered = {lead for status, lead in answers if status in (200, 201) and lead}
    lost = len(answered - stored) + len(stored - answered) + sum(1 for status, _ in answers if status not in (200, 201))
    duplicated = sum(n - 1 for n in events.values() if n > 1)
    faults = sum(injected["injected"].values())
    note = (
        f"{count:,} new leads over HTTP from {CLIENTS} clients into `closeloop dev` with CLOSELOOP_CHAOS={CHAOS}; "
        f"{faults:,} faults injected into the captures; final answers {dict(sorted(statuses.items()))}; then the "
        f"plumbing drained without faults: pump {'idle' if pump.returncode == 0 else 'NOT idle'}; "
        f"{time.perf_counter() - started:.0f} s"
    )
    return {
        "chaos_leads_lost": {"value": lost, "unit": "leads", "note": note},
        "chaos_events_duplicated": {"value": duplicated, "unit": "events", "note": note},
    }


def chaos_metrics(progress: Any, count: int = 1000) -> dict[str, Any]:
    """``measure`` in a fresh process, so the stack shares nothing with the benchmark's own."""
    progress(f"closeloop dev with CLOSELOOP_CHAOS={CHAOS}: {count:,} leads over HTTP, then what was lost or doubled")
    out = subprocess.run([sys.executable, "-m", "bench.chaos", str(count)], cwd=ROOT, capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"bench.chaos failed: {out.stderr.decode(errors='replace')[-2000:]}")
    return dict(json.loads(out.stdout))


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1])), ensure_ascii=False))
