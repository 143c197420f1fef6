"""Who may do what on the local stack as a user runs it (CONTRACT §12): CLOSELOOP_API_KEYS gives
a finance system's key and a manager's personal key beside the admin key; the finance key cannot
approve the discount, the manager approves as himself only, HubSpot cannot sign the contract, and
`closeloop audit list --subject quote/…` in a second terminal says who approved, with which key."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from shared.kernel.services.webhook_auth import sign
from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import closeloop, http

ADMIN = {"X-Api-Key": "dev-admin-key"}
KEYS = {
    "finance-system": {"key": "fin-e2e", "scopes": ["finance"]},
    "liu-phone": {"key": "liu-e2e", "scopes": ["sales", "read"], "owner_id": "u_liu"},
}


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_dev(CLOSELOOP_API_KEYS=json.dumps(KEYS)) as running:
        yield running


def test_keys_sources_and_the_audit(stack: dict[str, Any]) -> None:
    api, env = stack["api"], stack["env"]
    _, opened = http(
        "POST", f"{api}/opportunities", {"name": "E2E", "owner_id": "u_wang", "account": {"company": "E2E Co"}}, ADMIN
    )
    lines = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
    _, quote = http(
        "POST", f"{api}/quotes", {"opportunity_id": opened["opportunity_id"], "by": "u_wang", "lines": lines}, ADMIN
    )
    first, second = (s["approval_id"] for s in quote["approval"]["steps"])

    status, refused = http(
        "POST", f"{api}/approvals/{first}/decision", {"decision": "approve", "by": "u_chen"}, {"X-Api-Key": "fin-e2e"}
    )
    assert status == 403 and refused["error"]["code"] == "forbidden" and "sales" in refused["error"]["message"]
    status, _ = http(
        "POST", f"{api}/approvals/{first}/decision", {"decision": "approve", "by": "u_chen"}, {"X-Api-Key": "liu-e2e"}
    )
    assert status == 403
    status, _ = http("POST", f"{api}/approvals/{first}/decision", {"decision": "approve"}, {"X-Api-Key": "liu-e2e"})
    assert status == 200
    status, done = http("POST", f"{api}/approvals/{second}/decision", {"decision": "approve", "by": "u_chen"}, ADMIN)
    assert status == 200 and done["status"] == "approved"

    raw = json.dumps({"envelope_id": "e2e-1", "status": "completed", "quote_id": quote["quote_id"],
                      "start_date": "2027-01-01", "end_date": "2027-12-31"}).encode()  # fmt: skip
    signed = {"X-Closeloop-Signature": sign("dev-webhook-secret", int(time.time()), raw)}
    status, refused = http("POST", f"{api}/webhooks/esign/hubspot", raw, signed)
    assert status == 403 and "may not post esign" in refused["error"]["message"]

    out = closeloop("audit", "list", "--subject", f"quote/{quote['quote_id']}", "--json", env=env).stdout
    decided = [e for e in map(json.loads, out.splitlines()) if e["type"] == "ApprovalDecided"]
    assert [e["actor"] for e in decided] == [
        {"kind": "api_key", "name": "local-admin", "on_behalf_of": "u_chen"},
        {"kind": "api_key", "name": "liu-phone", "owner_id": "u_liu"},
    ]
    table = closeloop("audit", "list", "--actor", "liu-phone", env=env)
    assert "ApprovalDecided" in table.stdout and "api_key liu-phone (u_liu)" in table.stdout
