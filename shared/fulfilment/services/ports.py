"""Fulfilment's ports: the order repository and the unit of work the order services commit
through."""

from __future__ import annotations

from typing import Protocol

from shared.customers.services.ports import CustomersWork
from shared.deliveries.services.ports import DeliveriesWork
from shared.fulfilment.domain.orders import Order


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...  # a consistent read
    def order_of_invoice(self, invoice_id: str) -> str | None: ...  # the order id that holds an invoice


class OrdersWork(CustomersWork, DeliveriesWork, Protocol):
    """The unit of work with the orders, the accounts they bill and their deliveries."""

    @property
    def orders(self) -> OrderRepository: ...
