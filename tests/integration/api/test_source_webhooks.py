"""Sources post only what they are for (CONTRACT §12): a signed webhook refuses, with 403
`forbidden` naming its kind, every source whose Sources `webhooks` cell does not name it — and
stores nothing. The probe's findings: HubSpot signing a contract, WeChat signing for goods."""

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
KINDS = ("behavior", "cases", "esign", "shipments", "usage")
# each example source and the one kind (besides leads/behavior defaults) it is bound to
BOUND = {"contact-center": "cases", "esign": "esign", "warehouse": "shipments", "product-analytics": "usage"}


@pytest.fixture
def client(clean_aws: Any) -> Any:
    with Client(app) as c:
        yield c


def _post(client: Any, kind: str, source: str, payload: dict[str, Any]) -> Any:
    raw = json.dumps(payload).encode()
    return client.http.post(f"/webhooks/{kind}/{source}", body=raw, headers=signed_headers(raw))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("source", ["hubspot", "wechat", "expo-2026", *BOUND])
def test_a_source_may_post_only_its_kinds(client: Any, source: str, kind: str) -> None:
    allowed = {"hubspot": {"behavior"}, "wechat": {"behavior"}}.get(source, {BOUND.get(source)})
    response = _post(client, kind, source, {"envelope_id": "e1", "status": "declined"})
    if kind in allowed:
        assert response.status_code != 403, response.body
        return
    assert response.status_code == 403, response.body
    error = body(response)["error"]
    assert error["code"] == "forbidden" and f"may not post {kind}" in error["message"] and source in error["message"]


def test_hubspot_cannot_sign_a_contract_and_nothing_is_stored(client: Any, clean_aws: Any) -> None:
    quote = approved_quote(clean_aws.rules.current(), clean_aws.uow, TickingClock())
    signed = envelope(quote["quote_id"], "env-probe")
    refused = _post(client, "esign", "hubspot", signed)
    assert refused.status_code == 403 and "may not post esign" in body(refused)["error"]["message"]
    opportunity = body(client.http.get(f"/opportunities/{quote['opportunity_id']}", headers=KEY))
    assert opportunity["status"] == "open" and not opportunity.get("contract_id")
    # the e-sign provider's own post of the same envelope makes the contract
    made = _post(client, "esign", "esign", signed)
    assert made.status_code == 201, made.body


def test_wechat_cannot_sign_for_goods(client: Any) -> None:
    report = {"shipment_id": "s1", "order_id": "or_x", "status": "signed", "at": "2026-11-20T08:00:00Z", "lines": []}
    refused = _post(client, "shipments", "wechat", report)
    assert refused.status_code == 403 and "shipments" in body(refused)["error"]["message"]


def test_lead_capture_still_takes_its_sources(client: Any) -> None:
    lead = {"email": "bound@example.cn", "name": "Bound", "company": "Bound Co"}
    raw = json.dumps(lead).encode()
    assert client.http.post("/webhooks/leads/hubspot", body=raw, headers=signed_headers(raw)).status_code == 201
    public = client.http.post(
        "/webhooks/leads/website",
        body=raw,
        headers={"Content-Type": "application/json", "Origin": "https://example.com"},
    )
    assert public.status_code == 200 and public.headers.get("Access-Control-Allow-Origin") == "https://example.com"
    refused = client.http.post("/webhooks/leads/contact-center", body=raw, headers=signed_headers(raw))
    assert refused.status_code == 403 and "may not post leads" in body(refused)["error"]["message"]


def test_every_webhook_route_checks_the_kind_of_its_own_path() -> None:
    """The kind a route checks (Route.webhook) is the one its URL names and the description states."""
    from functions.api import webhooks
    from functions.api.inbound import Route
    from functions.api.openapi import document

    routes = [r for r in vars(webhooks).values() if isinstance(r, Route)]
    paths = {path for path in app.routes if path.startswith("/webhooks/")}
    assert {f"/webhooks/{r.webhook}/{{source}}" for r in routes} == paths
    for path in paths:
        assert document()["paths"][path]["post"]["x-closeloop-webhook"] == path.split("/")[2]
    with pytest.raises(ValueError, match="name its kind"):
        Route("invoice", "invoice", "Invoices")
