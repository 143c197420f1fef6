"""Privacy on the local stack as a user runs it (CONTRACT §12): a person posted through the web
form is exported and erased with a `privacy` key, `closeloop privacy erase` in a second terminal
answers zeros afterwards, a read key is refused, and `closeloop schedule run retention-sweep` runs
the daily schedule the template declares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import closeloop, http

KEYS = {"dpo": {"key": "dpo-e2e", "scopes": ["privacy"]}, "reader": {"key": "read-e2e", "scopes": ["read"]}}
PERSON = {"email": "Li.Na@e2e.example.cn", "phone": "139 8765 4321", "name": "李娜", "company": "端到端公司"}


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_dev(CLOSELOOP_API_KEYS=json.dumps(KEYS)) as running:
        yield running


def test_export_erase_and_the_retention_sweep(stack: dict[str, Any]) -> None:
    api, env = stack["api"], stack["env"]
    status, created = http("POST", f"{api}/webhooks/leads/website", PERSON)
    assert status == 201, created
    dpo = {"X-Api-Key": "dpo-e2e"}

    status, refused = http("GET", f"{api}/privacy/export?phone=13987654321", None, {"X-Api-Key": "read-e2e"})
    assert status == 403 and "privacy" in refused["error"]["message"]
    status, exported = http("GET", f"{api}/privacy/export?phone=13987654321", None, dpo)
    assert status == 200 and [lead["lead_id"] for lead in exported["leads"]] == [created["lead_id"]]

    status, erased = http("POST", f"{api}/privacy/erase", {"email": "li.na@e2e.example.cn"}, dpo)
    assert status == 200 and erased["erased"]["leads"] == 1, erased
    status, lead = http("GET", f"{api}/leads/{created['lead_id']}", None, {"X-Api-Key": "dev-admin-key"})
    assert (lead["email"], lead["phone"], lead["name"], lead["company"]) == (None, None, None, "端到端公司")

    again = closeloop("privacy", "erase", "--phone", "+8613987654321", env=env)
    assert json.loads(again.stdout) == {"erased": {"leads": 0, "cases": 0, "events": 0}}
    swept = closeloop("schedule", "run", "retention-sweep", "--at", "2031-01-01T00:00:00Z", env=env, check=False)
    assert swept.returncode == 0, swept.stderr
    assert "retention-sweep" in swept.stdout + swept.stderr
