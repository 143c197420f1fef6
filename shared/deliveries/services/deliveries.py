"""Sending deliveries (CONTRACT §10), once for every kind: alerts, ERP, finance.

- ``deliver`` is what the deliveries table's stream consumer does with each record: read the
  delivery as stored now; send it only if it is pending with nothing scheduled; record the
  answer — delivered, a retry (a ``delivery_retry`` timer at the back-off instant) or failed
  (``DeliveryFailed``, recorded through the outbox). A failed delivery is then moved to the
  dead-letter queue by its own stream record, so a crash between the two loses nothing.
- ``retry_handler`` is the ``delivery_retry`` timer: it makes the delivery due again, and the
  stream sends it. Sending lives in one place, and a sweep never waits on a slow receiver.
- ``send_again`` is `closeloop deliveries retry`: a new attempt sequence for failed (or
  waiting) deliveries. A delivered one is never sent again.

At least once: a crash after the receiver answered and before the answer is recorded sends it
again; receivers drop repeats by the stable id (Idempotency-Key, the delivery id for alerts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from shared.deliveries.domain.deliveries import Answer, Delivery
from shared.deliveries.services.ports import Courier, DeliveriesWork
from shared.kernel.domain.errors import Conflict
from shared.kernel.services.ports import Change, Save
from shared.time.domain.timers import Timer
from shared.time.services.timers import Handler

Jitter = Callable[[], float]  # a number in [0, 1): random.random in production, fixed in tests


def deliver(delivery_id: str, uow: DeliveriesWork, courier: Courier, now: datetime, jitter: Jitter) -> str:
    """Act on one stream record of a delivery; says what it did (for the log, never PII)."""
    delivery = uow.deliveries.get(delivery_id)
    if delivery is None:
        return "missing"
    if delivery.status == "failed" and not delivery.dead_lettered:
        courier.dead_letter(delivery)
        _update(uow, delivery_id, _mark_dead_lettered)
        return "dead_lettered"
    if not delivery.due_now:
        return "skipped"  # delivered, failed, waiting for a retry, or a duplicate record
    reason = courier.blocked(delivery)
    if reason is not None:
        _update(uow, delivery_id, lambda d: _wait(d, reason, now))
        return "waiting"
    answer = courier.send(delivery, now)
    spread = jitter()
    _update(uow, delivery_id, lambda d: _record(d, answer, now, spread))
    return answer.verdict


def _wait(delivery: Delivery, reason: str, now: datetime) -> Change | None:
    if not delivery.due_now:
        return None
    version = delivery.version
    timer = delivery.wait_for_destination(reason, now)
    return Change(saves=[Save(delivery, version), Save(timer, None)])


def _record(delivery: Delivery, answer: Answer, now: datetime, spread: float) -> Change | None:
    if delivery.status != "pending":
        return None  # decided meanwhile (e.g. a concurrent `deliveries retry` … delivered it)
    version = delivery.version
    timer, events = delivery.record(answer, now, spread)
    saves = [Save(delivery, version), *([Save(timer, None)] if timer else [])]
    return Change(saves=saves, events=events)


def _mark_dead_lettered(delivery: Delivery) -> Change | None:
    if delivery.status != "failed" or delivery.dead_lettered:
        return None
    version = delivery.version
    delivery.dead_lettered = True
    return Change(saves=[Save(delivery, version)])


def _update(uow: DeliveriesWork, delivery_id: str, decide: Callable[[Delivery], Change | None]) -> None:
    """Read the delivery, decide, commit; a lost race reads again and decides again."""

    def attempt() -> None:
        delivery = uow.deliveries.get(delivery_id)
        change = decide(delivery) if delivery is not None else None
        if change is not None:
            uow.commit(change)

    uow.retry.run(attempt, give_up=lambda: Conflict(f"delivery {delivery_id} kept changing"))


def handlers() -> dict[str, Handler[DeliveriesWork]]:
    return {"delivery_retry": retry_handler}


def retry_handler(timer: Timer, now: datetime, uow: DeliveriesWork) -> Change:
    """The back-off is over: the delivery is due again (its stream record sends it)."""
    delivery = uow.deliveries.get(str(timer.data["delivery_id"]))
    if delivery is None or not delivery.retry_due(timer):
        return Change()  # delivered, failed or sent again by hand meanwhile
    version = delivery.version
    delivery.next_attempt_at = None
    delivery.waiting = None
    return Change(saves=[Save(delivery, version)])


@dataclass
class Resent:
    sent: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # delivery id -> why not


def send_again(uow: DeliveriesWork, ids: Iterable[str], now: datetime) -> Resent:
    """`deliveries retry`: each one gets a new attempt sequence and goes out at once."""
    result = Resent()
    for delivery_id in ids:
        delivery = uow.deliveries.get(delivery_id)
        if delivery is None:
            result.refused[delivery_id] = "no such delivery"
            continue
        version = delivery.version
        try:
            retried = delivery.send_again(now)
        except ValueError as refusal:
            result.refused[delivery_id] = str(refusal)
            continue
        uow.commit(Change(saves=[Save(delivery, version)], events=[retried]))
        result.sent.append(delivery_id)
    return result
