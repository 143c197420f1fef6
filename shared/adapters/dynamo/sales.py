"""Opportunities and quotes in DynamoDB: one item each (documents.py), written by the unit of
work, read consistently."""

from __future__ import annotations

from shared.adapters.dynamo.documents import DocumentTable
from shared.adapters.dynamo.models import OpportunityItem, QuoteItem
from shared.sales.domain.opportunities import Opportunity, is_opportunity_id
from shared.sales.domain.quotes import Quote, is_quote_id

# a lead converted twice at once: one Put wins; two stage moves at once: one wins, the other reads again
OPPORTUNITIES: DocumentTable[Opportunity] = DocumentTable(
    "opportunity",
    OpportunityItem,
    Opportunity.from_dict,
    is_opportunity_id,
    lambda o: {"opportunity_id": o.opportunity_id, "owner_id": o.owner_id, "stage": o.stage, "status": o.status},
)
# two decisions on one step at once read the same version: one wins, the other finds it decided (409)
QUOTES: DocumentTable[Quote] = DocumentTable(
    "quote",
    QuoteItem,
    Quote.from_dict,
    is_quote_id,
    lambda q: {"quote_id": q.quote_id, "opportunity_id": q.opportunity_id, "status": q.status},
)


class DynamoOpportunityRepository:
    def get(self, opportunity_id: str) -> Opportunity | None:
        return OPPORTUNITIES.get(opportunity_id)


class DynamoQuoteRepository:
    def get(self, quote_id: str) -> Quote | None:
        return QUOTES.get(quote_id)
