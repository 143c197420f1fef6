"""Opportunities and quotes in DynamoDB: one item each, written by the unit of work (a
versioned Put), read consistently."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamo.listing import stamp
from shared.adapters.dynamo.models import OpportunityItem, QuoteItem
from shared.domain.opportunities import Opportunity, is_opportunity_id
from shared.domain.quotes import Quote, is_quote_id


def _save_kwargs(item: Any, expected_version: int | None) -> dict[str, Any]:
    if expected_version is not None:
        item.version = expected_version  # the save adds "version = expected" and bumps it
    kwargs: dict[str, Any] = item.get_save_kwargs_from_instance()
    return kwargs


class OpportunityTable:
    """``attribute_not_exists`` when new (a lead converted twice at once: one wins), ``version =
    read`` when changed (two stage moves at once: one wins, the other reads again)."""

    def put(self, aggregate: Any, expected_version: int | None) -> dict[str, Any]:
        item = OpportunityItem(
            opportunity_id=aggregate.opportunity_id,
            owner_id=aggregate.owner_id,
            stage=aggregate.stage,
            status=aggregate.status,
            doc={k: v for k, v in aggregate.to_dict().items() if k != "version"},
        )
        stamp(item, "opportunity", aggregate)
        return _save_kwargs(item, expected_version)

    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]:
        return OpportunityItem.Meta.table_name, {"opportunity_id": {"S": subject_id}}


class QuoteTable:
    """Two decisions on one step at once both read the same version: one put wins, the other
    reads again and finds the step decided (409 already_decided)."""

    def put(self, aggregate: Any, expected_version: int | None) -> dict[str, Any]:
        item = QuoteItem(
            quote_id=aggregate.quote_id,
            opportunity_id=aggregate.opportunity_id,
            status=aggregate.status,
            doc={k: v for k, v in aggregate.to_dict().items() if k != "version"},
        )
        stamp(item, "quote", aggregate)
        return _save_kwargs(item, expected_version)

    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]:
        return QuoteItem.Meta.table_name, {"quote_id": {"S": subject_id}}


class DynamoOpportunityRepository:
    def get(self, opportunity_id: str) -> Opportunity | None:
        if not is_opportunity_id(opportunity_id):
            return None
        try:
            item = OpportunityItem.get(opportunity_id, consistent_read=True)
        except OpportunityItem.DoesNotExist:
            return None
        opportunity = Opportunity.from_dict(dict(item.doc))
        opportunity.version = int(item.version or 0)
        return opportunity


class DynamoQuoteRepository:
    def get(self, quote_id: str) -> Quote | None:
        if not is_quote_id(quote_id):
            return None
        try:
            item = QuoteItem.get(quote_id, consistent_read=True)
        except QuoteItem.DoesNotExist:
            return None
        quote = Quote.from_dict(dict(item.doc))
        quote.version = int(item.version or 0)
        return quote
