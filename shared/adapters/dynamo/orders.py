"""Orders and accounts in DynamoDB: one item each, the aggregate in ``doc``, written by the unit
of work (a versioned Put: ``attribute_not_exists`` when new, ``version = read`` when changed)."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamo.documents import DocumentTable
from shared.adapters.dynamo.listing import stamp
from shared.adapters.dynamo.models import AccountItem, InvoiceItem, LeadKeyItem, OrderItem
from shared.customers.domain.accounts import Account, is_account_id
from shared.customers.services.ports import SegmentPosition
from shared.fulfilment.domain.orders import Order, is_invoice_id, is_order_id


def _order_indexed(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "account_id": order.account_id,
        "contract_id": order.contract_id,
        "amount": order.amount,
        "currency": order.currency,
        "created_at": order.created_at,
    }


def _account_indexed(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "company": account.company,
        "country": account.country,
        "account_manager_id": account.account_manager_id,
        "segment": account.segment,
        "segment_since": account.segment_since,
    }


ORDERS: DocumentTable[Order] = DocumentTable("order", OrderItem, Order.from_dict, is_order_id, _order_indexed)
ACCOUNTS: DocumentTable[Account] = DocumentTable(
    "account", AccountItem, Account.from_dict, is_account_id, _account_indexed
)


def invoice_copies(order: Order) -> list[dict[str, Any]]:
    """The transaction Puts of an order's invoices as lists show them (unconditioned: the order's
    own versioned Put in the same transaction decides whether any of it happens)."""
    puts = []
    for listed in order.listed_invoices():
        item = InvoiceItem(
            invoice_id=listed.invoice_id, doc={k: v for k, v in listed.to_dict().items() if k != "version"}
        )
        stamp(item, "invoice", listed)
        puts.append(item.get_save_kwargs_from_instance())
    return puts


class DynamoOrderRepository:
    def get(self, order_id: str) -> Order | None:
        return ORDERS.get(order_id)

    def order_of_invoice(self, invoice_id: str) -> str | None:
        """An invoice's key (``invoice#<id>``, claimed when the invoice was made) names its order."""
        if not is_invoice_id(invoice_id):
            return None
        try:
            return str(LeadKeyItem.get(f"invoice#{invoice_id}", consistent_read=True).lead_id)
        except LeadKeyItem.DoesNotExist:
            return None


class DynamoAccountRepository:
    def get(self, account_id: str) -> Account | None:
        return ACCOUNTS.get(account_id)

    def count_in_segment(self, segment: str) -> int:
        """A count Query of the segment's slice of ``by_segment`` (keys only; pages of 1 MB)."""
        return int(AccountItem.by_segment.count(segment))

    def in_segment(
        self, segment: str, limit: int, after: SegmentPosition | None = None
    ) -> tuple[list[Account], SegmentPosition | None]:
        """One Query of ``by_segment`` (newest first, one key more than the page: is there a next
        page?), then one consistent BatchGet; an account that left the segment since the index
        was written is left out."""
        start = None
        if after is not None:
            start = {
                "segment": {"S": segment},
                "segment_since": {"S": after.segment_since},
                "account_id": {"S": after.account_id},
            }
        keys = [
            (str(item.segment_since), str(item.account_id))
            for item in AccountItem.by_segment.query(
                segment, scan_index_forward=False, limit=limit + 1, page_size=limit + 1, last_evaluated_key=start
            )
        ]
        more = len(keys) > limit
        keys = keys[:limit]
        items = AccountItem.batch_get([i for _, i in keys], consistent_read=True) if keys else []
        found = {str(item.account_id): ACCOUNTS.from_item(item) for item in items}
        page = [found[i] for _, i in keys if i in found and found[i].segment == segment]
        return page, (SegmentPosition(*keys[-1]) if more and keys else None)

    def page(self, limit: int, after: str | None = None) -> tuple[list[Account], str | None]:
        return ACCOUNTS.page(limit, after)
