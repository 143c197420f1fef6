"""Cases in DynamoDB: one item per case, written by the unit of work (a versioned Put)."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamo.listing import stamp
from shared.adapters.dynamo.models import CaseItem
from shared.domain.cases import Case, is_case_id


def case_item(case: Case) -> CaseItem:
    return CaseItem(
        case_id=case.case_id,
        account_id=case.account_id,
        priority=case.priority,
        status=case.replay().status,
        owner_id=case.owner_id,
        opened_at=case.opened_at,
        contact_key=case.contact_key,
        doc={k: v for k, v in case.to_dict().items() if k != "version"},
    )


class CaseTable:
    """How the unit of work stores a case: ``attribute_not_exists`` when new (the same case
    opened twice at once: one wins), ``version = read`` when changed."""

    def put(self, aggregate: Any, expected_version: int | None) -> dict[str, Any]:
        item = case_item(aggregate)
        stamp(item, "case", aggregate)
        if expected_version is not None:
            item.version = expected_version  # the save adds "version = expected" and bumps it
        kwargs: dict[str, Any] = item.get_save_kwargs_from_instance()
        return kwargs

    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]:
        return CaseItem.Meta.table_name, {"case_id": {"S": subject_id}}


class DynamoCaseRepository:
    def get(self, case_id: str) -> Case | None:
        if not is_case_id(case_id):
            return None
        try:
            item = CaseItem.get(case_id, consistent_read=True)
        except CaseItem.DoesNotExist:
            return None
        case = Case.from_dict(dict(item.doc))
        case.version = int(item.version or 0)
        return case

    def open_of_account(self, account_id: str, priority: str) -> list[str]:
        """One Query of the account's slice of ``by_account`` (the projected priority and status
        filter it); the account's resolved cases are read and dropped, other accounts' never."""
        condition = (CaseItem.priority == priority) & (CaseItem.status != "resolved")
        items = CaseItem.by_account.query(account_id, filter_condition=condition)
        return sorted(item.case_id for item in items)
