"""The 5xx the second probe found (issue 15 item 7), each refused with a 400 naming the field,
and the value a refusal did not store proven harmless: the next normal request answers 2xx."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from functions.api.app import app
from shared.kernel.domain.events import iso
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, signed_headers
from tests.integration.fuzz.strategies import RawNumber, dumps
from tests.unit.services.esign_helpers import approved_quote, envelope
from tests.unit.services.helpers import TickingClock
from tests.unit.services.orders_helpers import make_order

KEY = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}


@pytest.fixture
def client(clean_aws: Any) -> Any:
    with Client(app) as c:
        yield c


def refused(response: Any, field: str) -> str:
    """The 400 validation_failed naming ``field``; its message."""
    assert response.status_code == 400, response.body
    error = body(response)["error"]
    assert error["code"] == "validation_failed", error
    assert field in error["fields"], error
    return str(error["fields"][field])


def post_signed(client: Any, path: str, payload: Any) -> Any:
    raw = payload if isinstance(payload, bytes) else dumps(payload)
    return client.http.post(path, body=raw, headers=signed_headers(raw))


# ------------------------------------------------------------------ POST /quotes


def _opportunity(client: Any) -> str:
    made = client.http.post(
        "/opportunities",
        body=json.dumps({"name": "Probe", "owner_id": "u_wang", "account": {"company": "Probe Co"}}),
        headers=KEY,
    )
    assert made.status_code == 201, made.body
    return str(body(made)["opportunity_id"])


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "1e999999999%"}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "1e999999999"}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "-1E-999999"}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": RawNumber("1e999999999")}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": RawNumber("1e308")}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": RawNumber("-1e308")}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": RawNumber("NaN")}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": RawNumber("Infinity")}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": RawNumber("-Infinity")}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "nan%"}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "-inf"}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "sNaN"}, "lines[0].discount"),
        ({"sku": "IOT-PLAT-STD", "quantity": RawNumber("1e308")}, "lines[0].quantity"),
        ({"sku": "IOT-PLAT-STD", "quantity": RawNumber("1e-320")}, "lines[0].quantity"),
        ({"sku": "IOT-PLAT-STD", "quantity": RawNumber("NaN")}, "lines[0].quantity"),
        ("IOT-PLAT-STD", "lines[0]"),
        (["IOT-PLAT-STD", 1], "lines[0]"),
        (None, "lines[0]"),
        (3, "lines[0]"),
    ],
)
def test_a_hostile_quote_line_is_a_400_naming_it_and_a_normal_quote_follows(client: Any, line: Any, field: str) -> None:
    opportunity_id = _opportunity(client)
    raw = dumps({"opportunity_id": opportunity_id, "by": "u_wang", "lines": [line]})
    refused(client.http.post("/quotes", body=raw, headers=KEY), field)
    fine = {"opportunity_id": opportunity_id, "by": "u_wang", "lines": [{"sku": "IOT-PLAT-STD", "quantity": 1}]}
    made = client.http.post("/quotes", body=json.dumps(fine), headers=KEY)
    assert made.status_code == 201, made.body
    shown = client.http.get(f"/quotes/{body(made)['quote_id']}", headers=KEY)
    assert shown.status_code == 200 and body(shown)["lines"][0]["discount"] == "0"


def test_a_tiny_discount_is_a_discount_not_an_error(client: Any) -> None:
    """1e-320 and 1E-999999 are shares between 0 and 1: accepted, shown as 0."""
    opportunity_id = _opportunity(client)
    for tiny in (RawNumber("1e-320"), "1E-999999"):
        line = {"sku": "IOT-PLAT-STD", "quantity": 1, "discount": tiny}
        raw = dumps({"opportunity_id": opportunity_id, "by": "u_wang", "lines": [line]})
        made = client.http.post("/quotes", body=raw, headers=KEY)
        assert made.status_code == 201, made.body
        shown = body(client.http.get(f"/quotes/{body(made)['quote_id']}", headers=KEY))
        assert shown["lines"][0]["discount"] == "0" and shown["amount"] == shown["list_total"]


# ------------------------------------------------------------------ POST /webhooks/usage/{source}


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01",
        "0001-01-01T00:00:00-14:00",
        "0001-01-01T00:00:00+14:00",
        "0999-06-15T12:00:00Z",
        "1899-12-31T23:59:59Z",
        "1900-01-01T00:00:00+00:01",  # 1899 in UTC
        "9999-12-31T23:59:59-14:00",
    ],
)
def test_a_usage_report_at_the_ends_of_the_calendar_is_refused_and_the_next_one_counts(
    client: Any, clean_aws: Any, at: str
) -> None:
    now = datetime.now(UTC)
    account_id = make_order(clean_aws.uow, clean_aws.rules.current(), now - timedelta(days=60)).account_id
    report = {"account_id": account_id, "active_users": 5, "licensed_users": 10}
    assert "1900" in refused(post_signed(client, "/webhooks/usage/product-analytics", {**report, "at": at}), "at")
    an_hour_ago = iso(now - timedelta(hours=1))
    normal = post_signed(client, "/webhooks/usage/product-analytics", {**report, "at": an_hour_ago})
    assert normal.status_code == 200, normal.body
    assert body(normal)["recorded"] and body(normal)["usage"]["at"] == an_hour_ago
    assert client.http.get(f"/accounts/{account_id}", headers=KEY).status_code == 200
    again = post_signed(client, "/webhooks/usage/product-analytics", {**report, "active_users": 7})
    assert again.status_code == 200 and body(again)["usage"]["active_users"] == 7, again.body


def test_an_old_but_real_usage_time_is_stored_zero_padded(client: Any, clean_aws: Any) -> None:
    """1900-01-01 at +14:00 is 1899 in UTC (refused); 1900-01-02 is kept, written one way."""
    account_id = make_order(clean_aws.uow, clean_aws.rules.current(), datetime.now(UTC)).account_id
    report = {"account_id": account_id, "active_users": 5, "licensed_users": 10, "at": "1900-01-02T09:30:00+08:00"}
    kept = post_signed(client, "/webhooks/usage/product-analytics", report)
    assert kept.status_code == 200 and body(kept)["usage"]["at"] == "1900-01-02T01:30:00.000Z", kept.body
    stored = clean_aws.uow.accounts.get(account_id)
    assert stored is not None and stored.signals["usage"]["at"] == "1900-01-02T01:30:00.000Z"
    assert client.http.get(f"/accounts/{account_id}", headers=KEY).status_code == 200
    later = post_signed(client, "/webhooks/usage/product-analytics", {**report, "at": None})
    assert later.status_code == 200 and body(later)["recorded"], later.body


# ------------------------------------------------------------------ POST /webhooks/esign/{source}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"start_date": "9999-12-31", "end_date": "9999-12-31"}, "start_date"),
        ({"end_date": "9999-12-31"}, "end_date"),
        ({"start_date": "1899-12-31"}, "start_date"),
        ({"end_date": "2201-01-01"}, "end_date"),
        ({"signed_at": "0001-01-01T00:00:00-14:00"}, "signed_at"),
        ({"signed_at": "0999-06-15T12:00:00Z"}, "signed_at"),
        ({"start_date": "2027-W01-1"}, "start_date"),
    ],
)
def test_an_envelope_dated_at_the_ends_of_the_calendar_is_refused_and_signing_follows(
    client: Any, clean_aws: Any, changes: dict[str, str], field: str
) -> None:
    quote = approved_quote(clean_aws.rules.current(), clean_aws.uow, TickingClock())
    refused(post_signed(client, "/webhooks/esign/esign", envelope(quote["quote_id"], "env-end", **changes)), field)
    assert client.http.get(f"/quotes/{quote['quote_id']}", headers=KEY).status_code == 200
    signed = post_signed(client, "/webhooks/esign/esign", envelope(quote["quote_id"], "env-end"))
    assert signed.status_code == 201, signed.body
    contract = client.http.get(f"/contracts/{body(signed)['contract_id']}", headers=KEY)
    assert contract.status_code == 200 and body(contract)["start_date"] == "2027-01-01"


# ------------------------------------------------------------------ GET /kpis


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=9999-12-31", "from"),
        ("from=9999-12-31&to=9999-12-31", "from"),
        ("to=0001-01-01", "to"),
        ("from=0001-01-01&to=0001-01-28", "from"),
        ("from=2201-01-01&to=2201-01-02", "from"),
        ("from=2026-W01-1", "from"),
    ],
)
def test_a_kpi_window_at_the_ends_of_the_calendar_is_a_400_naming_the_parameter(
    client: Any, query: str, field: str
) -> None:
    answer = client.http.get(f"/kpis?{query}", headers=KEY)
    refused(answer, field)
    assert client.http.get("/kpis", headers=KEY).status_code == 200
