"""KPIs on the local stack as a user runs it: leads posted and touched, cases resolved over real
HTTP; the events reach the KPI rollups through the plumbing (outbox → bus → KpiRollupFunction);
`closeloop kpis` shows the definitions with their numerators and denominators."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.kernel.services.webhook_auth import sign
from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import closeloop, http

KEY = {"X-Api-Key": "dev-admin-key"}


def lead(n: int, employees: int, budget: str | None) -> dict[str, Any]:
    body = {"email": f"kpi{n}@example{n}.cn", "company": f"苏州精密{n}", "province": "江苏省", "industry": "制造业",
            "employees": employees, "title": "采购总监", "phone": f"1370013{n:04d}"}  # fmt: skip
    return {**body, "budget": budget} if budget else body


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_dev() as running:
        yield running


def open_case(stack: dict[str, Any], n: int, contacts: list[str]) -> None:
    body = json.dumps(
        {"external_id": f"kpi-{n}", "priority": "P3", "account": {"company": f"无锡{n}", "country": "CN"}}
    )
    headers = {"X-Closeloop-Signature": sign("dev-webhook-secret", int(time.time()), body.encode())}
    status, case = http("POST", f"{stack['api']}/webhooks/cases/contact-center", body.encode(), headers)
    assert status == 201, case
    for kind in [*contacts, "resolved"]:
        status, answer = http(
            "POST", f"{stack['api']}/cases/{case['case_id']}/events", {"type": kind, "by": case["owner_id"]}, KEY
        )
        assert status == 201, answer


def test_closeloop_kpis_shows_conversion_first_touch_fcr_and_sla_attainment(stack: dict[str, Any]) -> None:
    grades = []
    for n, (employees, budget) in enumerate([(1500, "600,000"), (800, "500,000"), (60, None), (30, None)]):
        status, created = http("POST", f"{stack['api']}/webhooks/leads/website", lead(n, employees, budget))
        assert status in (200, 201), created
        grades.append(created["grade"])
        if n < 2 and created["owner_id"]:  # the owner calls the first two at once
            touch = {"type": "call", "by": created["owner_id"]}
            assert http("POST", f"{stack['api']}/leads/{created['lead_id']}/activities", touch, KEY)[0] == 201
    open_case(stack, 1, ["first_response"])  # resolved at first contact
    open_case(stack, 2, ["first_response", "agent_reply"])  # two contacts: not
    closeloop("pump", env=stack["env"])

    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    window = ["--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1))]
    report = json.loads(closeloop("kpis", *window, "--json", env=stack["env"]).stdout)
    kpis = report["kpis"]
    cohort = [g for g in grades if g in ("mql", "sql")]
    sql = grades.count("sql")
    assert kpis["mql_to_sql_rate"] == {
        "value": round(sql / len(cohort), 4),
        "numerator": sql,
        "denominator": len(cohort),
    }
    touched = kpis["first_touch_median_hours"]
    assert touched["denominator"] == 2 and touched["value"] is not None and touched["value"] < 0.1  # called at once
    assert kpis["first_contact_resolution"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert kpis["sla_attainment"]["lead_first_touch"] == {"value": 1.0, "numerator": 2, "denominator": 2}
    assert kpis["sla_attainment"]["case_first_response"]["denominator"] == 2
    assert report["items_read"] <= 40  # two days of rollups and the month before: not per lead

    table = closeloop("kpis", *window, env=stack["env"]).stdout
    assert "first_contact_resolution" in table and "50.0%" in table and "numerator" in table
    refused = closeloop("kpis", "--from", "2026-02-30", env=stack["env"], check=False)
    assert refused.returncode == 1 and refused.stderr.strip().startswith("closeloop: --from '2026-02-30'")
    assert len(refused.stderr.strip().splitlines()) == 1
    snapshot = closeloop("schedule", "run", "kpi-snapshot", env=stack["env"], check=False)
    assert snapshot.returncode == 0, snapshot.stderr
