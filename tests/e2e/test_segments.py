"""Customer segments on the local stack, time driven by `closeloop schedule run segment-sweep --at
T` (CONTRACT §15): a signed contract makes a new customer; 200 days later the sweep moves it to at
risk, tells its account manager with the row's playbook, and GET /accounts?segment= lists it; a
Segments change is counted by `rules backtest` before it is published; a survey answer gives the
account its NPS."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import ROOT, closeloop, http
from tests.e2e.test_renewals import KEY, events, sign, signed_post

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_dev() as running:
        yield running


def in_segment(stack: dict[str, Any], segment: str) -> list[str]:
    status, page = http("GET", f"{stack['api']}/accounts?segment={quote(segment)}", headers=KEY)
    assert status == 200, page
    return [a["account_id"] for a in page["accounts"]]


def test_a_customer_moves_segment_as_time_passes_on_the_sweep(stack: dict[str, Any], tmp_path: Any) -> None:
    now = datetime.now(UTC)
    made = sign(stack, envelope_id="env-e2e-segments", end_date=(now + timedelta(days=365)).date().isoformat())
    account_id, subject = made["account_id"], f"account/{made['account_id']}"
    _, account = http("GET", f"{stack['api']}/accounts/{account_id}", headers=KEY)
    assert account["segment"] == "新客户" and account["rfm"]["frequency"] == 1
    assert in_segment(stack, "新客户") == [account_id]

    later = now + timedelta(days=200, minutes=5)  # the order was recorded a moment after `now`
    result = closeloop("schedule", "run", "segment-sweep", "--at", later.isoformat(), env=stack["env"])
    assert result.returncode == 0, result.stderr
    moved = [e for e in events(stack, subject, "AccountSegmentChanged") if e["data"]["from"] == "新客户"]
    assert [(e["data"]["to"], e["data"]["rfm"]["recency_days"]) for e in moved] == [("流失风险客户", 200)]
    assert in_segment(stack, "流失风险客户") == [account_id] and in_segment(stack, "新客户") == []
    notes = closeloop("notifications", "list", env=stack["env"]).stdout
    assert "流失风险客户" in notes and "At risk: call within a week" in notes
    again = closeloop("schedule", "run", "segment-sweep", "--at", later.isoformat(), env=stack["env"])
    assert again.returncode == 0 and len(events(stack, subject, "AccountSegmentChanged")) == 2

    # a Segments change, counted before anyone publishes it (today, by the wall clock: R is 0 days)
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "admin_sheets" / "examples", rules)
    segments = (rules / "Segments.csv").read_text("utf-8").replace("40,新客户", "40,首单客户")
    (rules / "Segments.csv").write_text(segments, "utf-8")
    report = closeloop("rules", "backtest", f"dir:{rules}", "--since", "1d", "--json", env=stack["env"])
    moves = json.loads(report.stdout)["segments"]
    assert (moves["with_orders"], moves["moved"], moves["moves"]) == (1, 1, {"新客户 → 首单客户": 1})
    readable = closeloop("rules", "backtest", f"dir:{rules}", "--since", "1d", env=stack["env"]).stdout
    assert "1 would move to another segment" in readable

    # a survey answer: the account's NPS
    answer = {"account_id": account_id, "respondent": {"email": "cfo@example.cn"}, "score": 10}
    status, recorded = signed_post(stack, "/webhooks/surveys/nps-survey", answer)
    assert status == 200 and recorded["nps"]["value"] == 1.0, recorded
