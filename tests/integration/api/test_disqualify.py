"""POST /leads/{id}/disqualify over the embedded DynamoDB: the owner's load item goes down in the
same transaction as the lead, the SLA timers go, and a second call is a 409; and an SLA
reassignment moves the load from one owner's item to another's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from chalice.test import Client

from functions.api.app import app
from shared.adapters.dynamo.models import RoutingStateItem
from shared.composition.services.timer_handlers import handlers
from shared.leads.services.capture import capture_lead
from shared.time.services.timers import sweep_timers
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, post_lead
from tests.unit.services.helpers import SQL_LEAD

KEY = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
SQL = {"employees": 500, "industry": "制造业", "title": "采购总监", "budget": "500,000", "province": "江苏省"}


@pytest.fixture
def client(clean_aws: Any) -> Any:
    with Client(app) as test_client:
        yield test_client


def open_load(owner_id: str) -> int:
    table = boto3.client("dynamodb").get_item(
        TableName=RoutingStateItem.Meta.table_name, Key={"pk": {"S": f"load#{owner_id}"}}, ConsistentRead=True
    )
    return int(table.get("Item", {}).get("open", {}).get("N", "0"))


def disqualify(client: Any, lead_id: str, payload: dict[str, Any]) -> Any:
    return client.http.post(f"/leads/{lead_id}/disqualify", body=json.dumps(payload).encode(), headers=KEY)


def test_disqualifying_releases_the_owners_load(client: Any, clean_aws: Any) -> None:
    created = body(post_lead(client, "website", {"email": "unfit@example.cn", **SQL}))
    owner_id = created["owner_id"]
    assert owner_id and open_load(owner_id) == 1
    assert clean_aws.uow.timers.pending(f"lead/{created['lead_id']}")  # its SLA clock is running

    answer = disqualify(client, created["lead_id"], {"reason": "a student project", "by": "u_liu"})

    assert answer.status_code == 200
    lead = body(answer)
    assert (lead["status"], lead["close_reason"], lead["owner_id"]) == ("disqualified", "a student project", owner_id)
    assert open_load(owner_id) == 0
    assert clean_aws.uow.timers.pending(f"lead/{created['lead_id']}") == []
    again = disqualify(client, created["lead_id"], {"reason": "twice", "by": "u_liu"})
    assert again.status_code == 409 and body(again)["error"]["code"] == "invalid_transition"
    assert open_load(owner_id) == 0


def test_bad_disqualifications_are_4xx_and_change_nothing(client: Any) -> None:
    created = body(post_lead(client, "website", {"email": "keep@example.cn", **SQL}))
    bad = disqualify(client, created["lead_id"], {"by": "u_intern"})
    assert bad.status_code == 400 and set(body(bad)["error"]["fields"]) == {"reason", "by"}
    missing = disqualify(client, "ld_00000000000000000000", {"reason": "x", "by": "u_liu"})
    assert missing.status_code == 404 and body(missing)["error"]["code"] == "lead_not_found"
    keyless = client.http.post(f"/leads/{created['lead_id']}/disqualify", body=b"{}", headers={})
    assert keyless.status_code == 401
    lead = body(client.http.get(f"/leads/{created['lead_id']}", headers=KEY))
    assert lead["status"] == "open" and open_load(created["owner_id"]) == 1


def test_a_reassignment_moves_the_load_between_owners(clean_aws: Any) -> None:
    active = clean_aws.rules.current()
    friday = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
    lead = capture_lead(SQL_LEAD, active.rules.source_named("website"), active, clean_aws.uow, lambda: friday).lead
    first = lead.owner_id
    assert lead.grade == "sql" and first is not None

    result = sweep_timers(datetime.fromisoformat("2026-12-01T11:30:00+08:00"), clean_aws.uow, handlers(clean_aws.rules))

    moved = clean_aws.uow.leads.get(lead.lead_id)
    assert moved is not None and moved.owner_id not in (None, first)
    assert (open_load(first), open_load(moved.owner_id)) == (0, 1)
    assert len(result.fired) == 4  # warning, breach, then (set by the breach) the director, reassignment
    kinds = sorted(t.kind for t in clean_aws.uow.timers.pending(lead.subject))
    assert kinds == ["sla_breach", "sla_reassign", "sla_warn"]  # the new owner's clock
    assert moved.sla["first_touch"]["started_at"] == "2026-12-01T03:30:00.000Z"
