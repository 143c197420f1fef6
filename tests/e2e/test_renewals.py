"""Renewals on the local stack as a tester drives them, over real HTTP: an opportunity, an approved
quote and a completed e-sign envelope make the contract and its reminders; a P1 case is posted;
`closeloop schedule run timer-sweep --at T` stands for the days that pass (nothing sleeps): the
90-day reminder fires at 09:00 Shanghai held by the case and opens the renewal opportunity, the
case resolves, the renewal is released; a backtest moves nothing; signing the renewal
opportunity's quote renews the contract and cancels its last reminders."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.kernel.services.webhook_auth import sign as sign_body
from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import ROOT, closeloop, http
from tests.unit.services.orders_helpers import CREDIT_CODE

pytestmark = pytest.mark.e2e
KEY = {"X-Api-Key": "dev-admin-key"}
ACCOUNT = {"company": "上海精密制造", "country": "CN", "credit_code": CREDIT_CODE}


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_dev() as running:
        yield running


def signed_post(stack: dict[str, Any], path: str, payload: dict[str, Any]) -> tuple[int, Any]:
    body = json.dumps(payload)
    headers = {"X-Closeloop-Signature": sign_body("dev-webhook-secret", int(time.time()), body.encode())}
    return http("POST", f"{stack['api']}{path}", body.encode(), headers)


def sign(stack: dict[str, Any], *, envelope_id: str, end_date: str, opportunity_id: str | None = None) -> Any:
    """An approved quote (no discount: approved at once) signed through the e-sign webhook."""
    if opportunity_id is None:
        deal = {"name": "Line monitoring", "owner_id": "u_wang", "account": ACCOUNT}
        status, opportunity = http("POST", f"{stack['api']}/opportunities", deal, KEY)
        assert status == 201, opportunity
        opportunity_id = opportunity["opportunity_id"]
    lines = [{"sku": "IOT-PLAT-STD", "quantity": 2}]
    status, quote = http("POST", f"{stack['api']}/quotes", {"opportunity_id": opportunity_id, "by": "u_wang",
                                                            "lines": lines}, KEY)  # fmt: skip
    assert status == 201 and quote["status"] == "approved", quote
    today = datetime.now(UTC).date().isoformat()
    envelope = {"envelope_id": envelope_id, "status": "completed", "quote_id": quote["quote_id"],
                "start_date": today, "end_date": end_date}  # fmt: skip
    status, made = signed_post(stack, "/webhooks/esign/esign", envelope)
    assert status == 201, made
    return made


def events(stack: dict[str, Any], subject: str, kind: str) -> list[dict[str, Any]]:
    out = closeloop("events", "list", "--subject", subject, "--json", env=stack["env"]).stdout
    return [e for e in map(json.loads, out.splitlines()) if e["type"] == kind]


def sweep_at(stack: dict[str, Any], at: datetime) -> None:
    closeloop("schedule", "run", "timer-sweep", "--at", at.isoformat(), env=stack["env"])


def test_the_90_day_reminder_is_held_by_a_p1_case_and_released_when_it_resolves(
    stack: dict[str, Any], tmp_path: Any
) -> None:
    now = datetime.now(UTC)
    end = (now + timedelta(days=120)).date()
    contract = sign(stack, envelope_id="env-e2e", end_date=end.isoformat())
    subject = f"contract/{contract['contract_id']}"
    # 09:00 Asia/Shanghai (01:00 UTC) on end − 90 days
    due_90 = datetime.combine(end - timedelta(days=90), datetime.min.time(), UTC) + timedelta(hours=1)

    p1 = {"external_id": "p1-e2e", "priority": "P1", "account": {"credit_code": CREDIT_CODE}}
    status, case = signed_post(stack, "/webhooks/cases/contact-center", p1)
    assert status == 201 and case["account_id"] == contract["account_id"], case

    sweep_at(stack, due_90 - timedelta(minutes=1))
    assert events(stack, subject, "RenewalReminder") == []
    sweep_at(stack, due_90)
    [reminder] = events(stack, subject, "RenewalReminder")
    assert reminder["data"]["days_before"] == 90 and reminder["data"]["late_seconds"] == 0
    assert reminder["data"]["on_hold"] is True and reminder["data"]["case_ids"] == [case["case_id"]]
    assert reminder["data"]["notify"] == ["u_xu", "u_huang"]
    [held] = events(stack, subject, "RenewalHeld")
    assert held["data"]["notify"] == ["u_huang"]
    assert len(events(stack, subject, "RenewalOpportunityCreated")) == 1
    sweep_at(stack, due_90 + timedelta(minutes=5))  # the next minutes: nothing fires twice
    assert len(events(stack, subject, "RenewalReminder")) == 1

    resolved = {"type": "resolved", "by": case["owner_id"]}
    assert http("POST", f"{stack['api']}/cases/{case['case_id']}/events", resolved, KEY)[0] == 201
    [released] = events(stack, subject, "RenewalReleased")
    assert released["data"]["case_id"] == case["case_id"]
    notes = closeloop("notifications", "list", env=stack["env"]).stdout
    assert "Renewal on hold" in notes and "Renewal released" in notes

    # a Renewals change: counted against the two pending reminders, none moved
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "admin_sheets" / "examples", rules)
    (rules / "Renewals.csv").write_text('days_before,notify,create_opportunity\n45,"am,manager",TRUE\n', "utf-8")
    result = closeloop("rules", "backtest", f"dir:{rules}", "--since", "1d", "--json", env=stack["env"])
    moves = json.loads(result.stdout)["renewal_reminders"]
    assert (moves["pending"], moves["dropped"], moves["added"]) == (2, 2, 1)
    timers = closeloop("timers", "list", "--subject", subject, "--json", env=stack["env"]).stdout
    assert sorted(json.loads(t)["data"]["days_before"] for t in timers.splitlines()) == [30, 60]

    # the renewal: a quote on the renewal opportunity, signed → the old contract is renewed
    opportunity_id = events(stack, subject, "RenewalOpportunityCreated")[0]["data"]["opportunity_id"]
    renewal_end = (end + timedelta(days=365)).isoformat()
    sign(stack, envelope_id="env-e2e-renewal", end_date=renewal_end, opportunity_id=opportunity_id)
    _, old = http("GET", f"{stack['api']}/contracts/{contract['contract_id']}", headers=KEY)
    assert old["status"] == "renewed"
    timers = closeloop("timers", "list", "--subject", subject, "--json", env=stack["env"]).stdout
    assert timers.strip() == ""
