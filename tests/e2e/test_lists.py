"""Finding things on the local stack as a user runs it (issue 16): a stack whose business clock
starts days ago (CLOSELOOP_CLOCK_START), cases posted with `closeloop send` (signed with the
stack's secret and the time it judges signatures by), then `closeloop cases list` and `closeloop
show` in a second terminal, and GET /cases paged by cursor over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import ROOT, closeloop, http

KEY = {"X-Api-Key": "dev-admin-key"}
START = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_dev(CLOSELOOP_CLOCK_START=START.isoformat()) as running:
        yield running


def send(env: dict[str, str], source: str, kind: str, body: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", "send", source, "-", "--kind", kind],
        cwd=ROOT,
        env=env,
        input=json.dumps(body, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_send_then_list_and_show(stack: dict[str, Any]) -> None:
    env = stack["env"]
    made = {}
    for n, priority in enumerate(["P3", "P1", "P2"]):
        body = {"external_id": f"E2E-{n}", "subject": f"线路{n}中断", "priority": priority,
                "account": {"company": "上海精密制造", "country": "CN"}}  # fmt: skip
        sent = send(env, "contact-center", "cases", body)
        # the business clock is 3 days behind; signatures are judged by the real time
        assert sent.returncode == 0, sent.stderr
        assert "HTTP 201 from POST /webhooks/cases/contact-center" in sent.stderr
        made[priority] = json.loads(sent.stdout)["case_id"]
    closeloop("pump", env=env)

    listed = closeloop("cases", "list", "--json", env=env).stdout.splitlines()
    assert [json.loads(line)["case_id"] for line in listed] == [made["P2"], made["P1"], made["P3"]]
    opened = json.loads(listed[0])["opened_at"]
    assert opened < (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")  # the stack's "now"
    p1 = closeloop("cases", "list", "--priority", "P1", env=env)
    assert made["P1"] in p1.stdout and made["P3"] not in p1.stdout and "(1 case, newest first)" in p1.stderr

    shown = json.loads(closeloop("show", f"case/{made['P1']}", "--json", env=env).stdout)
    assert shown["record"]["priority"] == "P1" and shown["record"]["subject"] == "线路1中断"
    assert shown["events"][0]["type"] == "CaseOpened"
    assert shown["timers"], "a P1 case's SLA clocks are pending timers"
    readable = closeloop("show", f"case/{made['P1']}", env=env).stdout
    assert readable.startswith(f"case/{made['P1']}\n") and "events (" in readable and "pending timers (" in readable

    # the API itself, a page at a time over real HTTP, to the last page (no cursor)
    seen: list[str] = []
    status, page = http("GET", f"{stack['api']}/cases?limit=2", headers=KEY)
    while True:
        assert status == 200, page
        seen += [c["case_id"] for c in page["cases"]]
        if page["next_cursor"] is None:
            break
        status, page = http("GET", f"{stack['api']}/cases?limit=2&cursor={page['next_cursor']}", headers=KEY)
    assert seen == [made["P2"], made["P1"], made["P3"]]
    status, refused = http("GET", f"{stack['api']}/cases?owner=u_yang", headers=KEY)
    assert status == 400 and "owner" in refused["error"]["fields"]
