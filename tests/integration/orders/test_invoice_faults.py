"""Invoice exactly once under faults (issue 9, item 7), over the embedded AWS with a real HTTP
receiver for finance: whatever breaks, the order gets one InvoiceRequested, finance is sent it
until it answers 2xx, and never again after (duplicate stream records and a week of sweeps
later). Time moves only by timer-sweep at chosen instants; nothing sleeps."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest

from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from shared.fulfilment.domain.orders import Order
from shared.kernel.domain.events import iso, parse_iso
from shared.kernel.services.webhook_auth import verify_signature
from tests.integration.deliveries.test_deliveries import dead_letters, replay
from tests.integration.orders.conftest import World
from tests.unit.services.orders_helpers import shipment

PARALLEL = 20


def signed_for(world: World, order: Order) -> dict[str, Any]:
    return shipment(order.order_id, "SH-1", "signed", iso(world.clock()), CL_PRO=10, CL_ONB=3)


def assert_exactly_once(world: World, order: Order, *, posts: int | None = None) -> None:
    """One InvoiceRequested; finance got it (signed, same id every time) and, once it answered
    2xx, nothing more: a duplicate stream record and a week of sweeps send nothing."""
    [event] = world.requested()
    delivery = world.finance_delivery(order)
    assert delivery.status == "delivered" and delivery.cause == event.event_id
    sent = world.finance_posts()
    assert sent and all(p.headers["idempotency-key"] == event.event_id for p in sent)
    assert sent[-1].json["data"]["invoice_id"] == event.data["invoice_id"]
    verify_signature(sent[-1].headers["x-closeloop-signature"], "test-delivery-secret", sent[-1].body)
    if posts is not None:
        assert len(sent) == posts
    before = len(sent)
    replay(delivery)
    world.after_a_week_of_sweeps()
    assert len(world.finance_posts()) == before and len(world.requested()) == 1


def test_the_process_dies_after_the_commit_and_the_warehouse_retries(world: World, monkeypatch) -> None:
    order = world.order()
    real_commit = DynamoUnitOfWork.commit

    def commit_then_die(self: DynamoUnitOfWork, change: Any) -> None:
        real_commit(self, change)
        raise MemoryError("the function died after its transaction committed")  # injected

    monkeypatch.setattr(DynamoUnitOfWork, "commit", commit_then_die)
    died = world.post_shipment(signed_for(world, order))
    assert died.status_code == 500
    monkeypatch.setattr(DynamoUnitOfWork, "commit", real_commit)
    again = world.post_shipment(signed_for(world, order))  # the warehouse sends it again
    assert again.status_code == 200 and json.loads(again.body)["recorded"] is False
    world.drain()
    assert_exactly_once(world, order, posts=1)


def test_the_process_dies_before_the_commit_and_nothing_is_half_done(world: World, monkeypatch) -> None:
    order = world.order()

    def die(self: DynamoUnitOfWork, change: Any) -> None:
        raise MemoryError("the function died before its transaction")  # injected

    monkeypatch.setattr(DynamoUnitOfWork, "commit", die)
    assert world.post_shipment(signed_for(world, order)).status_code == 500
    monkeypatch.undo()
    world.drain()
    assert world.requested() == [] and world.finance_posts() == []
    assert world.post_shipment(signed_for(world, order)).status_code == 200
    world.drain()
    assert_exactly_once(world, order, posts=1)


def test_the_sender_dies_after_finance_answered_and_its_record_is_retried(world: World, monkeypatch) -> None:
    """At least once: the post went out and got its 200, the process died before recording it;
    the stream retries the record and sends it again with the same Idempotency-Key (finance drops
    the repeat); once the 2xx is recorded, nothing more."""
    from shared.adapters import courier

    real_send = courier.DeliveryCourier.send
    deaths = []

    def send_then_die(self: Any, delivery: Any, now: Any) -> Any:
        answer = real_send(self, delivery, now)
        if delivery.kind == "finance" and not deaths:
            deaths.append(answer)
            raise MemoryError("the sender died before recording the answer")  # injected
        return answer

    monkeypatch.setattr(courier.DeliveryCourier, "send", send_then_die)
    order = world.order()
    assert world.post_shipment(signed_for(world, order)).status_code == 200
    world.drain()
    assert deaths and deaths[0].status == 200
    assert_exactly_once(world, order, posts=2)


def test_five_hundred_three_times_then_two_hundred(world: World) -> None:
    order = world.order()
    for _ in range(3):
        world.receiver.answer(500, b"ledger locked")
    assert world.post_shipment(signed_for(world, order)).status_code == 200
    world.drain()
    for attempt in (2, 3, 4):
        due = parse_iso(world.finance_delivery(order).next_attempt_at or "")
        world.sweep(due - timedelta(seconds=1))
        assert len(world.finance_posts()) == attempt - 1  # not before its time
        world.sweep(due)
        assert len(world.finance_posts()) == attempt
    attempts = world.finance_delivery(order).attempts
    assert [a["status"] for a in attempts] == [500, 500, 500, 200]
    waits = [parse_iso(b["at"]) - parse_iso(a["at"]) for a, b in pairwise(attempts)]
    # about 1 min, 5 min, 30 min (±20 % jitter)
    for wait, base in zip(waits, (60, 300, 1800), strict=True):
        assert base * 0.8 <= wait.total_seconds() <= base * 1.2
    assert_exactly_once(world, order, posts=4)


def test_a_time_out_is_retried(world: World, monkeypatch) -> None:
    from shared.adapters import courier

    monkeypatch.setattr(courier, "TIMEOUT_SECONDS", 0.5)  # the 10 s of CONTRACT §10, shortened
    order = world.order()
    world.receiver.stall(2.0)
    assert world.post_shipment(signed_for(world, order)).status_code == 200
    world.drain()
    waiting = world.finance_delivery(order)
    assert waiting.status == "pending" and waiting.last_answer == "timeout"
    world.sweep(parse_iso(waiting.next_attempt_at or ""))
    assert_exactly_once(world, order, posts=2)


def test_a_429_waits_as_long_as_retry_after_says(world: World) -> None:
    order = world.order()
    world.receiver.answer(429, b"slow down", Retry_After="600")
    assert world.post_shipment(signed_for(world, order)).status_code == 200
    world.drain()
    first = parse_iso(world.finance_delivery(order).attempts[0]["at"])
    world.sweep(first + timedelta(seconds=599))
    assert len(world.finance_posts()) == 1
    world.sweep(first + timedelta(seconds=600))
    assert_exactly_once(world, order, posts=2)


def test_finance_down_for_a_day(world: World) -> None:
    from tests.conftest import free_port

    real_url = world.container.settings.finance_url
    world.use(finance_url=f"http://127.0.0.1:{free_port()}/finance")  # nobody listens: refused
    order = world.order()
    start = world.clock()
    assert world.post_shipment(signed_for(world, order)).status_code == 200
    world.drain()
    refused = 1
    while True:
        due = parse_iso(world.finance_delivery(order).next_attempt_at or "")
        if due - start > timedelta(days=1):
            break
        world.sweep(due)
        refused += 1
    delivery = world.finance_delivery(order)
    assert delivery.status == "pending" and [a["answer"] for a in delivery.attempts] == ["refused"] * refused
    assert 6 <= refused <= 9  # 1 min, 5 min, 30 min, 2 h, then every 6 h
    world.use(finance_url=real_url)  # finance is back
    world.sweep(due)
    assert_exactly_once(world, order, posts=1)


def test_a_400_goes_straight_to_dead_letters(world: World) -> None:
    dead_letters()
    order = world.order()
    world.receiver.answer(400, b'{"error": "unknown tax id format"}')
    assert world.post_shipment(signed_for(world, order)).status_code == 200
    world.drain()
    failed = world.finance_delivery(order)
    assert failed.status == "failed" and failed.dead_lettered and len(failed.attempts) == 1
    [letter] = dead_letters()
    assert letter["delivery_id"] == failed.delivery_id
    world.after_a_week_of_sweeps()
    assert len(world.finance_posts()) == 1 and len(world.requested()) == 1
    shown = json.loads(world.get(f"/orders/{order.order_id}").body)
    [finance] = [d for d in shown["deliveries"] if d["kind"] == "finance"]
    assert finance["status"] == "failed" and finance["last_answer"].startswith("400")


@pytest.mark.parametrize("keys", ["same body", "a new Idempotency-Key each"])
def test_the_same_shipment_webhook_twenty_times_in_parallel(world: World, keys: str) -> None:
    order = world.order()
    body = signed_for(world, order)
    with ThreadPoolExecutor(PARALLEL) as pool:
        jobs = [
            pool.submit(world.post_shipment, body, f"retry-{n}" if keys != "same body" else None)
            for n in range(PARALLEL)
        ]
        answers = [job.result() for job in jobs]
    assert {a.status_code for a in answers} <= {200, 409}, [a.body for a in answers if a.status_code != 200]
    assert any(a.status_code == 200 for a in answers)
    world.drain()
    assert_exactly_once(world, order, posts=1)
