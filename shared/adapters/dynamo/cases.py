"""Cases in DynamoDB: one item per case (documents.py), written by the unit of work."""

from __future__ import annotations

from typing import Any

from shared.adapters.dynamo.documents import DocumentTable
from shared.adapters.dynamo.models import CaseItem
from shared.service_desk.domain.cases import Case, is_case_id


def _indexed(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "account_id": case.account_id,
        "priority": case.priority,
        "status": case.replay().status,
        "owner_id": case.owner_id,
        "opened_at": case.opened_at,
        "contact_key": case.contact_key,
    }


# the same case opened twice at once: one Put wins (attribute_not_exists)
CASES: DocumentTable[Case] = DocumentTable("case", CaseItem, Case.from_dict, is_case_id, _indexed)


class DynamoCaseRepository:
    def get(self, case_id: str) -> Case | None:
        return CASES.get(case_id)

    def open_of_account(self, account_id: str, priority: str) -> list[str]:
        """One Query of the account's slice of ``by_account`` (the projected priority and status
        filter it); the account's resolved cases are read and dropped, other accounts' never."""
        condition = (CaseItem.priority == priority) & (CaseItem.status != "resolved")
        items = CaseItem.by_account.query(account_id, filter_condition=condition)
        return sorted(item.case_id for item in items)
