"""The deliveries' ports: where deliveries are kept, the courier that sends them, and the unit
of work the delivery services commit through."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.deliveries.domain.deliveries import Answer, Delivery
from shared.kernel.services.ports import UnitOfWork


class DeliveryRepository(Protocol):
    def get(self, delivery_id: str) -> Delivery | None: ...  # consistent: what is stored now
    def listing(self, status: str | None = None, kind: str | None = None) -> list[Delivery]: ...  # oldest first
    def about(self, subject: str) -> list[Delivery]: ...  # the deliveries about one record, oldest first


class Courier(Protocol):
    """Sends deliveries: email through SES, chat robots, the ERP and finance by HTTP."""

    def blocked(self, delivery: Delivery) -> str | None: ...  # why it cannot go yet (no URL), else None
    def send(self, delivery: Delivery, now: datetime) -> Answer: ...
    def dead_letter(self, delivery: Delivery) -> None: ...  # onto the dead-letter queue (an alarm)


class DeliveriesWork(UnitOfWork, Protocol):
    """The unit of work with the deliveries."""

    @property
    def deliveries(self) -> DeliveryRepository: ...
