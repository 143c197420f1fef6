"""Orders, shipments, invoices and accounts over real HTTP against the embedded AWS: the walk a
user takes (signed for → invoice requested → finance gets it → write-back), every refusal the
contract names with nothing stored, and the blocked invoice released by a credit code."""

from __future__ import annotations

import json
from typing import Any

from shared.adapters.dynamo.models import AccountItem, EventItem, LeadKeyItem, OrderItem
from shared.fulfilment.domain.orders import invoice_id_for
from tests.integration.api.helpers import signed_headers
from tests.integration.orders.conftest import World
from tests.unit.services.orders_helpers import NO_TAX_ID, shipment


def _types() -> list[str]:
    return sorted(e.type for e in EventItem.scan())


def _snapshot() -> tuple[Any, ...]:
    return (
        sorted((o.order_id, o.version) for o in OrderItem.scan()),
        sorted((a.account_id, a.version) for a in AccountItem.scan()),
        sorted(k.key for k in LeadKeyItem.scan()),
        _types(),
    )


def test_signed_for_invoice_requested_finance_gets_it_and_writes_back(world: World) -> None:
    order = world.order()
    at = world.clock().isoformat()
    shipped = world.post_shipment(shipment(order.order_id, "SH-1", "shipped", at, CL_PRO=10, CL_ONB=3))
    assert shipped.status_code == 200 and shipped.json["status"] == "shipped" and shipped.json["invoices"] == []
    signed = world.post_shipment(shipment(order.order_id, "SH-1", "signed", at))
    invoice_id = invoice_id_for(order.order_id, "order")
    assert signed.json["invoices"] == [{"invoice_id": invoice_id, "status": "requested", "amount": "20199.99"}]
    listed = world.get("/invoices?status=requested").json
    assert [(i["invoice_id"], i["order_id"], i["amount"]) for i in listed["invoices"]] == [
        (invoice_id, order.order_id, "20199.99")
    ]
    assert [o["order_id"] for o in world.get("/orders?status=fulfilled").json["orders"]] == [order.order_id]
    world.drain()
    [post] = world.finance_posts()
    assert post.json["type"] == "InvoiceRequested" and post.json["data"]["invoice_id"] == invoice_id
    assert post.json["data"]["account"]["credit_code"] == "91350100M000100Y43"

    issued = world.with_key(
        "POST", f"/invoices/{invoice_id}/status", {"status": "issued", "invoice_number": "No 00012345"}
    )
    assert issued.status_code == 200 and issued.json["status"] == "issued"
    paid = world.with_key("POST", f"/invoices/{invoice_id}/status", {"status": "paid"})
    assert paid.status_code == 200 and paid.json["invoice_number"] == "No 00012345"

    view = world.get(f"/orders/{order.order_id}").json
    assert view["invoices"][0]["status"] == "paid" and view["shipments"][0]["status"] == "signed"
    assert world.get("/invoices?status=requested").json == {"invoices": [], "next_cursor": None}
    assert [
        i["invoice_number"] for i in world.get(f"/invoices?status=paid&account_id={order.account_id}").json["invoices"]
    ] == ["No 00012345"]
    assert [o["status"] for o in world.get("/orders").json["orders"]] == ["paid"]
    finance = next(d for d in view["deliveries"] if d["kind"] == "finance")
    assert finance["status"] == "delivered" and finance["attempts"][0]["status"] == 200
    assert [h["type"] for h in view["history"]] == ["created", "shipment", "shipment", "invoice", "invoice"]
    account = world.get(f"/accounts/{order.account_id}").json
    assert account["invoices"] == [
        {
            "invoice_id": invoice_id,
            "status": "paid",
            "amount": "20199.99",
            "currency": "CNY",
            "created_at": account["invoices"][0]["created_at"],
            "order_id": order.order_id,
        }
    ]
    alerts = [d for d in world.container.uow.deliveries.listing(kind="alert")]
    assert {(a.to, a.payload["event"]) for a in alerts} >= {("u_xu", "InvoiceIssued"), ("u_xu", "InvoicePaid")}


def test_refusals_name_the_field_and_store_nothing(world: World) -> None:
    order = world.order()
    at = world.clock().isoformat()
    world.post_shipment(shipment(order.order_id, "SH-1", "shipped", at, CL_PRO=8))
    before = _snapshot()
    over = world.post_shipment(shipment(order.order_id, "SH-2", "shipped", at, CL_PRO=3))
    assert over.status_code == 409 and over.json["error"]["code"] == "over_delivery"
    assert "lines[0].quantity" in over.json["error"]["fields"]
    changed = world.post_shipment(shipment(order.order_id, "SH-1", "signed", at, CL_PRO=7))
    assert changed.status_code == 409 and changed.json["error"]["code"] == "shipment_lines_changed"
    bad = world.post_shipment({"order_id": order.order_id, "status": "lost", "at": "soon"})
    assert bad.status_code == 400 and set(bad.json["error"]["fields"]) == {"shipment_id", "status", "at"}
    unknown = world.post_shipment(shipment("or_00000000000000000000", "SH-9", "shipped", at, CL_PRO=1))
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "order_not_found"
    raw = json.dumps(shipment(order.order_id, "SH-3", "shipped", at, CL_PRO=1)).encode()
    unsigned = world.call("POST", "/webhooks/shipments/warehouse", raw, {"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    public = world.call("POST", "/webhooks/shipments/website", raw, signed_headers(raw))
    assert public.status_code == 401  # a public (browser) source may not post shipments
    assert world.call("POST", "/webhooks/shipments/nowhere", raw, signed_headers(raw)).status_code == 404
    assert world.get("/orders/or_00000000000000000000").status_code == 404
    assert world.get("/orders/../etc").status_code in (403, 404)
    assert world.call("GET", f"/orders/{order.order_id}").status_code == 401
    status = world.with_key("POST", "/invoices/inv_00000000000000000000/status", {"status": "paid"})
    assert status.status_code == 404 and status.json["error"]["code"] == "invoice_not_found"
    patch = world.with_key("PATCH", f"/accounts/{order.account_id}", {"credit_code": "91350100M000100Y44"})
    assert patch.status_code == 400 and set(patch.json["error"]["fields"]) == {"credit_code"}
    manager = world.with_key("PATCH", f"/accounts/{order.account_id}", {"account_manager_id": "u_nobody", "x": 1})
    assert manager.status_code == 400 and set(manager.json["error"]["fields"]) == {"account_manager_id", "x"}
    assert world.with_key("PATCH", "/accounts/ac_00000000000000000000", {"address": "x"}).status_code == 404
    assert _snapshot() == before


def test_a_buyer_without_a_tax_id_blocks_the_invoice_until_patch_supplies_it(world: World) -> None:
    order = world.order(account=NO_TAX_ID)
    at = world.clock().isoformat()
    signed = world.post_shipment(shipment(order.order_id, "SH-1", "signed", at, CL_PRO=10, CL_ONB=3))
    assert signed.json["invoices"][0]["status"] == "blocked"
    world.drain()
    assert world.finance_posts() == [] and "InvoiceBlocked" in _types()
    alert = next(
        d for d in world.container.uow.deliveries.listing(kind="alert") if d.payload["event"] == "InvoiceBlocked"
    )
    assert alert.to == "u_xu" and "无税号公司" in alert.text
    account = world.get(f"/accounts/{order.account_id}").json
    assert account["tax_id_missing"] is True and account["blocked_invoices"][0]["order_id"] == order.order_id
    patched = world.with_key("PATCH", f"/accounts/{order.account_id}", {"credit_code": "91350100M000100Y43"})
    assert patched.status_code == 200 and patched.json["blocked_invoices"] == [] and not patched.json["tax_id_missing"]
    world.drain()
    [post] = world.finance_posts()
    assert post.json["data"]["account"]["credit_code"] == "91350100M000100Y43"
    world.with_key("PATCH", f"/accounts/{order.account_id}", {"credit_code": "91110108551385082Q"})
    world.drain()
    assert len(world.finance_posts()) == 1 and _types().count("InvoiceRequested") == 1
