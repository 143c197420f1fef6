"""Two holes of issue 17 (CONTRACT §12): the ERP and finance receive who made the change (the
envelope's `actor`, as the bus does), and a browser's CORS preflight is refused for a public source
whose Sources `webhooks` cell does not name `leads` — as its POST already is."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from chalice.test import Client

from functions.api.app import app
from shared.adapters.acting import acting_as
from shared.adapters.dynamo.deliveries import DeliveryTable, delivery_from_item
from shared.adapters.dynamo.models import DeliveryItem
from shared.deliveries.domain.deliveries import event_delivery
from shared.kernel.domain.events import Event
from shared.rules.domain.active import ActiveRules
from tests.integration.api.helpers import body, signed_headers
from tests.unit.services.esign_helpers import approved_quote, envelope
from tests.unit.services.helpers import TickingClock

ORIGIN = "https://www.example.com"  # an allowed origin of the example `website` source


def test_the_erp_gets_the_envelope_with_who_signed(clean_aws: Any) -> None:
    quote = approved_quote(clean_aws.rules.current(), clean_aws.uow, TickingClock())
    raw = json.dumps(envelope(quote["quote_id"], "env-actor")).encode()
    with Client(app) as client:
        made = client.http.post("/webhooks/esign/esign", body=raw, headers=signed_headers(raw))
    assert made.status_code == 201, made.body
    erp = clean_aws.uow.deliveries.listing(kind="erp")
    assert {d.payload["type"] for d in erp} == {"ContractSigned", "OrderCreated"}
    assert all(d.payload["actor"] == {"kind": "webhook", "name": "esign"} for d in erp)


def test_a_finance_delivery_carries_the_actor_of_the_change_that_made_it(clean_aws: Any) -> None:
    """Written in the request's transaction: the person behind it, never the consumer that sends it."""
    event = Event("InvoiceRequested", "invoice/inv_1", TickingClock()(), {"invoice_id": "inv_1"})
    delivery = event_delivery(event.envelope(), "finance", TickingClock()())
    actor = {"kind": "api_key", "name": "ops", "on_behalf_of": "u_lin"}
    with acting_as(actor):
        put = DeliveryTable().put(delivery, None)
    stored = delivery_from_item(DeliveryItem.from_raw_data(put["Item"]))
    assert stored.payload["actor"] == actor and stored.payload["id"] == event.id
    # a later write (the sender recording an answer) keeps it, whoever runs it
    with acting_as({"kind": "system", "name": "closeloop"}):
        again = delivery_from_item(DeliveryItem.from_raw_data(DeliveryTable().put(stored, 1)["Item"]))
    assert again.payload["actor"] == actor


def test_a_public_source_not_bound_to_leads_fails_the_preflight(clean_aws: Any, monkeypatch: Any) -> None:
    active = clean_aws.rules.current()
    website = dataclasses.replace(active.rules.sources["website"], webhooks=("behavior",))
    rules = dataclasses.replace(active.rules, sources={**active.rules.sources, "website": website})
    unbound = ActiveRules(rules)
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    with Client(app) as client:
        assert client.http.options("/webhooks/leads/website", headers=headers).status_code == 204
        monkeypatch.setattr(clean_aws.rules, "current", lambda: unbound)
        refused = client.http.options("/webhooks/leads/website", headers=headers)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    error = body(refused)["error"]
    assert error["code"] == "forbidden" and "may not post leads" in error["message"]
