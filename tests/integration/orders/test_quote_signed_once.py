"""One quote, one contract, one order (CONTRACT §14; issue 15 item 8): a quote signed under a
second envelope id is a 409 ``quote_already_signed`` naming the contract, also when ten
envelopes for it arrive at once over real HTTP."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.adapters.dynamo.models import ContractItem, OrderItem
from tests.integration.api.helpers import signed_headers
from tests.integration.orders.conftest import Answer, World
from tests.unit.services.esign_helpers import approved_quote, envelope
from tests.unit.services.helpers import TickingClock


def _sign(world: World, quote_id: str, envelope_id: str) -> Answer:
    raw = json.dumps(envelope(quote_id, envelope_id)).encode()
    return world.call("POST", "/webhooks/esign/esign", raw, signed_headers(raw))


def _of_quote(model: Any, quote_id: str) -> list[Any]:
    return [i for i in model.scan() if i.doc.get("quote_id") == quote_id]


def test_a_second_envelope_for_a_signed_quote_is_refused_naming_the_contract(world: World) -> None:
    quote = approved_quote(world.container.rules.current(), world.container.uow, TickingClock())
    first = _sign(world, quote["quote_id"], "env-first")
    assert first.status_code == 201, first.body
    contract_id = first.json["contract_id"]

    second = _sign(world, quote["quote_id"], "env-second")
    assert second.status_code == 409, second.body
    error = second.json["error"]
    assert error["code"] == "quote_already_signed" and contract_id in error["message"]
    assert error["fields"]["contract_id"] == contract_id
    assert len(_of_quote(ContractItem, quote["quote_id"])) == 1
    assert len(_of_quote(OrderItem, quote["quote_id"])) == 1

    # the first envelope delivered again is still recorded, not refused
    again = _sign(world, quote["quote_id"], "env-first")
    assert again.status_code in (200, 201) and again.json["contract_id"] == contract_id
    order = world.get(f"/orders/{first.json['order_id']}")
    assert order.status_code == 200 and order.json["contract_id"] == contract_id


def test_ten_parallel_envelopes_for_one_quote_make_one_contract_and_one_order(world: World) -> None:
    quote = approved_quote(world.container.rules.current(), world.container.uow, TickingClock())
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda n: _sign(world, quote["quote_id"], f"env-race-{n}"), range(10)))

    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1, [(a.status_code, a.body[:200]) for a in answers]
    made = next(a.json for a in answers if a.status_code == 201)
    for refused in (a for a in answers if a.status_code != 201):
        # a lost race is told as the business fact, or (at worst) "busy, send it again"
        assert refused.status_code == 409, refused.body
        assert refused.json["error"]["code"] in ("quote_already_signed", "conflict"), refused.body
    assert any(a.json["error"]["code"] == "quote_already_signed" for a in answers if a.status_code == 409)
    assert [i.contract_id for i in _of_quote(ContractItem, quote["quote_id"])] == [made["contract_id"]]
    assert [i.order_id for i in _of_quote(OrderItem, quote["quote_id"])] == [made["order_id"]]

    # every envelope sent again (a provider retries what was refused): still one contract
    for n in range(10):
        retried = _sign(world, quote["quote_id"], f"env-race-{n}")
        assert retried.status_code in (200, 201, 409), retried.body
        assert retried.json.get("contract_id", made["contract_id"]) == made["contract_id"]
    assert len(_of_quote(OrderItem, quote["quote_id"])) == 1
    world.drain()
    assert world.get(f"/contracts/{made['contract_id']}").status_code == 200
