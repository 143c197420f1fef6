"""Contracts in DynamoDB: one item per contract, written by the unit of work (a versioned Put);
an account's contracts through the ``by_account`` index (keys only, then a batch read)."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamo.documents import DocumentTable
from shared.adapters.dynamo.models import ContractItem, LeadKeyItem
from shared.customers.domain.contracts import Contract, quote_signed_key


def _indexed(contract: Contract) -> dict[str, Any]:
    return {
        "contract_id": contract.contract_id,
        "account_id": contract.account_id,
        "end_date": contract.end_date,
        "status": contract.status,
    }


def _could_be_contract_id(text: str) -> bool:
    return text.startswith("ct_") and len(text) <= 40


# the same envelope twice at once: one Put wins (attribute_not_exists)
CONTRACTS: DocumentTable[Contract] = DocumentTable(
    "contract", ContractItem, Contract.from_dict, _could_be_contract_id, _indexed
)


class DynamoContractRepository:
    def get(self, contract_id: str) -> Contract | None:
        return CONTRACTS.get(contract_id)

    def of_account(self, account_id: str) -> list[Contract]:
        """The account's contracts, soonest end first (one Query, one BatchGet per 100). The batch
        read is consistent: a hold placed a moment ago must be seen by the case that releases it."""
        ids = [item.contract_id for item in ContractItem.by_account.query(account_id)]
        items = ContractItem.batch_get(ids, consistent_read=True) if ids else []
        found = {item.contract_id: CONTRACTS.from_item(item) for item in items}
        return [found[i] for i in ids if i in found]

    def of_quote(self, quote_id: str) -> str | None:
        """The quote's key (``quote-signed#<id>``, claimed with its contract) names the contract."""
        if not quote_id.startswith("qt_") or len(quote_id) > 40:
            return None
        try:
            return str(LeadKeyItem.get(quote_signed_key(quote_id), consistent_read=True).lead_id)
        except LeadKeyItem.DoesNotExist:
            return None
