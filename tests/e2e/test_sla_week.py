"""A week of SLA time on the local stack, driven the way a tester would: the stack's clock starts
on Friday 20 November 2026 at 17:30 in Shanghai (CLOSELOOP_CLOCK_START), a lead is posted, and
`closeloop schedule run timer-sweep --at T` stands for the minutes that pass (a sweep a minute
before each instant finds nothing; the sweep of its minute fires it). Nothing sleeps.

The example rules: an sql lead gets 5 business hours of the cn-office calendar (Mon–Fri 09:00–18:00,
lunch 12:00–13:30), a warning at 75 %, the manager on breach, the director one more target later,
and someone else in the pool after 48 business hours untouched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import closeloop, http

pytestmark = pytest.mark.e2e

FRIDAY_1730 = "2026-11-20T17:30:00+08:00"
KEY = {"X-Api-Key": "dev-admin-key"}
LEAD = {
    "email": "week.long@example.cn",
    "company": "无锡精机",
    "province": "江苏省",
    "industry": "制造业",
    "employees": 800,
    "title": "采购总监",
    "phone": "13700137000",
    "budget": "600,000",
}


@pytest.fixture(scope="module")
def friday() -> Iterator[dict[str, Any]]:
    with running_dev(CLOSELOOP_CLOCK_START=FRIDAY_1730) as running:
        yield running


def sweep_at(stack: dict[str, Any], at: str) -> None:
    closeloop("schedule", "run", "timer-sweep", "--at", at, env=stack["env"])


def events(stack: dict[str, Any], subject: str) -> list[dict[str, Any]]:
    out = closeloop("events", "list", "--subject", subject, "--json", env=stack["env"]).stdout
    return [json.loads(line) for line in out.splitlines()]


def kinds(stack: dict[str, Any], subject: str) -> list[str]:
    return [e["type"] for e in events(stack, subject)]


def minute_of(instant: str) -> str:
    """The first whole minute at or after ``instant``: when a once-a-minute sweep fires it."""
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    whole = moment.replace(second=0, microsecond=0)
    return (whole if whole == moment else whole + timedelta(minutes=1)).isoformat()


def minute_before(instant: str) -> str:
    return (datetime.fromisoformat(minute_of(instant)) - timedelta(minutes=1)).isoformat()


def test_an_untouched_lead_is_warned_breached_escalated_and_reassigned_at_business_instants(friday) -> None:
    status, created = http("POST", f"{friday['api']}/webhooks/leads/website", LEAD)
    assert status == 201 and created["grade"] == "sql"
    first_owner, subject = created["owner_id"], f"lead/{created['lead_id']}"
    assert first_owner in ("u_wang", "u_zhang")  # SMB East, Jiangsu
    _, lead = http("GET", f"{friday['api']}/leads/{created['lead_id']}", headers=KEY)
    clock = lead["sla"]["first_touch"]
    assert clock["started_at"].startswith("2026-11-20T09:30")  # Friday 17:30 in Shanghai, in UTC
    # half an hour on Friday; Monday 09:00–12:00, lunch, then 13:30 + 0.75 h / + 1.5 h
    assert clock["warn_at"].startswith("2026-11-23T05:45")  # Monday 13:45 Shanghai
    assert clock["due_at"].startswith("2026-11-23T07:00")  # Monday 15:00
    assert clock["reassign_at"].startswith("2026-12-01T03:30")  # Tuesday 1 December 11:30

    sweep_at(friday, minute_before(clock["warn_at"]))
    assert "SlaWarning" not in kinds(friday, subject)
    sweep_at(friday, minute_of(clock["warn_at"]))
    [warning] = [e for e in events(friday, subject) if e["type"] == "SlaWarning"]
    assert warning["data"]["notify"] == [first_owner]

    sweep_at(friday, minute_before(clock["due_at"]))
    assert "SlaBreached" not in kinds(friday, subject)
    sweep_at(friday, minute_of(clock["due_at"]))
    [breach] = [e for e in events(friday, subject) if e["type"] == "SlaBreached"]
    assert (breach["data"]["role"], breach["data"]["notify"]) == ("manager", ["u_liu"])

    [escalation] = [t for t in timers(friday, subject) if t["kind"] == "sla_breach"]
    assert escalation["due_at"].startswith("2026-11-24T03:00")  # one more 5 h: Tuesday 11:00
    sweep_at(friday, minute_before(escalation["due_at"]))
    assert "SlaEscalated" not in kinds(friday, subject)
    sweep_at(friday, minute_of(escalation["due_at"]))
    [escalated] = [e for e in events(friday, subject) if e["type"] == "SlaEscalated"]
    assert (escalated["data"]["role"], escalated["data"]["notify"]) == ("director", ["u_chen"])

    sweep_at(friday, minute_before(clock["reassign_at"]))
    assert "LeadReassigned" not in kinds(friday, subject)
    sweep_at(friday, minute_of(clock["reassign_at"]))
    [moved] = [e for e in events(friday, subject) if e["type"] == "LeadReassigned"]
    _, after = http("GET", f"{friday['api']}/leads/{created['lead_id']}", headers=KEY)
    assert moved["data"]["from_owner_id"] == first_owner
    assert after["owner_id"] == moved["data"]["owner_id"] != first_owner
    assert after["sla"]["first_touch"]["owner_id"] == after["owner_id"]
    assert after["sla"]["history"][0]["stop_reason"] == "reassigned"
    assert {t["kind"] for t in timers(friday, subject)} == {"sla_warn", "sla_breach", "sla_reassign"}


def timers(stack: dict[str, Any], subject: str) -> list[dict[str, Any]]:
    out = closeloop("timers", "list", "--subject", subject, "--json", env=stack["env"]).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_a_webhook_signed_with_the_real_time_is_accepted_by_a_stack_living_in_another_week(friday) -> None:
    """Signatures are judged by the wall clock: a sender (or the README's openssl line) signs
    with its own real time; the stack's business clock, two weeks back, does not make it stale."""
    import time

    from shared.kernel.services.webhook_auth import sign

    status, _ = http("POST", f"{friday['api']}/webhooks/leads/website", {"email": "signed.later@example.cn"})
    assert status == 201
    body = json.dumps({"email": "signed.later@example.cn", "event": "email_open"}).encode()
    headers = {"X-Closeloop-Signature": sign("dev-webhook-secret", int(time.time()), body)}
    status, answer = http("POST", f"{friday['api']}/webhooks/behavior/hubspot", body, headers)
    assert status == 200, answer
    stale = {"X-Closeloop-Signature": sign("dev-webhook-secret", int(time.time()) - 3600, body)}
    status, refused = http("POST", f"{friday['api']}/webhooks/behavior/hubspot", body, stale)
    assert status == 401 and "current Unix time" in refused["error"]["message"]
