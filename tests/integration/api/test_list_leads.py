"""GET /leads over the embedded DynamoDB: read through the capture-day index day by day (never a
Scan), newest first, filtered, paged by cursor; and activities judged against the Owners tab."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client
from pynamodb.connection.base import Connection

from functions.api.app import app
from shared.adapters.dynamo.leads import CAPTURE_SHARDS
from shared.adapters.dynamo.models import LeadItem
from shared.leads.services.capture import capture_lead
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, post_lead

KEY = {"X-Api-Key": ADMIN_KEY}
SQL = {"employees": 500, "industry": "制造业", "title": "采购总监", "budget": "500,000", "province": "江苏省"}


@pytest.fixture
def client(clean_aws: Any) -> Any:
    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def spread(clean_aws: Any) -> list[str]:
    """Six leads captured on three days (today, 2 and 5 days ago), newest first."""
    active = clean_aws.rules.current()
    now = datetime.now(UTC).replace(microsecond=0)
    made: list[tuple[datetime, str]] = []
    for n, (days, hours) in enumerate([(0, 1), (0, 2), (2, 1), (2, 3), (5, 0), (5, 4)]):
        at = now - timedelta(days=days, hours=hours)
        payload = {"email": f"spread{n}@example.cn", "name": f"Spread {n}", **(SQL if n % 2 else {})}
        result = capture_lead(payload, active.rules.source_named("website"), active, clean_aws.uow, lambda at=at: at)
        made.append((at, result.lead.lead_id))
    return [lead_id for _, lead_id in sorted(made, reverse=True)]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """Every Query (table, index) the API makes; a Scan fails the test."""
    seen: list[tuple[str, str | None]] = []
    query = Connection.query

    def counted(self: Connection, table_name: str, *args: Any, **kwargs: Any) -> Any:
        seen.append((table_name, kwargs.get("index_name")))
        return query(self, table_name, *args, **kwargs)

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("GET /leads scanned a table")

    monkeypatch.setattr(Connection, "query", counted)
    monkeypatch.setattr(Connection, "scan", no_scan)
    return seen


def get(client: Any, query: str = "", headers: dict[str, str] | None = None) -> Any:
    return client.http.get(f"/leads{query}", headers=KEY if headers is None else headers)


def test_lists_newest_first_through_the_index_one_query_per_day_and_shard(client, spread, reads) -> None:
    answer = get(client, "?since=7d")
    assert answer.status_code == 200, answer.body
    page = body(answer)
    assert [lead["lead_id"] for lead in page["leads"]] == spread and page["next_cursor"] is None
    assert {lead["name"] for lead in page["leads"]} == {f"Spread {n}" for n in range(6)}
    assert {table for table, _ in reads} == {"closeloop-dev-leads"}
    assert {index for _, index in reads} == {"by_capture_day"}
    assert len(reads) == 8 * CAPTURE_SHARDS  # today and the 7 days before it: one Query per shard each


def test_pages_resume_mid_day_and_across_days(client, spread, reads) -> None:
    seen: list[str] = []
    query = "?limit=4"
    while True:
        page = body(get(client, query))
        seen += [lead["lead_id"] for lead in page["leads"]]
        if not page["next_cursor"]:
            break
        query = f"?limit=4&cursor={page['next_cursor']}"
    assert seen == spread


def test_a_day_s_leads_spread_over_the_index_shards_and_page_in_order(client, clean_aws: Any) -> None:
    """A campaign's burst on one day does not write one index key: the leads of the day land on
    every shard, and pages of them still come newest first by (captured_at, lead_id) — leads of
    the same millisecond included — each exactly once."""
    active = clean_aws.rules.current()
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    made = []
    for n in range(24):
        at = now - timedelta(seconds=n // 3)  # three leads per instant
        payload = {"email": f"burst{n}@example.cn", "name": f"Burst {n}"}
        result = capture_lead(payload, active.rules.source_named("website"), active, clean_aws.uow, lambda at=at: at)
        made.append((result.lead.captured_at, result.lead.lead_id))
    keys = {str(item.capture_day) for item in LeadItem.scan()}  # a test's look at the stored keys
    assert len(keys) == CAPTURE_SHARDS and all(key.startswith(now.date().isoformat() + "#") for key in keys)
    seen: list[str] = []
    query = "?limit=5"
    while True:
        page = body(get(client, query))
        seen += [lead["lead_id"] for lead in page["leads"]]
        if not page["next_cursor"]:
            break
        query = f"?limit=5&cursor={page['next_cursor']}"
    assert seen == [lead_id for _, lead_id in sorted(made, reverse=True)]


def test_a_page_that_ends_exactly_with_the_last_lead_has_no_cursor(client, spread) -> None:
    """Six leads, pages of three: the second page is the last, and says so."""
    first = body(get(client, "?limit=3"))
    second = body(get(client, f"?limit=3&cursor={first['next_cursor']}"))
    assert [lead["lead_id"] for lead in first["leads"] + second["leads"]] == spread
    assert second["next_cursor"] is None


def test_filters_are_applied_in_the_query(client, spread) -> None:
    sql = body(get(client, "?grade=sql&since=30d"))["leads"]
    nurture = body(get(client, "?grade=nurture"))["leads"]
    assert {lead["grade"] for lead in sql} <= {"sql"} and {lead["grade"] for lead in nurture} == {"nurture"}
    assigned = [lead for lead in body(get(client))["leads"] if lead["owner_id"]]
    owner, team = assigned[0]["owner_id"], assigned[0]["team"]
    mine = body(get(client, f"?owner_id={owner}&team={team.replace(' ', '%20')}"))["leads"]
    assert mine and {(lead["owner_id"], lead["team"]) for lead in mine} == {(owner, team)}


def test_needs_the_api_key_and_names_bad_parameters(client) -> None:
    assert get(client, headers={}).status_code == 401
    answer = get(client, "?limit=500&since=soon&owner=u_wang")
    assert answer.status_code == 400
    assert set(body(answer)["error"]["fields"]) == {"limit", "since", "owner"}


def test_a_lead_posted_through_the_api_is_listed(client) -> None:
    created = body(post_lead(client, "website", {"email": "listed@example.cn", "company": "上海精密制造"}))
    [listed] = [lead for lead in body(get(client))["leads"] if lead["lead_id"] == created["lead_id"]]
    assert listed["company"] == "上海精密制造" and listed["email"] == "listed@example.cn"


# ------------------------------------------------------------------ activities


def post_activity(client: Any, lead_id: str, payload: dict[str, Any]) -> Any:
    return client.http.post(
        f"/leads/{lead_id}/activities",
        body=json.dumps(payload).encode(),
        headers={**KEY, "Content-Type": "application/json"},
    )


def test_an_activity_by_someone_not_on_the_owners_tab_or_in_the_future_is_a_400(client) -> None:
    lead_id = body(post_lead(client, "website", {"email": "act@example.cn", **SQL}))["lead_id"]
    unknown = post_activity(client, lead_id, {"type": "call", "by": "u_intern"})
    assert unknown.status_code == 400 and set(body(unknown)["error"]["fields"]) == {"by"}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    future = post_activity(client, lead_id, {"type": "call", "by": "u_wang", "at": tomorrow})
    assert future.status_code == 400 and set(body(future)["error"]["fields"]) == {"at"}
    control = post_activity(client, lead_id, {"type": "call", "by": "u_wang\u0007"})
    assert control.status_code == 400 and set(body(control)["error"]["fields"]) == {"by"}
    assert body(client.http.get(f"/leads/{lead_id}", headers=KEY))["activities"] == []
    assert post_activity(client, lead_id, {"type": "call", "by": "u_wang"}).status_code == 201
