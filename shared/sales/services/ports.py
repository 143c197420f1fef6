"""Sales' ports: opportunities and quotes, and the unit of work the sales services commit through."""

from __future__ import annotations

from typing import Protocol

from shared.fulfilment.services.ports import OrdersWork
from shared.sales.domain.opportunities import Opportunity
from shared.sales.domain.quotes import Quote


class OpportunityRepository(Protocol):
    def get(self, opportunity_id: str) -> Opportunity | None: ...  # a consistent read


class QuoteRepository(Protocol):
    def get(self, quote_id: str) -> Quote | None: ...  # a consistent read


class SalesWork(OrdersWork, Protocol):
    """The unit of work with the opportunities and quotes, and what they reach below: the leads
    they come from, the contracts they end in and the order a signature makes."""

    @property
    def opportunities(self) -> OpportunityRepository: ...

    @property
    def quotes(self) -> QuoteRepository: ...
