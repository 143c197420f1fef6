"""Deliveries over the embedded AWS as they run in AWS: created in a transaction, sent by the
DeliveryFunction that template.yaml's stream mapping invokes (played by the local plumbing),
to a real HTTP receiver; retries driven by timer-sweep at chosen instants, never by sleeping."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from functions.deliveries.handler import handler as sender
from infra.local.aws import client
from infra.local.runtime import LambdaContext
from schedules.timer_sweep import handler as timer_sweep
from shared.adapters.container import utc_now
from shared.adapters.dynamo.models import EventItem
from shared.deliveries.domain.deliveries import Delivery, event_delivery
from shared.kernel.domain.events import Event, iso, parse_iso
from shared.kernel.services.ports import Change, Save
from shared.kernel.services.webhook_auth import verify_signature


def order_delivery(container: Any) -> tuple[Delivery, dict[str, Any]]:
    envelope = Event("OrderCreated", "order/o_1", utc_now(), {"order_id": "o_1", "amount": 1200}).envelope()
    delivery = event_delivery(envelope, "erp", utc_now())
    container.uow.commit(Change(saves=[Save(delivery, None)]))
    return delivery, envelope


def stored(container: Any, delivery: Delivery) -> Delivery:
    found = container.uow.deliveries.get(delivery.delivery_id)
    assert found is not None
    return found


def replay(delivery: Delivery) -> None:
    """A duplicate stream record for the delivery, as DynamoDB Streams may hand out again."""
    record = {
        "eventID": "dup",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {"Keys": {"delivery_id": {"S": delivery.delivery_id}}, "SequenceNumber": "1"},
    }
    assert sender({"Records": [record]}, LambdaContext("DeliveryFunction", 512, 30)) == {"batchItemFailures": []}


def dead_letters() -> list[dict[str, Any]]:
    import os

    sqs = client("sqs", os.environ["AWS_ENDPOINT_URL"])
    url = sqs.get_queue_url(QueueName="closeloop-dev-deliveries-dlq")["QueueUrl"]
    found = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(m["Body"]) for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


def test_an_erp_event_is_posted_once_signed_with_its_id(configure, receiver, plumbing) -> None:
    container = configure(erp_url=f"{receiver.url}/erp")
    delivery, envelope = order_delivery(container)
    assert plumbing.drain(30)
    [post] = receiver.posts
    # the envelope with who made the change (CONTRACT §12): here nobody in particular, the system
    assert post.path == "/erp" and post.json == {**envelope, "actor": {"kind": "system", "name": "closeloop"}}
    assert post.headers["content-type"] == "application/json"
    assert post.headers["x-closeloop-event-id"] == post.headers["idempotency-key"] == envelope["id"]
    verify_signature(post.headers["x-closeloop-signature"], "test-delivery-secret", post.body, utc_now())
    assert stored(container, delivery).status == "delivered"
    replay(delivery)  # a duplicate record after the 2xx
    assert plumbing.drain(30) and len(receiver.posts) == 1


def test_a_500_is_retried_by_timer_sweep_at_the_backoff_instant(configure, receiver, plumbing) -> None:
    container = configure(erp_url=f"{receiver.url}/erp")
    receiver.answer(500, b"database down")
    delivery, _ = order_delivery(container)
    assert plumbing.drain(30)
    waiting = stored(container, delivery)
    first = parse_iso(waiting.attempts[0]["at"])
    due = parse_iso(waiting.next_attempt_at or "")
    assert waiting.status == "pending" and waiting.last_answer == "500 database down"
    assert timedelta(seconds=48) <= due - first <= timedelta(seconds=72)  # about a minute, with jitter
    assert timer_sweep({"time": iso(due - timedelta(seconds=1))}, None)["fired"] == 0
    assert plumbing.drain(30) and len(receiver.posts) == 1
    assert timer_sweep({"time": iso(due)}, None)["fired"] == 1
    assert plumbing.drain(30) and len(receiver.posts) == 2
    assert stored(container, delivery).status == "delivered"
    assert receiver.posts[0].headers["idempotency-key"] == receiver.posts[1].headers["idempotency-key"]


def test_a_429_waits_as_long_as_retry_after_says(configure, receiver, plumbing) -> None:
    container = configure(erp_url=f"{receiver.url}/erp")
    receiver.answer(429, b"slow down", Retry_After="120")
    delivery, _ = order_delivery(container)
    assert plumbing.drain(30)
    waiting = stored(container, delivery)
    assert parse_iso(waiting.next_attempt_at or "") - parse_iso(waiting.attempts[0]["at"]) == timedelta(seconds=120)


def test_a_refused_connection_is_retried(configure, plumbing) -> None:
    from tests.conftest import free_port

    container = configure(erp_url=f"http://127.0.0.1:{free_port()}/nobody-listens")
    delivery, _ = order_delivery(container)
    assert plumbing.drain(30)
    waiting = stored(container, delivery)
    assert waiting.status == "pending" and waiting.last_answer == "refused" and waiting.next_attempt_at


def test_a_400_fails_records_delivery_failed_and_reaches_the_dead_letter_queue(configure, receiver, plumbing) -> None:
    container = configure(erp_url=f"{receiver.url}/erp")
    dead_letters()  # the session's queue starts empty for this test
    receiver.answer(400, b'{"error": "unknown customer"}')
    delivery, _ = order_delivery(container)
    assert plumbing.drain(30)
    failed = stored(container, delivery)
    assert failed.status == "failed" and failed.dead_lettered
    [event] = [e for e in EventItem.scan() if e.type == "DeliveryFailed"]
    assert event.subject == "order/o_1" and event.data["delivery_id"] == delivery.delivery_id
    assert event.data["last_answer"].startswith("400")
    [letter] = dead_letters()
    assert letter["delivery_id"] == delivery.delivery_id and letter["status"] == "failed"
    replay(delivery)
    assert plumbing.drain(30) and len(receiver.posts) == 1 and dead_letters() == []


def test_without_a_url_it_waits_as_pending_and_goes_out_once_one_is_set(configure, receiver, plumbing) -> None:
    from shared.deliveries.services.deliveries import send_again

    container = configure(erp_url="")
    delivery, _ = order_delivery(container)
    assert plumbing.drain(30)
    assert stored(container, delivery).waiting == "no erp URL configured" and receiver.posts == []
    container = configure(erp_url=f"{receiver.url}/erp")
    send_again(container.uow, [delivery.delivery_id], utc_now())
    assert plumbing.drain(30) and len(receiver.posts) == 1
    assert stored(container, delivery).status == "delivered"
