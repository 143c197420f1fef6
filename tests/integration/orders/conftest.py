"""An order over the embedded AWS, the API as API Gateway calls it, the local plumbing playing
template.yaml's streams, a real HTTP receiver standing in for finance and the ERP, and a clock
that the test moves: timer-sweep runs at chosen instants and the sender records the same time."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from functions.api.app import app
from infra.local.api_server import LocalApiServer
from schedules.timer_sweep import handler as timer_sweep
from shared.adapters.container import Container, reset_container, utc_now
from shared.adapters.dynamo.models import EventItem
from shared.deliveries.domain.deliveries import Delivery
from shared.fulfilment.domain.orders import Order, invoice_id_for
from shared.kernel.domain.events import iso
from tests.conftest import ADMIN_KEY
from tests.fakes.receiver import Receiver, running_receiver
from tests.integration.api.helpers import signed_headers
from tests.unit.services.orders_helpers import make_order


@dataclasses.dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class SimClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


DRAIN_SECONDS = 120


@dataclasses.dataclass
class World:
    container: Container
    clock: SimClock
    receiver: Receiver
    plumbing: Any
    api: str  # the local API server's base URL: real HTTP, as the warehouse and finance call it

    def order(self, **kwargs: Any) -> Order:
        """An order as the e-sign webhook makes it; its ERP delivery goes out before we go on."""
        order = make_order(self.container.uow, self.container.rules.current(), self.clock(), **kwargs)
        self.drain()
        return order

    def use(self, **settings: str) -> None:
        """Another setting (a finance URL that works now): the process's container is rebuilt."""
        self.container = Container(dataclasses.replace(self.container.settings, **settings), self.clock)
        reset_container(self.container)

    def post_shipment(self, payload: dict[str, Any], key: str | None = None) -> Any:
        raw = json.dumps(payload).encode()
        headers = signed_headers(raw)  # the real time: signatures are judged by the wall clock
        if key:
            headers["Idempotency-Key"] = key
        return self.call("POST", "/webhooks/shipments/warehouse", raw, headers)

    def call(self, method: str, path: str, raw: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        response = requests.request(method, f"{self.api}{path}", data=raw, headers=headers or {}, timeout=60)
        return Answer(response.status_code, response.content)

    def sweep(self, at: datetime) -> int:
        self.clock.now = at
        fired = int(timer_sweep({"time": iso(at)}, None)["fired"])
        self.drain()
        return fired

    def drain(self) -> None:
        # returns as soon as the plumbing is quiet; the bound is for a loaded CI machine (an order
        # now also moves its account's segment and alerts), not a wait
        assert self.plumbing.drain(DRAIN_SECONDS), f"the plumbing was not quiet within {DRAIN_SECONDS} s"

    def finance_posts(self) -> list[Any]:
        return [p for p in self.receiver.posts if p.path == "/finance"]

    def requested(self) -> list[EventItem]:
        return [e for e in EventItem.scan() if e.type == "InvoiceRequested"]

    def finance_delivery(self, order: Order) -> Delivery:
        stored = self.container.uow.orders.get(order.order_id)
        assert stored is not None
        invoice = stored.invoice(invoice_id_for(order.order_id, "order"))
        assert invoice is not None
        delivery = self.container.uow.deliveries.get(invoice["delivery_id"])
        assert delivery is not None
        return delivery

    def get(self, path: str) -> Answer:
        return self.call("GET", path, None, {"X-Api-Key": ADMIN_KEY})

    def with_key(self, method: str, path: str, payload: dict[str, Any]) -> Answer:
        headers = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
        return self.call(method, path, json.dumps(payload).encode(), headers)

    def after_a_week_of_sweeps(self) -> None:
        start = self.clock()
        for hours in (1, 6, 24, 72, 24 * 7):
            self.sweep(start + timedelta(hours=hours))


@pytest.fixture
def world(clean_aws: Any) -> Iterator[World]:
    from aws_lambda_powertools.utilities import parameters

    from infra.local.aws import client
    from infra.local.plumbing import Plumbing
    from infra.template import load_template

    secrets = client("secretsmanager", os.environ["AWS_ENDPOINT_URL"])
    secrets.put_secret_value(
        SecretId="closeloop-dev-delivery-secret", SecretString='{"secret": "test-delivery-secret"}'
    )
    parameters.clear_caches()
    clock = SimClock(utc_now().replace(microsecond=0))
    with running_receiver() as receiver:
        settings = dataclasses.replace(
            clean_aws.settings, finance_url=f"{receiver.url}/finance", erp_url=f"{receiver.url}/erp"
        )
        container = Container(settings, clock)
        reset_container(container)
        plumbing = Plumbing(load_template(), os.environ["AWS_ENDPOINT_URL"], poll_interval=0.05)
        plumbing.start()
        server = LocalApiServer(app, "127.0.0.1", 0, template=load_template()).start()
        try:
            yield World(container, clock, receiver, plumbing, f"http://127.0.0.1:{server.port}")
        finally:
            server.stop()
            plumbing.stop()
