"""The delivery aggregate: what each answer means, the back-off schedule, the 3-day limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.deliveries.domain.deliveries import Answer, Delivery, backoff, event_delivery, retry_after_seconds
from shared.kernel.domain.events import iso

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def delivery() -> Delivery:
    return event_delivery({"id": "evt_1", "type": "OrderCreated", "subject": "order/o_1", "data": {}}, "erp", T0)


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (Answer(200), "delivered"),
        (Answer(204), "delivered"),
        (Answer(429), "retry"),
        (Answer(500), "retry"),
        (Answer(503), "retry"),
        (Answer(error="timeout"), "retry"),
        (Answer(error="refused"), "retry"),
        (Answer(400), "final"),
        (Answer(401), "final"),
        (Answer(404), "final"),
        (Answer(409), "final"),
        (Answer(302), "final"),  # a redirect is not followed: the receiver must be configured right
        (Answer(error="cannot post: InvalidURL"), "final"),
    ],
)
def test_what_each_answer_means(answer: Answer, verdict: str) -> None:
    assert answer.verdict == verdict


def test_backoff_is_about_1_5_30_120_minutes_then_every_6_hours_with_bounded_jitter() -> None:
    middle = [backoff(n, 0.5).total_seconds() for n in range(1, 8)]
    assert middle == [60, 300, 1800, 7200, 21600, 21600, 21600]
    assert backoff(1, 0.0).total_seconds() == 48 and backoff(1, 0.999999).total_seconds() == pytest.approx(72)


def test_a_retryable_answer_sets_a_timer_at_the_backoff_instant() -> None:
    d = delivery()
    timer, events = d.record(Answer(500), T0, jitter=0.5)
    assert timer is not None and timer.due_at == T0 + timedelta(minutes=1) and events == []
    assert timer.kind == "delivery_retry" and timer.about == d.subject
    assert d.status == "pending" and d.next_attempt_at == iso(timer.due_at) and not d.due_now
    assert d.retry_due(timer)
    timer2, _ = d.record(Answer(error="timeout"), T0 + timedelta(minutes=1), jitter=0.5)
    assert timer2 is not None and timer2.due_at == T0 + timedelta(minutes=6) and timer2.timer_id != timer.timer_id


def test_retry_after_is_honoured() -> None:
    d = delivery()
    timer, _ = d.record(Answer(429, retry_after=120), T0, jitter=0.0)
    assert timer is not None and timer.due_at == T0 + timedelta(seconds=120)
    assert retry_after_seconds("30", T0) == 30
    assert retry_after_seconds("Mon, 23 Nov 2026 09:05:00 GMT", T0) == 300
    assert retry_after_seconds("soon", T0) is None


def test_a_4xx_fails_at_once_with_delivery_failed() -> None:
    d = delivery()
    timer, [event] = d.record(Answer(400, error="bad order"), T0, jitter=0.5)
    assert timer is None and d.status == "failed" and d.failed_at == iso(T0)
    assert event.type == "DeliveryFailed" and event.subject == "order/o_1"
    assert event.data["last_answer"] == "400 bad order" and event.data["attempts"] == 1


def test_retries_stop_after_three_days() -> None:
    d = delivery()
    now, failed = T0, None
    for _ in range(30):
        timer, events = d.record(Answer(503), now, jitter=0.5)
        if timer is None:
            failed = events
            break
        now = timer.due_at
    assert failed and failed[0].type == "DeliveryFailed" and d.status == "failed"
    assert now - T0 <= timedelta(days=3)
    assert len(d.attempts) == 4 + 12  # 1, 5, 30, 120 min, then 6-hourly until the 3 days are up


def test_a_delivered_one_is_never_sent_again_and_a_failed_one_starts_a_new_sequence() -> None:
    d = delivery()
    d.record(Answer(400), T0, jitter=0.5)
    d.send_again(T0 + timedelta(days=5))
    assert d.due_now and d.started_at == iso(T0 + timedelta(days=5)) and d.attempts_in_sequence() == []
    d.record(Answer(200), T0 + timedelta(days=5), jitter=0.5)
    assert d.status == "delivered" and len(d.attempts) == 2
    with pytest.raises(ValueError, match="never sent again"):
        d.send_again(T0 + timedelta(days=6))


def test_ids_derive_from_the_cause() -> None:
    envelope = {"id": "evt_1", "type": "OrderCreated", "subject": "order/o_1", "data": {}}
    assert event_delivery(envelope, "erp", T0).delivery_id == event_delivery(envelope, "erp", T0).delivery_id
    assert event_delivery(envelope, "erp", T0).delivery_id != event_delivery(envelope, "finance", T0).delivery_id
