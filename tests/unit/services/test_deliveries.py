"""Sending deliveries over the in-memory unit of work: a fake courier answers what each test needs;
the timer sweep drives retries at chosen instants (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.adapters.memory import MemoryUnitOfWork
from shared.deliveries.domain.deliveries import Answer, Delivery, event_delivery
from shared.deliveries.services.deliveries import deliver, handlers, send_again
from shared.kernel.services.ports import Change, Save
from shared.time.services.timers import sweep_timers

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Courier:
    def __init__(self, *answers: Answer, blocked: str | None = None) -> None:
        self.answers = list(answers)
        self.sent: list[str] = []
        self.dead: list[str] = []
        self.block = blocked

    def blocked(self, delivery: Delivery) -> str | None:
        return self.block

    def send(self, delivery: Delivery, now: datetime) -> Answer:
        self.sent.append(delivery.delivery_id)
        return self.answers.pop(0)

    def dead_letter(self, delivery: Delivery) -> None:
        self.dead.append(delivery.delivery_id)


def created(store: MemoryUnitOfWork) -> Delivery:
    d = event_delivery({"id": "evt_1", "type": "OrderCreated", "subject": "order/o_1", "data": {}}, "erp", T0)
    store.commit(Change(saves=[Save(d, None)]))
    return d


def half() -> float:
    return 0.5


def test_a_2xx_is_sent_once_even_when_the_stream_record_repeats() -> None:
    store, courier = MemoryUnitOfWork(), Courier(Answer(200))
    d = created(store)
    assert deliver(d.delivery_id, store, courier, T0, half) == "delivered"
    assert deliver(d.delivery_id, store, courier, T0, half) == "skipped"
    assert courier.sent == [d.delivery_id]
    assert store.deliveries.get(d.delivery_id).status == "delivered"  # type: ignore[union-attr]


def test_a_500_is_retried_by_its_timer_at_the_backoff_instant() -> None:
    store, courier = MemoryUnitOfWork(), Courier(Answer(500), Answer(200))
    d = created(store)
    assert deliver(d.delivery_id, store, courier, T0, half) == "retry"
    assert deliver(d.delivery_id, store, courier, T0, half) == "skipped"  # the record of its own write
    sweep_timers(T0 + timedelta(seconds=59), store, handlers())
    assert deliver(d.delivery_id, store, courier, T0 + timedelta(seconds=59), half) == "skipped"
    fired = sweep_timers(T0 + timedelta(minutes=1), store, handlers())
    assert len(fired.fired) == 1
    assert deliver(d.delivery_id, store, courier, T0 + timedelta(minutes=1), half) == "delivered"
    assert courier.sent == [d.delivery_id] * 2


def test_a_4xx_fails_records_delivery_failed_and_goes_to_the_dead_letter_queue_once() -> None:
    store, courier = MemoryUnitOfWork(), Courier(Answer(400))
    d = created(store)
    assert deliver(d.delivery_id, store, courier, T0, half) == "final"
    assert [e.type for e in store.events] == ["DeliveryFailed"]
    assert deliver(d.delivery_id, store, courier, T0, half) == "dead_lettered"  # its own stream record
    assert deliver(d.delivery_id, store, courier, T0, half) == "skipped"
    assert courier.dead == [d.delivery_id] and courier.sent == [d.delivery_id]


def test_with_nowhere_to_send_it_waits_and_goes_out_when_sent_again() -> None:
    store, courier = MemoryUnitOfWork(), Courier(Answer(200), blocked="no erp URL configured")
    d = created(store)
    assert deliver(d.delivery_id, store, courier, T0, half) == "waiting"
    waiting = store.deliveries.get(d.delivery_id)
    assert waiting is not None and waiting.status == "pending" and waiting.waiting == "no erp URL configured"
    assert waiting.attempts == [] and courier.sent == []
    courier.block = None
    assert send_again(store, [d.delivery_id], T0 + timedelta(minutes=3)).sent == [d.delivery_id]
    assert deliver(d.delivery_id, store, courier, T0 + timedelta(minutes=3), half) == "delivered"


def test_a_waiting_delivery_looks_again_by_itself() -> None:
    store, courier = MemoryUnitOfWork(), Courier(Answer(200), blocked="no erp URL configured")
    d = created(store)
    deliver(d.delivery_id, store, courier, T0, half)
    courier.block = None
    sweep_timers(T0 + timedelta(minutes=15), store, handlers())
    assert deliver(d.delivery_id, store, courier, T0 + timedelta(minutes=15), half) == "delivered"


def test_retry_refuses_a_delivered_one_and_an_unknown_id() -> None:
    store, courier = MemoryUnitOfWork(), Courier(Answer(200))
    d = created(store)
    deliver(d.delivery_id, store, courier, T0, half)
    result = send_again(store, [d.delivery_id, "dl_nope"], T0)
    assert result.sent == [] and "never sent again" in result.refused[d.delivery_id]
    assert result.refused["dl_nope"] == "no such delivery"


def test_creating_the_same_delivery_twice_is_a_lost_race() -> None:
    store = MemoryUnitOfWork()
    created(store)
    try:
        created(store)
    except Exception as error:  # StaleAggregate: the unit of work refuses a second one
        assert type(error).__name__ == "StaleAggregate"
    else:
        raise AssertionError("a second delivery with the same id was created")
