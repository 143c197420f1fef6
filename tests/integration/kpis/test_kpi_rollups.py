"""KPI rollups over the embedded AWS: events recorded by the real services go through the outbox,
the bus and the template's KpiRollupFunction (the local plumbing), into closeloop-kpis; GET /kpis
then answers from a handful of items."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from functions.api.app import app
from functions.kpi_rollup.handler import handler as rollup
from shared.kernel.domain.events import iso
from shared.leads.messages.leads import LeadActivity
from shared.leads.services.activities import record_activity
from shared.leads.services.capture import capture_lead
from tests.conftest import ADMIN_KEY
from tests.unit.services.helpers import command_of

START = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


def lead(n: int, employees: int) -> dict[str, Any]:
    return {
        "email": f"buyer{n}@acme{n}.cn",
        "name": f"Buyer {n}",
        "company": f"Acme {n}",
        "phone": f"1380013{n:04d}",
        "employees": employees,
        "industry": "制造业",
        "title": "采购总监",
        "budget": "500,000",
        "country": "CN",
        "province": "江苏省",
    }


@pytest.fixture
def plumbing(aws: str, clean_aws: Any) -> Iterator[Any]:
    from infra.local.plumbing import Plumbing
    from infra.template import load_template

    running = Plumbing(load_template(), aws, poll_interval=0.05)
    running.start()
    yield running
    running.stop()


def test_rollups_from_recorded_events_answer_get_kpis_from_a_few_items(clean_aws: Any, plumbing: Any) -> None:
    active = clean_aws.rules.current()
    touched = []
    for n in range(6):
        at = START + timedelta(minutes=10 * n)
        result = capture_lead(
            lead(n, 500), active.rules.source_named("website"), active, clean_aws.uow, lambda at=at: at
        )
        assert result.lead.grade == "sql" and result.lead.owner_id
        if n < 3:  # touched 1, 2 and 3 hours after assignment
            when = at + timedelta(hours=n + 1)
            payload = {"type": "call", "by": result.lead.owner_id, "at": iso(when)}
            record_activity(
                result.lead.lead_id,
                command_of(LeadActivity, payload, active, lambda when=when: when),
                active,
                clean_aws.uow,
                lambda when=when: when,
            )
            touched.append(result.lead.owner_id)
    assert plumbing.drain(60)

    with Client(app) as client:
        answer = client.http.get("/kpis?from=2026-11-16&to=2026-11-17", headers={"X-Api-Key": ADMIN_KEY})
        assert answer.status_code == 200, answer.body
        report = json.loads(answer.body)
        kpis = report["kpis"]
        assert kpis["mql_to_sql_rate"] == {"value": 1.0, "numerator": 6, "denominator": 6}
        ft = kpis["first_touch_median_hours"]
        assert ft["denominator"] == 3 and abs(ft["value"] - 2.0) <= 2.0 * 0.045
        assert kpis["sla_attainment"]["lead_first_touch"]["numerator"] == 3
        assert report["items_read"] == 1  # one rollup item: the only day with events (not 6 leads, 20 events)

        owner = touched[0]
        mine = json.loads(
            client.http.get(
                f"/kpis?from=2026-11-16&to=2026-11-17&owner_id={owner}", headers={"X-Api-Key": ADMIN_KEY}
            ).body
        )
        assert mine["kpis"]["first_touch_median_hours"]["denominator"] == touched.count(owner)


def test_a_redelivered_event_is_counted_once_in_dynamodb(clean_aws: Any) -> None:
    envelope = {
        "id": "evt_redelivered",
        "type": "LeadFirstTouched",
        "time": "2026-11-16T03:00:00.000Z",
        "subject": "lead/ld_x",
        "rules_version": "v1",
        "data": {
            "owner_id": "u_wang",
            "type": "call",
            "at": "2026-11-16T03:00:00.000Z",
            "assigned_at": "2026-11-16T01:00:00.000Z",
        },
    }
    bus_event = {"source": "closeloop", "detail-type": "LeadFirstTouched", "detail": envelope}
    assert rollup(bus_event, None)["outcome"] == "counted"
    assert rollup(bus_event, None)["outcome"] == "duplicate"
    captured = dict(envelope, id="evt_captured", type="LeadCaptured", data={"grade": "mql"})
    assert rollup({"detail": captured}, None)["outcome"] == "counted"
    assert rollup({"detail": captured}, None)["outcome"] == "duplicate"
    with Client(app) as client:
        report = json.loads(
            client.http.get("/kpis?from=2026-11-16&to=2026-11-17", headers={"X-Api-Key": ADMIN_KEY}).body
        )
    assert report["kpis"]["first_touch_median_hours"]["denominator"] == 1
    assert report["kpis"]["mql_to_sql_rate"]["denominator"] == 1
    assert report["kpis"]["mql_to_sql_rate"]["numerator"] == 0


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("from=2026-11-31", {"from"}),
        ("from=2026-11-10&to=tomorrow", {"to"}),
        ("from=2026-11-10&to=2026-11-01", {"from"}),
        ("from=2025-01-01&to=2026-11-01", {"to"}),
        ("form=2026-11-01", {"form"}),
    ],
)
def test_get_kpis_refuses_bad_windows_naming_the_field(clean_aws: Any, query: str, fields: set[str]) -> None:
    with Client(app) as client:
        answer = client.http.get(f"/kpis?{query}", headers={"X-Api-Key": ADMIN_KEY})
    assert answer.status_code == 400
    error = json.loads(answer.body)["error"]
    assert error["code"] == "validation_failed" and set(error["fields"]) == fields


def test_get_kpis_needs_the_api_key(clean_aws: Any) -> None:
    with Client(app) as client:
        assert client.http.get("/kpis").status_code == 401
        assert client.http.get("/kpis", headers={"X-Api-Key": "wrong"}).status_code == 401


def test_a_batch_from_the_queue_is_folded_counted_once_and_a_bad_event_fails_alone(clean_aws: Any) -> None:
    """The KPI events queue hands the function batches: 40 first touches on one day are one write
    to that day's items (not 40), a redelivered batch counts nothing twice, and one malformed
    event is reported back alone while the rest are counted."""
    from shared.adapters.dynamo.kpis import DynamoKpiStore

    def touch(n: int) -> dict[str, Any]:
        data = {"owner_id": "u_wang", "type": "call", "at": "2026-11-16T03:00:00.000Z",
                "assigned_at": "2026-11-16T01:00:00.000Z"}  # fmt: skip
        envelope = {"id": f"evt_batch_{n}", "type": "LeadFirstTouched", "time": "2026-11-16T03:00:00.000Z",
                    "subject": f"lead/ld_b{n}", "rules_version": "v1", "data": data}  # fmt: skip
        return {"source": "closeloop", "detail-type": "LeadFirstTouched", "detail": envelope}

    records = [{"messageId": f"m{n}", "body": json.dumps(touch(n))} for n in range(40)]
    records.append({"messageId": "m-bad", "body": json.dumps({"detail": {"id": "evt_bad", "type": "SlaMet"}})})
    store = clean_aws.kpis
    writes: list[int] = []
    client = store._client if isinstance(store, DynamoKpiStore) else None
    assert client is not None
    client.meta.events.register(
        "before-call.dynamodb.TransactWriteItems", lambda params, **_: writes.append(len(params["body"]))
    )
    answer = rollup({"Records": records}, None)
    assert answer["batchItemFailures"] == [{"itemIdentifier": "m-bad"}]
    assert (answer["counted"], len(writes)) == (40, 1)  # 40 markers and one write per rollup item
    again = rollup({"Records": records[:40]}, None)
    assert (again["batchItemFailures"], again["counted"], again["duplicate"]) == ([], 0, 40)
    with Client(app) as http:
        report = json.loads(http.http.get("/kpis?from=2026-11-16&to=2026-11-17", headers={"X-Api-Key": ADMIN_KEY}).body)
    assert report["kpis"]["first_touch_median_hours"]["denominator"] == 40
