"""Deliveries in DynamoDB: one item each, the aggregate in ``doc``, versioned like a lead."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from shared.adapters.acting import current_actor
from shared.adapters.dynamo.models import DeliveryItem
from shared.deliveries.domain.deliveries import Delivery
from shared.kernel.domain.events import parse_iso

_STORED = [f.name for f in dataclasses.fields(Delivery) if f.name != "version"]
# what goes to the ERP and finance: the event envelope, with who made the change (CONTRACT §12)
EVENT_DESTINATIONS = ("erp", "finance")
KEEP_DELIVERED_DAYS = 30  # then DynamoDB's TTL removes it (`deliveries list` shows what is recent)


def delivery_item(delivery: Delivery) -> DeliveryItem:
    return DeliveryItem(
        delivery_id=delivery.delivery_id,
        kind=delivery.kind,
        status=delivery.status,
        created_at=delivery.created_at,
        about=delivery.about,
        doc={name: getattr(delivery, name) for name in _STORED},
        expires_at=_expires(delivery),
    )


def stamp_actor(delivery: Delivery) -> None:
    """A new ERP or finance delivery carries the envelope's ``actor``, as the event item written in
    the same transaction does (``outbox_put``): the domain builds the envelope without knowing who
    acts; the entry point's actor is known here, in the write."""
    if delivery.kind in EVENT_DESTINATIONS and isinstance(delivery.payload, dict) and "actor" not in delivery.payload:
        delivery.payload = {**delivery.payload, "actor": current_actor()}


def _expires(delivery: Delivery) -> int | None:
    if delivery.status != "delivered" or not delivery.delivered_at:
        return None
    return int((parse_iso(delivery.delivered_at) + timedelta(days=KEEP_DELIVERED_DAYS)).timestamp())


def delivery_from_item(item: DeliveryItem) -> Delivery:
    doc = dict(item.doc or {})
    return Delivery(**{k: v for k, v in doc.items() if k in _STORED}, version=int(item.version or 0))


class DeliveryTable:
    """How the unit of work stores a delivery: new → must not exist (a retried cause creates no
    second one); changed → the version it was read at."""

    def put(self, aggregate: Any, expected_version: int | None) -> dict[str, Any]:
        if expected_version is None:
            stamp_actor(aggregate)
        item = delivery_item(aggregate)
        if expected_version is not None:
            item.version = expected_version  # the save adds "version = expected" and bumps it
        kwargs: dict[str, Any] = item.get_save_kwargs_from_instance()
        return kwargs

    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]:
        return DeliveryItem.Meta.table_name, {"delivery_id": {"S": subject_id}}


class DynamoDeliveryRepository:
    def get(self, delivery_id: str) -> Delivery | None:
        try:
            return delivery_from_item(DeliveryItem.get(delivery_id, consistent_read=True))
        except DeliveryItem.DoesNotExist:
            return None

    def about(self, subject: str) -> list[Delivery]:
        """The deliveries about one record, oldest first: keys from by_about, then batch reads."""
        ids = [str(item.delivery_id) for item in DeliveryItem.by_about.query(subject)]
        found = {d.delivery_id: d for d in (delivery_from_item(i) for i in DeliveryItem.batch_get(ids))} if ids else {}
        return [found[i] for i in ids if i in found]

    def listing(self, status: str | None = None, kind: str | None = None) -> list[Delivery]:
        """For the CLI (an operator's look, not a request path): a filtered scan, oldest first."""
        condition = None
        if status is not None:
            condition = DeliveryItem.status == status
        if kind is not None:
            by_kind = DeliveryItem.kind == kind
            condition = by_kind if condition is None else condition & by_kind
        found = [delivery_from_item(item) for item in DeliveryItem.scan(filter_condition=condition)]
        return sorted(found, key=lambda d: (d.created_at, d.delivery_id))
