"""Contracts in DynamoDB: one item per contract, written by the unit of work (a versioned Put);
an account's contracts through the ``by_account`` index (keys only, then a batch read)."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamo.listing import stamp
from shared.adapters.dynamo.models import ContractItem, LeadKeyItem
from shared.domain.contracts import Contract, quote_signed_key


def contract_item(contract: Contract) -> ContractItem:
    return ContractItem(
        contract_id=contract.contract_id,
        account_id=contract.account_id,
        end_date=contract.end_date,
        status=contract.status,
        doc={k: v for k, v in contract.to_dict().items() if k != "version"},
    )


class ContractTable:
    """``attribute_not_exists`` when new (the same envelope twice: one wins), ``version = read``
    when changed."""

    def put(self, aggregate: Any, expected_version: int | None) -> dict[str, Any]:
        item = contract_item(aggregate)
        stamp(item, "contract", aggregate)
        if expected_version is not None:
            item.version = expected_version
        kwargs: dict[str, Any] = item.get_save_kwargs_from_instance()
        return kwargs

    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]:
        return ContractItem.Meta.table_name, {"contract_id": {"S": subject_id}}


def _contract(item: ContractItem) -> Contract:
    contract = Contract.from_dict(dict(item.doc))
    contract.version = int(item.version or 0)
    return contract


class DynamoContractRepository:
    def get(self, contract_id: str) -> Contract | None:
        if not contract_id.startswith("ct_") or len(contract_id) > 40:
            return None
        try:
            return _contract(ContractItem.get(contract_id, consistent_read=True))
        except ContractItem.DoesNotExist:
            return None

    def of_account(self, account_id: str) -> list[Contract]:
        """The account's contracts, soonest end first (one Query, one BatchGet per 100). The batch
        read is consistent: a hold placed a moment ago must be seen by the case that releases it."""
        ids = [item.contract_id for item in ContractItem.by_account.query(account_id)]
        items = ContractItem.batch_get(ids, consistent_read=True) if ids else []
        found = {item.contract_id: _contract(item) for item in items}
        return [found[i] for i in ids if i in found]

    def of_quote(self, quote_id: str) -> str | None:
        """The quote's key (``quote-signed#<id>``, claimed with its contract) names the contract."""
        if not quote_id.startswith("qt_") or len(quote_id) > 40:
            return None
        try:
            return str(LeadKeyItem.get(quote_signed_key(quote_id), consistent_read=True).lead_id)
        except LeadKeyItem.DoesNotExist:
            return None
