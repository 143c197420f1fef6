"""Account health on the local stack as a user runs it: a customer's product reports low usage over
the signed webhook, `closeloop schedule run health-sweep` recomputes every account, HealthWarning is
recorded once (and again only for what newly fell), and the account manager's alert is listed by
`closeloop notifications list`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.kernel.services.webhook_auth import sign
from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import ROOT, closeloop, http

KEY = {"X-Api-Key": "dev-admin-key"}
# The account is made as the e-sign webhook makes it (shared.fulfilment.services.orders.order_change) — that
# webhook is not on this branch yet, so a second terminal with the stack's environment seeds it.
SEED = """
import sys
from datetime import datetime, timedelta, timezone
from infra.local.stack import StackSettings, connect_env
from shared.adapters.container import container
from tests.unit.services.orders_helpers import make_order
connect_env(StackSettings.from_env())  # what every second-terminal command does
c = container()
signed = datetime.now(timezone.utc) - timedelta(days=int(sys.argv[1]))
print(make_order(c.uow, c.rules.current(), signed, contract_id="ct_health_e2e").account_id)
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_dev() as running:
        yield running


def _warnings(env: dict[str, str]) -> list[dict[str, Any]]:
    out = closeloop("events", "list", "--type", "HealthWarning", "--json", env=env).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_low_usage_then_the_sweep_warns_the_account_manager(stack: dict[str, Any]) -> None:
    env = stack["env"]
    # a customer signed 20 days ago: too new to be judged on engagement yet
    seeded = subprocess.run([sys.executable, "-c", SEED, "20"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    account_id = seeded.stdout.strip().splitlines()[-1]

    body = json.dumps({"account_id": account_id, "active_users": 6, "licensed_users": 50}).encode()
    headers = {"X-Closeloop-Signature": sign("dev-webhook-secret", int(time.time()), body)}
    status, answer = http("POST", f"{stack['api']}/webhooks/usage/product-analytics", body, headers)
    assert status == 200, answer
    # usage 12 (weight 40%), support and payment 100 (20% each), engagement not judged yet → 56
    assert answer["health"]["dimensions"]["usage"] == 12 and answer["health"]["score"] == 56
    assert answer["health"]["below"] == ["usage", "score"]
    closeloop("pump", env=env)
    [first] = _warnings(env)
    assert first["subject"] == f"account/{account_id}" and first["data"]["fell"] == ["usage", "score"]

    # tomorrow's sweep: still low, no second warning; the day's point goes on the trend
    now = datetime.now(UTC)
    ran = closeloop("schedule", "run", "health-sweep", "--at", (now + timedelta(days=1)).isoformat(), env=env)
    summary = json.loads(ran.stdout.strip().splitlines()[-1])
    assert (summary["accounts"], summary["updated"], summary["warnings"], summary["failed"]) == (1, 1, 0, 0)
    assert "health-sweep finished" in ran.stderr and not any(line.startswith("{") for line in ran.stderr.splitlines())
    assert len(_warnings(env)) == 1

    # 11 days on the account is over 30 days old, and nobody has talked to it: the sweep finds it
    ran = closeloop("schedule", "run", "health-sweep", "--at", (now + timedelta(days=11)).isoformat(), env=env)
    assert json.loads(ran.stdout.strip().splitlines()[-1])["warnings"] == 1
    second = _warnings(env)[-1]
    assert second["data"]["fell"] == ["engagement"] and "usage" in second["data"]["below"]

    alerts = [
        json.loads(line)
        for line in closeloop("notifications", "list", "--to", "u_xu", "--json", env=env).stdout.splitlines()
        if line.strip()
    ]
    # the account's alerts but its first segment's (新客户, told when the order made it a customer)
    health_alerts = [a for a in alerts if a["about"] == f"account/{account_id}" and "segment" not in a["title"]]
    assert all(a["title"] == "🩺 Account health warning" for a in health_alerts)
    assert {a["channel"] for a in health_alerts} == {"email", "wecom"} and len(health_alerts) == 4
    readable = closeloop("notifications", "list", "--to", "u_xu", env=env).stdout
    assert "🩺 Account health warning" in readable and "Fell below: usage 12 < 60, health score 56 < 60" in readable

    status, account = http("GET", f"{stack['api']}/accounts/{account_id}", headers=KEY)
    assert status == 200
    assert [p["usage"] for p in account["health"]["history"]] == [12, 12, 12]
    assert account["health"]["dimensions"]["engagement"]["score"] == 0
