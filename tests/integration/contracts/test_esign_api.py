"""POST /webhooks/esign/{source} over the embedded DynamoDB: signed, once per envelope, the
contract, order and account in one transaction; GET /contracts/{id}."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from functions.api.app import app
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, signed_headers
from tests.unit.services.esign_helpers import approved_quote, envelope
from tests.unit.services.helpers import TickingClock

KEY = {"X-Api-Key": ADMIN_KEY}


@pytest.fixture
def client(clean_aws: Any) -> Any:
    with Client(app) as test_client:
        yield test_client


def post(client: Any, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    raw = json.dumps(payload).encode()
    return client.http.post("/webhooks/esign/esign", body=raw, headers=headers or signed_headers(raw))


def test_a_signed_envelope_makes_the_contract_once(client: Any, clean_aws: Any) -> None:
    quote = approved_quote(clean_aws.rules.current(), clean_aws.uow, TickingClock())
    first = post(client, envelope(quote["quote_id"], "env-api"))
    assert first.status_code == 201, first.body
    made = body(first)
    # the same body again is the idempotency layer's (the first answer, replayed); the provider's
    # re-delivery with another body reaches the service, which finds the contract made
    assert post(client, envelope(quote["quote_id"], "env-api")).status_code == 201
    again = post(client, envelope(quote["quote_id"], "env-api", signed_at="2026-11-22T08:00:00Z"))
    assert again.status_code == 200 and body(again)["status"] == "recorded"
    assert body(again)["contract_id"] == made["contract_id"]
    contract = body(client.http.get(f"/contracts/{made['contract_id']}", headers=KEY))
    assert contract["order_id"] == made["order_id"] and contract["end_date"] == "2027-12-31"
    order = client.http.get(f"/orders/{made['order_id']}", headers=KEY)
    assert order.status_code == 200 and body(order)["contract_id"] == made["contract_id"]
    opportunity = body(client.http.get(f"/opportunities/{quote['opportunity_id']}", headers=KEY))
    assert opportunity["status"] == "won"


def test_refusals_store_nothing(client: Any, clean_aws: Any) -> None:
    assert post(client, envelope("qt_00000000000000000000"), {"Content-Type": "application/json"}).status_code == 401
    missing = post(client, envelope("qt_00000000000000000000", "env-missing"))
    assert missing.status_code == 404 and body(missing)["error"]["code"] == "quote_not_found"
    bad = post(client, envelope("qt_00000000000000000000", "env-bad", end_date="2026-01-01"))
    assert bad.status_code == 400 and set(body(bad)["error"]["fields"]) == {"end_date"}
    assert client.http.get("/contracts/ct_00000000000000000000", headers=KEY).status_code == 404
