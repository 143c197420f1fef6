"""The service desk's ports: the case repository and the unit of work the case services commit
through (a case is routed through the leads' pools, so it has the leads' turns too)."""

from __future__ import annotations

from typing import Protocol

from shared.leads.services.ports import LeadsWork
from shared.service_desk.domain.cases import Case


class CaseRepository(Protocol):
    def get(self, case_id: str) -> Case | None: ...  # a consistent read

    def open_of_account(self, account_id: str, priority: str) -> list[str]:
        """Ids of the account's cases of ``priority`` not resolved, as the cases' ``by_account``
        index says (one Query of that account's slice; eventually consistent: confirm with get)."""
        ...


class CasesWork(LeadsWork, Protocol):
    """The unit of work with the cases (and the leads, whose pools route cases)."""

    @property
    def cases(self) -> CaseRepository: ...
